"""lamina: the classic Keras workflow for neural networks on images, on PyTorch."""
from . import activations, config, initializers, layers, regularizers
from .layers import Input
from .models import Model, Sequential

__version__ = "0.1.0"
__all__ = ["Sequential", "Model", "Input", "layers", "activations", "initializers", "regularizers",
           "config", "__version__"]
