"""``keras.engine.training`` (Keras 1/2): ``from keras.engine.training import Model``."""
from ..models import Model  # noqa: F401

__all__ = ["Model"]
