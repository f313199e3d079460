"""Pooling layers: max and average pooling over windows, and their global forms.

``padding='same'`` follows TensorFlow: the output has ceil(size / stride) cells,
an odd padding puts the extra cell at the bottom/right, max pooling ignores the
padded cells and average pooling does not count them. torch pads symmetrically,
so the extra cell comes from torch's ``ceil_mode`` (strides >= 2) or from one more
cell of padding and a dropped first output cell (stride 1); no padded copy of the
input is made, and channels_last data (a permuted view) stays channels_last.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .._errors import int_tuple
from . import _utils
from .base import InputSpec, Layer, format_shape

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
           "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
           "GlobalAvgPool1D", "GlobalAvgPool2D"]

_AXIS_NAMES = {1: ("steps",), 2: ("rows", "cols")}


class _Pooling(_utils.SpatialLayout, Layer):
    """Window pooling of spatial rank ``rank``; subclasses set ``rank`` and ``_mode``."""

    rank = 2
    _mode = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.pool_size = int_tuple(owner, "pool_size", pool_size, self.rank)
        self.strides = self.pool_size if strides is None else int_tuple(owner, "strides", strides, self.rank)
        self.padding = _utils.padding_mode(owner, padding)
        self.data_format = _utils.data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._plan_size = None
        self._plan = None

    def _check_fits(self, input_shape):
        if self.padding != "valid":
            return
        for name, n, k in zip(_AXIS_NAMES[self.rank], self._spatial(input_shape), self.pool_size):
            if n is not None and n < k:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) has pool_size {self.pool_size} and "
                    f"padding='valid', which needs at least {k} {name}; its input has {name}={n} (input shape "
                    f"{format_shape(input_shape)}). Use padding='same' or a smaller pool_size.")

    def build(self, input_shape):
        self._check_fits(input_shape)
        size = self._spatial(input_shape)
        if None not in size:
            self._plan_size, self._plan = size, self._padding_plan(size)

    def _padding_plan(self, size):
        """(torch padding, ceil_mode, cells to drop at the start of each output axis) for a size.

        TensorFlow pads (total // 2, total - total // 2). When total is odd, torch pads total // 2 on
        both sides and, with strides >= 2, ``ceil_mode`` adds the window that covers the extra cell
        at the end (torch keeps a last window that starts inside the input or the left padding,
        which it does). With stride 1 (an even pool size) torch pads one more cell on both sides
        and the first output cell, whose window starts at the cell TensorFlow does not pad, is
        dropped.
        """
        if self.padding == "valid":
            return 0, False, None
        pads, ceil, crop = [], False, []
        for n, k, s in zip(size, self.pool_size, self.strides):
            before, after = _utils.tf_same_pads(n, k, s)
            odd = before != after
            pads.append(after if odd and s == 1 else before)
            ceil = ceil or (odd and s > 1)
            crop.append(int(odd and s == 1))
        return tuple(pads), ceil, (tuple(crop) if any(crop) else None)

    def call(self, inputs):
        last = self.data_format == "channels_last"
        x = inputs
        size = self._spatial(x.shape)
        padding, ceil, crop = self._plan if size == self._plan_size else self._padding_plan(size)
        if last:
            x = x.permute(_utils.TO_TORCH[self.rank])
        k, s = self.pool_size, self.strides
        if self._mode == "max":
            y = (F.max_pool1d if self.rank == 1 else F.max_pool2d)(x, k, s, padding, ceil_mode=ceil)
        else:
            y = (F.avg_pool1d if self.rank == 1 else F.avg_pool2d)(x, k, s, padding, ceil_mode=ceil,
                                                                     count_include_pad=False)
        if crop is not None:
            y = y[(slice(None), slice(None)) + tuple(slice(c, None) for c in crop)]
        return y.permute(_utils.FROM_TORCH[self.rank]) if last else y

    def compute_output_shape(self, input_shape):
        self._check_fits(input_shape)
        spatial = tuple(_utils.conv_output_length(n, k, self.padding, s)
                        for n, k, s in zip(self._spatial(input_shape), self.pool_size, self.strides))
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + spatial

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format}

    def extra_repr(self):
        return f"name={self.name!r}, pool_size={self.pool_size}, strides={self.strides}, padding={self.padding!r}"


_POOL_DOC = """{kind} pooling over {what}.

    Args:
        pool_size: int or tuple of {rank} ints (default {default}), the window size.
        strides: int, tuple or None (default): None means pool_size.
        padding: 'valid' (default) or 'same' (TensorFlow rule; {same}).
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.

    Input shape: {shape_in}, or channels first.
    Output shape: {shape_out}.

    Example:
        >>> layer = {name}({example})
    """


class MaxPooling1D(_Pooling):
    rank, _mode = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    rank, _mode = 1, "avg"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    rank, _mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    rank, _mode = 2, "avg"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


for _cls, _kind in ((MaxPooling1D, "Max"), (AveragePooling1D, "Average"), (MaxPooling2D, "Max"),
                    (AveragePooling2D, "Average")):
    _one = _cls.rank == 1
    _cls.__doc__ = _POOL_DOC.format(
        kind=_kind, what="time steps" if _one else "image windows", rank=_cls.rank,
        default="2" if _one else "(2, 2)",
        same="padded cells are ignored" if _kind == "Max" else "padded cells are not counted",
        shape_in="(batch, steps, channels)" if _one else "(batch, rows, cols, channels)",
        shape_out="(batch, pooled_steps, channels)" if _one else "(batch, pooled_rows, pooled_cols, channels)",
        name=_cls.__name__, example="pool_size=2" if _one else "(2, 2)")


class _GlobalPooling(Layer):
    rank = 2
    _mode = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _utils.data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        axes = _utils.spatial_axes(self.rank, self.data_format)
        self._dims = tuple(axes)

    def _layout_hint(self):
        return _utils.layout_hint(self.rank, self.data_format)

    def _shape_fix_hint(self, input_shape):
        return _utils.reshape_hint(input_shape, self.rank, self.data_format)

    def call(self, inputs):
        if self._mode == "max":
            return torch.amax(inputs, dim=self._dims, keepdim=self.keepdims)
        return torch.mean(inputs, dim=self._dims, keepdim=self.keepdims)

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return tuple(1 if i in self._dims else d for i, d in enumerate(input_shape))
        ch = input_shape[_utils.channel_axis(self.data_format)]
        return (input_shape[0], ch)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


_GLOBAL_DOC = """Global {kind} pooling: one value per channel over all {what}.

    Args:
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.
        keepdims: bool (default False); True keeps the pooled axes with size 1.

    Input shape: {shape_in}, or channels first.
    Output shape: (batch, channels), or with keepdims {shape_keep}.

    Example:
        >>> layer = {name}()
    """


class GlobalMaxPooling1D(_GlobalPooling):
    rank, _mode = 1, "max"


class GlobalAveragePooling1D(_GlobalPooling):
    rank, _mode = 1, "avg"


class GlobalMaxPooling2D(_GlobalPooling):
    rank, _mode = 2, "max"


class GlobalAveragePooling2D(_GlobalPooling):
    rank, _mode = 2, "avg"


for _cls in (GlobalMaxPooling1D, GlobalAveragePooling1D, GlobalMaxPooling2D, GlobalAveragePooling2D):
    _one = _cls.rank == 1
    _cls.__doc__ = _GLOBAL_DOC.format(
        kind="max" if _cls._mode == "max" else "average", what="steps" if _one else "rows and cols",
        shape_in="(batch, steps, channels)" if _one else "(batch, rows, cols, channels)",
        shape_keep="(batch, 1, channels)" if _one else "(batch, 1, 1, channels)", name=_cls.__name__)

del _cls, _kind, _one

MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
