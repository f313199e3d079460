"""``keras.datasets``: ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100`` (downloaded once, sha256-checked)
and ``mnist_sample`` (10,000 MNIST digits bundled with lamina, offline).

``from keras.datasets import mnist; mnist.load_data()`` works as in Keras.
"""
import importlib

from ...compat import LegacyNameError

_AVAILABLE = ("mnist", "mnist_sample", "fashion_mnist", "cifar10", "cifar100")
__all__ = list(_AVAILABLE)


def __getattr__(name):
    if name in _AVAILABLE:
        module = importlib.import_module(f"lamina.datasets.{name}")
        globals()[name] = module
        return module
    if name in ("imdb", "reuters", "boston_housing"):
        raise LegacyNameError(f"keras.datasets.{name}: lamina has image datasets only ({', '.join(_AVAILABLE)}).")
    raise AttributeError(f"module 'keras.datasets' has no attribute {name!r}. It provides: {', '.join(_AVAILABLE)}.")
