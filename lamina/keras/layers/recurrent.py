"""``keras.layers.recurrent`` with Keras 2.2.4 semantics (the classic namespace).

Differences from ``lamina.layers`` (which follows Keras 3):

* ``LSTM`` and ``GRU`` default to ``recurrent_activation='hard_sigmoid'`` computed with Keras 2's
  formula ``clip(0.2 * x + 0.5, 0, 1)`` (Keras 3's hard_sigmoid is ``relu6(x + 3) / 6``);
* ``GRU`` defaults to ``reset_after=False`` (Keras 2's GRU);
* Keras 1 argument names are translated, with one deprecation warning each: ``output_dim``,
  ``init``, ``inner_init``, ``forget_bias_init``, ``inner_activation``, ``W_regularizer``,
  ``U_regularizer``, ``b_regularizer``, ``dropout_W``, ``dropout_U``, ``input_dim`` /
  ``input_length`` (-> ``input_shape``); ``consume_less`` (and Keras 2's ``implementation``) are
  accepted and have no effect on the numbers.

A saved model stores the resolved values (``recurrent_activation='hard_sigmoid_keras2'``,
``reset_after=False``), so it loads with the same numbers through either namespace.
"""
from __future__ import annotations

import torch

from ... import activations as _activations
from ... import layers as _layers
from ...compat._state import warn_legacy

__all__ = ["SimpleRNN", "GRU", "LSTM", "SimpleRNNCell", "GRUCell", "LSTMCell", "RNN", "StackedRNNCells",
           "Embedding", "hard_sigmoid"]


def hard_sigmoid(x):
    """Keras 2's hard sigmoid: ``clip(0.2 * x + 0.5, 0, 1)``."""
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


hard_sigmoid.__name__ = "hard_sigmoid_keras2"
_activations.register("hard_sigmoid_keras2", hard_sigmoid)

# Keras 1 name -> Keras 2 name
_RENAMES = {"output_dim": "units", "init": "kernel_initializer", "inner_init": "recurrent_initializer",
            "inner_activation": "recurrent_activation", "W_regularizer": "kernel_regularizer",
            "U_regularizer": "recurrent_regularizer", "b_regularizer": "bias_regularizer",
            "W_constraint": "kernel_constraint", "U_constraint": "recurrent_constraint",
            "b_constraint": "bias_constraint", "dropout_W": "dropout", "dropout_U": "recurrent_dropout"}


def _keras2_activation(value):
    """'hard_sigmoid' means Keras 2's formula in this namespace."""
    return hard_sigmoid if isinstance(value, str) and value.lower() == "hard_sigmoid" else value


def _translate(name, kwargs, renames=_RENAMES):
    for old, new in renames.items():
        if old in kwargs:
            if new in kwargs:
                raise TypeError(f"{name} got both {old}= (Keras 1) and {new}=; pass only {new}=.")
            warn_legacy(f"{name}.{old}", f"{name}({old}=...) is the Keras 1 form; use {new}=... .")
            kwargs[new] = kwargs.pop(old)
    if "forget_bias_init" in kwargs:
        value = kwargs.pop("forget_bias_init")
        warn_legacy(f"{name}.forget_bias_init", f"{name}(forget_bias_init=...) is the Keras 1 form; use "
                    f"unit_forget_bias=True (a forget-gate bias of one) or False.")
        kwargs.setdefault("unit_forget_bias", value in ("one", "ones"))
    if "consume_less" in kwargs:
        kwargs.pop("consume_less")
        warn_legacy(f"{name}.consume_less", f"{name}(consume_less=...) is the Keras 1 form of Keras 2's "
                    f"implementation=...; lamina ignores it (every implementation computes the same numbers).")
    kwargs.pop("implementation", None)  # Keras 2: a speed choice, the same numbers
    if ("input_dim" in kwargs or "input_length" in kwargs) and "input_shape" not in kwargs \
            and "batch_input_shape" not in kwargs:
        dim, length = kwargs.pop("input_dim", None), kwargs.pop("input_length", None)
        warn_legacy(f"{name}.input_length", f"{name}(input_dim=..., input_length=...) is the Keras 1 form; use "
                    f"input_shape=(input_length, input_dim).")
        kwargs["input_shape"] = (length, dim)
    return kwargs


class _ClassicRNN:
    """Mixin: Keras 1 names and Keras 2 defaults, resolved before the modern layer's __init__."""

    _defaults: dict = {}

    @classmethod
    def _classic(cls, units, kwargs):
        if units is not None:
            if "output_dim" in kwargs or "units" in kwargs:
                raise TypeError(f"{cls.__name__} got the width twice (positionally and as units=/output_dim=).")
            kwargs["units"] = units
        kwargs = _translate(cls.__name__, dict(kwargs))
        for k, v in cls._defaults.items():
            kwargs.setdefault(k, v)
        for k in ("activation", "recurrent_activation"):
            if k in kwargs:
                kwargs[k] = _keras2_activation(kwargs[k])
        return kwargs


class _SimpleRNN(_ClassicRNN, _layers.SimpleRNN):
    """Keras 2.2.4 ``SimpleRNN`` (Keras 1 argument names accepted). See :class:`lamina.layers.SimpleRNN`.

    Example:
        >>> layer = SimpleRNN(output_dim=32, input_dim=8, input_length=10)  # Keras 1 form
    """

    def __init__(self, units=None, **kwargs):
        _layers.SimpleRNN.__init__(self, **self._classic(units, kwargs))


class _GRU(_ClassicRNN, _layers.GRU):
    """Keras 2.2.4 ``GRU``: ``recurrent_activation='hard_sigmoid'`` (Keras 2 formula), ``reset_after=False``.

    Example:
        >>> layer = GRU(32, return_sequences=True)
    """

    _defaults = {"recurrent_activation": "hard_sigmoid", "reset_after": False}

    def __init__(self, units=None, **kwargs):
        _layers.GRU.__init__(self, **self._classic(units, kwargs))


class _LSTM(_ClassicRNN, _layers.LSTM):
    """Keras 2.2.4 ``LSTM``: ``recurrent_activation='hard_sigmoid'`` (Keras 2 formula).

    Example:
        >>> layer = LSTM(output_dim=32, inner_activation="hard_sigmoid")  # Keras 1 form
    """

    _defaults = {"recurrent_activation": "hard_sigmoid"}

    def __init__(self, units=None, **kwargs):
        _layers.LSTM.__init__(self, **self._classic(units, kwargs))


class _GRUCell(_ClassicRNN, _layers.GRUCell):
    """Keras 2.2.4 ``GRUCell`` (hard sigmoid, ``reset_after=False``)."""

    _defaults = {"recurrent_activation": "hard_sigmoid", "reset_after": False}

    def __init__(self, units=None, **kwargs):
        _layers.GRUCell.__init__(self, **self._classic(units, kwargs))


class _LSTMCell(_ClassicRNN, _layers.LSTMCell):
    """Keras 2.2.4 ``LSTMCell`` (hard sigmoid)."""

    _defaults = {"recurrent_activation": "hard_sigmoid"}

    def __init__(self, units=None, **kwargs):
        _layers.LSTMCell.__init__(self, **self._classic(units, kwargs))


class _SimpleRNNCell(_ClassicRNN, _layers.SimpleRNNCell):
    """Keras 2.2.4 ``SimpleRNNCell``."""

    def __init__(self, units=None, **kwargs):
        _layers.SimpleRNNCell.__init__(self, **self._classic(units, kwargs))


_EMBEDDING_RENAMES = {"init": "embeddings_initializer", "W_regularizer": "embeddings_regularizer",
                      "W_constraint": "embeddings_constraint"}


class _Embedding(_layers.Embedding):
    """Keras 2.2.4 ``Embedding`` (Keras 1's ``init``/``W_regularizer``/``W_constraint`` accepted)."""

    def __init__(self, input_dim, output_dim, input_length=None, **kwargs):
        kwargs = dict(kwargs, input_length=input_length)
        for old, new in _EMBEDDING_RENAMES.items():
            if old in kwargs:
                warn_legacy(f"Embedding.{old}", f"Embedding({old}=...) is the Keras 1 form; use {new}=... .")
                kwargs[new] = kwargs.pop(old)
        if kwargs.pop("dropout", 0) not in (0, 0.0):
            raise TypeError("Embedding(dropout=...) (Keras 1) is not supported; add SpatialDropout1D(rate) after "
                            "the Embedding.")
        _layers.Embedding.__init__(self, input_dim, output_dim, **kwargs)


# The classic classes are defined under private names, so they stay out of the name registry, and then
# take their Keras names: they save as the modern classes (their configs hold the resolved values), and a
# saved 'LSTM' always loads as lamina.layers.LSTM.
for _cls in (_SimpleRNN, _GRU, _LSTM, _GRUCell, _LSTMCell, _SimpleRNNCell, _Embedding):
    _cls.__name__ = _cls.__qualname__ = _cls.__name__[1:]
SimpleRNN, GRU, LSTM, Embedding = _SimpleRNN, _GRU, _LSTM, _Embedding
SimpleRNNCell, GRUCell, LSTMCell = _SimpleRNNCell, _GRUCell, _LSTMCell
RNN = _layers.RNN
StackedRNNCells = _layers.StackedRNNCells
