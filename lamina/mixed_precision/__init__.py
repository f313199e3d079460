"""Mixed precision, as ``keras.mixed_precision``: compute in float16 or bfloat16, keep weights in float32.

Example:
    >>> from lamina import mixed_precision
    >>> mixed_precision.set_global_policy("mixed_bfloat16")
    >>> model = lamina.Sequential([...])          # layers created now compute in bfloat16
    >>> model.layers[0].compute_dtype, model.layers[0].variable_dtype
    ('bfloat16', 'float32')
    >>> mixed_precision.set_global_policy("float32")  # models built before keep their policy

With 'mixed_float16', wrap the optimizer in :class:`LossScaleOptimizer` so that small gradients do
not underflow. Keep the last activation in float32 for numerically stable losses:
``Activation("softmax", dtype="float32")``, as the Keras guide recommends.
"""
from __future__ import annotations

import importlib

from .policy import DTypePolicy, Policy, global_policy, set_global_policy

__all__ = ["Policy", "DTypePolicy", "set_global_policy", "global_policy", "LossScaleOptimizer"]


def __getattr__(name):
    # loaded on first use: lamina.layers imports this package, and the optimizers need not load with it
    if name == "LossScaleOptimizer":
        return importlib.import_module("lamina.optimizers.loss_scale_optimizer").LossScaleOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
