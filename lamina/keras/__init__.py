"""The classic ``keras`` namespace, served by lamina.

``from lamina import keras`` (or ``import lamina.keras as keras``) gives the Keras 1/2
module tree: ``keras.models``, ``keras.layers`` (with ``core``, ``convolutional``,
``pooling``, ... submodules and the legacy names ``Convolution2D``, ``MaxPool2D``, ...),
``keras.optimizers``, ``keras.losses``, ``keras.metrics``, ``keras.callbacks``,
``keras.regularizers``, ``keras.initializers``, ``keras.activations``,
``keras.constraints``, ``keras.utils`` (``np_utils``), ``keras.preprocessing.image``,
``keras.datasets``, ``keras.applications`` and ``keras.backend``.

Its classes take the legacy forms: Keras 1 layer arguments (``Dense(output_dim=...)``,
``Convolution2D(32, 3, 3, border_mode='same')``), ``nb_epoch``, ``fit_generator``,
``predict_classes``, the Keras 2 default learning rates of optimizer names, 'acc' log
names, ... each with one deprecation warning naming the modern form
(``LAMINA_QUIET_LEGACY=1`` or ``lamina.compat.quiet()`` silences them). They are
subclasses of lamina's own classes, so importing this namespace changes nothing for code
that uses ``lamina.layers`` and ``lamina.models`` directly.

To run an unchanged script whose imports say ``keras``: ``python -m lamina.compat script.py``.

Example:
    >>> from lamina import keras
    >>> from lamina.keras.layers import Dense
    >>> model = keras.models.Sequential([Dense(10, input_dim=784, activation='softmax')])
"""
from __future__ import annotations

import importlib


# The Keras release whose API this namespace follows (classic code sometimes checks it).
__version__ = "2.2.4"

_SUBMODULES = ("activations", "applications", "backend", "callbacks", "constraints", "datasets", "engine",
               "initializers", "layers", "losses", "metrics", "models", "optimizers", "preprocessing",
               "regularizers", "utils")
_NAMES = {"Sequential": "models", "Model": "models", "Input": "layers"}

__all__ = ["__version__", *_SUBMODULES, *_NAMES]



def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'keras' (lamina.keras) has no attribute {name!r}. It provides: "
                         f"{', '.join(sorted(__all__))}.")


def __dir__():
    return sorted(set(globals()) | set(__all__))
