"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose.

Kernels are stored in torch layout (Conv2D ``(out, in, kh, kw)``) and shown in
Keras layout (``(kh, kw, in, out)``) by ``get_weights``. Channels_last data is
handed to torch as a permuted view, which is torch's channels_last memory
format, so no copy is made on the way in or out; a Conv2D kernel for such data is
held in channels_last memory too, so weights, activations and their gradients
share one layout end to end. ``padding='same'`` follows
TensorFlow: when the padding is odd the extra cell goes after (bottom/right).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import activations as _activations
from .. import constraints as _constraints
from .._errors import int_tuple, positive_int
from . import _utils
from .base import InputSpec, Layer, format_shape

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "Convolution1D", "Convolution2D",
           "Convolution2DTranspose", "Deconvolution2D"]

_CONV = {1: F.conv1d, 2: F.conv2d}
_AXIS_NAMES = {1: ("steps",), 2: ("rows", "cols")}


class _Conv(_utils.SpatialLayout, Layer):
    """Shared machinery of the N-D convolutions; subclasses set ``rank``."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.kernel_constraint = _constraints.get(kernel_constraint)
        self.bias_constraint = _constraints.get(bias_constraint)
        owner, rank = type(self).__name__, self.rank
        example = f"Pass the number of output channels, e.g. {owner}(32, {(3,) * rank if rank > 1 else 3})."
        self.filters = positive_int(owner, "filters", filters, example)
        self.kernel_size = int_tuple(owner, "kernel_size", kernel_size, rank)
        self.strides = int_tuple(owner, "strides", strides, rank)
        self.padding = _utils.padding_mode(owner, padding, allow_causal=rank == 1)
        self.data_format = _utils.data_format(data_format)
        self.dilation_rate = int_tuple(owner, "dilation_rate", dilation_rate, rank)
        self.groups = positive_int(owner, "groups", groups)
        if self.filters % self.groups:
            raise ValueError(f"{owner} expects filters to be a multiple of groups. Received: "
                             f"filters={self.filters}, groups={self.groups}. Change one so groups divides filters.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner} cannot combine strides > 1 with dilation_rate > 1 (as in Keras). "
                             f"Received: strides={strides!r}, dilation_rate={dilation_rate!r}. Use one of them.")
        self.activation = _activations.get(activation)
        self.use_bias = bool(use_bias)
        _utils.check_names((kernel_initializer, bias_initializer), (kernel_regularizer, bias_regularizer))
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.input_spec = InputSpec(ndim=rank + 2)
        self._pad_size = None
        self._pad_plan = None

    def _check_fits(self, input_shape):
        if self.padding != "valid":
            return
        for name, n, k, d in zip(_AXIS_NAMES[self.rank], self._spatial(input_shape), self.kernel_size,
                                 self.dilation_rate):
            k_eff = (k - 1) * d + 1
            if n is not None and n < k_eff:
                dil = f" with dilation_rate {self.dilation_rate}" if d > 1 else ""
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) has kernel_size {self.kernel_size}{dil} "
                    f"and padding='valid', which needs at least {k_eff} {name}; its input has {name}={n} "
                    f"(input shape {format_shape(input_shape)}). Use padding='same' or a smaller kernel_size.")

    # ------------------------------------------------------------------ contract
    def build(self, input_shape):
        ch_axis = _utils.channel_axis(self.data_format)
        in_ch = input_shape[ch_axis]
        if in_ch is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs the channel axis of its input "
                             f"to be known. Received shape {format_shape(input_shape)}"
                             f"{' (channels_first)' if self.data_format == 'channels_first' else ''}.")
        if in_ch % self.groups:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) has groups={self.groups}, which must "
                             f"divide the {in_ch} input channels (input shape {format_shape(input_shape)}).")
        self._check_fits(input_shape)
        rank = self.rank
        keras_shape = self.kernel_size + (in_ch // self.groups, self.filters)
        # Keras (k..., in, out) -> torch (out, in, k...)
        to_torch = (rank + 1, rank) + tuple(range(rank))
        self.kernel = self._add_weight("kernel", keras_shape, self.kernel_initializer,
                                       self.kernel_regularizer, to_torch=to_torch, constraint=self.kernel_constraint,
                                       memory_format=self._kernel_memory_format())
        self.bias = (self._add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer,
                                      constraint=self.bias_constraint) if self.use_bias else None)
        self.input_spec = InputSpec(ndim=rank + 2, axes={ch_axis: in_ch})
        size = self._spatial(input_shape)
        if None not in size:
            self._pad_size, self._pad_plan = size, self._padding_plan(size)

    def _kernel_memory_format(self):
        """torch.channels_last for a 2-D kernel convolving channels_last data, else None.

        The kernel then has the activations' layout: oneDNN neither reorders it on each call nor
        copies its gradient into another layout, and the optimizer's slots (``zeros_like``) follow.
        """
        if self.rank == 2 and self.data_format == "channels_last":
            return torch.channels_last
        return None

    def _padding_plan(self, size):
        """(torch padding argument, F.pad amounts on the public layout or None) for a spatial size."""
        if self.padding == "valid":
            return 0, None
        if self.padding == "causal":
            pads = [((self.kernel_size[0] - 1) * self.dilation_rate[0], 0)]
        else:
            pads = [_utils.tf_same_pads(n, k, s, d)
                    for n, k, s, d in zip(size, self.kernel_size, self.strides, self.dilation_rate)]
        if all(b == a for b, a in pads):
            return tuple(b for b, _ in pads), None
        # F.pad lists the last axis first.
        amounts = [v for b, a in reversed(pads) for v in (b, a)]
        if self.data_format == "channels_last":
            amounts = [0, 0] + amounts
        return 0, tuple(amounts)

    def call(self, inputs):
        x = inputs
        size = self._spatial(x.shape)
        padding, explicit = self._pad_plan if size == self._pad_size else self._padding_plan(size)
        if explicit is not None:
            x = F.pad(x, explicit)
        last = self.data_format == "channels_last"
        if last:
            x = x.permute(_utils.TO_TORCH[self.rank])
        y = _CONV[self.rank](x, self.kernel, self.bias, self.strides, padding, self.dilation_rate, self.groups)
        if not last:
            return _activations.apply_to_fresh(self.activation, y)
        if self.activation is _activations.relu:
            # In place on the convolution's own output, before the permute: an in-place op on the
            # permuted view makes autograd rebuild the base in backward (a zero fill, three copies
            # and a clone of the activation per layer and step).
            return _activations.apply_to_fresh(self.activation, y).permute(_utils.FROM_TORCH[self.rank])
        return _activations.apply_to_fresh(self.activation, y.permute(_utils.FROM_TORCH[self.rank]))

    def compute_output_shape(self, input_shape):
        self._check_fits(input_shape)
        spatial = tuple(_utils.conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                        zip(self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate))
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (self.filters,)
        return (input_shape[0], self.filters) + spatial

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "groups": self.groups,
                "activation": _activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": _utils.serialize_arg(self.kernel_initializer),
                "bias_initializer": _utils.serialize_arg(self.bias_initializer),
                "kernel_regularizer": _utils.serialize_arg(self.kernel_regularizer),
                "bias_regularizer": _utils.serialize_arg(self.bias_regularizer),
                "kernel_constraint": _utils.serialize_arg(self.kernel_constraint),
                "bias_constraint": _utils.serialize_arg(self.bias_constraint)}

    def extra_repr(self):
        act = getattr(self.activation, "__name__", "custom")
        return (f"name={self.name!r}, filters={self.filters}, kernel_size={self.kernel_size}, "
                f"strides={self.strides}, padding={self.padding!r}, activation={act}")


class Conv1D(_Conv):
    """1-D convolution over time steps: ``activation(conv1d(inputs, kernel) + bias)``.

    Args:
        filters: positive int, number of output channels.
        kernel_size: int or tuple of 1 int, the window length.
        strides: int (default 1).
        padding: 'valid' (default), 'same' (TensorFlow rule) or 'causal' (pad only at the start, so
            output step t sees inputs up to t).
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.
        dilation_rate: int (default 1); cannot be combined with strides > 1.
        groups: int (default 1); input and output channels split into this many groups.
        activation: name or callable (default None: linear).
        use_bias: bool (default True).
        kernel_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.

    Input shape: (batch, steps, channels), or (batch, channels, steps) for channels_first.
    Output shape: (batch, new_steps, filters), or (batch, filters, new_steps).

    Example:
        >>> layer = Conv1D(16, 5, padding="causal", input_shape=(100, 8))
    """

    rank = 1


class Conv2D(_Conv):
    """2-D convolution over images: ``activation(conv2d(inputs, kernel) + bias)``.

    Args:
        filters: positive int, number of output channels.
        kernel_size: int or tuple of 2 ints (rows, cols).
        strides: int or tuple of 2 ints (default 1).
        padding: 'valid' (default) or 'same'. 'same' pads like TensorFlow: the output has
            ceil(size / stride) cells and an odd padding puts the extra row/column at the bottom/right.
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.
        dilation_rate: int or tuple of 2 ints (default 1); cannot be combined with strides > 1.
        groups: int (default 1); input and output channels split into this many groups.
        activation: name or callable (default None: linear).
        use_bias: bool (default True).
        kernel_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.

    Input shape: (batch, rows, cols, channels), or (batch, channels, rows, cols) for channels_first.
    Output shape: (batch, new_rows, new_cols, filters), or (batch, filters, new_rows, new_cols).

    Example:
        >>> layer = Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1))
    """

    rank = 2


class Conv2DTranspose(_Conv):
    """Transposed 2-D convolution (the gradient of Conv2D), used to upsample feature maps.

    Output sizes and cropping follow Keras: with ``padding='same'`` and no ``output_padding`` the
    output is ``input * strides``; with 'valid' it is ``(input - 1) * strides + max(kernel, strides)``.

    Args:
        filters: positive int, number of output channels.
        kernel_size: int or tuple of 2 ints.
        strides: int or tuple of 2 ints (default 1).
        padding: 'valid' (default) or 'same'.
        output_padding: None (default), int or tuple of 2 ints, each smaller than its stride: extra
            cells added at the bottom/right of the output.
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.
        dilation_rate: int or tuple of 2 ints (default 1).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer: as in :class:`Conv2D`.

    Input shape: (batch, rows, cols, channels), or (batch, channels, rows, cols) for channels_first.
    Output shape: (batch, new_rows, new_cols, filters), or (batch, filters, new_rows, new_cols).

    Example:
        >>> layer = Conv2DTranspose(16, 3, strides=2, padding="same", input_shape=(7, 7, 32))
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=1, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            op = int_tuple("Conv2DTranspose", "output_padding", output_padding, 2, allow_zero=True)
            if any(p >= s for p, s in zip(op, self.strides)):
                raise ValueError(f"Conv2DTranspose expects each output_padding to be smaller than its stride. "
                                 f"Received: output_padding={output_padding!r}, strides={self.strides}. "
                                 f"Lower output_padding or raise strides.")
            self.output_padding = op

    def _check_fits(self, input_shape):
        pass  # a transposed convolution grows its input, any size fits

    def build(self, input_shape):
        ch_axis = _utils.channel_axis(self.data_format)
        in_ch = input_shape[ch_axis]
        if in_ch is None:
            raise ValueError(f"Layer '{self.name}' (Conv2DTranspose) needs the channel axis of its input to be "
                             f"known. Received shape {format_shape(input_shape)}.")
        # Keras (kh, kw, out, in) -> torch conv_transpose (in, out, kh, kw)
        self.kernel = self._add_weight("kernel", self.kernel_size + (self.filters, in_ch),
                                       self.kernel_initializer, self.kernel_regularizer, to_torch=(3, 2, 0, 1),
                                       constraint=self.kernel_constraint)
        self.bias = (self._add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer,
                                      constraint=self.bias_constraint) if self.use_bias else None)
        self.input_spec = InputSpec(ndim=4, axes={ch_axis: in_ch})
        size = self._spatial(input_shape)
        if None not in size:
            self._pad_size, self._pad_plan = size, self._padding_plan(size)

    def _axis(self, i, n):
        """(output length, cells cropped at the start) along spatial axis i, as Keras 3 defines them."""
        k, s, d = self.kernel_size[i], self.strides[i], self.dilation_rate[i]
        op = None if self.output_padding is None else self.output_padding[i]
        k_eff = (k - 1) * d + 1
        if self.padding == "valid":
            length = (n - 1) * s + k_eff + (max(k_eff, s) - k_eff if op is None else op)
            return length, 0
        length = n * s if op is None else (n - 1) * s + k_eff % 2 + op
        pad_len = s + k_eff - 2 if op is None else k_eff + k_eff % 2 - 2 + op
        left = min(pad_len // 2 + pad_len % 2, k_eff - 1)
        return length, k_eff - 1 - left

    def _padding_plan(self, size):
        """Per axis: torch padding, torch output_padding and, where torch cannot express the crop,
        a (start, stop, zero cells to append) slice of the uncropped output."""
        pads, out_pads, slices = [], [], []
        for i, n in enumerate(size):
            length, crop = self._axis(i, n)
            s, d = self.strides[i], self.dilation_rate[i]
            full = (n - 1) * s + (self.kernel_size[i] - 1) * d + 1
            extra = length - (full - 2 * crop)
            if 0 <= extra < max(s, d):
                pads.append(crop), out_pads.append(extra), slices.append(None)
            else:  # e.g. k=3, s=2, 'same': TF crops only at the end
                pads.append(0), out_pads.append(0)
                slices.append((crop, min(crop + length, full), max(crop + length - full, 0)))
        return tuple(pads), tuple(out_pads), slices

    def call(self, inputs):
        x = inputs
        size = self._spatial(x.shape)
        pads, out_pads, slices = self._pad_plan if size == self._pad_size else self._padding_plan(size)
        last = self.data_format == "channels_last"
        if last:
            x = x.permute(0, 3, 1, 2)
        y = F.conv_transpose2d(x, self.kernel, self.bias, self.strides, pads, out_pads, 1, self.dilation_rate)
        if any(sl is not None for sl in slices):
            (h0, h1, hz), (w0, w1, wz) = [sl or (0, y.shape[2 + i], 0) for i, sl in enumerate(slices)]
            y = y[:, :, h0:h1, w0:w1]
            if hz or wz:
                y = F.pad(y, (0, wz, 0, hz))
        if last:
            y = y.permute(0, 2, 3, 1)
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        spatial = tuple(None if n is None else self._axis(i, n)[0]
                        for i, n in enumerate(self._spatial(input_shape)))
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (self.filters,)
        return (input_shape[0], self.filters) + spatial

    def get_config(self):
        cfg = super().get_config()
        del cfg["groups"]
        cfg["output_padding"] = self.output_padding
        return cfg


# Keras 1/2 names.
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
Deconvolution2D = Conv2DTranspose
