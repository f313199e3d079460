"""Models: Sequential, the functional Model, and loading."""
from .functional import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential"]
