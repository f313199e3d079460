"""Fashion-MNIST (Zalando), ``keras.datasets.fashion_mnist``: downloaded once, sha256-checked, cached.

60,000 training and 10,000 test 28x28 grey images of clothing in 10 classes,
in the same gzipped IDX files as MNIST, from Zalando Research's own bucket
(then Keras's mirror).

Data credit: Han Xiao, Kashif Rasul and Roland Vollgraf, Zalando SE, MIT licence.
"""
from __future__ import annotations

from .mnist import _files, load_idx_set

__all__ = ["load_data", "FILES", "CLASS_NAMES"]

NAME = "fashion_mnist"
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot")
_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/")

FILES = _files({
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}, _MIRRORS)


def load_data(path=None):
    """Load Fashion-MNIST as ``keras.datasets.fashion_mnist.load_data()`` does, downloading it once.

    Args:
        path: None (default: the lamina cache) or a folder that already holds the four files.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 arrays (60000, 28, 28), (60000,),
        (10000, 28, 28), (10000,); labels index CLASS_NAMES.
    """
    return load_idx_set(NAME, FILES, path)
