"""Reuters newswires, ``keras.datasets.reuters``: downloaded once, sha256-checked, cached.

11,228 newswires labelled over 46 topics, each a list of word indices ranked by
frequency, from Keras's own ``reuters.npz`` (read without running any code from
the file, see ``lamina.datasets._npz``). ``test_split`` of them (default 20%)
form the test set, after a seeded shuffle.

Data credit: the Reuters-21578 collection (David D. Lewis), as preprocessed for Keras.
"""
from __future__ import annotations

import numpy as np

from . import _word_sequences as ws
from ._download import RemoteFile

__all__ = ["load_data", "get_word_index", "get_label_names", "FILES"]

NAME = "reuters"
_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILES = (RemoteFile("reuters.npz", "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
                    (_ORIGIN + "reuters.npz",), 2110848),)
# Keras publishes only an md5 for the word index.
WORD_INDEX = ("reuters_word_index.json", _ORIGIN + "reuters_word_index.json", "4d44cc38712099c9e383dc6e5f11a921")
LABEL_NAMES = ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
               "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
               "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
               "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
               "dlr", "gas", "silver", "wpi", "hog", "lead")


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3):
    """Load Reuters as ``keras.datasets.reuters.load_data()`` (Keras 3) does, downloading it once.

    Args:
        path: the file's name in the cache (``$LAMINA_HOME/datasets/reuters/``), or the path
            of an existing ``reuters.npz`` (read as it is).
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from: as in
            ``imdb.load_data`` (``maxlen`` drops newswires of ``maxlen`` words or more).
        test_split: the fraction (0 to 1) of the shuffled newswires that form the test set
            (default 0.2); the first ``int(n * (1 - test_split))`` are for training.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: x as 1-D object arrays of lists of ints,
        y as int arrays of topic indices 0-45 (names: :func:`get_label_names`).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)  # doctest: +SKIP
    """
    try:
        ok = 0.0 <= float(test_split) <= 1.0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"reuters.load_data expects test_split to be a fraction in [0, 1]. Received: "
                         f"test_split={test_split!r}.")
    f = ws.read_npz(NAME, path, FILES[0], ("x", "y"))
    xs, labels = f["x"], f["y"]
    rng = np.random.RandomState(seed)
    indices = np.arange(len(xs))
    rng.shuffle(indices)
    xs, labels = xs[indices], labels[indices]
    xs = ws.shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = ws.drop_long(maxlen, xs, labels)
        if not xs:
            raise ValueError(f"reuters.load_data(maxlen={maxlen}) keeps no newswire (one is kept when shorter "
                             f"than maxlen). Increase maxlen.")
    xs = ws.limit_vocabulary(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return ((ws.to_object_array(xs[:idx]), np.array(labels[:idx])),
            (ws.to_object_array(xs[idx:]), np.array(labels[idx:])))


def get_word_index(path="reuters_word_index.json"):
    """``{word: rank}`` for the Reuters newswires (add ``index_from`` to match x)."""
    return ws.word_index(NAME, path, WORD_INDEX[1], WORD_INDEX[2])


def get_label_names():
    """The 46 topic names, in label order (Keras 3's list)."""
    return LABEL_NAMES
