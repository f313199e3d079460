"""Reshaping layers for sequences: RepeatVector, ZeroPadding1D, Cropping1D, UpSampling1D."""
from __future__ import annotations

import torch.nn.functional as F

from .._errors import int_tuple, positive_int
from . import _utils
from .base import InputSpec, Layer, format_shape

__all__ = ["RepeatVector", "ZeroPadding1D", "Cropping1D", "UpSampling1D"]


class RepeatVector(Layer):
    """Repeats each input vector ``n`` times along a new time axis (the encoder -> decoder bridge).

    Args:
        n: positive int, the number of repetitions.

    Input shape: (batch, features). Output shape: (batch, n, features).

    Example:
        >>> layer = RepeatVector(3)  # (None, 32) -> (None, 3, 32)
    """

    input_spec = InputSpec(ndim=2)

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = positive_int("RepeatVector", "n", n, "E.g. RepeatVector(3).")

    def call(self, inputs):
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class ZeroPadding1D(Layer):
    """Adds zeros at the start and end of the time axis.

    Args:
        padding: int (both ends) or (start, end). Default 1.
        data_format: 'channels_last' (default: (batch, steps, features)) or 'channels_first'.

    Input shape: (batch, steps, features). Output shape: (batch, start + steps + end, features).

    Example:
        >>> layer = ZeroPadding1D((2, 0))
    """

    input_spec = InputSpec(ndim=3)

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = int_tuple("ZeroPadding1D", "padding", padding, 2, allow_zero=True)
        self.data_format = _utils.data_format(data_format)

    def _layout_hint(self):
        return _utils.layout_hint(1, self.data_format)

    def call(self, inputs):
        a, b = self.padding
        if self.data_format == "channels_last":
            return F.pad(inputs, (0, 0, a, b))
        return F.pad(inputs, (a, b))

    def compute_output_shape(self, input_shape):
        ax = 1 if self.data_format == "channels_last" else 2
        out = list(input_shape)
        out[ax] = None if out[ax] is None else out[ax] + sum(self.padding)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Cropping1D(Layer):
    """Removes steps from the start and end of the time axis.

    Args:
        cropping: int (both ends) or (start, end). Default (1, 1).

    Input shape: (batch, steps, features). Output shape: (batch, steps - start - end, features).

    Example:
        >>> layer = Cropping1D((1, 2))
    """

    input_spec = InputSpec(ndim=3)

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = int_tuple("Cropping1D", "cropping", cropping, 2, allow_zero=True)

    def _layout_hint(self):
        return " (batch, steps, features)"

    def build(self, input_shape):
        steps = input_shape[1]
        if steps is not None and sum(self.cropping) >= steps:
            raise ValueError(f"Layer '{self.name}' (Cropping1D) crops {sum(self.cropping)} steps "
                             f"(cropping={self.cropping}) from input shape {format_shape(input_shape)}, leaving "
                             f"none. Crop fewer than {steps} steps in all.")

    def call(self, inputs):
        a, b = self.cropping
        return inputs[:, a:inputs.shape[1] - b]

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps - sum(self.cropping), input_shape[2])

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class UpSampling1D(Layer):
    """Repeats each time step ``size`` times.

    Args:
        size: positive int, default 2.

    Input shape: (batch, steps, features). Output shape: (batch, steps * size, features).

    Example:
        >>> layer = UpSampling1D(2)
    """

    input_spec = InputSpec(ndim=3)

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = positive_int("UpSampling1D", "size", size, "E.g. UpSampling1D(2).")

    def _layout_hint(self):
        return " (batch, steps, features)"

    def call(self, inputs):
        return inputs.repeat_interleave(self.size, dim=1)

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps * self.size, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}
