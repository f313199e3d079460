"""``keras.layers.noise`` (Keras 1/2 module path)."""
from . import GaussianDropout, GaussianNoise  # noqa: F401
from ._legacy import missing_name

__all__ = ["GaussianNoise", "GaussianDropout"]


def __getattr__(name):
    raise missing_name(__name__.replace("lamina.", "", 1), name)
