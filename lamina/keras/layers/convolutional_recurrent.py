"""``keras.layers.convolutional_recurrent`` with Keras 2.2.4 semantics (the classic namespace).

Differences from ``lamina.layers.ConvLSTM2D`` (which follows Keras 3):

* ``recurrent_activation`` defaults to ``'hard_sigmoid'`` computed with Keras 2's formula
  ``clip(0.2 * x + 0.5, 0, 1)`` (as the classic ``LSTM``);
* Keras 1 argument names are translated, with one deprecation warning each: ``nb_filter``,
  ``nb_row`` / ``nb_col`` (or ``ConvLSTM2D(nb_filter, nb_row, nb_col)``), ``border_mode``,
  ``subsample``, ``dim_ordering``, ``init``, ``inner_init``, ``forget_bias_init``,
  ``inner_activation``, ``W_regularizer``, ``U_regularizer``, ``b_regularizer``, ``dropout_W``,
  ``dropout_U``.

A saved model stores the resolved values (``recurrent_activation='hard_sigmoid_keras2'``), so it
loads with the same numbers through either namespace.
"""
from __future__ import annotations

from ... import layers as _layers
from .._translate import _conv2d_kernel, translate
from .._twins import TwinMeta, register_twin
from ._legacy import missing_name
from .recurrent import _ClassicRNN

__all__ = ["ConvLSTM2D", "ConvLSTM2DCell"]


def _translate_conv_lstm(cls, args, kwargs):
    """Keras 1's (nb_filter, nb_row, nb_col) and the convolution names, read against the lamina
    class's arguments (the twin's constructor takes ``**kwargs``); the recurrent names follow in
    ``_ClassicRNN._classic``."""
    base = cls.__dict__.get("_twin_of", cls)
    args, kwargs = _conv2d_kernel(base, tuple(args), dict(kwargs))
    return translate(base, args, kwargs)


class ConvLSTM2D(_ClassicRNN, _layers.ConvLSTM2D, metaclass=TwinMeta):
    """Keras 2.2.4 ``ConvLSTM2D``: ``recurrent_activation='hard_sigmoid'`` (Keras 2 formula). See
    :class:`lamina.layers.ConvLSTM2D`.

    Example:
        >>> layer = ConvLSTM2D(16, (3, 3), padding="same", return_sequences=True)
    """

    _twin_of = _layers.ConvLSTM2D
    _keras_namespace = True
    _argument_translator = staticmethod(_translate_conv_lstm)
    _defaults = {"recurrent_activation": "hard_sigmoid"}

    def __init__(self, *args, **kwargs):
        _layers.ConvLSTM2D.__init__(self, *args, **self._classic(None, kwargs))


class ConvLSTM2DCell(_ClassicRNN, _layers.ConvLSTM2DCell, metaclass=TwinMeta):
    """Keras 2.2.4 ``ConvLSTM2DCell`` (hard sigmoid)."""

    _twin_of = _layers.ConvLSTM2DCell
    _keras_namespace = True
    _argument_translator = staticmethod(_translate_conv_lstm)
    _defaults = {"recurrent_activation": "hard_sigmoid"}

    def __init__(self, *args, **kwargs):
        _layers.ConvLSTM2DCell.__init__(self, *args, **self._classic(None, kwargs))


for _cls in (ConvLSTM2D, ConvLSTM2DCell):
    register_twin(_cls)


def __getattr__(name):
    raise missing_name(__name__.replace("lamina.", "", 1), name)
