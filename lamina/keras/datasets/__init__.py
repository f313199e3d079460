"""``keras.datasets``: ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters`` (downloaded
once, sha256-checked) and ``mnist_sample`` (10,000 MNIST digits bundled with lamina, offline).

``from keras.datasets import mnist; mnist.load_data()`` works as in Keras.
"""
import importlib

from ...compat import LegacyNameError

_AVAILABLE = ("mnist", "mnist_sample", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters")
_CLASSIC = ("imdb", "reuters")  # modules of this package (they accept Keras 1's nb_words)
__all__ = list(_AVAILABLE)


def __getattr__(name):
    if name in _CLASSIC:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    if name in _AVAILABLE:
        module = importlib.import_module(f"lamina.datasets.{name}")
        globals()[name] = module
        return module
    if name == "boston_housing":
        raise LegacyNameError(f"keras.datasets.{name}: lamina has no boston_housing; it provides "
                              f"{', '.join(_AVAILABLE)}.")
    raise AttributeError(f"module 'keras.datasets' has no attribute {name!r}. It provides: {', '.join(_AVAILABLE)}.")
