"""The import hook: ``keras`` and ``keras.*`` come from ``lamina.keras``; ``tensorflow`` from a shim.

A meta-path finder placed first answers for those names with the lamina module itself
(the same object under two names), so ``import keras.backend as K`` and
``from keras.utils import np_utils`` resolve to ``lamina.keras.backend`` and
``lamina.keras.utils.np_utils``, even when the real ``keras`` package is installed.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types

from ._state import LegacyNameError

__all__ = ["install", "uninstall", "KerasFinder"]


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        pass


class KerasFinder(importlib.abc.MetaPathFinder):
    """Maps ``keras[.x.y]`` -> ``lamina.keras[.x.y]`` and ``tensorflow`` -> the shim."""

    def __init__(self, tensorflow: bool = True):
        self.tensorflow = tensorflow

    def _target(self, fullname: str):
        if fullname == "keras" or fullname.startswith("keras."):
            return "lamina." + fullname
        if not self.tensorflow:
            return None
        if fullname == "tensorflow":
            return "lamina.compat._tensorflow"
        if fullname == "tensorflow.keras" or fullname.startswith("tensorflow.keras."):
            return "lamina.keras" + fullname[len("tensorflow.keras"):]
        if fullname.startswith("tensorflow."):
            raise LegacyNameError(f"No module named {fullname!r}: under lamina, 'tensorflow' is a stand-in that "
                                  f"serves tensorflow.set_random_seed, tf.random.set_seed and tf.keras only. Rewrite "
                                  f"TensorFlow code with torch.")
        return None

    def find_spec(self, fullname, path=None, target=None):
        name = self._target(fullname)
        if name is None:
            return None
        module = _load(name, fullname)
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module))


def _load(target: str, fullname: str):
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as err:
        if err.name != target:
            raise
    parent_name, _, leaf = target.rpartition(".")
    parent = importlib.import_module(parent_name)
    try:
        value = getattr(parent, leaf)  # e.g. keras.datasets.mnist is lamina.datasets.mnist
    except AttributeError:
        value = None
    if isinstance(value, types.ModuleType):
        return value
    shown = fullname.split(".")[0]
    raise ModuleNotFoundError(f"No module named {fullname!r}: lamina's {shown} namespace has no such module "
                              f"(lamina.keras provides {', '.join(_keras_submodules())}).", name=fullname)


def _keras_submodules():
    from .. import keras
    return keras._SUBMODULES


_FINDER: KerasFinder | None = None


def install(tensorflow: bool = True) -> None:
    global _FINDER
    if _FINDER is not None:
        return
    for name in list(sys.modules):
        if name == "keras" or name.startswith("keras.") or tensorflow and (
                name == "tensorflow" or name.startswith("tensorflow.")):
            if not getattr(sys.modules[name], "__name__", "").startswith("lamina"):
                del sys.modules[name]  # a real keras imported earlier would shadow lamina's
    _FINDER = KerasFinder(tensorflow=tensorflow)
    sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    global _FINDER
    if _FINDER is None:
        return
    sys.meta_path.remove(_FINDER)
    _FINDER = None
    for name in list(sys.modules):
        if name == "keras" or name.startswith(("keras.", "tensorflow")):
            if getattr(sys.modules[name], "__name__", "").startswith("lamina"):
                del sys.modules[name]
