"""MNIST handwritten digits, ``keras.datasets.mnist``: downloaded once, sha256-checked, cached.

60,000 training and 10,000 test images (28x28, grey levels 0-255) with their
labels, read from the four gzipped IDX files LeCun, Cortes and Burges
distribute. The original site no longer serves them reliably, so the same
files (same sha256) are fetched from the PyTorch and TensorFlow mirrors first.

Data credit: Yann LeCun, Corinna Cortes and Christopher J.C. Burges, CC BY-SA 3.0.
"""
from __future__ import annotations

import os

import numpy as np

from ..data.idx import read_idx
from ._download import RemoteFile, fetch

__all__ = ["load_data", "FILES", "CLASS_NAMES"]

NAME = "mnist"
CLASS_NAMES = tuple(str(d) for d in range(10))
_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/")


def _files(sums: dict, mirrors) -> tuple:
    return tuple(RemoteFile(name, sha, tuple(m + name for m in mirrors)) for name, sha in sums.items())


# In load order: train images, train labels, test images, test labels.
FILES = _files({
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}, _MIRRORS)


def load_idx_set(dataset: str, files, path=None, offline=None):
    """((x_train, y_train), (x_test, y_test)) from four IDX files, fetched into the cache first.

    ``path``: a folder that already holds the four files (read as they are, no checksum, no download).
    """
    if path is not None:
        paths = [os.path.join(os.fspath(path), f.name) for f in files]
    else:
        paths = [fetch(dataset, f, offline=offline) for f in files]
    x_train, y_train, x_test, y_test = (read_idx(p) for p in paths)
    for images, labels, split in ((x_train, y_train, "training"), (x_test, y_test, "test")):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"The {dataset} {split} files do not fit together: images of shape {images.shape}, "
                             f"labels of shape {labels.shape}. Expected (n, rows, cols) images and n labels.")
    return (x_train.astype(np.uint8, copy=False), y_train.astype(np.uint8, copy=False)), (
        x_test.astype(np.uint8, copy=False), y_test.astype(np.uint8, copy=False))


def load_data(path=None):
    """Load MNIST as ``keras.datasets.mnist.load_data()`` does, downloading it once.

    Args:
        path: None (default: the lamina cache, ``$LAMINA_HOME/datasets/mnist``), or a folder that
            already holds the four ``*-ubyte.gz`` files.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 arrays (60000, 28, 28), (60000,),
        (10000, 28, 28), (10000,).

    Raises:
        DatasetDownloadError: not cached and no network (the message says where to put the files).
        ChecksumError: offline with a damaged cached file.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()   # doctest: +SKIP
    """
    return load_idx_set(NAME, FILES, path)
