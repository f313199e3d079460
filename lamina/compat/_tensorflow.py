"""A stand-in for ``import tensorflow`` in classic Keras code run by ``python -m lamina.compat``.

Classic scripts import TensorFlow mostly to seed it (``tensorflow.set_random_seed(4487)``,
``tf.random.set_seed(1)``) or to reach ``tf.keras``; those work (seeding torch). Anything
else is TensorFlow itself and raises an error that says so.
"""
from __future__ import annotations

import types

__version__ = "0.0 (lamina stand-in for tensorflow)"
__all__ = ["set_random_seed", "random", "compat", "keras", "TensorFlowNotAvailable"]


class TensorFlowNotAvailable(AttributeError):
    """A TensorFlow name the stand-in does not serve. An AttributeError, so that libraries probing for
    TensorFlow (matplotlib asks for ``tensorflow.is_tensor`` once the module exists) carry on."""


def set_random_seed(seed) -> None:
    """TF 1 ``tf.set_random_seed``: seeds torch (which creates lamina's weights and dropout masks)."""
    import torch
    torch.manual_seed(int(seed))


random = types.SimpleNamespace(set_seed=set_random_seed)
compat = types.SimpleNamespace(v1=types.SimpleNamespace(set_random_seed=set_random_seed))


def __getattr__(name):
    if name == "keras":
        import importlib
        return importlib.import_module("lamina.keras")
    raise TensorFlowNotAvailable(f"tensorflow.{name}: under lamina, 'tensorflow' is a stand-in that serves "
                                 f"tensorflow.set_random_seed, tf.random.set_seed and tf.keras only. Rewrite that "
                                 f"part with torch (lamina models are torch.nn.Modules).")
