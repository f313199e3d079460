"""Recurrent cells: SimpleRNNCell, GRUCell, LSTMCell and StackedRNNCells.

A cell computes one time step: ``cell(inputs, states) -> (output, new_states)``,
with ``inputs`` of shape (batch, features) and ``states`` a list of
(batch, size) tensors, one per entry of ``cell.state_size``. ``RNN(cell)``
runs it over a sequence; ``SimpleRNN``, ``GRU`` and ``LSTM`` are ``RNN`` with
these cells.

Weights follow Keras at the edges (``get_weights``): ``kernel`` (input_dim,
gates * units), ``recurrent_kernel`` (units, gates * units) and ``bias``, gates
in Keras order (LSTM i, f, c, o; GRU z, r, h). Inside they are stored
transposed (torch's (gates * units, input_dim)), so a step is ``F.linear``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import activations as _activations
from .. import constraints as _constraints
from .. import initializers as _initializers
from .._errors import positive_int, probability
from .._registry import deserialize, serialize
from . import _utils
from .base import Layer, format_shape

__all__ = ["SimpleRNNCell", "GRUCell", "LSTMCell", "StackedRNNCells"]


def store_cell_arguments(cell, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed) -> None:
    """Check and keep on ``cell`` the arguments every recurrent cell shares (the dense cells here and
    ConvLSTM2DCell), with Keras's names and checks."""
    owner = type(cell).__name__
    cell.activation = _activations.get(activation)
    cell.use_bias = bool(use_bias)
    _utils.check_names((kernel_initializer, recurrent_initializer, bias_initializer),
                       (kernel_regularizer, recurrent_regularizer, bias_regularizer))
    cell.kernel_initializer = kernel_initializer
    cell.recurrent_initializer = recurrent_initializer
    cell.bias_initializer = bias_initializer
    cell.kernel_regularizer = kernel_regularizer
    cell.recurrent_regularizer = recurrent_regularizer
    cell.bias_regularizer = bias_regularizer
    cell.kernel_constraint = _constraints.get(kernel_constraint)
    cell.recurrent_constraint = _constraints.get(recurrent_constraint)
    cell.bias_constraint = _constraints.get(bias_constraint)
    cell.dropout = probability(owner, "dropout", dropout, inclusive_high=True)
    cell.recurrent_dropout = probability(owner, "recurrent_dropout", recurrent_dropout, inclusive_high=True)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"{owner} expects seed to be None or a non-negative int. Received: seed={seed!r}.")
    cell.seed = seed
    cell._generator = None


class _Cell(Layer):
    """Arguments, weights and dropout masks shared by the built-in cells."""

    _gates = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.units = positive_int(owner, "units", units, f"Pass the state width, e.g. {owner}(32).")
        store_cell_arguments(self, activation, use_bias, kernel_initializer, recurrent_initializer,
                             bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                             kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                             seed)

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    # ------------------------------------------------------------------ weights
    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs the feature axis of its input to "
                             f"be known. Received shape {format_shape(input_shape)}.")
        width = self._gates * self.units
        self.kernel = self._add_weight("kernel", (in_dim, width), self.kernel_initializer, self.kernel_regularizer,
                                       to_torch=(1, 0), constraint=self.kernel_constraint)
        self.recurrent_kernel = self._add_weight("recurrent_kernel", (self.units, width), self.recurrent_initializer,
                                                 self.recurrent_regularizer, to_torch=(1, 0),
                                                 constraint=self.recurrent_constraint)
        self.bias = (self._add_weight("bias", self._bias_shape(), self._bias_init(), self.bias_regularizer,
                                      constraint=self.bias_constraint) if self.use_bias else None)

    # ------------------------------------------------------------------ dropout
    def _random(self, shape, rate, like):
        """A dropout mask of ``shape`` (kept values scaled by 1 / (1 - rate))."""
        gen = None
        if self.seed is not None:
            if self._generator is None or self._generator.device != like.device:
                self._generator = torch.Generator(device=like.device)
                self._generator.manual_seed(self.seed)
            gen = self._generator
        keep = torch.rand(shape, generator=gen, device=like.device, dtype=like.dtype) >= rate
        return keep.to(like.dtype) / (1.0 - rate)

    def dropout_masks(self, batch, in_dim, like, training):
        """(input masks, recurrent masks) for one sequence: one mask for all gates, or one per gate
        when recurrent dropout is on (Keras's implementation 1); None where inactive."""
        if not training:
            return None, None
        per_gate = self.recurrent_dropout > 0
        n = self._gates if per_gate else 1
        dp = rdp = None
        if 0 < self.dropout < 1:
            dp = [self._random((batch, in_dim), self.dropout, like) for _ in range(n)]
        if 0 < self.recurrent_dropout < 1:
            rdp = [self._random((batch, self.units), self.recurrent_dropout, like) for _ in range(n)]
        return dp, rdp

    def _split_inputs(self, x, dp):
        """Input projection per gate block: (batch, gates * units)."""
        if dp is None:
            return F.linear(x, self.kernel, self._input_bias())
        if len(dp) == 1:
            return F.linear(x * dp[0], self.kernel, self._input_bias())
        w = self.kernel.chunk(self._gates, 0)
        b = self._input_bias()
        bs = b.chunk(self._gates) if b is not None else [None] * self._gates
        return torch.cat([F.linear(x * m, wi, bi) for m, wi, bi in zip(dp, w, bs)], -1)

    def _input_bias(self):
        return self.bias

    def project_inputs(self, sequence, dp=None):
        """The input part of every gate for all time steps at once (one matmul for the sequence)."""
        return self._split_inputs(sequence, dp if dp is None else [m.unsqueeze(1) for m in dp])

    def _recurrent(self, h, rdp, start=0, stop=None):
        u = self.units
        stop = self._gates if stop is None else stop
        if rdp is None or len(rdp) == 1:
            hh = h if rdp is None else h * rdp[0]
            return F.linear(hh, self.recurrent_kernel[start * u:stop * u])
        return torch.cat([F.linear(h * rdp[g], self.recurrent_kernel[g * u:(g + 1) * u])
                          for g in range(start, stop)], -1)

    # ------------------------------------------------------------------ calling
    def call(self, inputs, states, training=None):
        training = self.training if training is None else bool(training)
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        dp, rdp = self.dropout_masks(inputs.shape[0], inputs.shape[-1], inputs, training)
        out, new = self.step(self._split_inputs(inputs, dp), states, rdp)
        return out, new

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [torch.zeros(batch_size, s, device=self._device_hint()) for s in sizes]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": _activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": _utils.serialize_arg(self.kernel_initializer),
                "recurrent_initializer": _utils.serialize_arg(self.recurrent_initializer),
                "bias_initializer": _utils.serialize_arg(self.bias_initializer),
                "kernel_regularizer": _utils.serialize_arg(self.kernel_regularizer),
                "recurrent_regularizer": _utils.serialize_arg(self.recurrent_regularizer),
                "bias_regularizer": _utils.serialize_arg(self.bias_regularizer),
                "kernel_constraint": serialize(self.kernel_constraint),
                "recurrent_constraint": serialize(self.recurrent_constraint),
                "bias_constraint": serialize(self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}

    def extra_repr(self):
        return f"name={self.name!r}, units={self.units}"


class SimpleRNNCell(_Cell):
    """One step of a fully connected RNN: ``h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)``.

    Args:
        units: positive int, the state width.
        activation: default 'tanh'.
        use_bias: default True.
        kernel_initializer: default 'glorot_uniform'; recurrent_initializer: default 'orthogonal';
            bias_initializer: default 'zeros'.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: optional constraints.
        dropout: fraction of the inputs dropped while training (one mask per sequence).
        recurrent_dropout: fraction of the previous state dropped while training.
        seed: optional int for reproducible dropout masks.

    Input shape: (batch, features) and states [(batch, units)]. Output: (batch, units).

    Example:
        >>> rnn = RNN(SimpleRNNCell(32))
    """

    def step(self, xp, states, rdp=None):
        h = self.activation(xp + self._recurrent(states[0], rdp))
        return h, [h]


class GRUCell(_Cell):
    """One step of a Gated Recurrent Unit (Cho et al., 2014), gates in Keras order z, r, h.

    Args:
        units: positive int, the state width.
        activation: default 'tanh'. recurrent_activation: default 'sigmoid'.
        reset_after: default True (reset gate applied after the recurrent matmul, as cuDNN and
            torch's GRU do; bias of shape (2, 3 * units)). False: before it (Keras 2's default; bias
            of shape (3 * units,)).
        Other arguments: as :class:`SimpleRNNCell`.

    Example:
        >>> rnn = RNN(GRUCell(32))
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.recurrent_activation = _activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def step(self, xp, states, rdp=None):
        z, _, hh = self._gate_values(xp, states[0], rdp)
        h = z * states[0] + (1 - z) * hh
        return h, [h]

    def gates(self, projected, states):
        """The gate activations of one step (no dropout), named as in the GRU paper: 'update' (z),
        'reset' (r) and 'candidate' (the proposed state). ``projected`` is ``project_inputs``'s
        value for this step; ``states`` the states before it."""
        z, r, hh = self._gate_values(projected, states[0], None)
        return {"update": z, "reset": r, "candidate": hh}

    def _gate_values(self, xp, h_prev, rdp):
        u = self.units
        xz, xr, xh = xp[..., :u], xp[..., u:2 * u], xp[..., 2 * u:]
        if self.reset_after:
            rec = self._recurrent(h_prev, rdp)
            if self.bias is not None:
                rec = rec + self.bias[1]
            z = self.recurrent_activation(xz + rec[..., :u])
            r = self.recurrent_activation(xr + rec[..., u:2 * u])
            hh = self.activation(xh + r * rec[..., 2 * u:])
        else:
            rec = self._recurrent(h_prev, rdp, 0, 2)
            z = self.recurrent_activation(xz + rec[..., :u])
            r = self.recurrent_activation(xr + rec[..., u:])
            hr = r * (h_prev if rdp is None else h_prev * rdp[-1])
            hh = self.activation(xh + F.linear(hr, self.recurrent_kernel[2 * u:]))
        return z, r, hh

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": _activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class LSTMCell(_Cell):
    """One step of a Long Short-Term Memory unit (Hochreiter, 1997), gates in Keras order i, f, c, o.

    Args:
        units: positive int, the state width.
        activation: default 'tanh'. recurrent_activation: default 'sigmoid'.
        unit_forget_bias: default True: the forget-gate bias starts at 1 (Jozefowicz et al.).
        Other arguments: as :class:`SimpleRNNCell`.

    States: [h, c], both (batch, units).

    Example:
        >>> rnn = RNN(LSTMCell(32))
    """

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.recurrent_activation = _activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base = _initializers.get(self.bias_initializer)
        u = self.units

        def init(shape, dtype=None):
            return torch.cat([torch.as_tensor(base((u,), dtype=dtype)), torch.ones(u, dtype=dtype),
                              torch.as_tensor(base((2 * u,), dtype=dtype))])
        return init

    def step(self, xp, states, rdp=None):
        i, f, g, o = self._gate_values(xp, states[0], rdp)
        c = f * states[1] + i * g
        h = o * self.activation(c)
        return h, [h, c]

    def gates(self, projected, states):
        """The gate activations of one step (no dropout): 'input' (i), 'forget' (f), 'candidate'
        (the proposed cell values) and 'output' (o). ``projected`` is ``project_inputs``'s value
        for this step; ``states`` the states [h, c] before it."""
        i, f, g, o = self._gate_values(projected, states[0], None)
        return {"input": i, "forget": f, "candidate": g, "output": o}

    def _gate_values(self, xp, h_prev, rdp):
        zi, zf, zc, zo = (xp + self._recurrent(h_prev, rdp)).chunk(4, -1)
        return (self.recurrent_activation(zi), self.recurrent_activation(zf), self.activation(zc),
                self.recurrent_activation(zo))

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": _activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds the output of one cell to the next.

    Args:
        cells: list of cells (any objects with ``call(inputs, states)`` and ``state_size``).

    States: the states of every cell, flattened in order.

    Example:
        >>> rnn = RNN(StackedRNNCells([LSTMCell(32), LSTMCell(16)]))
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells) if isinstance(cells, (list, tuple)) else None
        if not cells or any(not hasattr(c, "state_size") or not hasattr(c, "call") for c in cells):
            raise ValueError(f"StackedRNNCells expects a non-empty list of cells (objects with call(inputs, states) "
                             f"and state_size), e.g. [LSTMCell(32), LSTMCell(16)]. Received: cells={cells!r}.")
        self.cells = cells
        for i, cell in enumerate(cells):  # registered one by one so that their weights are this layer's
            if isinstance(cell, torch.nn.Module):
                self.add_module(f"cell_{i}", cell)

    @staticmethod
    def _sizes(cell):
        s = cell.state_size
        return list(s) if isinstance(s, (list, tuple)) else [s]

    @property
    def state_size(self):
        return [s for c in self.cells for s in self._sizes(c)]

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", self._sizes(last)[0])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_for(shape)
            shape = shape[:-1] + (getattr(cell, "output_size", self._sizes(cell)[0]),)

    def call(self, inputs, states, training=None):
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        new_states, x, k = [], inputs, 0
        for cell in self.cells:
            n = len(self._sizes(cell))
            own = states[k:k + n]
            k += n
            kw = {"training": training} if getattr(cell, "_call_takes_training", False) else {}
            x, ns = cell(x, own, **kw)
            new_states.extend(ns if isinstance(ns, (list, tuple)) else [ns])
        return x, new_states

    def get_config(self):
        return {**super().get_config(), "cells": [serialize(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["cells"] = [deserialize("layer", c, custom_objects) for c in config["cells"]]
        return cls(**config)
