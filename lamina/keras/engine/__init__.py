"""``keras.engine`` (Keras 1/2 internals some classic code imports): Layer, InputSpec, Input, Model."""
from ..layers import Input, InputLayer, InputSpec, Layer  # noqa: F401
from ..models import Model, Sequential  # noqa: F401
from . import topology, training  # noqa: F401

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Model", "Sequential", "topology", "training"]
