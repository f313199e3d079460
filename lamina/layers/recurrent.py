"""Recurrent layers: RNN(cell), SimpleRNN, GRU and LSTM, with Keras 3 semantics.

``RNN`` runs a cell over the time axis of a (batch, timesteps, features) input.
When the configuration is one torch's fused kernels compute (tanh / sigmoid
activations, no recurrent dropout, not unrolled, no mask or a right-padded
mask), ``SimpleRNN``/``GRU``/``LSTM`` call them (``torch._VF.rnn_tanh``,
``gru``, ``lstm``, packed sequences for masks) with the layer's own weights;
otherwise a Python loop over the cell's steps. Both give the same numbers.

Masks (from ``Embedding(mask_zero=True)`` or ``Masking``) follow Keras: at a
masked step the states are carried over and the output repeats the previous
one (zeros with ``zero_output_for_mask=True``).
"""
from __future__ import annotations

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .. import activations as _activations
from .._errors import positive_int
from .._naming import to_snake_case
from .._registry import deserialize, serialize
from .base import InputSpec, Layer, format_shape
from .rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells, _Cell

__all__ = ["RNN", "SimpleRNN", "GRU", "LSTM"]

_BASE_CONFIG = ("name", "trainable", "dtype")


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


class RNN(Layer):
    """Runs a recurrent cell over the time axis of a sequence.

    Args:
        cell: a cell (``LSTMCell(32)``, a custom Layer with ``call(inputs, states)`` and
            ``state_size``), or a list of cells (stacked).
        return_sequences: default False: return the last output only; True: the output of every step.
        return_state: default False; True: return ``[output, *final_states]``.
        go_backwards: default False; True: process the sequence in reverse (outputs stay in
            processing order, as in Keras).
        stateful: default False; True: the final states of a batch are the initial states of the
            next (needs a fixed batch size; ``reset_states()`` clears them).
        unroll: default False. Accepted for Keras compatibility; lamina always runs the Python loop
            (or torch's fused kernel), which computes the same numbers.
        zero_output_for_mask: default False; True: masked steps output zeros.

    Call arguments: ``inputs`` (batch, timesteps, features); ``initial_state`` (list of
    (batch, size) tensors); ``mask`` (batch, timesteps) bool; ``training``.

    Input shape: (batch, timesteps, features). Output shape: (batch, timesteps, units) with
    ``return_sequences``, else (batch, units); with ``return_state`` a list followed by the states.

    Example:
        >>> layer = RNN(LSTMCell(32), return_sequences=True)
    """

    input_spec = InputSpec(ndim=3)
    supports_masking = True
    _sequence_ndim = 3     # (batch, timesteps, features); ConvLSTM2D's frames make it 5

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"{type(self).__name__} expects cell to have call(inputs, states) and a state_size "
                             f"attribute, e.g. LSTMCell(32). Received: cell={cell!r}.")
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self._state_values = None

    # ------------------------------------------------------------------ shapes
    def _layout_hint(self):
        return " (batch, timesteps, features)"

    def _shape_fix_hint(self, input_shape):
        if len(input_shape) == 2 and input_shape[1] is not None:
            return (f" Add Reshape(({input_shape[1]}, 1)) before it to read one feature per step, or give it "
                    f"sequences of shape (batch, timesteps, features).")
        return " Give it sequences of shape (batch, timesteps, features)."

    def _check_input_spec(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        super()._check_input_spec(input_shape)

    @property
    def _state_sizes(self):
        return _as_list(self.cell.state_size)

    @property
    def _output_size(self):
        return getattr(self.cell, "output_size", self._state_sizes[0])

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        b, t = input_shape[0], input_shape[1]
        out = (b, t, self._output_size) if self.return_sequences else (b, self._output_size)
        if self.return_state:
            return [out] + [(b, s) for s in self._state_sizes]
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * len(self._state_sizes)
        return out

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        if self.stateful and input_shape[0] is None and (
                self._batch_input_shape is None or self._batch_input_shape[0] is None):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) is stateful, so it needs a fixed batch size to keep "
                f"one state per sample; received input shape {format_shape(input_shape)}. Pass batch_size=... "
                f"(or batch_input_shape=(batch, timesteps, features)) to the first layer, or use "
                f"Input(batch_shape=(batch, timesteps, features)).")
        step_shape = (input_shape[0], input_shape[-1])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build_for(step_shape)
        elif not isinstance(self.cell, Layer) and hasattr(self.cell, "build"):
            self.cell.build(step_shape)

    def _build_for(self, input_shape, device=None):
        super()._build_for(input_shape, device=device)
        if device is not None:
            self.to(device)

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        initial_state = kwargs.pop("initial_state", None)
        if initial_state is not None:  # states travel as inputs, so a functional graph sees them
            inputs = args[0] if args else kwargs.pop("inputs")
            args = ([inputs, *_as_list(initial_state)],) + tuple(args[1:])
        return super().__call__(*args, **kwargs)

    def call(self, inputs, mask=None, training=None):
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], list(inputs[1:])
        else:
            initial_state = None
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if inputs.dim() != self._sequence_ndim:
            self._check_input_spec((None,) + tuple(inputs.shape[1:]))
        training = self.training if training is None else bool(training)
        states = self._initial_states(inputs, initial_state)
        out, seq, final = self._run(inputs, states, mask, training)
        if self.stateful:
            self._state_values = [s.detach() for s in final]
        output = seq if self.return_sequences else out
        if self.return_state:
            return [output, *final]
        return output

    def _initial_states(self, x, given):
        b = x.shape[0]
        sizes = self._state_sizes
        if given is not None:
            given = [torch.as_tensor(s, dtype=x.dtype, device=x.device) for s in given]
            want = [(b, s) for s in sizes]
            got = [tuple(s.shape) for s in given]
            if len(given) != len(sizes) or got != want:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) expects initial_state to be {len(sizes)} tensor(s) "
                    f"of shape {', '.join(format_shape(w) for w in want)}; received {len(given)} of shape "
                    f"{', '.join(format_shape(g) for g in got) or 'none'}. Pass one (batch, units) tensor per state "
                    f"({'[h, c] for an LSTM' if len(sizes) == 2 else '[h]'}).")
            return given
        if self.stateful and self._state_values is not None:
            if self._state_values[0].shape[0] != b:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) is stateful with batch size "
                    f"{self._state_values[0].shape[0]}; received a batch of {b}. Feed batches of that size "
                    f"(fit(..., batch_size=..., shuffle=False)) or call reset_states() first.")
            return [s.to(x.device) for s in self._state_values]
        return [x.new_zeros(b, s) for s in sizes]

    def reset_states(self, states=None):
        """Clear the states of a stateful layer (zeros at the next call), or set them to ``states``."""
        if not self.stateful:
            raise AttributeError(f"Layer '{self.name}' ({type(self).__name__}) is not stateful; reset_states() "
                                 f"applies to layers made with stateful=True.")
        if states is None:
            self._state_values = None
            return
        dev = self._device_hint()
        self._state_values = [torch.as_tensor(np.asarray(s), dtype=torch.float32, device=dev)
                              for s in _as_list(states)]

    reset_state = reset_states

    @property
    def states(self):
        return None if self._state_values is None else list(self._state_values)

    # ------------------------------------------------------------------ loops
    def _fused_kind(self, mask, training):
        """The torch kernel that computes this configuration, or None."""
        return None

    def _run(self, x, states, mask, training):
        kind = None if self.unroll else self._fused_kind(mask, training)
        if kind is not None:
            packed = _right_padded_lengths(mask) if mask is not None else None
            if mask is None or (packed is not None and not self.go_backwards):
                return self._run_fused(kind, x, states, mask, packed, training)
        return self._run_loop(x, states, mask, training)

    def _run_loop(self, x, states, mask, training, record=None):
        cell = self.cell
        builtin = isinstance(cell, _Cell)
        if builtin:
            dp, rdp = cell.dropout_masks(x.shape[0], x.shape[-1], x, training)
            steps_in = cell.project_inputs(x, dp)
        else:
            steps_in = x
            kw = {"training": training} if getattr(cell, "_call_takes_training", False) else {}
        T = x.shape[1]
        order = range(T - 1, -1, -1) if self.go_backwards else range(T)
        outs, prev, zero = [], None, None
        for t in order:
            if record is not None and hasattr(cell, "gates"):
                record.setdefault("gates", []).append(cell.gates(steps_in[:, t], states))
            if builtin:
                out, new = cell.step(steps_in[:, t], states, rdp)
            else:
                out, new = cell(steps_in[:, t], states, **kw)
                new = _as_list(new)
            if mask is not None:
                m = mask[:, t].unsqueeze(-1).to(torch.bool)
                if prev is None:
                    zero = torch.zeros_like(out)
                    prev = zero
                out = torch.where(m, out, zero if self.zero_output_for_mask else prev)
                new = [torch.where(m, n, s) for n, s in zip(new, states)]
            states = new
            prev = out
            outs.append(out)
            if record is not None:
                record.setdefault("states", []).append(list(states))
        seq = torch.stack(outs, 1) if self.return_sequences or record is not None else None
        if record is not None:
            record["outputs"] = seq
        return outs[-1], seq, states

    def trajectory(self, inputs, mask=None, initial_state=None):
        """What the layer computes at every step of a sequence, for looking inside it.

        Runs the layer in inference mode (no dropout, no gradient, its weights and states left
        as they are) and returns a dict of numpy arrays in processing order (reversed with
        ``go_backwards``):

        - ``outputs``: (batch, timesteps, units), the output after each step;
        - ``states``: a list with one (batch, timesteps, size) array per state ([h] or, for an
          LSTM, [h, c]);
        - ``gates``: for LSTM and GRU cells, a dict gate name -> (batch, timesteps, units) of the
          gate activations (LSTM: input, forget, candidate, output; GRU: update, reset, candidate);
          empty for cells without gates;
        - ``steps``: the input time index of each step;
        - ``mask``: (batch, timesteps) bool in processing order, or None; at a masked step the
          states carry over, as when the layer runs.

        Example:
            >>> t = model.get_layer("lstm").trajectory(x_rows[:1])
            >>> t["gates"]["forget"].shape
            (1, 28, 32)
        """
        x = torch.as_tensor(inputs, device=self._device_hint())
        if not x.is_floating_point():
            x = x.float()
        if x.dim() != 3:
            self._check_input_spec((None,) + tuple(x.shape[1:]))
        if not self.built:
            self._build_for(tuple(x.shape))
        if mask is not None:
            mask = torch.as_tensor(mask, device=x.device).to(torch.bool)
            if tuple(mask.shape) != tuple(x.shape[:2]):
                raise ValueError(f"Layer '{self.name}' ({type(self).__name__}).trajectory expects mask of shape "
                                 f"{format_shape(tuple(x.shape[:2]))} (batch, timesteps); received "
                                 f"{format_shape(tuple(mask.shape))}.")
        record: dict = {}
        with torch.no_grad():
            states = self._initial_states(x, initial_state)
            self._run_loop(x, states, mask, False, record)
        steps = np.arange(x.shape[1])[::-1].copy() if self.go_backwards else np.arange(x.shape[1])
        n_states = len(record["states"][0])
        gates = {name: torch.stack([g[name] for g in record.get("gates", [])], 1).cpu().numpy()
                 for name in (record["gates"][0] if record.get("gates") else ())}
        return {"outputs": record["outputs"].cpu().numpy(),
                "states": [torch.stack([s[k] for s in record["states"]], 1).cpu().numpy() for k in range(n_states)],
                "gates": gates, "steps": steps,
                "mask": None if mask is None else mask[:, torch.as_tensor(steps.copy())].cpu().numpy()}

    def _run_fused(self, kind, x, states, mask, lengths, training):
        cell = self.cell
        dp, _ = cell.dropout_masks(x.shape[0], x.shape[-1], x, training)
        if dp is not None:
            x = x * dp[0].unsqueeze(1)
        if self.go_backwards:
            x = x.flip(1)
        params = self._torch_params()
        has_bias = cell.use_bias
        hx = [s.unsqueeze(0).contiguous() for s in states]
        fn = getattr(torch._VF, kind)
        full = lengths is None or bool((lengths == x.shape[1]).all())
        if full:
            if kind == "lstm":
                seq, h, c = fn(x, (hx[0], hx[1]), params, has_bias, 1, 0.0, False, False, True)
                final = [h[0], c[0]]
            else:
                seq, h = fn(x, hx[0], params, has_bias, 1, 0.0, False, False, True)
                final = [h[0]]
            return seq[:, -1], seq if self.return_sequences else None, final
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        hx = [s.index_select(1, packed.sorted_indices) for s in hx]
        if kind == "lstm":
            data, h, c = fn(packed.data, packed.batch_sizes, (hx[0], hx[1]), params, has_bias, 1, 0.0, False, False)
            final = [h, c]
        else:
            data, h = fn(packed.data, packed.batch_sizes, hx[0], params, has_bias, 1, 0.0, False, False)
            final = [h]
        final = [f.index_select(1, packed.unsorted_indices)[0] for f in final]
        last = final[0]
        seq = None
        if self.return_sequences:
            seq, _ = pad_packed_sequence(packed._replace(data=data), batch_first=True, total_length=x.shape[1])
            if not self.zero_output_for_mask:  # masked steps repeat the last valid output
                idx = torch.minimum(torch.arange(x.shape[1]).unsqueeze(0), (lengths - 1).unsqueeze(1))
                idx = idx.to(seq.device).unsqueeze(-1).expand(-1, -1, seq.shape[-1])
                seq = seq.gather(1, idx)
        if self.zero_output_for_mask:
            last = torch.where(mask[:, -1:].to(torch.bool), last, torch.zeros_like(last))
        return last, seq, final

    def _torch_params(self):
        cell = self.cell
        p = [cell.kernel, cell.recurrent_kernel]
        if cell.use_bias:
            p += [cell.bias, torch.zeros_like(cell.bias)]
        return p

    # ------------------------------------------------------------------ config
    def get_config(self):
        return {**super().get_config(), "cell": serialize(self.cell), **self._rnn_config()}

    def _rnn_config(self):
        return {"return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = config["cell"]
        if isinstance(cell, list):
            config["cell"] = [deserialize("layer", c, custom_objects) for c in cell]
        else:
            config["cell"] = deserialize("layer", cell, custom_objects)
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}, cell={type(self.cell).__name__}"


def _right_padded_lengths(mask):
    """Per-sample lengths (CPU int64) when every row of ``mask`` is ones then zeros with at least one
    step kept, else None (the mask then needs the generic loop)."""
    m = mask.to(torch.bool)
    lengths = m.sum(1)
    expected = torch.arange(m.shape[1], device=m.device).unsqueeze(0) < lengths.unsqueeze(1)
    if not bool((expected == m).all()) or bool((lengths == 0).any()):
        return None
    return lengths.cpu()


class _Builtin(RNN):
    """SimpleRNN / GRU / LSTM: an RNN whose cell is made from the layer's own arguments."""

    _cell_class = None
    _cell_args: tuple = ()

    def __init__(self, cell_kwargs, rnn_kwargs, **kwargs):
        positive_int(type(self).__name__, "units", cell_kwargs["units"],
                     f"Pass the output width, e.g. {type(self).__name__}(32).")
        base = {k: kwargs.pop(k) for k in ("trainable", "dtype") if k in kwargs}
        # a fixed cell name (as in Keras: 'lstm/lstm_cell/kernel'), so saved weight paths are stable
        cell = self._cell_class(**cell_kwargs, **base, name=to_snake_case(self._cell_class.__name__))
        super().__init__(cell, **rnn_kwargs, **base, **kwargs)

    def get_config(self):
        cell_cfg = {k: v for k, v in self.cell.get_config().items() if k not in _BASE_CONFIG}
        return {**Layer.get_config(self), **cell_cfg, **self._rnn_config()}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)

    def _fusable_activations(self):
        cell = self.cell
        return cell.activation is _activations.tanh and cell.recurrent_activation is _activations.sigmoid

    def _fused_kind(self, mask, training):
        cell = self.cell
        if cell.recurrent_dropout > 0 and training or not self._fusable_activations():
            return None
        return self._kind

    def __getattr__(self, name):
        if name in type(self)._cell_args:
            return getattr(self._modules["cell"], name)
        return super().__getattr__(name)

    def extra_repr(self):
        return f"name={self.name!r}, units={self.cell.units}"


_COMMON = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
           "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
           "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed")


class SimpleRNN(_Builtin):
    """Fully connected RNN: the output of each step is fed back as the next step's state.

    Args:
        units: positive int, the output width.
        activation: default 'tanh' ('tanh' and 'relu' use torch's fused kernel).
        Other arguments: as :class:`SimpleRNNCell` (initializers, regularizers, constraints,
            dropout, recurrent_dropout, seed) and :class:`RNN` (return_sequences, return_state,
            go_backwards, stateful, unroll).

    Input shape: (batch, timesteps, features). Output: (batch, units) or (batch, timesteps, units).

    Example:
        >>> layer = SimpleRNN(32, input_shape=(28, 28))
    """

    _cell_class = SimpleRNNCell
    _cell_args = _COMMON

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 seed=None, **kwargs):
        cell = dict(units=units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                    recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                    kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                    bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                    recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                    recurrent_dropout=recurrent_dropout, seed=seed)
        rnn = dict(return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
                   stateful=stateful, unroll=unroll)
        super().__init__(cell, rnn, activity_regularizer=activity_regularizer, **kwargs)

    def _rnn_config(self):
        cfg = super()._rnn_config()
        del cfg["zero_output_for_mask"]
        return cfg

    def _fused_kind(self, mask, training):
        cell = self.cell
        if cell.recurrent_dropout > 0 and training:
            return None
        if cell.activation is _activations.tanh:
            return "rnn_tanh"
        if cell.activation is _activations.relu:
            return "rnn_relu"
        return None


class GRU(_Builtin):
    """Gated Recurrent Unit (Cho et al., 2014), Keras 3 defaults (``reset_after=True``).

    Args:
        units: positive int, the output width.
        activation: default 'tanh'. recurrent_activation: default 'sigmoid'.
        reset_after: default True (torch's and cuDNN's form; bias (2, 3 * units)); False: Keras 2's
            form (bias (3 * units,)), computed by the generic loop.
        Other arguments: as :class:`GRUCell` and :class:`RNN`.

    With the defaults (and no recurrent dropout) torch's fused GRU kernel runs; Keras's gate order
    z, r, h is mapped to torch's r, z, n when the kernel is called.

    Example:
        >>> layer = GRU(64, return_sequences=True)
    """

    _cell_class = GRUCell
    _cell_args = _COMMON + ("recurrent_activation", "reset_after")
    _kind = "gru"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, reset_after=True, **kwargs):
        cell = dict(units=units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                    kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                    bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                    recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                    kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                    bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                    reset_after=reset_after, seed=seed)
        rnn = dict(return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
                   stateful=stateful, unroll=unroll)
        super().__init__(cell, rnn, activity_regularizer=activity_regularizer, **kwargs)

    def _rnn_config(self):
        cfg = super()._rnn_config()
        del cfg["zero_output_for_mask"]
        return cfg

    def _fused_kind(self, mask, training):
        return super()._fused_kind(mask, training) if self.cell.reset_after else None

    def _torch_params(self):
        """Keras gate order z, r, h -> torch's r, z, n (the one place the two orders meet)."""
        cell = self.cell
        u = cell.units

        def reorder(w):
            return torch.cat((w[u:2 * u], w[:u], w[2 * u:]))
        p = [reorder(cell.kernel), reorder(cell.recurrent_kernel)]
        if cell.use_bias:
            p += [reorder(cell.bias[0]), reorder(cell.bias[1])]
        return p


class LSTM(_Builtin):
    """Long Short-Term Memory layer (Hochreiter, 1997), Keras 3 defaults.

    Args:
        units: positive int, the output width.
        activation: default 'tanh'. recurrent_activation: default 'sigmoid'.
        unit_forget_bias: default True.
        Other arguments: as :class:`LSTMCell` and :class:`RNN`.

    With the defaults (and no recurrent dropout) torch's fused LSTM kernel runs (packed sequences
    for right-padded masks). States: [h, c].

    Example:
        >>> model = Sequential([Embedding(20000, 128), LSTM(128), Dense(1, activation="sigmoid")])
    """

    _cell_class = LSTMCell
    _cell_args = _COMMON + ("recurrent_activation", "unit_forget_bias")
    _kind = "lstm"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        cell = dict(units=units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                    kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                    bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                    kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                    bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                    recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                    recurrent_dropout=recurrent_dropout, seed=seed)
        rnn = dict(return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
                   stateful=stateful, unroll=unroll)
        super().__init__(cell, rnn, activity_regularizer=activity_regularizer, **kwargs)

    def _rnn_config(self):
        cfg = super()._rnn_config()
        del cfg["zero_output_for_mask"]
        return cfg
