"""Saving and loading: the ``.lamina`` format (config JSON + safetensors), weights files,
JSON architectures, and optimizer state without pickle. Every loading failure raises
:class:`LoadError` (a ValueError) naming the file and the member."""
from .._registry import register_serializable
from ._limits import LoadError, check_zip
from .api import (SavingMixin, load_model, model_from_json, read_history, register_format, save_model)
from .state import load_optimizer_state, optimizer_state_to_tensors

__all__ = ["SavingMixin", "save_model", "load_model", "model_from_json", "read_history", "register_format",
           "register_serializable", "optimizer_state_to_tensors", "load_optimizer_state", "LoadError", "check_zip"]
