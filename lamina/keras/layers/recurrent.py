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

from ... import activations as _activations
from ... import layers as _layers
from ...compat import warn_legacy
from .._twins import TwinMeta, register_twin

__all__ = ["SimpleRNN", "GRU", "LSTM", "SimpleRNNCell", "GRUCell", "LSTMCell", "RNN", "StackedRNNCells",
           "Embedding", "hard_sigmoid"]


# Keras 2's formula, clip(0.2 * x + 0.5, 0, 1); lamina.activations names it 'hard_sigmoid_keras2'
# (and keeps 'hard_sigmoid' for Keras 3's), so saved classic models load without this namespace.
hard_sigmoid = _activations.hard_sigmoid_keras2


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


class SimpleRNN(_ClassicRNN, _layers.SimpleRNN, metaclass=TwinMeta):
    """Keras 2.2.4 ``SimpleRNN`` (Keras 1 argument names accepted). See :class:`lamina.layers.SimpleRNN`.

    Example:
        >>> layer = SimpleRNN(output_dim=32, input_dim=8, input_length=10)  # Keras 1 form
    """

    _twin_of = _layers.SimpleRNN
    _keras_namespace = True

    def __init__(self, units=None, **kwargs):
        _layers.SimpleRNN.__init__(self, **self._classic(units, kwargs))


class GRU(_ClassicRNN, _layers.GRU, metaclass=TwinMeta):
    """Keras 2.2.4 ``GRU``: ``recurrent_activation='hard_sigmoid'`` (Keras 2 formula), ``reset_after=False``.

    Example:
        >>> layer = GRU(32, return_sequences=True)
    """

    _twin_of = _layers.GRU
    _keras_namespace = True
    _defaults = {"recurrent_activation": "hard_sigmoid", "reset_after": False}

    def __init__(self, units=None, **kwargs):
        _layers.GRU.__init__(self, **self._classic(units, kwargs))


class LSTM(_ClassicRNN, _layers.LSTM, metaclass=TwinMeta):
    """Keras 2.2.4 ``LSTM``: ``recurrent_activation='hard_sigmoid'`` (Keras 2 formula).

    Example:
        >>> layer = LSTM(output_dim=32, inner_activation="hard_sigmoid")  # Keras 1 form
    """

    _twin_of = _layers.LSTM
    _keras_namespace = True
    _defaults = {"recurrent_activation": "hard_sigmoid"}

    def __init__(self, units=None, **kwargs):
        _layers.LSTM.__init__(self, **self._classic(units, kwargs))


class GRUCell(_ClassicRNN, _layers.GRUCell, metaclass=TwinMeta):
    """Keras 2.2.4 ``GRUCell`` (hard sigmoid, ``reset_after=False``)."""

    _twin_of = _layers.GRUCell
    _keras_namespace = True
    _defaults = {"recurrent_activation": "hard_sigmoid", "reset_after": False}

    def __init__(self, units=None, **kwargs):
        _layers.GRUCell.__init__(self, **self._classic(units, kwargs))


class LSTMCell(_ClassicRNN, _layers.LSTMCell, metaclass=TwinMeta):
    """Keras 2.2.4 ``LSTMCell`` (hard sigmoid)."""

    _twin_of = _layers.LSTMCell
    _keras_namespace = True
    _defaults = {"recurrent_activation": "hard_sigmoid"}

    def __init__(self, units=None, **kwargs):
        _layers.LSTMCell.__init__(self, **self._classic(units, kwargs))


class SimpleRNNCell(_ClassicRNN, _layers.SimpleRNNCell, metaclass=TwinMeta):
    """Keras 2.2.4 ``SimpleRNNCell``."""

    _twin_of = _layers.SimpleRNNCell
    _keras_namespace = True

    def __init__(self, units=None, **kwargs):
        _layers.SimpleRNNCell.__init__(self, **self._classic(units, kwargs))


_EMBEDDING_RENAMES = {"init": "embeddings_initializer", "W_regularizer": "embeddings_regularizer",
                      "W_constraint": "embeddings_constraint"}


class Embedding(_layers.Embedding, metaclass=TwinMeta):
    """Keras 2.2.4 ``Embedding`` (Keras 1's ``init``/``W_regularizer``/``W_constraint`` accepted)."""

    _twin_of = _layers.Embedding
    _keras_namespace = True

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


# They are the classic namespace's twins of the lamina classes: not registered under their own names
# (they save as the lamina classes; their configs hold the resolved values), an instance of the lamina
# class counts as one of them, and keras.models.load_model builds them.
for _cls in (SimpleRNN, GRU, LSTM, GRUCell, LSTMCell, SimpleRNNCell, Embedding):
    register_twin(_cls)
RNN = _layers.RNN
StackedRNNCells = _layers.StackedRNNCells
