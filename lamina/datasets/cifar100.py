"""CIFAR-100, ``keras.datasets.cifar100``: downloaded once, sha256-checked, cached.

50,000 training and 10,000 test colour images (32x32) in 100 fine classes
grouped into 20 coarse ones. Read from the binary distribution
(``cifar-100-binary.tar.gz``: records of a coarse label byte, a fine label byte
and 3,072 pixel bytes), for the reason given in ``lamina.datasets.cifar10``.

Data credit: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009.
"""
from __future__ import annotations

import numpy as np

from ._download import RemoteFile, fetch
from .cifar10 import load_split

__all__ = ["load_data", "FILES"]

NAME = "cifar100"
FILES = (RemoteFile("cifar-100-binary.tar.gz", "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec",
                    ("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",), 168513733),)
TRAIN_MEMBERS = ("cifar-100-binary/train.bin",)
TEST_MEMBERS = ("cifar-100-binary/test.bin",)


def load_data(label_mode="fine"):
    """Load CIFAR-100 as ``keras.datasets.cifar100.load_data()`` does, downloading it once (161 MB).

    Args:
        label_mode: 'fine' (default, 100 classes) or 'coarse' (20 superclasses).

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 images (50000, 32, 32, 3) and
        (10000, 32, 32, 3), int64 labels of shape (n, 1).
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"cifar100.load_data expects label_mode 'fine' or 'coarse'. Received: "
                         f"label_mode={label_mode!r}.")
    column = 1 if label_mode == "fine" else 0
    archive = fetch(NAME, FILES[0])
    (x_train, y_train), (x_test, y_test) = (load_split(archive, TRAIN_MEMBERS, 2, column),
                                            load_split(archive, TEST_MEMBERS, 2, column))
    return (x_train, y_train.astype(np.int64)), (x_test, y_test.astype(np.int64))
