"""Reshaping layers: Flatten, Reshape, Permute, ZeroPadding2D, UpSampling2D."""
from __future__ import annotations

import math

import torch.nn.functional as F

from .._errors import check_choice, int_tuple
from . import _utils
from .base import InputSpec, Layer, format_shape

__all__ = ["Flatten", "Reshape", "Permute", "ZeroPadding2D", "UpSampling2D"]


class Flatten(Layer):
    """Flattens each sample to one axis; the batch axis is kept.

    Channels_last data flattens in (rows, cols, channels) order, a free reshape for a
    contiguous tensor. With ``data_format='channels_first'`` the input is first moved to
    channels-last order, as Keras does, so the flat features have the same order either way.

    Args:
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.

    Input shape: (batch, ...). Output shape: (batch, product of the other sizes).

    Example:
        >>> layer = Flatten()  # (None, 5, 5, 64) -> (None, 1600)
    """

    input_spec = InputSpec(min_ndim=1)

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _utils.data_format(data_format)

    def call(self, inputs):
        x = inputs
        if x.dim() == 1:
            return x.unsqueeze(1)
        if self.data_format == "channels_first" and x.dim() > 2:
            x = x.permute(0, *range(2, x.dim()), 1)
        return x.flatten(1)  # a view of contiguous data; unlike reshape(n, -1) it also takes a 0-sample batch

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch axis is kept).

    Args:
        target_shape: tuple of ints without the batch axis; at most one may be -1, which is
            inferred from the others.

    Input shape: (batch, ...). Output shape: (batch,) + target_shape.

    Example:
        >>> layer = Reshape((28, 28, 1), input_shape=(784,))
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if isinstance(target_shape, int) and not isinstance(target_shape, bool):
            target_shape = (target_shape,)
        try:
            shape = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            shape = None
        if shape is None or any(d == 0 or d < -1 for d in shape) or shape.count(-1) > 1:
            raise ValueError(f"Reshape expects target_shape to be a tuple of positive ints, with at most one -1 "
                             f"for an inferred size. Received: target_shape={target_shape!r}. "
                             f"E.g. Reshape((28, 28, 1)) or Reshape((-1, 3)).")
        self.target_shape = shape

    def _resolve(self, input_shape):
        rest = input_shape[1:]
        known = math.prod(d for d in self.target_shape if d != -1)
        if None in rest:
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = math.prod(rest)
        if -1 in self.target_shape:
            if total % known == 0:
                return tuple(total // known if d == -1 else d for d in self.target_shape)
        elif total == known:
            return self.target_shape
        raise ValueError(
            f"Layer '{self.name}' (Reshape) cannot reshape input of shape {format_shape(input_shape)} "
            f"({total} values per sample) to target_shape {self.target_shape} "
            f"({known}{' x n' if -1 in self.target_shape else ''} values). "
            f"Pick a target_shape whose sizes multiply to {total}.")

    def build(self, input_shape):
        self._resolve(input_shape)

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(input_shape)

    def _explain_runtime_error(self, inputs, err):
        self._resolve((None,) + tuple(inputs.shape[1:]))
        super()._explain_runtime_error(inputs, err)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes; ``dims`` counts from 1, as in Keras.

    Args:
        dims: tuple of ints, a permutation of 1..rank-1. ``Permute((2, 1))`` swaps the two axes
            of a (batch, steps, features) input.

    Input shape: (batch, ...). Output shape: the input sizes reordered by dims.

    Example:
        >>> layer = Permute((2, 1), input_shape=(10, 64))  # -> (None, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            d = tuple(int(v) for v in dims)
        except (TypeError, ValueError):
            d = None
        if d is None or sorted(d) != list(range(1, len(d) + 1)):
            raise ValueError(f"Permute expects dims to be a permutation of 1..n (axis 0, the batch, stays put). "
                             f"Received: dims={dims!r}. E.g. Permute((2, 1)).")
        self.dims = d
        self.input_spec = InputSpec(ndim=len(d) + 1)

    def call(self, inputs):
        return inputs.permute(0, *self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[i] for i in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around each image.

    Args:
        padding: int (the same on all sides), a tuple of 2 ints ``(rows, cols)`` padded
            symmetrically, or ``((top, bottom), (left, right))``. Default (1, 1).
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.

    Input shape: (batch, rows, cols, channels), or channels first.
    Output shape: (batch, rows + top + bottom, cols + left + right, channels).

    Example:
        >>> layer = ZeroPadding2D(((1, 0), (1, 0)), input_shape=(28, 28, 1))  # -> (None, 29, 29, 1)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = self._parse(padding)
        self.data_format = _utils.data_format(data_format)
        self.input_spec = InputSpec(ndim=4)

    @staticmethod
    def _parse(padding):
        bad = ValueError(f"ZeroPadding2D expects padding as an int, (rows, cols) or ((top, bottom), (left, "
                         f"right)) of non-negative ints. Received: padding={padding!r}.")
        if isinstance(padding, int) and not isinstance(padding, bool):
            if padding < 0:
                raise bad
            return ((padding, padding), (padding, padding))
        if not isinstance(padding, (list, tuple)) or len(padding) != 2:
            raise bad
        out = []
        for p in padding:
            try:
                out.append(int_tuple("ZeroPadding2D", "padding", p, 2, allow_zero=True))
            except ValueError:
                raise bad from None
        return tuple(out)

    def _layout_hint(self):
        return _utils.layout_hint(2, self.data_format)

    def _shape_fix_hint(self, input_shape):
        return _utils.reshape_hint(input_shape, 2, self.data_format)

    def call(self, inputs):
        (top, bottom), (left, right) = self.padding
        if self.data_format == "channels_last":
            return F.pad(inputs, (0, 0, left, right, top, bottom))
        return F.pad(inputs, (left, right, top, bottom))

    def compute_output_shape(self, input_shape):
        axes = _utils.spatial_axes(2, self.data_format)
        out = list(input_shape)
        for ax, (a, b) in zip(axes, self.padding):
            out[ax] = None if out[ax] is None else out[ax] + a + b
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class UpSampling2D(Layer):
    """Repeats rows and columns (``'nearest'``) or interpolates them (``'bilinear'``).

    Bilinear uses half-pixel centres, as TensorFlow's ``image.resize`` does.

    Args:
        size: int or tuple of 2 ints (default (2, 2)), the row and column factors.
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.
        interpolation: 'nearest' (default) or 'bilinear'.

    Input shape: (batch, rows, cols, channels), or channels first.
    Output shape: (batch, rows * size[0], cols * size[1], channels).

    Example:
        >>> layer = UpSampling2D((2, 2), input_shape=(7, 7, 16))  # -> (None, 14, 14, 16)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = int_tuple("UpSampling2D", "size", size, 2)
        self.data_format = _utils.data_format(data_format)
        self.interpolation = check_choice("UpSampling2D", "interpolation", interpolation, ["nearest", "bilinear"])
        self.input_spec = InputSpec(ndim=4)

    def _layout_hint(self):
        return _utils.layout_hint(2, self.data_format)

    def _shape_fix_hint(self, input_shape):
        return _utils.reshape_hint(input_shape, 2, self.data_format)

    def call(self, inputs):
        last = self.data_format == "channels_last"
        x = inputs.permute(0, 3, 1, 2) if last else inputs
        if self.interpolation == "nearest":
            y = F.interpolate(x, scale_factor=self.size, mode="nearest")
        else:
            y = F.interpolate(x, scale_factor=self.size, mode="bilinear", align_corners=False)
        return y.permute(0, 2, 3, 1) if last else y

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for ax, f in zip(_utils.spatial_axes(2, self.data_format), self.size):
            out[ax] = None if out[ax] is None else out[ax] * f
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}
