"""``keras.layers.wrappers`` (Keras 1/2 module path): TimeDistributed and Bidirectional."""
from ...layers import Bidirectional, TimeDistributed  # noqa: F401

__all__ = ["TimeDistributed", "Bidirectional"]
