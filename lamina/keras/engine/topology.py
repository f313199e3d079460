"""``keras.engine.topology`` (Keras 1/2): ``from keras.engine.topology import Layer``."""
from ..layers import Input, InputLayer, InputSpec, Layer  # noqa: F401
from ..models import Model  # noqa: F401

Container = Network = Model

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Model", "Container", "Network"]
