"""Keras layers on torch."""
from .base import InputSpec, Layer
from .core import Activation, Dense, Input, InputLayer, Lambda

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Lambda"]
