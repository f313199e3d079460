"""Image preprocessing and augmentation layers, Keras's: random ones act only while training.

``RandomFlip``, ``RandomRotation``, ``RandomTranslation``, ``RandomZoom``,
``RandomContrast``, ``RandomBrightness`` and ``RandomCrop`` change their input
only in training mode (``training=True``, or ``training=None`` inside
``model.train()`` / a fit step); at inference they return it unchanged
(RandomCrop centre-crops). ``Rescaling``, ``Resizing``, ``CenterCrop`` and
``Normalization`` always apply. Each random layer draws one transform per
image; with a ``seed`` it uses its own generator, so its sequence repeats.

The geometric layers warp a whole batch with ``grid_sample`` and TensorFlow's
fill modes: 'reflect' (``d c b a | a b c d | d c b a``), 'wrap'
(``a b c d | a b c d``), 'nearest' and 'constant' (``fill_value`` outside,
blended at the edge). Inputs are batches (batch, height, width, channels) or
single images (height, width, channels), or channels first.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import torch
import torch.nn.functional as F

from .. import config as _config
from .._errors import check_choice, positive_int
from ..preprocessing import affine as _affine
from .base import Layer

__all__ = ["RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "RandomContrast",
           "RandomBrightness", "RandomCrop", "Rescaling", "Resizing", "CenterCrop", "Normalization"]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_TF_MODES = {"reflect": "reflect", "wrap": "grid-wrap", "constant": "grid-constant", "nearest": "nearest"}
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area")


def _to_nchw(x, fmt, owner):
    if x.dim() not in (3, 4):
        raise ValueError(f"Layer '{owner.name}' ({type(owner).__name__}) expects images of rank 4 (batch, height, "
                         f"width, channels) or rank 3 (one image), channels {fmt.split('_')[1]}. Received shape "
                         f"{tuple(x.shape)}.")
    single = x.dim() == 3
    if single:
        x = x.unsqueeze(0)
    if not x.is_floating_point():
        x = x.to(_config.floatx())
    return (x.permute(0, 3, 1, 2) if fmt == "channels_last" else x), single


def _from_nchw(x, fmt, single):
    x = x.permute(0, 2, 3, 1) if fmt == "channels_last" else x
    return x[0] if single else x


def _factor_pair(owner, arg, value, bound=None, default_low=None):
    """Keras's factor rule: a number f means (-f, f) (or (default_low, f)), a pair is (low, high)."""
    if isinstance(value, (tuple, list)):
        ok = len(value) == 2 and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)
        pair = (float(value[0]), float(value[1])) if ok else None
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        f = abs(float(value))
        pair = (-f if default_low is None else default_low, f)
    else:
        pair = None
    if pair is None or pair[0] > pair[1] or (bound is not None and (pair[0] < -bound or pair[1] > bound)):
        limit = f" with values in [-{bound}, {bound}]" if bound is not None else ""
        raise ValueError(f"{owner} expects {arg} to be a number or a pair (low, high){limit}. Received: "
                         f"{arg}={value!r}.")
    return pair


def _check_seed(owner, seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise ValueError(f"{owner} expects seed to be None or a non-negative int. Received: seed={seed!r}.")
    return None if seed is None else int(seed)


class _RandomLayer(Layer):
    """Seeded draws on the CPU (one value per image), active only while training."""

    _elementwise = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = _check_seed(type(self).__name__, seed)
        self._generator = None

    def _gen(self):
        if self.seed is None:
            return None
        if self._generator is None:
            self._generator = torch.Generator().manual_seed(self.seed)
        return self._generator

    def _uniform(self, n, low, high):
        return _affine.uniform(n, low, high, self._gen())

    def _active(self, training):
        return self.training if training is None else bool(training)


class _AffineLayer(_RandomLayer):
    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, **kwargs)
        name = type(self).__name__
        self.fill_mode = check_choice(name, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = check_choice(name, "interpolation", interpolation, ("bilinear", "nearest"))
        self.fill_value = float(fill_value)
        self.data_format = _config.normalize_data_format(data_format)

    def _matrices(self, n, h, w):
        raise NotImplementedError

    def call(self, inputs, training=None):
        if not self._active(training):
            return inputs
        x, single = _to_nchw(inputs, self.data_format, self)
        n, _, h, w = x.shape
        mats = self._matrices(n, h, w)
        out = _affine.warp(x, mats, _TF_MODES[self.fill_mode], self.fill_value,
                           1 if self.interpolation == "bilinear" else 0)
        return _from_nchw(out, self.data_format, single)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "seed": self.seed, "fill_value": self.fill_value, "data_format": self.data_format}


def _about_center(a, h, w):
    """(n, 2, 3) matrices reading input = a @ (out - centre) + centre, for (n, 2, 2) ``a``."""
    o = np.array([(h - 1) / 2.0, (w - 1) / 2.0])
    mats = np.empty((len(a), 2, 3))
    mats[:, :, :2] = a
    mats[:, :, 2] = o - a @ o
    return mats


class RandomFlip(_RandomLayer):
    """Flips each image left-right and/or upside down with probability 1/2, while training.

    Args:
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical' (default; independent flips).
        seed: None or int. data_format: default from lamina.config.

    Example:
        >>> layer = RandomFlip("horizontal")
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.mode = check_choice("RandomFlip", "mode", mode, ("horizontal", "vertical", "horizontal_and_vertical"))
        self.data_format = _config.normalize_data_format(data_format)

    def call(self, inputs, training=None):
        if not self._active(training):
            return inputs
        x, single = _to_nchw(inputs, self.data_format, self)
        n = x.shape[0]
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x = _affine.flip(x, torch.rand(n, generator=self._gen()) < 0.5, 3)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x = _affine.flip(x, torch.rand(n, generator=self._gen()) < 0.5, 2)
        return _from_nchw(x, self.data_format, single)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "seed": self.seed, "data_format": self.data_format}


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle while training; positive angles turn counter-clockwise.

    Args:
        factor: fraction of a full turn: f for angles in [-f, f] * 360 degrees, or (low, high).
        fill_mode: 'reflect' (default), 'wrap', 'constant' or 'nearest'.
        interpolation: 'bilinear' (default) or 'nearest'.
        seed: None or int. fill_value: for fill_mode='constant' (default 0).

    Example:
        >>> layer = RandomRotation(0.1)      # up to +-36 degrees
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _factor_pair("RandomRotation", "factor", factor)

    def _matrices(self, n, h, w):
        a = self._uniform(n, self.factor[0], self.factor[1]).numpy() * 2 * math.pi
        c, s = np.cos(a), np.sin(a)
        return _about_center(np.stack([np.stack([c, s], 1), np.stack([-s, c], 1)], 1), h, w)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomTranslation(_AffineLayer):
    """Shifts each image by random fractions of its height and width while training.

    Args:
        height_factor: f for shifts in [-f, f] * height, or (low, high); positive moves down.
        width_factor: same for the width; positive moves right.
        fill_mode, interpolation, seed, fill_value: as RandomRotation.

    Example:
        >>> layer = RandomTranslation(0.1, 0.1)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = _factor_pair("RandomTranslation", "height_factor", height_factor, bound=1.0)
        self.width_factor = _factor_pair("RandomTranslation", "width_factor", width_factor, bound=1.0)

    def _matrices(self, n, h, w):
        dy = self._uniform(n, *self.height_factor).numpy() * h
        dx = self._uniform(n, *self.width_factor).numpy() * w
        mats = np.zeros((n, 2, 3))
        mats[:, 0, 0] = mats[:, 1, 1] = 1.0
        mats[:, 0, 2], mats[:, 1, 2] = -dy, -dx
        return mats

    def get_config(self):
        return {**super().get_config(), "height_factor": list(self.height_factor),
                "width_factor": list(self.width_factor)}


class RandomZoom(_AffineLayer):
    """Zooms each image by a random amount while training; positive factors zoom out.

    Args:
        height_factor: f for zooms in [-f, f] (the image is scaled by 1 / (1 + z)), or (low, high).
        width_factor: None (default: the height's zoom, keeping the aspect ratio) or as height_factor.
        fill_mode, interpolation, seed, fill_value: as RandomRotation.

    Example:
        >>> layer = RandomZoom(0.2)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = _factor_pair("RandomZoom", "height_factor", height_factor)
        self.width_factor = None if width_factor is None else _factor_pair("RandomZoom", "width_factor",
                                                                           width_factor)
        for pair, arg in ((self.height_factor, "height_factor"), (self.width_factor, "width_factor")):
            if pair is not None and pair[0] <= -1:
                raise ValueError(f"RandomZoom expects {arg} above -1 (a zoom of -1 or less has no size). "
                                 f"Received: {arg}={pair}.")

    def _matrices(self, n, h, w):
        zy = 1.0 + self._uniform(n, *self.height_factor).numpy()
        zx = zy if self.width_factor is None else 1.0 + self._uniform(n, *self.width_factor).numpy()
        a = np.zeros((n, 2, 2))
        a[:, 0, 0], a[:, 1, 1] = zy, zx
        return _about_center(a, h, w)

    def get_config(self):
        return {**super().get_config(), "height_factor": list(self.height_factor),
                "width_factor": None if self.width_factor is None else list(self.width_factor)}


class RandomContrast(_RandomLayer):
    """Scales each image's deviation from its per-channel mean by a random factor while training.

    Args:
        factor: f for factors in [1 - f, 1 + f], or (lower, upper) for [1 - lower, 1 + upper].
        value_range: outputs are clipped to this range (default (0, 255)).
        seed: None or int.

    Example:
        >>> layer = RandomContrast(0.2)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        low, high = _factor_pair("RandomContrast", "factor", factor, default_low=0.0)
        self.factor = (abs(float(factor)),) * 2 if isinstance(factor, numbers.Real) else (low, high)
        if not 0 <= self.factor[0] <= 1 or self.factor[1] < 0:
            raise ValueError(f"RandomContrast expects factor in [0, 1] (or a pair with lower in [0, 1]). "
                             f"Received: factor={factor!r}.")
        self.value_range = _value_range("RandomContrast", value_range)
        self.data_format = _config.normalize_data_format(data_format)

    def call(self, inputs, training=None):
        if not self._active(training):
            return inputs
        x, single = _to_nchw(inputs, self.data_format, self)
        f = self._uniform(x.shape[0], 1.0 - self.factor[0], 1.0 + self.factor[1]).to(x.device, x.dtype)
        mean = x.mean(dim=(2, 3), keepdim=True)
        out = ((x - mean) * f.view(-1, 1, 1, 1) + mean).clamp(*self.value_range)
        return _from_nchw(out, self.data_format, single)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "value_range": list(self.value_range),
                "seed": self.seed, "data_format": self.data_format}


def _value_range(owner, value_range):
    ok = isinstance(value_range, (tuple, list)) and len(value_range) == 2 and value_range[0] < value_range[1]
    if not ok:
        raise ValueError(f"{owner} expects value_range to be a pair (low, high) with low < high. Received: "
                         f"value_range={value_range!r}.")
    return float(value_range[0]), float(value_range[1])


class RandomBrightness(_RandomLayer):
    """Adds a random brightness offset to each image while training, clipped to ``value_range``.

    Args:
        factor: f for offsets in [-f, f] * (high - low) of value_range, or (low, high); in [-1, 1].
        value_range: the images' range (default (0, 255)).
        seed: None or int.

    Example:
        >>> layer = RandomBrightness(0.2, value_range=(0, 1))
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor_pair("RandomBrightness", "factor", factor, bound=1.0)
        self.value_range = _value_range("RandomBrightness", value_range)

    def call(self, inputs, training=None):
        if not self._active(training):
            return inputs
        x = inputs if inputs.is_floating_point() else inputs.to(_config.floatx())
        n = x.shape[0] if x.dim() == 4 else 1
        delta = self._uniform(n, *self.factor) * (self.value_range[1] - self.value_range[0])
        delta = delta.to(x.device, x.dtype).view((n,) + (1,) * (x.dim() - 1) if x.dim() == 4 else ())
        return (x + delta).clamp(*self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "value_range": list(self.value_range),
                "seed": self.seed}


def _resize(x, size, interpolation):
    """Resize an NCHW batch as TensorFlow's image.resize (half-pixel centres, no antialiasing)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    mode = {"nearest": "nearest-exact", "bilinear": "bilinear", "bicubic": "bicubic", "area": "area"}[interpolation]
    kwargs = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
    return F.interpolate(x, size=tuple(size), mode=mode, **kwargs)


def _crop_box(h, w, target_h, target_w):
    """The largest centred box with the target's aspect ratio (Keras's smart_resize)."""
    crop_h = max(min(h, int(w * target_h / target_w)), 1)
    crop_w = max(min(w, int(h * target_w / target_h)), 1)
    return (h - crop_h) // 2, (w - crop_w) // 2, crop_h, crop_w


def _smart_resize(x, size, interpolation="bilinear"):
    top, left, ch, cw = _crop_box(x.shape[2], x.shape[3], *size)
    return _resize(x[:, :, top:top + ch, left:left + cw], size, interpolation)


class _SizedLayer(Layer):
    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.height = positive_int(name, "height", height)
        self.width = positive_int(name, "width", width)
        self.data_format = _config.normalize_data_format(data_format)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        rows = len(shape) - 3 if self.data_format == "channels_last" else len(shape) - 2
        shape[rows], shape[rows + 1] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}


class Resizing(_SizedLayer):
    """Resizes images to (height, width), as TensorFlow's image.resize (no antialiasing).

    Args:
        height, width: output size.
        interpolation: 'bilinear' (default), 'nearest', 'bicubic' or 'area'.
        crop_to_aspect_ratio: centre-crop to the target aspect ratio first (default False).
        pad_to_aspect_ratio: pad (with fill_value) to the target aspect ratio first (default False).
        fill_value: padding value (default 0).

    Example:
        >>> layer = Resizing(150, 150)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None, **kwargs):
        super().__init__(height, width, data_format, **kwargs)
        self.interpolation = check_choice("Resizing", "interpolation", interpolation, RESIZE_INTERPOLATIONS)
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be True.")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = check_choice("Resizing", "fill_mode", fill_mode, ("constant",))
        self.fill_value = float(fill_value)

    def call(self, inputs):
        x, single = _to_nchw(inputs, self.data_format, self)
        size = (self.height, self.width)
        if self.crop_to_aspect_ratio:
            x = _smart_resize(x, size, self.interpolation)
        else:
            if self.pad_to_aspect_ratio:
                h, w = x.shape[2:]
                new_h, new_w = max(h, math.ceil(w * self.height / self.width)), max(w, math.ceil(
                    h * self.width / self.height))
                top, left = (new_h - h) // 2, (new_w - w) // 2
                x = F.pad(x, (left, new_w - w - left, top, new_h - h - top), value=self.fill_value)
            x = _resize(x, size, self.interpolation)
        return _from_nchw(x, self.data_format, single)

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio, "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                "fill_mode": self.fill_mode, "fill_value": self.fill_value}


class CenterCrop(_SizedLayer):
    """Crops the centre (height, width) of each image; smaller images are cropped to the aspect
    ratio and resized up instead, as Keras does.

    Example:
        >>> layer = CenterCrop(24, 24)
    """

    def call(self, inputs):
        x, single = _to_nchw(inputs, self.data_format, self)
        h, w = x.shape[2:]
        if h >= self.height and w >= self.width:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            x = x[:, :, top:top + self.height, left:left + self.width]
        else:
            x = _smart_resize(x, (self.height, self.width))
        return _from_nchw(x, self.data_format, single)


class RandomCrop(_SizedLayer):
    """Crops a random (height, width) window while training (one position per batch, as Keras);
    at inference, or when the input is not larger, crops the centre to the aspect ratio and resizes.

    Example:
        >>> layer = RandomCrop(24, 24, seed=1)
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(height, width, data_format, **kwargs)
        self.seed = _check_seed("RandomCrop", seed)
        self._generator = None

    def call(self, inputs, training=None):
        x, single = _to_nchw(inputs, self.data_format, self)
        h, w = x.shape[2:]
        active = self.training if training is None else bool(training)
        if active and h > self.height and w > self.width:
            g = _RandomLayer._gen(self)
            top = int(torch.randint(h - self.height + 1, (1,), generator=g))
            left = int(torch.randint(w - self.width + 1, (1,), generator=g))
            x = x[:, :, top:top + self.height, left:left + self.width]
        else:
            x = _smart_resize(x, (self.height, self.width))
        return _from_nchw(x, self.data_format, single)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class Rescaling(Layer):
    """Multiplies inputs by ``scale`` and adds ``offset``, e.g. Rescaling(1./255) for [0, 1] images.

    Args:
        scale: float, or a list with one value per channel (last axis).
        offset: float or list (default 0).

    Example:
        >>> layer = Rescaling(1.0 / 255)
    """

    _elementwise = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _float_or_list("Rescaling", "scale", scale)
        self.offset = _float_or_list("Rescaling", "offset", offset)

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.to(_config.floatx())
        scale = torch.as_tensor(self.scale, dtype=x.dtype, device=x.device)
        offset = torch.as_tensor(self.offset, dtype=x.dtype, device=x.device)
        return x * scale + offset

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def _float_or_list(owner, arg, value):
    if isinstance(value, (list, tuple)):
        try:
            return [float(v) for v in value]
        except (TypeError, ValueError):
            pass
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"{owner} expects {arg} to be a float or a list of floats. Received: {arg}={value!r}.")


class Normalization(Layer):
    """Standardizes inputs with a mean and variance, given or learnt by ``adapt(data)``.

    Computes ``(x - mean) / max(sqrt(variance), epsilon)`` (``invert=True``: the inverse), with one
    mean and variance per index of the kept ``axis`` (default -1: per feature / channel) and
    statistics taken over all other axes.

    Args:
        axis: int, tuple of ints, or None (one mean and variance for everything). Default -1.
        mean, variance: fixed statistics (both or neither), broadcastable to the kept axes.
        invert: map standardized values back (default False).

    Example:
        >>> norm = Normalization()
        >>> norm.adapt(x_train)                # doctest: +SKIP
    """

    _elementwise = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else ((int(axis),) if isinstance(axis, numbers.Integral) else
                                             tuple(int(a) for a in axis))
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization needs both mean and variance, or neither (then call adapt()). "
                             f"Received: mean={mean!r}, variance={variance!r}.")
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError(f"Normalization expects mean and variance of the same shape. Received shapes "
                             f"{np.shape(mean)} and {np.shape(variance)}.")
        self.input_mean = None if mean is None else np.asarray(mean, dtype=np.float64).tolist()
        self.input_variance = None if variance is None else np.asarray(variance, dtype=np.float64).tolist()
        self.invert = bool(invert)

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"Layer '{self.name}' (Normalization) has axis={self.axis}, outside the "
                             f"{ndim} axes of its input shape {tuple(input_shape)}.")
        keep = sorted(a % ndim for a in self.axis)
        if any(input_shape[d] is None for d in keep):
            raise ValueError(f"Layer '{self.name}' (Normalization) keeps axis {self.axis}, which must have a known "
                             f"size; input shape {tuple(input_shape)}.")
        self._reduce = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        stat_shape = tuple(input_shape[d] for d in keep)
        if self.input_mean is None:
            self.mean = self._add_weight("mean", stat_shape, "zeros", trainable=False)
            self.variance = self._add_weight("variance", stat_shape, "ones", trainable=False)
            self.count = self._add_weight("count", (), "zeros", trainable=False, dtype="int64")
        else:
            for name, value in (("mean", self.input_mean), ("variance", self.input_variance)):
                fixed = np.array(np.broadcast_to(value, stat_shape))
                self.register_buffer(name, torch.as_tensor(fixed, dtype=_config.dtype()), persistent=False)

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the mean and variance of ``data``: an array/tensor, or an iterable of batches (or of
        (x, y) batches, e.g. a dataset or an ImageDataGenerator iterator with ``steps``)."""
        if self.input_mean is not None:
            raise ValueError(f"Layer '{self.name}' (Normalization) was given a fixed mean and variance; adapt() "
                             f"would overwrite them. Create it without mean/variance to adapt it.")
        batches = [data] if isinstance(data, (np.ndarray, torch.Tensor)) else data
        total, mean, m2 = 0, None, None
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            if isinstance(batch, (tuple, list)):
                batch = batch[0]
            b = torch.as_tensor(np.asarray(batch) if not isinstance(batch, torch.Tensor) else batch).double()
            if not self.built:
                self._build_for((None,) + tuple(b.shape[1:]))
            n = int(np.prod([b.shape[d] for d in self._reduce])) if self._reduce else 1
            b_mean = b.mean(dim=self._reduce) if self._reduce else b
            b_m2 = ((b - b_mean.reshape(self._broadcast)) ** 2).sum(dim=self._reduce) if self._reduce else 0 * b
            if mean is None:
                total, mean, m2 = n, b_mean, b_m2
            else:  # Chan et al.'s parallel update
                delta = b_mean - mean
                new_total = total + n
                mean = mean + delta * (n / new_total)
                m2 = m2 + b_m2 + delta ** 2 * (total * n / new_total)
                total = new_total
        if mean is None:
            raise ValueError(f"Layer '{self.name}' (Normalization): adapt() received no data.")
        with torch.no_grad():
            self.mean.copy_(mean.reshape(self.mean.shape))
            self.variance.copy_((m2 / total).reshape(self.variance.shape))
            self.count.fill_(total)

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.to(_config.floatx())
        mean = self.mean.to(x.dtype).reshape(self._broadcast)
        std = torch.clamp(torch.sqrt(self.variance.to(x.dtype)), min=_config.epsilon()).reshape(self._broadcast)
        return mean + x * std if self.invert else (x - mean) / std

    def get_config(self):
        return {**super().get_config(), "axis": list(self.axis) if len(self.axis) != 1 else self.axis[0],
                "mean": self.input_mean, "variance": self.input_variance, "invert": self.invert}
