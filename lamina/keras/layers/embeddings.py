"""``keras.layers.embeddings`` (Keras 1/2 module path): Embedding with the Keras 1 names."""
from .recurrent import Embedding  # noqa: F401

__all__ = ["Embedding"]
