"""Sequence preprocessing with Keras's names and results: ``pad_sequences``, ``skipgrams``,
``make_sampling_table`` and ``TimeseriesGenerator``.

Every function returns what Keras's own returns for the same input (the tests
compare them with the installed Keras on many random inputs). Two deliberate
differences, both about hidden state:

* ``skipgrams`` never reseeds Python's global ``random`` module (Keras calls
  ``random.seed(seed)``). With ``seed=s`` lamina draws everything from its own
  ``random.Random(s)``, so the result equals Keras's after ``random.seed(s)``
  and is fully reproducible, negatives included.
* errors for a bad ``padding``/``truncating`` are raised before any work, even
  when every sequence is empty (Keras raises only once it meets a non-empty one).
"""
from __future__ import annotations

import random

import numpy as np

from .._errors import did_you_mean

__all__ = ["pad_sequences", "make_sampling_table", "skipgrams", "TimeseriesGenerator"]

_SIDES = ("pre", "post")


def _side(arg: str, value) -> str:
    if value not in _SIDES:
        hint = did_you_mean(str(value), _SIDES) or "."
        raise ValueError(f"pad_sequences expects {arg} to be 'pre' or 'post'. Received: {arg}={value!r}{hint}")
    return value


def _is_object(dtype) -> bool:
    return dtype is object or (isinstance(dtype, str) and dtype == "object") or np.dtype(dtype) == np.dtype(object)


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (and cut) a list of sequences to one length, as ``keras.utils.pad_sequences`` does.

    Args:
        sequences: a list of sequences (lists, tuples or arrays; items may be scalars or
            equal-shaped arrays).
        maxlen: the output length (default None: the longest sequence's length).
        dtype: the output dtype (default 'int32'). Use ``object`` to pad variable-length
            strings.
        padding: 'pre' (default) puts the padding before each sequence, 'post' after it.
        truncating: 'pre' (default) drops the start of a sequence longer than ``maxlen``,
            'post' its end.
        value: the padding value (default 0.0, cast to ``dtype``); a str needs a str or
            object ``dtype``.

    Returns:
        A NumPy array of shape ``(len(sequences), maxlen) + item_shape``.

    Raises:
        ValueError: bad ``padding``/``truncating``, a non-iterable entry, items of another
            shape than the first non-empty sequence's, or a str ``value`` with a numeric dtype.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post")
        array([[1, 0],
               [2, 3],
               [5, 6]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences expects a list of sequences. Received a {type(sequences).__name__} "
                         f"without a length; wrap it in list(...).")
    _side("padding", padding)
    _side("truncating", truncating)
    lengths, sample_shape, found = [], (), False
    for i, s in enumerate(sequences):
        try:
            lengths.append(len(s))
        except TypeError:
            raise ValueError(f"pad_sequences expects a list of sequences (lists or arrays). Received a "
                             f"non-iterable at position {i}: {s!r}. Wrap single values in a list.") from None
        if not found and len(s):
            sample_shape, found = np.asarray(s).shape[1:], True
    if maxlen is None:
        if not lengths:
            raise ValueError("pad_sequences received no sequences and no maxlen, so the output length is "
                             "unknown. Pass maxlen=... (or at least one sequence).")
        maxlen = int(np.max(lengths))
    elif isinstance(maxlen, bool) or int(maxlen) != maxlen or maxlen < 0:
        raise ValueError(f"pad_sequences expects maxlen to be None or a non-negative int. Received: "
                         f"maxlen={maxlen!r}.")
    maxlen = int(maxlen)
    is_str_dtype = not _is_object(dtype) and (np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_))
    if isinstance(value, str) and not _is_object(dtype) and not is_str_dtype:
        raise ValueError(f"pad_sequences cannot pad with the str value={value!r} in dtype={dtype!r}. Pass "
                         f"dtype=object to pad variable-length strings.")
    out = np.full((len(lengths), maxlen) + sample_shape, value, dtype=dtype)
    if maxlen == 0:
        return out
    for i, s in enumerate(sequences):
        if not len(s):
            continue
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences expects every item to have the shape of the first non-empty "
                             f"sequence's items, {sample_shape}. Received items of shape {kept.shape[1:]} in the "
                             f"sequence at position {i}.")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, -len(kept):] = kept
    return out


def make_sampling_table(size, sampling_factor=1e-5):
    """Word2vec's keep-probabilities for the ``size`` most frequent words (rank 0 first).

    Word frequencies are assumed to follow Zipf's law, and word ``i`` is kept with
    probability ``min(1, sqrt(f_i / sampling_factor) / (f_i / sampling_factor))``.
    The result is the ``sampling_table`` argument of :func:`skipgrams`.

    Args:
        size: the number of words.
        sampling_factor: word2vec's sampling factor (default 1e-5).

    Returns:
        A float array of shape ``(size,)``.

    Example:
        >>> make_sampling_table(4).round(6)
        array([0.003152, 0.003152, 0.005476, 0.007416])
    """
    gamma = 0.577  # the Euler-Mascheroni constant, to Keras's precision
    rank = np.arange(size)
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1.0, f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True, categorical=False,
              sampling_table=None, seed=None):
    """Skip-gram word pairs: (word, neighbour) labelled 1 and (word, random word) labelled 0.

    Index 0 is a non-word and is skipped. Negatives pair the positive couples' first
    words (shuffled) with words drawn uniformly from ``1 .. vocabulary_size - 1``.

    Args:
        sequence: a sentence as a list of word indices.
        vocabulary_size: the largest word index + 1.
        window_size: half-width of the context window (default 4).
        negative_samples: negatives per positive (default 1.0; 0 for none).
        shuffle: shuffle the couples (and their labels alike) before returning them.
        categorical: labels as ``[0, 1]``/``[1, 0]`` pairs instead of 1/0.
        sampling_table: keep-probability per word index (see :func:`make_sampling_table`).
        seed: int seed of every random draw (sampling, negatives, shuffle). None draws a
            seed from Python's global ``random`` module (so ``random.seed`` makes it
            reproducible); the global state is otherwise left alone.

    Returns:
        ``(couples, labels)``: a list of ``[word, context]`` pairs and a list of labels.

    Example:
        >>> skipgrams([1, 2, 3], vocabulary_size=4, window_size=1, negative_samples=0, shuffle=False)
        ([[1, 2], [2, 1], [2, 3], [3, 2]], [1, 1, 1, 1])
    """
    if seed is None:
        seed = random.randint(0, 10 ** 7)
    rng = random.Random(seed)
    couples, labels = [], []
    positive, negative = ([0, 1], [1, 0]) if categorical else (1, 0)
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < rng.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append(list(positive) if categorical else positive)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        rng.shuffle(words)
        couples += [[words[i % len(words)], rng.randint(1, vocabulary_size - 1)] for i in range(count)]
        labels += [list(negative) if categorical else negative for _ in range(count)]
    if shuffle:
        random.Random(seed).shuffle(couples)
        random.Random(seed).shuffle(labels)
    return couples, labels


class TimeseriesGenerator:
    """Batches of (window of past steps, target) from one time series, as Keras's ``TimeseriesGenerator``.

    Sample ``k`` of the series ends just before row ``r = start_index + length + k * stride``:
    its input is ``data[r - length : r : sampling_rate]`` and its target ``targets[r]``.
    It is a Keras Sequence (``len`` batches, ``gen[i]`` is batch ``i``), so
    ``model.fit(gen)`` works without ``steps_per_epoch``.

    Args:
        data: the series, indexable along axis 0 (list or array).
        targets: one target per row of ``data``.
        length: the window length in rows (before sampling).
        sampling_rate: keep every ``sampling_rate``-th row of a window (default 1).
        stride: rows between the ends of successive samples (default 1).
        start_index: rows before it are not used as targets (default 0).
        end_index: rows after it are not used as targets (default: the last row).
        shuffle: draw each batch's rows at random with NumPy's global generator (as
            Keras does; seed it with ``np.random.seed``) instead of in order.
        reverse: put each window's rows in reverse order.
        batch_size: samples per batch (default 128; the last batch may be smaller).

    Example:
        >>> gen = TimeseriesGenerator(np.arange(10), np.arange(10), length=3, batch_size=2)
        >>> x, y = gen[0]
        >>> x.tolist(), y.tolist()
        ([[0, 1, 2], [1, 2, 3]], [3, 4])
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                 shuffle=False, reverse=False, batch_size=128):
        if len(data) != len(targets):
            raise ValueError(f"TimeseriesGenerator expects data and targets of the same length. Received "
                             f"len(data)={len(data)} and len(targets)={len(targets)}.")
        for arg, v in (("length", length), ("sampling_rate", sampling_rate), ("stride", stride),
                       ("batch_size", batch_size)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"TimeseriesGenerator expects {arg} to be a positive int. Received: {arg}={v!r}.")
        self.data = data
        self.targets = targets
        self.length = int(length)
        self.sampling_rate = int(sampling_rate)
        self.stride = int(stride)
        self.start_index = start_index + self.length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = int(batch_size)
        if self.start_index > self.end_index:
            raise ValueError(f"TimeseriesGenerator needs start_index + length <= end_index, or no row is left "
                             f"to predict. Received start_index + length = {self.start_index} > end_index = "
                             f"{self.end_index} (data has {len(data)} rows). Use a shorter length or more data.")

    def __len__(self):
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            if not 0 <= index < len(self):
                raise IndexError(f"TimeseriesGenerator has {len(self)} batches; batch {index} does not exist.")
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride)
        samples = np.array([self.data[r - self.length:r:self.sampling_rate] for r in rows])
        targets = np.array([self.targets[r] for r in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def on_epoch_end(self):
        """Called by fit after each epoch (nothing to do: batches are computed on demand)."""

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
