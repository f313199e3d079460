"""Models: Sequential, the functional Model, and loading."""
from .functional import Model
from .sequential import Sequential
from .ensemble import Vote, ensemble
from ..saving.api import load_model, model_from_json, save_model

__all__ = ["Model", "Sequential", "load_model", "model_from_json", "save_model", "ensemble", "Vote"]
