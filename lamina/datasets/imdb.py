"""IMDB movie reviews, ``keras.datasets.imdb``: downloaded once, sha256-checked, cached.

25,000 training and 25,000 test reviews labelled by sentiment (1 positive, 0
negative), each a list of word indices ranked by frequency, from Keras's own
``imdb.npz``. The file stores the reviews as object arrays, which lamina reads
without running any code from the file (see ``lamina.datasets._npz``).

Data credit: Andrew L. Maas et al., "Learning Word Vectors for Sentiment Analysis", ACL 2011.
"""
from __future__ import annotations

import numpy as np

from . import _word_sequences as ws
from ._download import RemoteFile

__all__ = ["load_data", "get_word_index", "FILES"]

NAME = "imdb"
_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILES = (RemoteFile("imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
                    (_ORIGIN + "imdb.npz",), 17464789),)
# Keras publishes only an md5 for the word index.
WORD_INDEX = ("imdb_word_index.json", _ORIGIN + "imdb_word_index.json", "bfafd718b763782e994055a2d397834f")


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3):
    """Load IMDB as ``keras.datasets.imdb.load_data()`` (Keras 3) does, downloading it once.

    Args:
        path: the file's name in the cache (``$LAMINA_HOME/datasets/imdb/``), or the path of
            an existing ``imdb.npz`` (read as it is).
        num_words: keep the ``num_words`` most frequent words; others become ``oov_char``
            (None: all).
        skip_top: the most frequent words to turn into ``oov_char`` (default 0).
        maxlen: drop reviews of ``maxlen`` words or more (None: keep all).
        seed: the shuffling seed (``np.random.RandomState(seed)``, default 113).
        start_char: the index that starts every review (default 1; None for none).
        oov_char: the index of removed words (default 2; None drops them).
        index_from: added to every word rank (default 3).

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: x as 1-D object arrays of lists of ints,
        y as int arrays of 0/1.

    Raises:
        DatasetDownloadError: not cached and no network (the message says where to put the file).
        ChecksumError: offline with a damaged cached file.
        ValueError: ``maxlen`` leaves no review.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)  # doctest: +SKIP
        >>> x = pad_sequences(x_train, maxlen=200)  # doctest: +SKIP
    """
    f = ws.read_npz(NAME, path, FILES[0], ("x_train", "y_train", "x_test", "y_test"))
    x_train, labels_train, x_test, labels_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train, labels_train = x_train[indices], labels_train[indices]
    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test, labels_test = x_test[indices], labels_test[indices]
    x_train = ws.shift(x_train, start_char, index_from)
    x_test = ws.shift(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = ws.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = ws.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"imdb.load_data(maxlen={maxlen}) keeps no review of one of the splits (a review is "
                             f"kept when shorter than maxlen). Increase maxlen.")
    xs = ws.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    idx = len(x_train)
    return (ws.to_object_array(xs[:idx]), labels[:idx]), (ws.to_object_array(xs[idx:]), labels[idx:])


def get_word_index(path="imdb_word_index.json"):
    """``{word: rank}`` for the IMDB reviews (rank 1 = most frequent; add ``index_from`` to match x).

    Example:
        >>> index = imdb.get_word_index()  # doctest: +SKIP
        >>> words = {i + 3: w for w, i in index.items()}  # doctest: +SKIP
    """
    return ws.word_index(NAME, path, WORD_INDEX[1], WORD_INDEX[2])
