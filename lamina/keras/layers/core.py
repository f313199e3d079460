"""``keras.layers.core`` (Keras 1/2 module path)."""
from . import (Activation, Dense, Dropout, Flatten, Input, InputLayer, InputSpec, Lambda, Layer,  # noqa: F401
                       Permute, Reshape, SpatialDropout2D)
from . import Masking, RepeatVector, SpatialDropout1D  # noqa: F401 - Keras 2's core module holds them too
from ._legacy import missing_name

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "InputSpec", "Lambda", "Layer",
           "Permute", "Reshape", "SpatialDropout2D", "Masking", "RepeatVector", "SpatialDropout1D"]


def __getattr__(name):
    raise missing_name(__name__.replace("lamina.", "", 1), name)
