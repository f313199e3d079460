"""Depthwise and depthwise-separable 2-D convolutions: DepthwiseConv2D, SeparableConv2D.

Same conventions as :mod:`lamina.layers.convolutional`: ``padding='same'`` follows
TensorFlow (an odd padding puts the extra cell at the bottom/right), channels_last
data goes to torch as a permuted view, and kernels are stored in torch layout but
shown in Keras layout by ``get_weights``.

A depthwise kernel has Keras layout ``(kh, kw, in, depth_multiplier)``; output
channel ``c * depth_multiplier + m`` is input channel ``c`` convolved with filter
``m``. It is stored as ``(in, depth_multiplier, kh, kw)`` (a permutation of the
Keras layout), which reshapes for free into torch's grouped-convolution weight
``(in * depth_multiplier, 1, kh, kw)``.
"""
from __future__ import annotations

import torch.nn.functional as F

from .. import activations as _activations
from .._errors import positive_int
from . import _utils
from .base import InputSpec, format_shape
from .convolutional import _Conv

__all__ = ["DepthwiseConv2D", "SeparableConv2D", "SeparableConvolution2D"]

# Keras (kh, kw, in, depth_multiplier) -> stored (in, depth_multiplier, kh, kw)
_DEPTHWISE_TO_TORCH = (2, 3, 0, 1)
# Keras pointwise (1, 1, in, out) -> torch (out, in, 1, 1)
_POINTWISE_TO_TORCH = (3, 2, 0, 1)


class _DepthwiseBase(_Conv):
    """Shared build/call of the depthwise step; ``_Conv`` supplies padding, shapes and checks."""

    rank = 2

    def _in_channels(self, input_shape):
        in_ch = input_shape[_utils.channel_axis(self.data_format)]
        if in_ch is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs the channel axis of its input "
                             f"to be known. Received shape {format_shape(input_shape)}"
                             f"{' (channels_first)' if self.data_format == 'channels_first' else ''}.")
        return in_ch

    def _build_depthwise(self, input_shape, name):
        in_ch = self._in_channels(input_shape)
        self._check_fits(input_shape)
        self._in_ch = in_ch
        kernel = self._add_weight(name, self.kernel_size + (in_ch, self.depth_multiplier),
                                  self.depthwise_initializer, self.depthwise_regularizer,
                                  to_torch=_DEPTHWISE_TO_TORCH)
        self.input_spec = InputSpec(ndim=4, axes={_utils.channel_axis(self.data_format): in_ch})
        size = self._spatial(input_shape)
        if None not in size:
            self._pad_size, self._pad_plan = size, self._padding_plan(size)
        return kernel

    def _depthwise(self, x, kernel, bias):
        """The depthwise convolution of a channels_last or channels_first batch, in torch layout out."""
        size = self._spatial(x.shape)
        padding, explicit = self._pad_plan if size == self._pad_size else self._padding_plan(size)
        if explicit is not None:
            x = F.pad(x, explicit)
        if self.data_format == "channels_last":
            x = x.permute(0, 3, 1, 2)
        weight = kernel.reshape((self._in_ch * self.depth_multiplier, 1) + self.kernel_size)
        return F.conv2d(x, weight, bias, self.strides, padding, self.dilation_rate, self._in_ch)

    def _out_shape(self, input_shape, channels):
        self._check_fits(input_shape)
        spatial = tuple(_utils.conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                        zip(self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate))
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (channels,)
        return (input_shape[0], channels) + spatial


class DepthwiseConv2D(_DepthwiseBase):
    """Depthwise 2-D convolution: each input channel is convolved with its own
    ``depth_multiplier`` filters (torch ``conv2d`` with ``groups = in_channels``).

    Args:
        kernel_size: int or tuple of 2 ints (rows, cols).
        strides: int or tuple of 2 ints (default 1).
        padding: 'valid' (default) or 'same' (TensorFlow rule: extra padding at the bottom/right).
        depth_multiplier: positive int (default 1), output channels per input channel.
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.
        dilation_rate: int or tuple of 2 ints (default 1); cannot be combined with strides > 1.
        activation: name or callable (default None: linear).
        use_bias: bool (default True).
        depthwise_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.
        depthwise_regularizer, bias_regularizer, activity_regularizer: optional penalties.

    Weights (Keras layout): kernel ``(kh, kw, in, depth_multiplier)``, bias ``(in * depth_multiplier,)``.

    Input shape: (batch, rows, cols, channels), or (batch, channels, rows, cols) for channels_first.
    Output shape: (batch, new_rows, new_cols, channels * depth_multiplier), or channels first.

    Example:
        >>> layer = DepthwiseConv2D(3, padding="same", use_bias=False, input_shape=(56, 56, 96))
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, **kwargs):
        dm = positive_int("DepthwiseConv2D", "depth_multiplier", depth_multiplier,
                          "Pass the number of filters per input channel, e.g. depth_multiplier=1.")
        super().__init__(dm, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, **kwargs)
        del self.filters  # the output width is in * depth_multiplier, known at build
        self.depth_multiplier = dm
        self.depthwise_initializer = depthwise_initializer
        self.depthwise_regularizer = depthwise_regularizer

    def build(self, input_shape):
        self.kernel = self._build_depthwise(input_shape, "kernel")
        self.bias = (self._add_weight("bias", (self._in_ch * self.depth_multiplier,), self.bias_initializer,
                                      self.bias_regularizer) if self.use_bias else None)

    @property
    def depthwise_kernel(self):
        """The Keras 2 name of ``kernel``."""
        return self.kernel

    def call(self, inputs):
        y = self._depthwise(inputs, self.kernel, self.bias)
        if self.data_format == "channels_last":
            y = y.permute(0, 2, 3, 1)
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        in_ch = input_shape[_utils.channel_axis(self.data_format)]
        return self._out_shape(input_shape, None if in_ch is None else in_ch * self.depth_multiplier)

    def get_config(self):
        ser = _utils.serialize_arg
        base = super(_Conv, self).get_config()
        return {**base, "kernel_size": self.kernel_size, "strides": self.strides, "padding": self.padding,
                "depth_multiplier": self.depth_multiplier, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "activation": _activations.serialize(self.activation),
                "use_bias": self.use_bias, "depthwise_initializer": ser(self.depthwise_initializer),
                "bias_initializer": ser(self.bias_initializer),
                "depthwise_regularizer": ser(self.depthwise_regularizer),
                "bias_regularizer": ser(self.bias_regularizer)}

    def extra_repr(self):
        act = getattr(self.activation, "__name__", "custom")
        return (f"name={self.name!r}, kernel_size={self.kernel_size}, depth_multiplier={self.depth_multiplier}, "
                f"strides={self.strides}, padding={self.padding!r}, activation={act}")


class SeparableConv2D(_DepthwiseBase):
    """Depthwise-separable 2-D convolution: a depthwise convolution (no bias) followed by a
    1x1 pointwise convolution to ``filters`` channels, then bias and activation.

    Args:
        filters: positive int, number of output channels.
        kernel_size: int or tuple of 2 ints (rows, cols) of the depthwise step.
        strides: int or tuple of 2 ints (default 1).
        padding: 'valid' (default) or 'same' (TensorFlow rule).
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.
        dilation_rate: int or tuple of 2 ints (default 1); cannot be combined with strides > 1.
        depth_multiplier: positive int (default 1), depthwise outputs per input channel.
        activation: name or callable (default None: linear).
        use_bias: bool (default True).
        depthwise_initializer, pointwise_initializer: default 'glorot_uniform'. bias_initializer: 'zeros'.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer: penalties.

    Weights (Keras layout): depthwise_kernel ``(kh, kw, in, depth_multiplier)``, pointwise_kernel
    ``(1, 1, in * depth_multiplier, filters)``, bias ``(filters,)``.

    Input shape: (batch, rows, cols, channels), or (batch, channels, rows, cols) for channels_first.
    Output shape: (batch, new_rows, new_cols, filters), or (batch, filters, new_rows, new_cols).

    Example:
        >>> layer = SeparableConv2D(64, 3, padding="same", activation="relu", input_shape=(32, 32, 16))
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, **kwargs):
        dm = positive_int("SeparableConv2D", "depth_multiplier", depth_multiplier,
                          "Pass the number of depthwise filters per input channel, e.g. depth_multiplier=1.")
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, **kwargs)
        _utils.check_names((pointwise_initializer,), (pointwise_regularizer,))
        self.depth_multiplier = dm
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer

    def build(self, input_shape):
        self.depthwise_kernel = self._build_depthwise(input_shape, "depthwise_kernel")
        self.pointwise_kernel = self._add_weight(
            "pointwise_kernel", (1, 1, self._in_ch * self.depth_multiplier, self.filters),
            self.pointwise_initializer, self.pointwise_regularizer, to_torch=_POINTWISE_TO_TORCH)
        self.bias = (self._add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer)
                     if self.use_bias else None)

    def call(self, inputs):
        y = F.conv2d(self._depthwise(inputs, self.depthwise_kernel, None), self.pointwise_kernel, self.bias)
        if self.data_format == "channels_last":
            y = y.permute(0, 2, 3, 1)
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return self._out_shape(input_shape, self.filters)

    def get_config(self):
        ser = _utils.serialize_arg
        base = super(_Conv, self).get_config()
        return {**base, "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                "depth_multiplier": self.depth_multiplier, "activation": _activations.serialize(self.activation),
                "use_bias": self.use_bias, "depthwise_initializer": ser(self.depthwise_initializer),
                "pointwise_initializer": ser(self.pointwise_initializer),
                "bias_initializer": ser(self.bias_initializer),
                "depthwise_regularizer": ser(self.depthwise_regularizer),
                "pointwise_regularizer": ser(self.pointwise_regularizer),
                "bias_regularizer": ser(self.bias_regularizer)}

    def extra_repr(self):
        act = getattr(self.activation, "__name__", "custom")
        return (f"name={self.name!r}, filters={self.filters}, kernel_size={self.kernel_size}, "
                f"depth_multiplier={self.depth_multiplier}, strides={self.strides}, padding={self.padding!r}, "
                f"activation={act}")


# Keras 2 name.
SeparableConvolution2D = SeparableConv2D
