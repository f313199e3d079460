"""``keras.layers.normalization`` (Keras 1/2 module path)."""
from . import BatchNormalization  # noqa: F401
from ._legacy import missing_name

__all__ = ["BatchNormalization"]


def __getattr__(name):
    raise missing_name(__name__.replace("lamina.", "", 1), name)
