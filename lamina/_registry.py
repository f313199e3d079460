"""Name -> class registry used by configs (get_config/from_config) and saving.

Loading a model only ever looks classes up here: a file can name a class, never
import a module, so opening a file cannot run code from it.
"""
from __future__ import annotations

from ._errors import unknown_name_error

__all__ = ["register", "get_class", "serialize", "deserialize", "register_serializable"]

_CLASSES: dict[str, dict[str, type]] = {}


def register(kind: str, name: str | None = None):
    def deco(cls):
        _CLASSES.setdefault(kind, {})[name or cls.__name__] = cls
        return cls
    return deco


def register_serializable(package: str = "Custom", name: str | None = None):
    """Make a user-defined layer or model loadable by :func:`lamina.models.load_model`."""
    def deco(cls):
        key = name or cls.__name__
        _CLASSES.setdefault("layer", {})[key] = cls
        _CLASSES.setdefault("layer", {})[f"{package}>{key}"] = cls
        return cls
    return deco


def get_class(kind: str, name: str, custom_objects: dict | None = None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    table = _CLASSES.get(kind, {})
    if name in table:
        return table[name]
    raise unknown_name_error(f"{kind} class", name, [k for k in table if ">" not in k])


def serialize(obj):
    """{'class_name': ..., 'config': ...} for an object with get_config, else the value as is."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, dict) and "class_name" in obj:  # already serialized (e.g. from a loaded config)
        return obj
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    raise TypeError(f"Cannot serialize {obj!r}: it has no get_config(). Pass a name or a lamina object.")


def deserialize(kind: str, spec, custom_objects: dict | None = None):
    if isinstance(spec, dict) and "class_name" in spec:
        cls = get_class(kind, spec["class_name"], custom_objects)
        cfg = spec.get("config", {}) or {}
        return cls.from_config(cfg) if hasattr(cls, "from_config") else cls(**cfg)
    return spec
