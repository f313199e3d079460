"""lamina: the classic Keras workflow for neural networks on images, on PyTorch.

Public names load on first use (PEP 562), so ``import lamina`` and the
``lamina`` command start without importing torch until a model is needed.
"""
from __future__ import annotations

import importlib

from .threads import apply_default_policy as _apply_thread_policy

__version__ = "0.1.0"

# Before torch starts its OpenMP pool (see lamina.threads; the user's own variables win).
_apply_thread_policy()

# name -> (module, attribute or None for the module itself)
_LAZY = {
    "Sequential": ("lamina.models", "Sequential"),
    "Model": ("lamina.models", "Model"),
    "Input": ("lamina.layers", "Input"),
    "activations": ("lamina.activations", None),
    "applications": ("lamina.applications", None),
    "callbacks": ("lamina.callbacks", None),
    "config": ("lamina.config", None),
    "constraints": ("lamina.constraints", None),
    "data": ("lamina.data", None),
    "datasets": ("lamina.datasets", None),
    "distribution": ("lamina.distribution", None),
    "experiments": ("lamina.experiments", None),
    "initializers": ("lamina.initializers", None),
    "inspect": ("lamina.inspect", None),
    "keras": ("lamina.keras", None),
    "layers": ("lamina.layers", None),
    "losses": ("lamina.losses", None),
    "metrics": ("lamina.metrics", None),
    "mixed_precision": ("lamina.mixed_precision", None),
    "models": ("lamina.models", None),
    "optimizers": ("lamina.optimizers", None),
    "preprocessing": ("lamina.preprocessing", None),
    "regularizers": ("lamina.regularizers", None),
    "saving": ("lamina.saving", None),
    "utils": ("lamina.utils", None),
}

__all__ = ["__version__"] + sorted(_LAZY)


def __getattr__(name: str):
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'lamina' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
