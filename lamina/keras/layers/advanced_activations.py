"""``keras.layers.advanced_activations`` (Keras 1/2 module path)."""
from . import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: F401
from ._legacy import missing_name

__all__ = ["LeakyReLU", "PReLU", "ELU", "ReLU", "Softmax"]


def __getattr__(name):
    raise missing_name(__name__.replace("lamina.", "", 1), name)
