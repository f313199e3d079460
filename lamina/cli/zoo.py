"""The networks of the course, by name, for ``lamina train --model``.

Every network takes (28, 28, 1) images scaled to [0, 1] and ends in a softmax
over the classes, so evaluate/predict treat them alike.
"""
from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

from ._errors import CLIError

__all__ = ["build", "NAMES", "DEFAULT_LR"]

NAMES = ("logreg", "mlp", "cnn", "convnet")
# The course's learning rates for SGD with Nesterov momentum 0.9.
DEFAULT_LR = {"logreg": 0.05, "mlp": 0.1, "cnn": 0.02, "convnet": 0.02}


def _logreg(input_shape, num_classes):
    from .. import Sequential
    from ..layers import Dense, Flatten
    return Sequential([Flatten(input_shape=input_shape), Dense(num_classes, activation="softmax")], name="logreg")


def _mlp(input_shape, num_classes):
    from .. import Sequential
    from ..layers import Dense, Flatten
    return Sequential([Flatten(input_shape=input_shape), Dense(500, activation="relu"),
                       Dense(500, activation="relu"), Dense(num_classes, activation="softmax")], name="mlp")


def _cnn(input_shape, num_classes):
    """The course CNN with dropout (CS4487: 286,940 parameters, 0.9756 on MNIST)."""
    from .. import Sequential
    from ..layers import Conv2D, Dense, Dropout, Flatten
    return Sequential([
        Conv2D(10, (5, 5), strides=(2, 2), activation="relu", padding="same", input_shape=input_shape),
        Conv2D(40, (5, 5), strides=(2, 2), activation="relu", padding="same"),
        Conv2D(80, (5, 5), strides=(1, 1), activation="relu", padding="same"),
        Dropout(rate=0.5, seed=44),
        Flatten(),
        Dense(50, activation="relu"),
        Dropout(rate=0.5, seed=45),
        Dense(num_classes, activation="softmax"),
    ], name="cnn")


def _convnet(input_shape, num_classes):
    """The Deep Learning with Python convnet (93,322 parameters)."""
    from .. import Sequential
    from ..layers import Conv2D, Dense, Flatten, MaxPooling2D
    return Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=input_shape), MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"), MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"), Flatten(),
        Dense(64, activation="relu"), Dense(num_classes, activation="softmax"),
    ], name="convnet")


_BUILDERS = {"logreg": _logreg, "mlp": _mlp, "cnn": _cnn, "convnet": _convnet}


def build(spec: str, input_shape, num_classes):
    if spec in _BUILDERS:
        return _BUILDERS[spec](input_shape, num_classes)
    path = Path(spec)
    if path.suffix != ".py":
        from .._errors import did_you_mean
        raise CLIError(f"unknown model {spec!r}. Expected one of {', '.join(NAMES)}, or a Python file "
                       f"defining build_model(){did_you_mean(spec, NAMES) or '.'}")
    if not path.is_file():
        raise CLIError(f"model file {spec} does not exist.")
    module_spec = importlib.util.spec_from_file_location("lamina_user_model", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    fn = getattr(module, "build_model", None)
    if not callable(fn):
        raise CLIError(f"{spec} must define build_model() returning a lamina model.")
    params = inspect.signature(fn).parameters
    model = fn(input_shape, num_classes) if len(params) >= 2 else fn()
    from ..models import Model
    if not isinstance(model, Model):
        raise CLIError(f"build_model() in {spec} returned {type(model).__name__}; expected a lamina model "
                       f"(Sequential or Model).")
    return model
