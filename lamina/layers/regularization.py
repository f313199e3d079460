"""Noise layers active only while training: Dropout, SpatialDropout2D, GaussianNoise, GaussianDropout.

At inference (the default: ``training=None`` falls back to ``layer.training``,
which is False until ``model.train()`` or a fit step) each returns its input
unchanged. With a ``seed`` a layer draws from its own ``torch.Generator``, so its
sequence of masks is reproducible whatever else uses torch's global generator.
"""
from __future__ import annotations

import math
import numbers
import operator

import torch
import torch.nn.functional as F

from .._errors import probability
from . import _utils
from .base import InputSpec, Layer, format_shape

__all__ = ["Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout"]


def _seed(owner, seed):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{owner} expects seed to be None or a non-negative int. Received: seed={seed!r}.")
    return int(seed)


class _Noise(Layer):
    _elementwise = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = _seed(type(self).__name__, seed)
        self._generator = None

    def _gen(self, device):
        """This layer's generator on ``device`` (None without a seed: torch's global one)."""
        if self.seed is None:
            return None
        g = self._generator
        if g is None or g.device != device:
            g = torch.Generator(device=device)
            g.manual_seed(self.seed)
            self._generator = g
        return g

    def _active(self, training):
        return self.training if training is None else bool(training)


class Dropout(_Noise):
    """Sets a fraction ``rate`` of inputs to 0 while training and scales the rest by 1 / (1 - rate).

    Args:
        rate: float in [0, 1], the fraction of inputs to drop.
        noise_shape: None (default: an independent mask per value) or a tuple as long as the input
            rank; axes of size 1 share one mask value, None takes the input's size. E.g.
            ``(None, 1, 1, None)`` drops whole channels of an image batch.
        seed: None (default) or int for a reproducible mask sequence.

    Input shape: any. Output shape: same as input.

    Example:
        >>> layer = Dropout(0.5)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = probability("Dropout", "rate", rate, inclusive_high=True)
        if noise_shape is not None:
            try:
                ns = tuple(None if d is None else operator.index(d) for d in noise_shape)
            except TypeError:
                ns = None
            if ns is None or any(d is not None and d <= 0 for d in ns):
                raise ValueError(f"Dropout expects noise_shape to be None or a tuple of positive ints and None. "
                                 f"Received: noise_shape={noise_shape!r}. E.g. noise_shape=(None, 1, 1, None).")
            noise_shape = ns
        self.noise_shape = noise_shape

    def build(self, input_shape):
        if self.noise_shape is not None:
            self._noise_shape_for(input_shape)

    def _noise_shape_for(self, shape):
        ns = self.noise_shape
        ok = len(ns) == len(shape) and all(d is None or d == 1 or s is None or d == s for d, s in zip(ns, shape))
        if not ok:
            raise ValueError(f"Layer '{self.name}' (Dropout) has noise_shape={ns}, which does not fit its input "
                             f"shape {format_shape(shape)}: it needs one entry per axis, each None, 1 or the "
                             f"axis size.")
        return tuple(s if d is None else d for d, s in zip(ns, shape))

    def call(self, inputs, training=None):
        if not self._active(training) or self.rate == 0.0:
            return inputs
        if self.rate == 1.0:
            return inputs * 0.0
        keep = 1.0 - self.rate
        if self.noise_shape is None and self.seed is None:
            return F.dropout(inputs, self.rate, True)
        shape = tuple(inputs.shape) if self.noise_shape is None else self._noise_shape_for(tuple(inputs.shape))
        mask = torch.empty(shape, device=inputs.device, dtype=inputs.dtype)
        mask.bernoulli_(keep, generator=self._gen(inputs.device))
        return inputs * mask.div_(keep)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape), "seed": self.seed}


class SpatialDropout1D(Dropout):
    """Dropout of whole feature channels of a sequence: each channel of each sample is kept or
    dropped for all time steps.

    Args:
        rate: float in [0, 1], the fraction of channels to drop.
        seed: None (default) or int for a reproducible mask sequence.

    Input shape: (batch, steps, channels). Output shape: same as input.

    Example:
        >>> layer = SpatialDropout1D(0.2)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.noise_shape = (None, 1, None)
        self.input_spec = InputSpec(ndim=3)

    def _layout_hint(self):
        return " (batch, steps, channels)"

    def get_config(self):
        cfg = super().get_config()
        del cfg["noise_shape"]
        return cfg


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: each channel of each sample is kept or dropped entirely.

    Args:
        rate: float in [0, 1], the fraction of channels to drop.
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.
        seed: None (default) or int for a reproducible mask sequence.

    Input shape: (batch, rows, cols, channels), or channels first. Output shape: same as input.

    Example:
        >>> layer = SpatialDropout2D(0.2)
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = _utils.data_format(data_format)
        self.noise_shape = (None, 1, 1, None) if self.data_format == "channels_last" else (None, None, 1, 1)
        self.input_spec = InputSpec(ndim=4)

    def _layout_hint(self):
        return _utils.layout_hint(2, self.data_format)

    def get_config(self):
        cfg = super().get_config()
        del cfg["noise_shape"]
        return {**cfg, "data_format": self.data_format}


class GaussianNoise(_Noise):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` while training.

    Args:
        stddev: non-negative float.
        seed: None (default) or int for a reproducible noise sequence.

    Input shape: any. Output shape: same as input.

    Example:
        >>> layer = GaussianNoise(0.1)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        try:
            std = float(stddev)
        except (TypeError, ValueError):
            std = float("nan")
        if not std >= 0:
            raise ValueError(f"GaussianNoise expects stddev to be a non-negative float. Received: stddev={stddev!r}.")
        self.stddev = std

    def call(self, inputs, training=None):
        if not self._active(training) or self.stddev == 0.0:
            return inputs
        noise = torch.empty_like(inputs).normal_(0.0, self.stddev, generator=self._gen(inputs.device))
        return inputs + noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """Multiplies inputs by Gaussian noise of mean 1 and stddev sqrt(rate / (1 - rate)) while training.

    Args:
        rate: float in [0, 1), the drop probability of the equivalent Dropout.
        seed: None (default) or int for a reproducible noise sequence.

    Input shape: any. Output shape: same as input.

    Example:
        >>> layer = GaussianDropout(0.3)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = probability("GaussianDropout", "rate", rate)

    def call(self, inputs, training=None):
        if not self._active(training) or self.rate == 0.0:
            return inputs
        std = math.sqrt(self.rate / (1.0 - self.rate))
        noise = torch.empty_like(inputs).normal_(1.0, std, generator=self._gen(inputs.device))
        return inputs * noise

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
