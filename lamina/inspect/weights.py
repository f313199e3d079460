"""Weights as pictures: Dense weight columns as images, one output unit's input weights as a
bar chart, convolution kernels as a grid."""
from __future__ import annotations

import math

import numpy as np

from ._common import grid_shape, imshow, new_figure, normalize01, resolve_layer
from .images import show_images

__all__ = ["dense_weights_as_images", "output_unit_weights", "conv_filters"]


def _kernel(layer, what):
    if not getattr(layer, "built", False):
        raise ValueError(f"{what}: layer '{layer.name}' is not built yet, so it has no weights. Build the "
                         f"model (give its first layer input_shape=...) or train it first.")
    kernel = getattr(layer, "kernel", None)
    if kernel is None:
        raise ValueError(f"{what}: layer '{layer.name}' ({type(layer).__name__}) has no kernel. Pass a "
                         f"Dense or Conv2D layer.")
    return kernel.detach().cpu().float().numpy()


def _pick(model_or_layer, kind, what, layer=None):
    """A layer of the given class name: the layer itself, or the model's first (or named) one."""
    from ..layers.base import Layer
    if hasattr(model_or_layer, "layers") and isinstance(model_or_layer, Layer):
        model = model_or_layer
        if layer is not None:
            return resolve_layer(model, layer)
        from ._common import all_layers
        found = [l for l in all_layers(model) if type(l).__name__ in kind]
        if not found:
            names = ", ".join(f"'{l.name}' ({type(l).__name__})" for l in all_layers(model))
            raise ValueError(f"{what}: model '{model.name}' has no {' or '.join(kind)} layer. Its layers: "
                             f"{names}.")
        return found[0]
    if isinstance(model_or_layer, Layer):
        return model_or_layer
    raise TypeError(f"{what} expects a lamina model or layer. Received {type(model_or_layer).__name__}.")


def dense_weights_as_images(model_or_layer, image_shape=(28, 28), layer=None, plot=False, ncols=None,
                            max_images: int | None = None):
    """Each unit's input weights of a Dense layer, reshaped to an image (the CS4487 lecture code's filter_list).

    Column ``i`` of the Keras kernel ``(inputs, units)`` becomes image ``i``, so a unit's picture is
    the input pattern it responds to most.

    Args:
        model_or_layer: a Dense layer, or a model (its first Dense layer, or ``layer``).
        image_shape: shape each column is reshaped to (default (28, 28)); its size must equal the
            layer's number of inputs.
        layer: with a model, the layer to use (name, index or layer).
        plot: also return a Figure of the grid.
        ncols: images per row in the figure.
        max_images: draw only the first this many units (the figure's title says "showing 64 of
            500"); the array always holds all of them (default: draw all).

    Returns:
        An array (units, *image_shape); with ``plot=True``, (array, Figure).

    Example:
        >>> images = dense_weights_as_images(model, image_shape=(28, 28))   # (units, 28, 28)
    """
    what = "dense_weights_as_images"
    dense = _pick(model_or_layer, ("Dense",), what, layer)
    w = _kernel(dense, what)          # torch layout (units, inputs)
    n_in = w.shape[1]
    shape = tuple(int(d) for d in image_shape)
    if math.prod(shape) != n_in:
        raise ValueError(f"{what}: layer '{dense.name}' has {n_in} inputs, which cannot be reshaped to "
                         f"image_shape={shape} ({math.prod(shape)} values). Pass an image_shape with "
                         f"{n_in} values.")
    images = w.reshape((w.shape[0],) + shape)   # row i of (units, inputs) = Keras column i
    if not plot:
        return images
    shown = images[:_cap(max_images, what)]
    fig = show_images(shown, titles="%d", ncols=ncols or min(10, len(shown)))
    if len(shown) < len(images):
        _title(fig, f"'{dense.name}': showing {len(shown)} of {len(images)} units")
    return images, fig


def _cap(max_images, what):
    if max_images is None:
        return None
    if isinstance(max_images, bool) or not isinstance(max_images, int) or max_images < 1:
        raise ValueError(f"{what} expects max_images to be None or a positive int. Received: "
                         f"max_images={max_images!r}.")
    return max_images


def _title(fig, text):
    """A figure title above the grid's own titles (the layout leaves it room, so nothing overlaps)."""
    fig.suptitle(text, fontsize=9)
    fig.tight_layout(pad=0.3, rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))


def output_unit_weights(layer, unit: int, k: int = 5, threshold: float | None = None, model=None,
                        image_shape=(28, 28), plot=False):
    """The input weights of one unit of a Dense layer, with the strongest positive and negative marked.

    As in the CS4487 lecture notes: for a hidden layer of ReLU units (outputs >= 0), a positive weight says class
    ``unit`` should have that hidden pattern (green), a negative one that it should not (red).

    Args:
        layer: a Dense layer (or a model with ``unit`` meaning its last Dense layer).
        unit: the output unit (e.g. the class index).
        k: how many strongest positive and negative inputs to mark when ``threshold`` is None
            (default 5).
        threshold: mark inputs with weight > threshold (green) and < -threshold (red) instead, as the
            lecture notes do with 0.75.
        model: the model holding the layer; when the layer before it is a Dense layer whose inputs
            reshape to ``image_shape``, the figure also shows those hidden units as images with the
            marked ones framed green/red.
        image_shape: shape of the hidden units' images (default (28, 28)).
        plot: also return a Figure.

    Returns:
        A dict with ``weights`` (inputs,), ``positive`` and ``negative`` (indices of the marked inputs,
        strongest first), ``positive_mask`` and ``negative_mask`` (booleans per input, ready for
        ``show_images(highlight_green=..., highlight_red=...)``); with ``plot=True``, (dict, Figure).
    """
    what = "output_unit_weights"
    if hasattr(layer, "layers"):
        model = layer if model is None else model
        dense_layers = [l for l in layer.layers if type(l).__name__ == "Dense"]
        if not dense_layers:
            raise ValueError(f"{what}: model '{layer.name}' has no Dense layer.")
        layer = dense_layers[-1]
    w = _kernel(layer, what)   # (units, inputs)
    units = w.shape[0]
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= int(unit) < units:
        raise ValueError(f"{what}: layer '{layer.name}' has {units} units (0..{units - 1}); received "
                         f"unit={unit!r}.")
    weights = w[int(unit)].copy()
    order = np.argsort(-weights, kind="stable")
    if threshold is not None:
        pos = np.array([i for i in order if weights[i] > threshold], dtype=np.int64)
        neg = np.array([i for i in order[::-1] if weights[i] < -threshold], dtype=np.int64)
    else:
        k = int(k)
        pos = np.array([i for i in order[:k] if weights[i] > 0], dtype=np.int64)
        neg = np.array([i for i in order[::-1][:k] if weights[i] < 0], dtype=np.int64)
    pos_mask = np.zeros(len(weights), bool)
    pos_mask[pos] = True
    neg_mask = np.zeros(len(weights), bool)
    neg_mask[neg] = True
    result = {"weights": weights, "positive": pos, "negative": neg, "positive_mask": pos_mask,
              "negative_mask": neg_mask, "layer": layer.name, "unit": int(unit)}
    if not plot:
        return result
    hidden = _previous_dense_images(model, layer, image_shape) if model is not None else None
    fig = new_figure(9, 3.2 if hidden is None else 7.5)
    if hidden is None:
        ax = fig.subplots(1, 1)
        axes_grid = None
    else:
        top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.4])
        ax = top.subplots(1, 1)
        axes_grid = bottom
    colors = np.where(pos_mask, "tab:green", np.where(neg_mask, "tab:red", "tab:gray"))
    ax.bar(np.arange(len(weights)), weights, color=colors)
    ax.grid(True, alpha=0.3)
    ax.set_xlabel("weight index")
    ax.set_ylabel("value")
    ax.set_title(f"output weights for {int(unit)} (layer '{layer.name}')")
    if axes_grid is not None:
        n = len(hidden)
        nrows, ncols = grid_shape(n, min(10, n))
        axes = axes_grid.subplots(nrows, ncols, squeeze=False)
        for i, a in enumerate(axes.ravel()):
            if i >= n:
                a.axis("off")
                continue
            imshow(a, hidden[i])
            color = "lime" if pos_mask[i] else "red" if neg_mask[i] else None
            if color:
                for spine in a.spines.values():
                    spine.set_edgecolor(color)
                    spine.set_linewidth(3)
    return result, fig


def _previous_dense_images(model, layer, image_shape):
    from ._common import all_layers
    layers = [l for l in all_layers(model)]
    dense = [l for l in layers if type(l).__name__ == "Dense"]
    idx = next((i for i, l in enumerate(dense) if l is layer), None)
    if not idx:
        return None
    prev = dense[idx - 1]
    w = _kernel(prev, "output_unit_weights")
    if w.shape[1] != math.prod(image_shape) or w.shape[0] != _kernel(layer, "")[0].shape[0]:
        return None
    return w.reshape((w.shape[0],) + tuple(image_shape))


def conv_filters(layer, input_channel: int | None = None, plot=False, ncols=None, max_images: int | None = None):
    """Every kernel of a 2-D convolution layer, as images.

    Args:
        layer: a Conv2D layer, or a model (its first Conv2D layer).
        input_channel: for layers with other than 1 or 3 input channels, which input channel to show
            (default: the mean over input channels).
        plot: also return a Figure; kernels with 3 input channels are drawn in colour (each scaled to
            [0, 1] on its own), others in grey.
        ncols: kernels per row in the figure.
        max_images: draw only the first this many filters (the title says "showing 64 of 256");
            the array always holds all of them (default: draw all).

    Returns:
        An array (filters, kernel_rows, kernel_cols, input_channels) (each filter in Keras orientation,
        ``kernel[..., i]`` of ``get_weights()``); with ``plot=True``, (array, Figure).
    """
    what = "conv_filters"
    conv = _pick(layer, ("Conv2D", "Convolution2D"), what)
    w = _kernel(conv, what)
    if w.ndim != 4:
        raise ValueError(f"{what}: layer '{conv.name}' ({type(conv).__name__}) has a {w.ndim}-D kernel; "
                         f"expected a 2-D convolution.")
    filters = w.transpose(0, 2, 3, 1)       # (out, kh, kw, in)
    if not plot:
        return filters
    in_ch = filters.shape[-1]
    if in_ch == 3:
        shown = normalize01(filters, axis=(1, 2, 3))
        label = "colour"
    elif in_ch == 1:
        shown = filters[..., 0]
        label = "grey"
    elif input_channel is not None:
        if not 0 <= int(input_channel) < in_ch:
            raise ValueError(f"{what}: layer '{conv.name}' has {in_ch} input channels; received "
                             f"input_channel={input_channel!r}.")
        shown = filters[..., int(input_channel)]
        label = f"input channel {int(input_channel)}"
    else:
        shown = filters.mean(axis=-1)
        label = f"mean over {in_ch} input channels"
    total = len(shown)
    shown = shown[:_cap(max_images, what)]
    fig = show_images(list(shown), titles="%d", ncols=ncols or min(10, len(shown)))
    count = f"showing {len(shown)} of {total} filters" if len(shown) < total else f"{total} filters"
    _title(fig, f"'{conv.name}': {count} {filters.shape[1]}x{filters.shape[2]} ({label})")
    return filters, fig
