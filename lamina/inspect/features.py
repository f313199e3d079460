"""Feature maps: what each layer outputs for one image, and the multi-output
"activation model" Deep Learning with Python builds by hand."""
from __future__ import annotations

import numpy as np
import torch

from ..models import Model
from ._common import (check_model, layer_formats, mosaic, new_figure, one_thread, prepare_images, resolve_layer,
                      trace)

__all__ = ["activation_model", "feature_maps", "plot_feature_maps"]


def _resolve_many(model, layers, what):
    if layers is None:
        return None
    if isinstance(layers, (str, int)) or hasattr(layers, "name"):
        layers = [layers]
    return [resolve_layer(model, l, what="layer") for l in layers]


def activation_model(model, layers=None):
    """A model from the input to the outputs of the given layers (Keras:
    ``Model(inputs=model.input, outputs=[l.output for l in layers])``).

    ``activation_model(model, layers).predict(x)`` returns one array per layer. For functional and
    Sequential models the result is a functional Model sharing the layers (and weights) of the
    original, using exactly the nodes of the original's graph; for subclassed models it is a small
    Model that runs the original and collects the outputs with forward hooks.

    Args:
        model: a built lamina model.
        layers: layers, names or indices (default: every layer of ``model.layers`` except inputs).

    Returns:
        A lamina Model with one output per layer.

    Example:
        >>> acts = activation_model(model, ["conv2d", "conv2d_1"]).predict(x[:1])
    """
    check_model(model, "activation_model")
    chosen = _resolve_many(model, layers, "activation_model")
    if chosen is None:
        chosen = [l for l in model.layers if type(l).__name__ != "InputLayer"]
    if getattr(model, "_is_graph_network", False):
        outputs = []
        for layer in chosen:
            tensor = _graph_output(model, layer)
            if tensor is None:
                break
            outputs.append(tensor)
        else:
            return Model(inputs=model.inputs[0], outputs=outputs if len(outputs) > 1 else outputs[0])
    return _HookedActivations(model, chosen)


def _graph_output(model, layer):
    """The symbolic output of ``layer`` within ``model``'s own graph (not a stale node of it)."""
    for step_layer, _, _, out_slots, _ in model.graph_plan.steps:
        if step_layer is layer:
            for node in model._graph_nodes:
                if node.layer is layer:
                    outs = node.output_tensors
                    return outs[0] if len(outs) == 1 else None
    if any(layer is t._keras_history[0] for t in model.inputs):
        return model.inputs[0]
    return None


class _HookedActivations(Model):
    """The activation model of a subclassed model: runs it and returns the chosen layers' outputs.

    The source model is held as a plain attribute, not a sublayer, so its layers and weights are
    not registered twice; ``parameters()`` are the source's.
    """

    def __init__(self, source, layers):
        super().__init__(name=f"{source.name}_activations")
        object.__setattr__(self, "_source", source)
        self._watched = list(layers)
        self.built = True
        self._build_shape = source._build_shape

    def call(self, inputs, training=None):
        records, _ = trace(self._source, inputs, self._watched, stop_early=True)
        by_id = {id(l): o for l, o in records}
        outs = [by_id[id(l)] for l in self._watched]
        return outs if len(outs) > 1 else outs[0]

    def parameters(self, recurse=True):
        return self._source.parameters(recurse)


def _default_layers(records):
    """Layers with image-shaped (4-D) outputs, in call order, skipping those that hand their input
    through unchanged at inference (Dropout, GaussianNoise, ...)."""
    seen, out = set(), []
    for layer, o in records:
        if isinstance(o, torch.Tensor) and o.dim() == 4 and not hasattr(layer, "layers") and id(o) not in seen:
            out.append(layer)
        if isinstance(o, torch.Tensor):
            seen.add(id(o))
    return out


def feature_maps(model, image, layers=None, plot=False, max_channels: int = 64):
    """Every channel of every chosen layer's output for one image.

    Args:
        model: a built lamina model (Sequential, functional or subclassed).
        image: one image, (rows, cols), (rows, cols, channels) or (channels, rows, cols); a batch of
            one works too. Converted to the model's input with a warning when its size or channel
            count differs.
        layers: layers, names or indices (default: every layer whose output is a stack of feature
            maps, i.e. 4-D: convolutions, pooling, and the activations/normalisations between them).
        plot: also return a Figure with one grid of channels per layer.
        max_channels: channels drawn per layer in the figure (default 64).

    Returns:
        A dict layer name -> array, in call order. Feature maps are ``(rows, cols, channels)``
        whatever the layer's data format (``maps['conv2d'][:, :, 4]`` is channel 4); other outputs
        keep their shape without the batch axis. With ``plot=True``, (dict, Figure).

    Example:
        >>> maps = feature_maps(model, x_test[0])
        >>> {name: m.shape for name, m in maps.items()}
    """
    check_model(model, "feature_maps")
    chosen = _resolve_many(model, layers, "feature_maps")
    x = prepare_images(model, image, "feature_maps", single=True)
    with torch.no_grad(), one_thread():
        records, _ = trace(model, x, None if chosen is None else chosen, stop_early=chosen is not None)
        formats = layer_formats(model, records) if chosen is None else _formats_for(model, x, records)
    by_id = {id(l): o for l, o in records}
    if chosen is None:
        chosen = _default_layers(records)
        if not chosen:
            names = ", ".join(f"'{l.name}' {tuple(o.shape[1:])}" for l, o in records
                              if isinstance(o, torch.Tensor))
            raise ValueError(f"feature_maps: model '{model.name}' has no layer with a 2-D feature map output "
                             f"(batch, rows, cols, channels). Pass layers=... to see other outputs: {names}.")
    maps = {}
    for layer in chosen:
        out = by_id.get(id(layer))
        if out is None:
            raise ValueError(f"feature_maps: layer '{layer.name}' did not run when model '{model.name}' was "
                             f"called on the image.")
        if not isinstance(out, torch.Tensor):
            out = out[0]
        arr = out[0].detach().cpu().float().numpy()
        if arr.ndim == 3 and formats.get(id(layer)) == "channels_first":
            arr = arr.transpose(1, 2, 0)
        maps[layer.name] = arr
    if not plot:
        return maps
    return maps, plot_feature_maps(maps, max_channels=max_channels)


def _formats_for(model, x, records):
    """Formats of explicitly chosen layers: trace the whole model once without gradients."""
    if all(getattr(l, "data_format", None) for l, _ in records):
        return {id(l): l.data_format for l, _ in records}
    with torch.no_grad():
        full, _ = trace(model, x, None)
    return layer_formats(model, full)


def plot_feature_maps(maps: dict, max_channels: int = 64, ncols: int | None = None, width: float = 9.0):
    """A Figure with one panel per layer: its channels tiled into a grid (each scaled to [0, 1])."""
    items = [(name, m) for name, m in maps.items() if np.asarray(m).ndim == 3]
    if not items:
        raise ValueError("plot_feature_maps needs at least one (rows, cols, channels) feature map.")
    grids = []
    for name, m in items:
        channels = np.moveaxis(np.asarray(m), -1, 0)[:max_channels]
        grid = mosaic(channels, ncols=ncols or min(len(channels), 16), fill=np.nan)
        grids.append(grid)
    heights = [width * g.shape[0] / g.shape[1] + 0.3 for g in grids]
    fig = new_figure(width, sum(heights))
    axes = fig.subplots(len(items), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    import matplotlib
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="white")
    for ax, (name, m), grid in zip(axes, items, grids):
        ax.imshow(grid, cmap=cmap, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        extra = f", first {max_channels}" if m.shape[-1] > max_channels else ""
        ax.set_title(f"{name}: {m.shape[-1]} channels of {m.shape[0]}x{m.shape[1]}{extra}", fontsize=9)
    fig.tight_layout(pad=0.4)
    return fig
