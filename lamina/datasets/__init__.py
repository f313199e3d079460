"""Datasets with the ``keras.datasets`` interface: ``(x_train, y_train), (x_test, y_test) = load_data()``.

``mnist_sample`` ships inside the package (10,000 real MNIST digits), so it
works offline; ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100`` and the
word-index datasets ``imdb`` and ``reuters`` are downloaded once into
``$LAMINA_HOME/datasets`` (default ``~/.lamina``) and checked against their sha256.
"""
from . import cifar10, cifar100, fashion_mnist, imdb, mnist, mnist_sample, reuters
from .._file_lock import CacheNotWritableError
from ._download import ChecksumError, DatasetDownloadError, dataset_dir, fetch, lamina_home
from ._download_file import download_file, hash_file, validate_file
from ._download_url import download_url, offline_mode

__all__ = ["mnist_sample", "mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters",
           "CacheNotWritableError", "ChecksumError", "DatasetDownloadError", "dataset_dir", "fetch", "download_url",
           "download_file", "hash_file", "validate_file", "lamina_home", "offline_mode"]
