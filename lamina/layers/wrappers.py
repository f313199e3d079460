"""Layer wrappers: TimeDistributed (a layer applied to every time step) and Bidirectional."""
from __future__ import annotations

import torch

from .._errors import check_choice
from .._registry import deserialize, serialize
from .base import InputSpec, Layer

__all__ = ["TimeDistributed", "Bidirectional"]


class _Wrapper(Layer):
    def _build_for(self, input_shape, device=None):
        super()._build_for(input_shape, device=device)
        if device is not None:
            self.to(device)


class TimeDistributed(_Wrapper):
    """Applies ``layer`` to every time step of a sequence (the same weights for all steps).

    Args:
        layer: any layer, e.g. ``Dense(8)`` or ``Conv2D(16, 3)`` over a sequence of frames.

    Input shape: (batch, timesteps, ...). Output shape: (batch, timesteps) + the layer's output
    shape without its batch axis.

    Example:
        >>> frames = Input((10, 32, 32, 3))
        >>> x = TimeDistributed(Conv2D(16, 3))(frames)   # (None, 10, 30, 30, 16)
    """

    input_spec = InputSpec(min_ndim=3)
    supports_masking = True

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed expects a lamina layer, e.g. TimeDistributed(Dense(8)). "
                             f"Received: layer={layer!r}.")
        self.layer = layer

    def _layout_hint(self):
        return " (batch, timesteps, ...)"

    def build(self, input_shape):
        if not self.layer.built:
            self.layer._build_for((None,) + tuple(input_shape[2:]))

    def call(self, inputs, training=None):
        b, t = inputs.shape[0], inputs.shape[1]
        flat = inputs.reshape((b * t,) + tuple(inputs.shape[2:]))
        y = self.layer(flat, training=training) if self.layer._call_takes_training else self.layer(flat)
        return y.reshape((b, t) + tuple(y.shape[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def get_config(self):
        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize("layer", config["layer"], custom_objects)
        return cls(**config)


_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _copy_layer(layer, name, **changes):
    cfg = {**layer.get_config(), "name": name, **changes}
    return type(layer).from_config(cfg)


class Bidirectional(_Wrapper):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the two outputs.

    Args:
        layer: a recurrent layer (``LSTM(32)``, ``GRU``, ``SimpleRNN``, ``RNN(cell)``); a fresh copy
            named ``forward_<name>`` runs forwards.
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None (return the two outputs as a list).
        backward_layer: optional recurrent layer for the backward direction (with go_backwards=True);
            by default a copy of ``layer`` with ``go_backwards=True`` named ``backward_<name>``.

    Input shape: (batch, timesteps, features). Output shape: the layer's, with the last axis doubled
    for 'concat'. With ``return_state``: ``[output, *forward_states, *backward_states]``.

    Example:
        >>> layer = Bidirectional(LSTM(64, return_sequences=True), merge_mode="concat")
    """

    input_spec = InputSpec(ndim=3)
    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional expects a recurrent layer such as LSTM(32). Received: layer={layer!r}.")
        super().__init__(**kwargs)
        self.merge_mode = None if merge_mode is None else check_choice("Bidirectional", "merge_mode", merge_mode,
                                                                        [m for m in _MERGE_MODES if m])
        base = layer.name.removeprefix("forward_").removeprefix("backward_")
        self.forward_layer = _copy_layer(layer, f"forward_{base}")
        if backward_layer is None:
            self.backward_layer = _copy_layer(layer, f"backward_{base}", go_backwards=not layer.go_backwards)
            self._custom_backward = False
        else:
            if not isinstance(backward_layer, Layer):
                raise ValueError(f"Bidirectional expects backward_layer to be a recurrent layer. Received: "
                                 f"backward_layer={backward_layer!r}.")
            self.backward_layer = backward_layer
            self._custom_backward = True
        for a in ("return_sequences", "return_state", "stateful"):
            if getattr(self.forward_layer, a) != getattr(self.backward_layer, a):
                raise ValueError(f"Bidirectional needs the forward and backward layers to share {a}; received "
                                 f"{getattr(self.forward_layer, a)} and {getattr(self.backward_layer, a)}.")
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError("Bidirectional needs the backward layer to have the opposite go_backwards of the "
                             "forward layer; received the same value for both.")
        for sub in (self.forward_layer, self.backward_layer):
            sub.zero_output_for_mask = sub.return_sequences
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.stateful = self.forward_layer.stateful
        self._initial_weights = weights

    def _layout_hint(self):
        return " (batch, timesteps, features)"

    def build(self, input_shape):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._build_for(input_shape[0] if isinstance(input_shape, list) else input_shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _check_input_spec(self, input_shape):
        super()._check_input_spec(input_shape[0] if isinstance(input_shape, list) else input_shape)

    def __call__(self, *args, **kwargs):
        initial_state = kwargs.pop("initial_state", None)
        if initial_state is not None:
            inputs = args[0] if args else kwargs.pop("inputs")
            args = ([inputs, *list(initial_state)],) + tuple(args[1:])
        return super().__call__(*args, **kwargs)

    def call(self, inputs, mask=None, training=None):
        fw_state = bw_state = None
        if isinstance(inputs, (list, tuple)):
            inputs, states = inputs[0], list(inputs[1:])
            half = len(states) // 2
            if len(states) % 2:
                raise ValueError(f"Layer '{self.name}' (Bidirectional) expects initial_state to hold the forward "
                                 f"states then the backward states (an even number); received {len(states)}.")
            fw_state, bw_state = states[:half], states[half:]
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        kw = {"training": training}
        if mask is not None:
            kw["mask"] = mask
        y = self.forward_layer(inputs, initial_state=fw_state, **kw)
        y_rev = self.backward_layer(inputs, initial_state=bw_state, **kw)
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = torch.flip(y_rev, (1,))
        if self.merge_mode == "concat":
            out = torch.cat([y, y_rev], -1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            out = y * y_rev
        else:
            out = [y, y_rev]
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (shape[-1] * 2,)
        outs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return outs + states + states
        return outs if self.merge_mode is None else shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            n = len(self.forward_layer._state_sizes)
            return outs + [None] * (2 * n)
        return outs if self.merge_mode is None else out

    def reset_states(self, states=None):
        """Clear (or set) the states of both directions of a stateful Bidirectional layer."""
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    def get_config(self):
        cfg = {**super().get_config(), "layer": serialize(self.forward_layer), "merge_mode": self.merge_mode,
               "weights": None, "backward_layer": serialize(self.backward_layer) if self._custom_backward else None}
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize("layer", config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize("layer", config["backward_layer"], custom_objects)
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}, merge_mode={self.merge_mode!r}"
