"""``keras.layers``: every lamina layer, the Keras 1/2 names, and the classic submodules
(``keras.layers.core``, ``convolutional``, ``pooling``, ``normalization``, ``merge``,
``advanced_activations``, ``noise``, ``recurrent``, ``convolutional_recurrent``).

The classes are subclasses of lamina's layers that translate Keras 1 arguments
(``Dense(output_dim=...)``, ``Convolution2D(32, 3, 3, border_mode='same')``, ``Dropout(p=...)``),
with one warning each; ``lamina.layers`` itself keeps Keras 3's arguments.
"""
from ... import layers as _layers
from ...layers import __all__ as _lamina_layers
from .._twins import twin_all

# Every lamina layer, as its classic twin (a subclass that also takes Keras 1 arguments).
globals().update(twin_all({name: getattr(_layers, name) for name in _lamina_layers}))
from . import advanced_activations, convolutional, core, merge, noise, normalization, pooling  # noqa: F401
from ._legacy import AtrousConvolution1D, AtrousConvolution2D, Merge, missing_name
from .advanced_activations import ThresholdedReLU
# Keras 2.2.4 recurrent layers (hard-sigmoid gates, GRU reset_after=False, Keras 1 names)
from . import convolutional_recurrent, embeddings, recurrent, wrappers  # noqa: F401
from .recurrent import GRU, LSTM, Embedding, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell  # noqa: F401
from .convolutional_recurrent import ConvLSTM2D, ConvLSTM2DCell  # noqa: F401

__all__ = [*_lamina_layers, "AtrousConvolution1D", "AtrousConvolution2D", "Merge", "merge", "core",
           "convolutional", "pooling", "normalization", "advanced_activations", "noise", "ThresholdedReLU",
           "recurrent", "embeddings", "wrappers", "convolutional_recurrent"]


def __getattr__(name):
    raise missing_name("keras.layers", name)
