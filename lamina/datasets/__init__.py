"""Datasets with the ``keras.datasets`` interface: ``(x_train, y_train), (x_test, y_test) = load_data()``.

``mnist_sample`` ships inside the package (10,000 real MNIST digits), so it
works offline.
"""
from . import mnist_sample

__all__ = ["mnist_sample"]
