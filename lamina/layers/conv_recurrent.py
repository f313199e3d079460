"""Convolutional recurrent layers: ConvLSTM2D and its one-step cell, with Keras 3 semantics.

A ConvLSTM is an LSTM whose input and recurrent transformations are 2-D
convolutions: its states are feature maps. Keras 3's layout and numbers:

* gates in the order i, f, c, o; ``kernel`` (kh, kw, in_channels, 4 * filters),
  ``recurrent_kernel`` (kh, kw, filters, 4 * filters), ``bias`` (4 * filters,) in
  ``get_weights``; stored in torch layout ((4 * filters, in, kh, kw)) inside;
* the input convolution uses the layer's ``strides``, ``padding`` and
  ``dilation_rate``; the recurrent one always runs with stride 1, no dilation and
  'same' padding (TensorFlow's rule: an odd padding puts the extra cell after);
* ``dropout``/``recurrent_dropout``: one mask per gate, the same for every step.

The input convolution of every step is one ``conv2d`` over batch * time frames;
then a loop runs the recurrent convolution step by step. Channels_last data goes
to torch as permuted views (torch's channels_last memory format), as in
``convolutional.py``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import activations as _activations
from .. import initializers as _initializers
from .._errors import int_tuple, positive_int
from .._registry import serialize
from . import _utils
from .base import InputSpec, Layer, format_shape
from .recurrent import RNN
from .rnn_cells import store_cell_arguments

__all__ = ["ConvLSTM2D", "ConvLSTM2DCell"]

_BASE_CONFIG = ("name", "trainable", "dtype")
_ROWS_COLS = ("rows", "cols")


class ConvLSTM2DCell(_utils.SpatialLayout, Layer):
    """One step of a 2-D convolutional LSTM (what :class:`ConvLSTM2D` runs over time).

    Called as ``cell(inputs, [h, c])`` with ``inputs`` one frame (batch, rows, cols, channels)
    (channels_first: (batch, channels, rows, cols)) and ``h``, ``c`` of the output shape;
    returns ``(h, [h, c])``. ``RNN(cell)`` runs flat-vector cells only: for sequences of
    frames use :class:`ConvLSTM2D`.

    Args:
        filters: positive int, the channels of the output and the states.
        kernel_size: int or tuple of 2 ints; the input and the recurrent convolution windows.
        strides, padding, data_format, dilation_rate: of the input convolution, as in
            :class:`Conv2D` (the recurrent convolution: stride 1, 'same').
        activation: default 'tanh'. recurrent_activation: default 'sigmoid'.
        use_bias: default True. unit_forget_bias: default True (forget-gate bias starts at 1).
        kernel_initializer: default 'glorot_uniform'; recurrent_initializer: default 'orthogonal';
            bias_initializer: default 'zeros'.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: optional constraints.
        dropout, recurrent_dropout: fractions dropped while training (one mask per gate).
        seed: optional int for reproducible dropout masks.

    Example:
        >>> cell = ConvLSTM2DCell(8, 3, padding="same")
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.filters = positive_int(owner, "filters", filters,
                                    f"Pass the number of output channels, e.g. {owner}(16, (3, 3)).")
        self.kernel_size = int_tuple(owner, "kernel_size", kernel_size, 2)
        self.strides = int_tuple(owner, "strides", strides, 2)
        self.padding = _utils.padding_mode(owner, padding)
        self.data_format = _utils.data_format(data_format)
        self.dilation_rate = int_tuple(owner, "dilation_rate", dilation_rate, 2)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner} cannot combine strides > 1 with dilation_rate > 1 (as in Keras). "
                             f"Received: strides={strides!r}, dilation_rate={dilation_rate!r}. Use one of them.")
        store_cell_arguments(self, activation, use_bias, kernel_initializer, recurrent_initializer,
                             bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                             kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                             seed)
        self.recurrent_activation = _activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self._plan = (None, None)
        # the recurrent convolution: stride 1, 'same' (TensorFlow's rule), independent of the frame size
        pads = [_utils.tf_same_pads(1, k, 1, 1) for k in self.kernel_size]
        if all(b == a for b, a in pads):
            self._rec_padding, self._rec_pad = tuple(b for b, _ in pads), None
        else:
            self._rec_padding, self._rec_pad = 0, tuple(v for b, a in reversed(pads) for v in (b, a))

    @property
    def state_size(self):
        return [self.filters, self.filters]

    @property
    def output_size(self):
        return self.filters

    # ------------------------------------------------------------------ layout
    def _to_torch(self, t):
        """A public-layout frame (batch, rows, cols, ch) -> torch's (batch, ch, rows, cols) view."""
        return t.permute(0, 3, 1, 2) if self.data_format == "channels_last" else t

    def _from_torch(self, t):
        return t.permute(0, 2, 3, 1) if self.data_format == "channels_last" else t

    def _check_frame(self, shape, shown, owner):
        """Channel axis known, frame large enough for 'valid' (``shown``: the shape named in errors)."""
        cf = self.data_format == "channels_first"
        in_ch = shape[_utils.channel_axis(self.data_format)]
        if in_ch is None:
            raise ValueError(f"{owner} needs the channel axis of its input to be known. Received shape "
                             f"{format_shape(shown)}{' (channels_first)' if cf else ''}.")
        if self.padding == "valid":
            for name, n, k, d in zip(_ROWS_COLS, self._spatial(shape), self.kernel_size, self.dilation_rate):
                k_eff = (k - 1) * d + 1
                if n is not None and n < k_eff:
                    raise ValueError(
                        f"{owner} has kernel_size {self.kernel_size} and padding='valid', which needs at least "
                        f"{k_eff} {name}; its input has {name}={n} (input shape {format_shape(shown)}). Use "
                        f"padding='same' or a smaller kernel_size.")
        return in_ch

    # ------------------------------------------------------------------ weights
    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base = _initializers.get(self.bias_initializer)
        f = self.filters

        def init(shape, dtype=None):
            return torch.cat([torch.as_tensor(base((f,), dtype=dtype)), torch.ones(f, dtype=dtype),
                              torch.as_tensor(base((2 * f,), dtype=dtype))])
        return init

    def build(self, input_shape):
        owner = f"Layer '{self.name}' ({type(self).__name__})"
        if len(input_shape) != 4:
            raise ValueError(f"{owner} runs one step on a frame of shape {_utils.layout_hint(2, self.data_format)[1:]}"
                             f"; received shape {format_shape(input_shape)}. For sequences of frames (batch, time, "
                             f"...) use ConvLSTM2D (RNN(cell) runs flat-vector cells only).")
        in_ch = self._check_frame(input_shape, input_shape, owner)
        width = 4 * self.filters
        to_torch = (3, 2, 0, 1)  # Keras (kh, kw, in, out) -> torch (out, in, kh, kw)
        self.kernel = self._add_weight("kernel", self.kernel_size + (in_ch, width), self.kernel_initializer,
                                       self.kernel_regularizer, to_torch=to_torch, constraint=self.kernel_constraint)
        self.recurrent_kernel = self._add_weight("recurrent_kernel", self.kernel_size + (self.filters, width),
                                                 self.recurrent_initializer, self.recurrent_regularizer,
                                                 to_torch=to_torch, constraint=self.recurrent_constraint)
        self.bias = (self._add_weight("bias", (width,), self._bias_init(), self.bias_regularizer,
                                      constraint=self.bias_constraint) if self.use_bias else None)
        self.input_spec = InputSpec(ndim=4, axes={_utils.channel_axis(self.data_format): in_ch})

    # ------------------------------------------------------------------ dropout
    def _random(self, shape, rate, like):
        gen = None
        if self.seed is not None:
            if self._generator is None or self._generator.device != like.device:
                self._generator = torch.Generator(device=like.device)
                self._generator.manual_seed(self.seed)
            gen = self._generator
        keep = torch.rand(shape, generator=gen, device=like.device, dtype=like.dtype) >= rate
        return keep.to(like.dtype) / (1.0 - rate)

    def dropout_masks(self, frame, state, training):
        """(input masks, recurrent masks), four each (one per gate) in torch layout, shaped like one
        frame and like the state; None where inactive."""
        if not training:
            return None, None
        dp = rdp = None
        if 0 < self.dropout < 1:
            dp = [self._random(frame.shape, self.dropout, frame) for _ in range(4)]
        if 0 < self.recurrent_dropout < 1:
            rdp = [self._random(state.shape, self.recurrent_dropout, state) for _ in range(4)]
        return dp, rdp

    # ------------------------------------------------------------------ computing
    def _input_plan(self, size):
        """(torch padding argument, F.pad amounts on the torch layout or None) for a frame size."""
        if self.padding == "valid":
            return 0, None
        pads = [_utils.tf_same_pads(n, k, s, d)
                for n, k, s, d in zip(size, self.kernel_size, self.strides, self.dilation_rate)]
        if all(b == a for b, a in pads):
            return tuple(b for b, _ in pads), None
        return 0, tuple(v for b, a in reversed(pads) for v in (b, a))

    def project_inputs(self, frames, dp=None):
        """The input part of every gate: ``frames`` (n, ch, rows, cols) in torch layout (any number of
        frames, e.g. batch * time) -> (n, 4 * filters, new_rows, new_cols). ``dp``: four masks of
        shape (n, ch, rows, cols) (or broadcastable), one per gate."""
        size = tuple(frames.shape[2:])
        if self._plan[0] != size:
            self._plan = (size, self._input_plan(size))
        padding, explicit = self._plan[1]
        if dp is None:
            x = F.pad(frames, explicit) if explicit is not None else frames
            return F.conv2d(x, self.kernel, self.bias, self.strides, padding, self.dilation_rate)
        kernels = self.kernel.chunk(4, 0)
        biases = self.bias.chunk(4) if self.bias is not None else [None] * 4
        outs = []
        for m, k, b in zip(dp, kernels, biases):
            x = frames * m
            x = F.pad(x, explicit) if explicit is not None else x
            outs.append(F.conv2d(x, k, b, self.strides, padding, self.dilation_rate))
        return torch.cat(outs, 1)

    def _recurrent(self, h, rdp=None):
        def conv(x, w):
            if self._rec_pad is not None:
                x = F.pad(x, self._rec_pad)
            return F.conv2d(x, w, None, 1, self._rec_padding)
        if rdp is None:
            return conv(h, self.recurrent_kernel)
        return torch.cat([conv(h * m, w) for m, w in zip(rdp, self.recurrent_kernel.chunk(4, 0))], 1)

    def step(self, xp, h, c, rdp=None):
        """One step in torch layout: ``xp`` the step's input projection, ``h``/``c`` the states."""
        z = xp + self._recurrent(h, rdp)
        zi, zf, zc, zo = z.chunk(4, 1)
        i = self.recurrent_activation(zi)
        f = self.recurrent_activation(zf)
        c = f * c + i * self.activation(zc)
        o = self.recurrent_activation(zo)
        h = o * self.activation(c)
        return h, c

    def call(self, inputs, states, training=None):
        training = self.training if training is None else bool(training)
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(states) != 2:
            raise ValueError(f"Layer '{self.name}' (ConvLSTM2DCell) expects states [h, c]; received "
                             f"{len(states)} tensor(s).")
        x, h, c = self._to_torch(inputs), self._to_torch(states[0]), self._to_torch(states[1])
        dp, rdp = self.dropout_masks(x, h, training)
        h, c = self.step(self.project_inputs(x, dp), h, c, rdp)
        h, c = self._from_torch(h), self._from_torch(c)
        return h, [h, c]

    def compute_output_shape(self, input_shape):
        """The output (and each state's) shape for one frame's shape."""
        spatial = tuple(_utils.conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                        zip(self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate))
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (self.filters,)
        return (input_shape[0], self.filters) + spatial

    def get_initial_state(self, batch_size=None):
        """Zero states; needs the cell built (the frame size is known from its build shape)."""
        self._require_built("get_initial_state()")
        shape = self.compute_output_shape((batch_size,) + tuple(self._build_shape[1:]))
        return [torch.zeros(shape, device=self._device_hint()) for _ in range(2)]

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "activation": _activations.serialize(self.activation),
                "recurrent_activation": _activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                "kernel_initializer": _utils.serialize_arg(self.kernel_initializer),
                "recurrent_initializer": _utils.serialize_arg(self.recurrent_initializer),
                "bias_initializer": _utils.serialize_arg(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_regularizer": _utils.serialize_arg(self.kernel_regularizer),
                "recurrent_regularizer": _utils.serialize_arg(self.recurrent_regularizer),
                "bias_regularizer": _utils.serialize_arg(self.bias_regularizer),
                "kernel_constraint": serialize(self.kernel_constraint),
                "recurrent_constraint": serialize(self.recurrent_constraint),
                "bias_constraint": serialize(self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}

    def extra_repr(self):
        return f"name={self.name!r}, filters={self.filters}, kernel_size={self.kernel_size}"


_CELL_ARGS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
              "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
              "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
              "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed")


class ConvLSTM2D(RNN):
    """2-D convolutional LSTM (Shi et al., 2015), Keras 3 semantics: an LSTM whose input and recurrent
    transformations are convolutions, run over a sequence of frames.

    Args:
        filters: positive int, the channels of the output and the states.
        kernel_size: int or tuple of 2 ints.
        strides: int or tuple of 2 ints (default 1), of the input convolution.
        padding: 'valid' (default) or 'same' (TensorFlow's rule), of the input convolution; the
            recurrent convolution always uses stride 1 and 'same'.
        data_format: 'channels_last' (default from ``lamina.config``) or 'channels_first'.
        dilation_rate: int or tuple of 2 ints (default 1); cannot be combined with strides > 1.
        activation: default 'tanh'. recurrent_activation: default 'sigmoid'.
        use_bias: default True. unit_forget_bias: default True.
        kernel_initializer, recurrent_initializer, bias_initializer, regularizers, constraints,
            dropout, recurrent_dropout, seed: as in :class:`LSTM` (one dropout mask per gate).
        return_sequences, return_state, go_backwards, stateful: as in :class:`RNN`.

    Call arguments: ``inputs``; ``initial_state`` ([h, c], each shaped like one output frame);
    ``mask`` (batch, time) bool (a masked step keeps the states and repeats the last output);
    ``training``.

    Input shape: (batch, time, rows, cols, channels), or (batch, time, channels, rows, cols) for
    channels_first. Output: (batch, new_rows, new_cols, filters) (channels_first: (batch, filters,
    new_rows, new_cols)); with ``return_sequences`` a time axis after the batch; with
    ``return_state`` ``[output, h, c]``.

    Weights (Keras layout): kernel (kh, kw, channels, 4 * filters), recurrent_kernel
    (kh, kw, filters, 4 * filters), bias (4 * filters,), gates i, f, c, o.

    Example:
        >>> layer = ConvLSTM2D(16, 3, padding="same", return_sequences=True, input_shape=(10, 32, 32, 3))
    """

    input_spec = InputSpec(ndim=5)
    _sequence_ndim = 5     # (batch, time, rows, cols, channels) frames
    # RNN.trajectory (lamina.inspect's per-step view) records flat (batch, units) states; a ConvLSTM2D's are
    # feature maps, so it does not offer one (lamina.inspect then does not count it as a recurrent layer).
    trajectory = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        base = {k: kwargs[k] for k in ("trainable", "dtype") if k in kwargs}
        # a fixed cell name, as in Keras ('conv_lstm2d/conv_lstm_cell/kernel'), so weight paths are stable
        cell = ConvLSTM2DCell(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                              dilation_rate=dilation_rate, activation=activation,
                              recurrent_activation=recurrent_activation, use_bias=use_bias,
                              kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                              bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                              kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                              bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                              recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                              dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
                              name="conv_lstm_cell", **base)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, activity_regularizer=activity_regularizer,
                         **kwargs)

    def __getattr__(self, name):
        if name in _CELL_ARGS:
            return getattr(self._modules["cell"], name)
        return super().__getattr__(name)

    # ------------------------------------------------------------------ shapes
    def _layout_hint(self):
        if self.cell.data_format == "channels_first":
            return " (batch, time, channels, rows, cols)"
        return " (batch, time, rows, cols, channels)"

    def _shape_fix_hint(self, input_shape):
        layout = self._layout_hint()[1:]
        if len(input_shape) == 4 and None not in input_shape[1:]:
            frame = ", ".join(map(str, input_shape[1:]))
            return (f" For a single frame per sample add a time axis: Reshape((1, {frame})) before it; otherwise "
                    f"give it sequences of frames of shape {layout}.")
        return f" Give it sequences of frames of shape {layout}."

    def _state_shape(self, input_shape):
        return self.cell.compute_output_shape((input_shape[0],) + tuple(input_shape[2:]))

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        state = self._state_shape(input_shape)
        out = (state[0], input_shape[1]) + tuple(state[1:]) if self.return_sequences else state
        if self.return_state:
            return [out, state, state]
        return out

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        owner = f"Layer '{self.name}' ({type(self).__name__})"
        if self.stateful and input_shape[0] is None and (
                self._batch_input_shape is None or self._batch_input_shape[0] is None):
            layout = self._layout_hint()[1:]
            raise ValueError(
                f"{owner} is stateful, so it needs a fixed batch size to keep one state per sample; received "
                f"input shape {format_shape(input_shape)}. Pass batch_size=... (or batch_input_shape={layout}) to "
                f"the first layer, or use Input(batch_shape={layout}).")
        step = (input_shape[0],) + tuple(input_shape[2:])
        self.cell._check_frame(step, input_shape, owner)
        if not self.cell.built:
            self.cell._build_for(step)

    # ------------------------------------------------------------------ calling (RNN.call, on frames)
    def _initial_states(self, x, given):
        want = tuple(self._state_shape(tuple(x.shape)))
        if given is not None:
            given = [torch.as_tensor(s, dtype=x.dtype, device=x.device) for s in given]
            got = [tuple(s.shape) for s in given]
            if len(given) != 2 or any(g != want for g in got):
                raise ValueError(
                    f"Layer '{self.name}' (ConvLSTM2D) expects initial_state to be 2 tensors [h, c], each of shape "
                    f"{format_shape(want)} (the shape of one output frame); received {len(given)} of shape "
                    f"{', '.join(format_shape(g) for g in got) or 'none'}.")
            return given
        if self.stateful and self._state_values is not None:
            if tuple(self._state_values[0].shape) != want:
                raise ValueError(
                    f"Layer '{self.name}' (ConvLSTM2D) is stateful with states of shape "
                    f"{format_shape(tuple(self._state_values[0].shape))}; this input needs {format_shape(want)}. "
                    f"Feed batches of the same size (fit(..., batch_size=..., shuffle=False)) or call "
                    f"reset_states() first.")
            return [s.to(x.device) for s in self._state_values]
        return [x.new_zeros(want) for _ in range(2)]

    def _run(self, x, states, mask, training):
        cell = self.cell
        B, T = x.shape[0], x.shape[1]
        h, c = cell._to_torch(states[0]), cell._to_torch(states[1])
        # time-major frames (T * B, ...): one input convolution for every step, then xp[t] is one block
        frames = cell._to_torch(x.transpose(0, 1).reshape((T * B,) + tuple(x.shape[2:])))
        dp, rdp = cell.dropout_masks(frames[:B], h, training)
        if dp is not None:
            dp = [m.repeat(T, 1, 1, 1) for m in dp]
        # unbind, not xp[t]: the backward of T selects would fill T zero tensors of xp's full size
        xp = cell.project_inputs(frames, dp).unflatten(0, (T, B)).unbind(0)
        order = range(T - 1, -1, -1) if self.go_backwards else range(T)
        outs, prev = [], None
        for t in order:
            h_new, c_new = cell.step(xp[t], h, c, rdp)
            if mask is not None:
                m = mask[:, t].to(device=h.device, dtype=torch.bool).view(B, 1, 1, 1)
                if prev is None:
                    prev = torch.zeros_like(h_new)
                out = torch.where(m, h_new, prev)
                h, c = torch.where(m, h_new, h), torch.where(m, c_new, c)
            else:
                out, h, c = h_new, h_new, c_new
            prev = out
            outs.append(cell._from_torch(out))
        seq = torch.stack(outs, 1) if self.return_sequences else None
        return outs[-1], seq, [cell._from_torch(h), cell._from_torch(c)]

    # ------------------------------------------------------------------ config
    def _rnn_config(self):
        return {"return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful}

    def get_config(self):
        cell_cfg = {k: v for k, v in self.cell.get_config().items() if k not in _BASE_CONFIG}
        return {**Layer.get_config(self), **cell_cfg, **self._rnn_config()}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}, filters={self.cell.filters}, kernel_size={self.cell.kernel_size}"

