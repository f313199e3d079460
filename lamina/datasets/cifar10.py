"""CIFAR-10, ``keras.datasets.cifar10``: downloaded once, sha256-checked, cached.

50,000 training and 10,000 test colour images (32x32) in 10 classes, from Alex
Krizhevsky's page. lamina reads the *binary* distribution
(``cifar-10-binary.tar.gz``: fixed 3,073-byte records, a label byte then 1,024
red, 1,024 green and 1,024 blue bytes), not the Python one: the Python batches
are pickles whose ``data`` entry is a pickled NumPy array, so reading them
means running a (restricted) unpickler, while the binary records need nothing
but ``numpy.frombuffer``. Pixels and labels are the same in both.

Data credit: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009.
"""
from __future__ import annotations

import tarfile

import numpy as np

from .. import config as _config
from ._download import RemoteFile, fetch

__all__ = ["load_data", "FILES", "CLASS_NAMES", "read_records", "read_members"]

NAME = "cifar10"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FILES = (RemoteFile("cifar-10-binary.tar.gz", "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
                    ("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",), 170052171),)
TRAIN_MEMBERS = tuple(f"cifar-10-batches-bin/data_batch_{i}.bin" for i in range(1, 6))
TEST_MEMBERS = ("cifar-10-batches-bin/test_batch.bin",)
_PIXELS = 3 * 32 * 32


def read_members(archive, names) -> dict:
    """The bytes of the named regular files of a .tar.gz, read in memory (nothing is extracted to disk)."""
    wanted, found = set(names), {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.name in wanted and member.isfile():
                    found[member.name] = tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError) as err:
        raise ValueError(f"{str(archive)!r} is not a readable .tar.gz archive ({err}). Delete it so lamina "
                         f"downloads it again.") from None
    missing = sorted(wanted - set(found))
    if missing:
        raise ValueError(f"The archive {str(archive)!r} lacks {missing}; it is not the expected CIFAR archive.")
    return found


def read_records(data: bytes, label_bytes: int, source: str = "<bytes>"):
    """CIFAR binary records -> (labels (n, label_bytes) uint8, images (n, 3, 32, 32) uint8)."""
    size = label_bytes + _PIXELS
    if len(data) % size:
        raise ValueError(f"{source} holds {len(data)} bytes, not a whole number of {size}-byte CIFAR records; the "
                         f"file is truncated or not CIFAR binary data.")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, size)
    return records[:, :label_bytes], records[:, label_bytes:].reshape(-1, 3, 32, 32)


def _layout(x):
    return x.transpose(0, 2, 3, 1).copy() if _config.image_data_format() == "channels_last" else x.copy()


def load_split(archive, members, label_bytes, label_column):
    data = read_members(archive, members)
    parts = [read_records(data[m], label_bytes, f"{archive}:{m}") for m in members]
    labels = np.concatenate([p[0][:, label_column] for p in parts])
    images = np.concatenate([p[1] for p in parts])
    return _layout(images), labels.reshape(-1, 1)


def load_data():
    """Load CIFAR-10 as ``keras.datasets.cifar10.load_data()`` does, downloading it once (163 MB).

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 images (50000, 32, 32, 3) and
        (10000, 32, 32, 3) (channels first if lamina.config's image_data_format says so), and uint8
        labels of shape (n, 1) indexing CLASS_NAMES.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()   # doctest: +SKIP
    """
    archive = fetch(NAME, FILES[0])
    return load_split(archive, TRAIN_MEMBERS, 1, 0), load_split(archive, TEST_MEMBERS, 1, 0)
