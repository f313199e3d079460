"""What ``imdb`` and ``reuters`` share: the Keras 3 steps from stored word ranks to the returned sequences.

Each stored sequence holds word ranks (1 = the most frequent word). ``load_data``
shuffles with ``np.random.RandomState(seed)``, shifts the ranks by ``index_from``
and puts ``start_char`` first, drops sequences of ``maxlen`` words or more, and
replaces the words outside ``skip_top <= index < num_words`` by ``oov_char``
(or removes them when ``oov_char`` is None), exactly in Keras's order.
"""
from __future__ import annotations

import json
import os

import numpy as np

from ._download import RemoteFile, dataset_dir, fetch
from ._download_file import download_file
from ._npz import load_npz

__all__ = ["read_npz", "shift", "drop_long", "limit_vocabulary", "to_object_array", "word_index"]


def read_npz(dataset: str, path, remote: RemoteFile, keys) -> dict:
    """The arrays ``keys`` of the dataset file: ``path`` read as it is when it names an existing file (no
    checksum), else the cached download of ``remote`` under the name ``path``."""
    path = os.fspath(path)
    if os.path.isfile(path) and (os.sep in path or (os.altsep and os.altsep in path)):
        file = path
    else:
        if os.path.basename(path) != path:
            raise ValueError(f"{dataset}.load_data expects path to be a file name in the cache or an existing "
                             f"file. Received: path={path!r}, which does not exist.")
        file = fetch(dataset, RemoteFile(path, remote.sha256, remote.urls, remote.size))
    arrays = load_npz(file)
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise ValueError(f"{str(file)!r} lacks the arrays {missing} (it holds {sorted(arrays)}); it is not the "
                         f"{dataset} file. Delete it so lamina downloads it again.")
    return arrays


def shift(xs, start_char, index_from) -> list:
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def drop_long(maxlen, xs, labels):
    """Keep the sequences shorter than ``maxlen`` (Keras's ``remove_long_seq``)."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_vocabulary(xs, num_words, skip_top, oov_char) -> list:
    if not num_words:
        num_words = max(max(x) for x in xs if x)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def to_object_array(xs) -> np.ndarray:
    """A 1-D object array of lists (``np.array(xs, dtype=object)`` would make a 2-D array of equal-length lists)."""
    out = np.empty(len(xs), dtype=object)
    for i, x in enumerate(xs):
        out[i] = x
    return out


def word_index(dataset: str, name: str, origin: str, md5: str) -> dict:
    """``{word: rank}`` from the dataset's JSON word index, downloaded once and checked against ``md5``."""
    target = dataset_dir(dataset) / name
    path = download_file(origin, target, file_hash=md5, hash_algorithm="md5")
    with open(path, encoding="utf-8") as f:
        index = json.load(f)
    if not isinstance(index, dict):
        raise ValueError(f"{path!r} does not hold a {{word: index}} JSON object; delete it so lamina downloads it "
                         f"again.")
    return index
