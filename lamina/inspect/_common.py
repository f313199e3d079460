"""Shared machinery of lamina.inspect: finding layers, preparing images, running
a model once while recording what its layers output, and making figures.

Layer outputs are recorded with ``torch.nn.Module`` forward hooks, so the same
code serves Sequential, functional and subclassed models.
"""
from __future__ import annotations

import math
import warnings
from contextlib import contextmanager

import numpy as np
import torch

from .. import config as _config
from .._errors import unknown_name_error

__all__: list[str] = []


# --------------------------------------------------------------------- model checks
def check_model(model, what: str):
    """The model, after checking it is a built lamina model with a single input."""
    from ..layers.base import Layer
    if not isinstance(model, Layer) or not hasattr(model, "layers"):
        raise TypeError(f"{what} expects a lamina model (Sequential, Model or a Model subclass). "
                        f"Received {type(model).__name__}.")
    if not model.built:
        raise ValueError(
            f"{what}: model '{model.name}' is not built yet, so it has no weights to look at. Give its first "
            f"layer input_shape=..., call model.build((None, 28, 28, 1)), or train it on data first.")
    shape = input_shape(model)
    if isinstance(shape, list):
        raise ValueError(f"{what} works on models with one input; model '{model.name}' has {len(shape)} "
                         f"inputs {shape}.")
    return model


def input_shape(model):
    if getattr(model, "_is_graph_network", False):
        shapes = [t.shape for t in model.inputs]
        return shapes[0] if len(shapes) == 1 else shapes
    shape = getattr(model, "_build_shape", None)
    if shape is None:
        raise ValueError(f"Model '{model.name}' has not seen any input yet; call it on data or build it first.")
    return shape if isinstance(shape, list) else tuple(shape)


def all_layers(model) -> list:
    """Every layer inside the model (nested ones too), without the model itself."""
    return model._flatten_layers(include_self=False)


def resolve_layer(model, layer, what: str = "layer"):
    """A Layer of the model from a Layer, a name or an index into model.layers."""
    from ..layers.base import Layer
    layers = all_layers(model)
    if isinstance(layer, Layer):
        if not any(layer is l for l in layers):
            raise ValueError(f"Layer '{layer.name}' is not part of model '{model.name}'. Pass one of its layers "
                             f"or a name: {', '.join(repr(l.name) for l in layers)}.")
        return layer
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        top = model.layers
        if not -len(top) <= int(layer) < len(top):
            raise ValueError(f"Model '{model.name}' has {len(top)} layers (indices 0..{len(top) - 1}); "
                             f"received {what}={layer!r}.")
        return top[int(layer)]
    if isinstance(layer, str):
        for candidate in layers:
            if candidate.name == layer:
                return candidate
        raise unknown_name_error(f"{what} name in model '{model.name}':", layer, [l.name for l in layers])
    raise TypeError(f"{what} must be a layer, a layer name or an index. Received {layer!r}.")


def model_device(model):
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def input_format(model) -> str:
    """The data format of the model's image input: that of its first spatial layer."""
    for layer in _call_order(model):
        fmt = getattr(layer, "data_format", None)
        if fmt in ("channels_last", "channels_first"):
            return fmt
    return _config.image_data_format()


def _call_order(model) -> list:
    """Layers in the order a forward pass runs them (registration order for subclassed models)."""
    if not getattr(model, "_is_graph_network", False):
        return all_layers(model)
    out = []
    for step in model.graph_plan.steps:
        layer = step[0]
        out.append(layer)
        if hasattr(layer, "_steps") or (hasattr(layer, "layers") and hasattr(layer, "_is_graph_network")):
            out.extend(_call_order(layer))
    return out


# --------------------------------------------------------------------- images
def prepare_images(model, images, what: str, single: bool = False) -> torch.Tensor:
    """Images as a float tensor of the model's input shape (batch first), on the model's device.

    Accepts (rows, cols), (rows, cols, channels), (channels, rows, cols) and batches of those.
    Converts grey <-> colour and resizes to the model's size with a warning; raises when no
    sensible conversion exists.
    """
    shape = input_shape(model)
    target = tuple(shape[1:])
    x = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if x.dtype == object:
        raise TypeError(f"{what} expects images as a numeric array. Received an array of objects.")
    x = x.astype(np.float32, copy=False)
    rank = len(target)
    if single and rank == 1:      # one image for a model on vectors: all its values, flattened
        n = target[0]
        if n is not None and x.size != n:
            raise ValueError(f"{what}: model '{model.name}' expects vectors of {n} values, input shape "
                             f"{_fmt(shape)}; received images of shape {tuple(x.shape)} ({x.size} values). "
                             f"Pass data shaped like the training data.")
        return _to_tensor(model, x.reshape(1, -1))
    if single:
        if x.ndim == rank + 1 and x.shape[0] == 1:
            x = x[0]
        elif x.ndim == rank + 1 and x.shape[0] != 1 and rank != 2:
            raise ValueError(f"{what} looks at one image; received a batch of {x.shape[0]} (shape {x.shape}). "
                             f"Pass images[i].")
        x = x[None]
    if rank == 1:
        n = target[0]
        if x.ndim >= 2 and (n is None or int(np.prod(x.shape[1:])) == n):
            return _to_tensor(model, x.reshape(len(x), -1))
        raise ValueError(f"{what}: model '{model.name}' expects vectors of {n} values, input shape "
                         f"{_fmt(shape)}; received images of shape {tuple(x.shape[1:])} "
                         f"({int(np.prod(x.shape[1:]))} values). Pass data shaped like the training data.")
    if rank != 3:
        if x.shape[1:] == target:
            return _to_tensor(model, x)
        raise ValueError(f"{what} handles models on images (batch, rows, cols, channels) or vectors; model "
                         f"'{model.name}' expects input shape {_fmt(shape)}; received shape {tuple(x.shape)}.")
    fmt = input_format(model)
    if fmt == "channels_last":
        rows, cols, ch = target
    else:
        ch, rows, cols = target
    if x.ndim == 3:  # a batch of grey images without a channel axis
        x = x[..., None]
        layout = "channels_last"
    elif x.ndim == 4:
        layout = _guess_layout(x.shape[1:], fmt, ch)
    else:
        raise ValueError(f"{what}: model '{model.name}' expects images of shape {_fmt(shape)}; received an "
                         f"array of shape {tuple(x.shape)} ({x.ndim} axes). Pass one image (rows, cols[, "
                         f"channels]) or a batch of them.")
    if layout == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    x = _convert_channels(x, ch, model, what)
    h, w = x.shape[1:3]
    want_h, want_w = rows or h, cols or w
    if (h, w) != (want_h, want_w):
        warnings.warn(f"{what}: resized images from {h}x{w} to {want_h}x{want_w}, the input size of model "
                      f"'{model.name}'.", stacklevel=3)
        t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        t = torch.nn.functional.interpolate(t, size=(want_h, want_w), mode="bilinear", align_corners=False,
                                            antialias=want_h < h or want_w < w)
        x = t.numpy().transpose(0, 2, 3, 1)
    if fmt == "channels_first":
        x = x.transpose(0, 3, 1, 2)
    return _to_tensor(model, x)


def _guess_layout(shape, fmt: str, ch) -> str:
    first, last = shape[0], shape[-1]
    small = (1, 2, 3, 4)
    if fmt == "channels_first":
        if first == ch or (first in small and last not in small):
            return "channels_first"
        return "channels_last"
    if last == ch or (last in small and first not in small):
        return "channels_last"
    return "channels_first"


def _convert_channels(x: np.ndarray, ch, model, what: str) -> np.ndarray:
    c = x.shape[-1]
    if ch is None or c == ch:
        return x
    if c == 4 and ch in (1, 3):
        warnings.warn(f"{what}: dropped the alpha channel of RGBA images.", stacklevel=4)
        x, c = x[..., :3], 3
        if ch == 3:
            return x
    if c == 3 and ch == 1:
        warnings.warn(f"{what}: converted colour images to grey (ITU-R 601 luma), as model '{model.name}' "
                      f"takes 1 channel.", stacklevel=4)
        return (x @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
    if c == 1 and ch == 3:
        warnings.warn(f"{what}: repeated grey images over 3 channels, as model '{model.name}' takes colour "
                      f"images.", stacklevel=4)
        return np.repeat(x, 3, axis=-1)
    raise ValueError(f"{what}: model '{model.name}' takes images with {ch} channel{'s' if ch != 1 else ''}; "
                     f"received images with {c} channels (shape {tuple(x.shape[1:])}), which cannot be "
                     f"converted. Pass grey (1 channel) or colour (3 channels) images.")


def _to_tensor(model, x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x)).to(device=model_device(model), dtype=_config.dtype())


def _fmt(shape) -> str:
    from ..layers.base import format_shape
    return format_shape(shape)


def to_display(x: torch.Tensor, fmt: str) -> np.ndarray:
    """(batch, rows, cols, channels) numpy copy of a prepared image batch."""
    arr = x.detach().cpu().float().numpy()
    if arr.ndim == 4 and fmt == "channels_first":
        arr = arr.transpose(0, 2, 3, 1)
    return arr


# --------------------------------------------------------------------- running with hooks
@contextmanager
def one_thread():
    """Run torch on one thread inside the block (restored after).

    Work on a single image is too small to share: with several intra-op threads each tiny
    convolution waits on a thread barrier, which costs milliseconds per layer on a busy machine
    (measured: 52 ms against 3 ms for feature maps + Grad-CAM of one 28x28 image on 2 cores).
    """
    n = torch.get_num_threads()
    if n == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)



class _Stop(Exception):
    """Raised by a hook to end a forward pass once the wanted outputs are recorded."""


def trace(model, x: torch.Tensor, layers=None, stop_early: bool = False):
    """Run the model once on x, recording layer outputs.

    Args:
        layers: layers to record (None: every layer, in call order).
        stop_early: end the forward pass as soon as every wanted layer has run.

    Returns:
        (records, output): records is a list of (layer, output tensor) in call order (first call of
        each layer only); output is the model output, or None when stopped early.
    """
    wanted = all_layers(model) if layers is None else list(layers)
    pending = {id(l) for l in wanted}
    records: list = []
    seen: set = set()

    def make_hook(layer):
        def hook(module, inputs, output):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            records.append((layer, output))
            pending.discard(id(layer))
            if stop_early and not pending:
                raise _Stop
        return hook

    handles = [l.register_forward_hook(make_hook(l)) for l in wanted]
    out = None
    try:
        out = model(x, training=False)
    except _Stop:
        out = None
    finally:
        for h in handles:
            h.remove()
    return records, out


def layer_formats(model, records) -> dict:
    """Data format of each recorded layer's output: its own, else that of the layer before it."""
    current = input_format(model)
    out = {}
    for layer, _ in records:
        fmt = getattr(layer, "data_format", None)
        if fmt in ("channels_last", "channels_first"):
            current = fmt
        else:
            axis = getattr(layer, "axis", None)
            if type(layer).__name__ == "BatchNormalization" and axis in (1, [1], (1,)):
                current = "channels_first"
        out[id(layer)] = current
    return out


def logits_of(scores: torch.Tensor) -> torch.Tensor:
    """The scores before the output's softmax/sigmoid when the output carries them (lamina's
    softmax and sigmoid attach their input as ``_keras_logits``), else the scores themselves."""
    return getattr(scores, "_keras_logits", scores)


def first_output(out):
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        return next(iter(out.values()))
    return out[0]


# --------------------------------------------------------------------- figures
def new_figure(width: float, height: float):
    """A matplotlib Figure not attached to pyplot: it never opens a window."""
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height))


def grid_shape(n: int, ncols: int | None = None) -> tuple[int, int]:
    if ncols is None:
        ncols = min(n, max(1, int(math.ceil(math.sqrt(n * 1.5)))))
    ncols = max(1, min(int(ncols), max(n, 1)))
    return int(math.ceil(max(n, 1) / ncols)), ncols


def normalize01(a: np.ndarray, axis=None) -> np.ndarray:
    a = np.asarray(a, np.float32)
    lo = a.min(axis=axis, keepdims=axis is not None)
    hi = a.max(axis=axis, keepdims=axis is not None)
    return (a - lo) / np.maximum(hi - lo, 1e-12)


def mosaic(images: np.ndarray, ncols: int | None = None, pad: int = 1, fill: float = 1.0,
           normalize: bool = True) -> np.ndarray:
    """Tile (n, rows, cols[, channels]) images into one array, each scaled to [0, 1] on its own."""
    images = np.asarray(images, np.float32)
    n = len(images)
    nrows, ncols = grid_shape(n, ncols)
    h, w = images.shape[1:3]
    extra = images.shape[3:]
    out = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad) + extra, fill, np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        tile = normalize01(img) if normalize else img
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = tile
    return out


def jet(values: np.ndarray) -> np.ndarray:
    """The 'jet' colour map (matplotlib's definition) of values in [0, 1], as RGB floats."""
    v = np.clip(np.asarray(values, np.float32), 0.0, 1.0)
    r = np.clip(np.minimum(4 * v - 1.5, -4 * v + 4.5), 0, 1)
    g = np.clip(np.minimum(4 * v - 0.5, -4 * v + 3.5), 0, 1)
    b = np.clip(np.minimum(4 * v + 0.5, -4 * v + 2.5), 0, 1)
    return np.stack([r, g, b], axis=-1)


def as_rgb(image: np.ndarray) -> np.ndarray:
    """(rows, cols[, 1 or 3]) -> (rows, cols, 3) in [0, 1]."""
    img = np.asarray(image, np.float32)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    img = normalize01(img)
    return np.repeat(img[..., None], 3, axis=-1) if img.ndim == 2 else img[..., :3]


def imshow(ax, image: np.ndarray, title: str | None = None, cmap: str = "gray", **kwargs):
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 3:
        img = normalize01(img)
        ax.imshow(img, interpolation="nearest", **kwargs)
    else:
        ax.imshow(img, cmap=cmap, interpolation="nearest", **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=8)
