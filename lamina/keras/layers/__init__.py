"""``keras.layers``: every lamina layer, the Keras 1/2 names, and the classic submodules
(``keras.layers.core``, ``convolutional``, ``pooling``, ``normalization``, ``merge``,
``advanced_activations``, ``noise``).

Keras 1 arguments are translated (``Dense(output_dim=...)``,
``Convolution2D(32, 3, 3, border_mode='same')``, ``Dropout(p=...)``), with one warning each.
"""
from ...layers import *  # noqa: F401,F403 - the namespace re-exports every lamina layer
from ...layers import __all__ as _lamina_layers
from . import advanced_activations, convolutional, core, merge, noise, normalization, pooling  # noqa: F401
from ._legacy import AtrousConvolution1D, AtrousConvolution2D, Merge, missing_name
# Keras 2.2.4 recurrent layers (hard-sigmoid gates, GRU reset_after=False, Keras 1 names)
from . import embeddings, recurrent, wrappers  # noqa: F401
from .recurrent import GRU, LSTM, Embedding, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell  # noqa: F401

__all__ = [*_lamina_layers, "AtrousConvolution1D", "AtrousConvolution2D", "Merge", "merge", "core",
           "convolutional", "pooling", "normalization", "advanced_activations", "noise", "recurrent",
           "embeddings", "wrappers"]


def __getattr__(name):
    raise missing_name("keras.layers", name)
