"""Filters visualised by gradient ascent in input space (Deep Learning with Python's VGG filter pictures)."""
from __future__ import annotations

import numpy as np
import torch

from .. import config as _config
from ._common import (check_model, input_format, input_shape, layer_formats, model_device, mosaic,
                      new_figure, normalize01, one_thread, resolve_layer, trace)

__all__ = ["maximize_activation", "maximize_activation_grid", "deprocess_image"]


def deprocess_image(x: np.ndarray) -> np.ndarray:
    """Deep Learning with Python's display transform: centre, scale to std 0.1 around 0.5, clip to [0, 1]."""
    x = np.asarray(x, np.float64)
    x = x - x.mean()
    x = x / (x.std() + 1e-5)
    x = x * 0.1 + 0.5
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def _start_shape(model, size, what):
    shape = input_shape(model)
    if len(shape) != 4:
        raise ValueError(f"{what} needs a model on images (batch, rows, cols, channels); model '{model.name}' "
                         f"takes input shape {shape}.")
    fmt = input_format(model)
    rows, cols, ch = (shape[1], shape[2], shape[3]) if fmt == "channels_last" else (shape[2], shape[3], shape[1])
    if size is not None:
        size = (int(size), int(size)) if np.isscalar(size) else tuple(int(s) for s in size)
        if rows is not None and (rows, cols) != size:
            raise ValueError(f"{what}: model '{model.name}' takes {rows}x{cols} images; received size={size}. "
                             f"Leave size=None for a model with a fixed input size.")
        rows, cols = size
    if rows is None or cols is None:
        raise ValueError(f"{what}: model '{model.name}' accepts any image size; pass size=... (e.g. size=150, "
                         f"as Deep Learning with Python does).")
    if ch is None:
        raise ValueError(f"{what}: model '{model.name}' has an unknown number of input channels.")
    return rows, cols, ch, fmt


def maximize_activation(model, layer, filter_index: int, size=None, steps: int = 40, step_size: float = 1.0,
                        seed=None, value_range=(0.0, 1.0), raw: bool = False, plot: bool = False):
    """The input image that excites one filter most, found by gradient ascent from noise.

    As in Deep Learning with Python: start from a noisy grey image, take the mean of the filter's feature map as the
    loss, divide its gradient by its root mean square (+1e-5) and add ``step_size`` times it to the
    image, ``steps`` times; then centre and scale the result for display (:func:`deprocess_image`).

    Args:
        model: a built lamina model on images.
        layer: a layer, name or index whose output has channels (conv, pooling, ...).
        filter_index: the channel to maximise.
        size: image size (int or (rows, cols)) for models that accept any size; default the model's.
        steps: gradient ascent steps (default 40).
        step_size: step length per normalised gradient (default 1.0).
        seed: seed of the starting noise (default: torch's global generator).
        value_range: (low, high) of the model's inputs; the start is the middle grey of this range
            plus 10% uniform noise (default (0, 1); Deep Learning with Python's VGG start 128 +- 20 is (0, 255)).
        raw: return the undisplayed input instead of the deprocessed image.
        plot: also return a Figure.

    Returns:
        The image as (rows, cols, channels) float32 in [0, 1] (or raw values with ``raw=True``); with
        ``plot=True``, (image, Figure).

    Example:
        >>> img = maximize_activation(model, "conv2d_1", 3, seed=0)
    """
    what = "maximize_activation"
    check_model(model, what)
    layer = resolve_layer(model, layer)
    rows, cols, ch, fmt = _start_shape(model, size, what)
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"{what} expects steps >= 0. Received: steps={steps!r}.")
    gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
    lo, hi = float(value_range[0]), float(value_range[1])
    shape = (1, rows, cols, ch) if fmt == "channels_last" else (1, ch, rows, cols)
    noise = torch.rand(shape, generator=gen, dtype=_config.dtype())
    x = (lo + (hi - lo) * (0.45 + 0.1 * noise)).to(model_device(model))
    select = _channel_selector(model, layer, x, filter_index, what)
    with torch.enable_grad(), one_thread():
        for _ in range(steps):
            x.requires_grad_(True)
            records, _ = trace(model, x, [layer], stop_early=True)
            loss = select(records[0][1]).mean()
            (grad,) = torch.autograd.grad(loss, x)
            grad = grad / (grad.pow(2).mean().sqrt() + 1e-5)
            x = (x.detach() + step_size * grad).detach()
    img = x.detach().cpu().float().numpy()[0]
    if fmt == "channels_first":
        img = img.transpose(1, 2, 0)
    out = img if raw else deprocess_image(img)
    if not plot:
        return out
    fig = new_figure(3, 3.2)
    ax = fig.subplots(1, 1)
    shown = out[..., 0] if out.shape[-1] == 1 else out
    ax.imshow(normalize01(shown), cmap="gray" if shown.ndim == 2 else None)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"'{layer.name}' filter {filter_index}", fontsize=9)
    return out, fig


def _channel_selector(model, layer, x, filter_index, what):
    with torch.no_grad():
        records, _ = trace(model, x, None)
    out = next((o for l, o in records if l is layer), None)
    if out is None:
        raise ValueError(f"{what}: layer '{layer.name}' did not run when model '{model.name}' was called.")
    if not isinstance(out, torch.Tensor) or out.dim() < 2:
        raise ValueError(f"{what}: layer '{layer.name}' outputs {type(out).__name__}; expected a tensor with "
                         f"channels.")
    fmt = layer_formats(model, records).get(id(layer), "channels_last")
    axis = 1 if out.dim() > 2 and fmt == "channels_first" else out.dim() - 1
    n = out.shape[axis]
    if isinstance(filter_index, bool) or not isinstance(filter_index, (int, np.integer)) \
            or not 0 <= int(filter_index) < n:
        raise ValueError(f"{what}: layer '{layer.name}' has {n} channels (0..{n - 1}); received "
                         f"filter_index={filter_index!r}.")
    k = int(filter_index)
    return lambda t: t.select(axis, k)


def maximize_activation_grid(model, layer, filters=None, size=None, steps: int = 40, step_size: float = 1.0,
                             seed=None, value_range=(0.0, 1.0), ncols: int | None = None, plot: bool = False):
    """:func:`maximize_activation` for many filters of one layer, as one grid.

    Args:
        filters: channel indices (default: the first 16, or all if fewer).
        ncols: images per row of the grid.
        Other arguments as :func:`maximize_activation`.

    Returns:
        An array (n, rows, cols, channels) of images; with ``plot=True``, (array, Figure).
    """
    check_model(model, "maximize_activation_grid")
    layer = resolve_layer(model, layer)
    if filters is None:
        rows, cols, ch, _ = _start_shape(model, size, "maximize_activation_grid")
        with torch.no_grad():
            probe = torch.zeros((1, rows, cols, ch) if input_format(model) == "channels_last"
                                else (1, ch, rows, cols)).to(model_device(model))
            records, _ = trace(model, probe, None)
        out = next(o for l, o in records if l is layer)
        fmt = layer_formats(model, records).get(id(layer), "channels_last")
        n = out.shape[1] if out.dim() > 2 and fmt == "channels_first" else out.shape[-1]
        filters = list(range(min(16, n)))
    images = np.stack([maximize_activation(model, layer, f, size=size, steps=steps, step_size=step_size,
                                           seed=None if seed is None else int(seed) + i,
                                           value_range=value_range)
                       for i, f in enumerate(filters)])
    if not plot:
        return images
    grid = mosaic(images if images.shape[-1] == 3 else images[..., 0], ncols=ncols or min(8, len(images)),
                  normalize=False)
    fig = new_figure(8, 8 * grid.shape[0] / grid.shape[1] + 0.4)
    ax = fig.subplots(1, 1)
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"'{layer.name}': filters {list(filters)[0]}..{list(filters)[-1]} by gradient ascent", fontsize=9)
    return images, fig
