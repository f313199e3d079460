"""``keras.layers.wrappers`` (Keras 1/2 module path): TimeDistributed and Bidirectional."""
from . import Bidirectional, TimeDistributed  # noqa: F401 - the namespace's twins

__all__ = ["TimeDistributed", "Bidirectional"]
