"""Optimizers with Keras's names, defaults and update rules, as ``torch.optim.Optimizer`` s.

Create one Keras-style, without parameters; ``compile``/``fit`` builds it on the
model's trainable weights::

    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
                  loss="categorical_crossentropy")

``get`` resolves the names used in ``compile(optimizer='adam')``.
"""
from __future__ import annotations

import torch

from .._errors import unknown_name_error
from .._registry import get_class
from . import schedules
from .adagrad import Adadelta, Adagrad
from .adam import Adam, Adamax, AdamW, Nadam
from .base import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adadelta", "Adagrad", "Adamax", "Nadam",
           "schedules", "get", "serialize", "deserialize"]

_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW, "adadelta": Adadelta,
            "adagrad": Adagrad, "adamax": Adamax, "nadam": Nadam}

# Keras 1/2 default learning rates where Keras 3 changed them (courses written for
# Keras 2 rely on them, e.g. optimizer='adadelta' trained with lr=1.0).
LEGACY_LEARNING_RATES = {"adadelta": 1.0, "adagrad": 0.01, "adamax": 0.002, "nadam": 0.002}


def get(identifier, legacy: bool = False):
    """Resolve an optimizer.

    Args:
        identifier: A name ('sgd', 'rmsprop', 'adam', 'adamw', 'adadelta', 'adagrad',
            'adamax', 'nadam'; any case), an optimizer instance (returned as is; a
            plain ``torch.optim.Optimizer`` too), an optimizer class, or a config dict
            ``{'class_name': ..., 'config': ...}``.
        legacy: With a name, use the Keras 1/2 default learning rate where it
            differs from Keras 3 (:data:`LEGACY_LEARNING_RATES`).

    Returns:
        An optimizer.

    Example:
        >>> get("Adam").learning_rate
        0.001
    """
    if isinstance(identifier, torch.optim.Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        cls = _BY_NAME.get(key)
        if cls is None:
            raise unknown_name_error("optimizer", identifier, list(_BY_NAME))
        if legacy and key in LEGACY_LEARNING_RATES:
            return cls(learning_rate=LEGACY_LEARNING_RATES[key])
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(f"An optimizer must be a name such as 'adam', an Optimizer instance or a config dict. "
                    f"Received: {identifier!r}.")


def serialize(optimizer) -> dict:
    """``{'class_name': ..., 'config': ...}`` of a lamina optimizer."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"Only lamina optimizers can be serialized. Received: {optimizer!r}.")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None):
    """Rebuild an optimizer from :func:`serialize`'s output (registered classes and
    ``custom_objects`` only; nothing is imported)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"An optimizer config must be a dict with 'class_name' and 'config'. "
                         f"Received: {config!r}.")
    name = config["class_name"]
    cls = _BY_NAME.get(str(name).lower()) if not (custom_objects and name in custom_objects) else None
    if cls is None and name == "LossScaleOptimizer":  # registers itself on import
        import importlib
        importlib.import_module("lamina.optimizers.loss_scale_optimizer")
    if cls is None:
        cls = get_class("optimizer", name, custom_objects)
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects) \
        if issubclass(cls, Optimizer) else cls(**(config.get("config") or {}))


def __getattr__(name):
    # keras.optimizers.LossScaleOptimizer (loaded on first use; also lamina.mixed_precision.LossScaleOptimizer)
    if name == "LossScaleOptimizer":
        import importlib
        return importlib.import_module("lamina.optimizers.loss_scale_optimizer").LossScaleOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
