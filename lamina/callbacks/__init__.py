"""Callbacks: hooks into fit (History, EarlyStopping, ModelCheckpoint, ...)."""
from .base import Callback, CallbackList, History

__all__ = ["Callback", "CallbackList", "History"]
