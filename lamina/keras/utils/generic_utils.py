"""``keras.utils.generic_utils``: custom objects for loading models with your own layers; Progbar."""
from __future__ import annotations

import contextlib

from ...utils.progbar import Progbar

__all__ = ["get_custom_objects", "custom_object_scope", "CustomObjectScope", "Progbar"]

_CUSTOM: dict = {}


def get_custom_objects() -> dict:
    """The global ``{name: class}`` dict; entries are registered so load_model finds them."""
    return _Registering(_CUSTOM)


class _Registering(dict):
    def __init__(self, backing):
        super().__init__(backing)
        self._backing = backing

    def __setitem__(self, key, value):
        from ..._registry import register_serializable
        super().__setitem__(key, value)
        self._backing[key] = value
        register_serializable(name=key)(value)

    def update(self, *args, **kwargs):
        for k, v in dict(*args, **kwargs).items():
            self[k] = v


@contextlib.contextmanager
def custom_object_scope(*dicts):
    """Register the given ``{name: class}`` dicts (for load_model) inside a ``with`` block."""
    from ..._registry import register_serializable
    for d in dicts:
        for name, obj in (d or {}).items():
            register_serializable(name=name)(obj)
    yield


CustomObjectScope = custom_object_scope
