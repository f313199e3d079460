"""``keras.layers.convolutional`` (Keras 1/2 module path), with the Keras 1 names."""
from ... import layers as _layers
from .._twins import twin_all
from ._legacy import AtrousConvolution1D, AtrousConvolution2D, missing_name  # noqa: F401

_NAMES = ["Conv1D", "Conv2D", "Conv2DTranspose", "Convolution1D", "Convolution2D", "Convolution2DTranspose",
          "Deconvolution2D", "DepthwiseConv2D", "SeparableConv2D", "SeparableConvolution2D", "UpSampling2D",
          "ZeroPadding2D", "Cropping2D", "UpSampling1D", "ZeroPadding1D", "Cropping1D"]
__all__ = [n for n in _NAMES if n in _layers.__all__] + ["AtrousConvolution1D", "AtrousConvolution2D"]
globals().update(twin_all({n: getattr(_layers, n) for n in __all__ if n in _layers.__all__}))


def __getattr__(name):
    raise missing_name(__name__.replace("lamina.", "", 1), name)
