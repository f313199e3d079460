"""``timeseries_dataset_from_array``: sliding windows over a series, as a Sequence of NumPy batches.

Keras 3 returns a ``tf.data.Dataset`` (or a Grain dataset); lamina returns a
Keras-style Sequence that ``fit``/``evaluate``/``predict`` take directly. The
windows and targets are Keras's: window ``k`` starts at
``start_index + positions[k]`` with ``positions = range(0, n, sequence_stride)``,
and its target is ``targets[start_index + positions[k]]``. With ``shuffle=True``
the start positions are permuted by ``np.random.RandomState(seed)`` as in
Keras; Keras's tf.data pipeline then also shuffles inside a buffer, which
lamina does not do, so the set of windows is Keras's but their order is not.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["timeseries_dataset_from_array", "TimeseriesDataset"]


def _check(arg, value, low, data_len=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"timeseries_dataset_from_array expects {arg} to be an int >= {low}. Received: "
                         f"{arg}={value!r}.")
    if data_len is not None and value >= data_len:
        raise ValueError(f"timeseries_dataset_from_array expects {arg} to be lower than the length of the data "
                         f"({data_len}). Received: {arg}={value}.")


class TimeseriesDataset:
    """The windows of :func:`timeseries_dataset_from_array`: ``ds[i]`` is batch ``i`` (``(x, y)`` or ``x``)."""

    def __init__(self, data, targets, positions, sequence_length, sampling_rate, batch_size):
        self.data = data
        self.targets = targets
        self.positions = positions
        self.offsets = np.arange(0, sequence_length * sampling_rate, sampling_rate)
        self.batch_size = batch_size

    def __len__(self):
        if self.batch_size is None:
            return len(self.positions)
        return math.ceil(len(self.positions) / self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"The dataset has {len(self)} batches; batch {index} does not exist.")
        index %= len(self)
        if self.batch_size is None:
            starts = self.positions[index:index + 1]
        else:
            starts = self.positions[index * self.batch_size:(index + 1) * self.batch_size]
        x = self.data[starts[:, None] + self.offsets]
        if self.batch_size is None:
            x = x[0]
        if self.targets is None:
            return x
        y = self.targets[starts]
        return x, (y[0] if self.batch_size is None else y)

    def on_epoch_end(self):
        """Called by fit after each epoch (the windows stay in the same order)."""

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1, batch_size=128,
                                  shuffle=False, seed=None, start_index=None, end_index=None):
    """Sliding windows over ``data`` (time on axis 0), batched, as Keras's function of the same name.

    Args:
        data: an array (or anything ``np.asarray`` takes) of consecutive time steps.
        targets: ``targets[i]`` is the target of the window that starts at step ``i``; None
            for windows only.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of successive windows (default 1).
        sampling_rate: keep every ``sampling_rate``-th step inside a window (default 1).
        batch_size: windows per batch (default 128); None gives one window per item.
        shuffle: permute the windows with ``np.random.RandomState(seed)``.
        seed: the shuffling seed (None: drawn from NumPy's global generator).
        start_index, end_index: use only steps ``start_index <= i < end_index``.

    Returns:
        A :class:`TimeseriesDataset`: a Sequence of ``(windows, targets)`` batches with
        windows of shape ``(batch, sequence_length) + data.shape[1:]``.

    Example:
        >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10, sequence_length=3,
        ...                                    batch_size=4)
        >>> x, y = ds[0]
        >>> x.tolist(), y.tolist()
        ([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 10, 20, 30])
    """
    data = np.asarray(data)
    n = len(data)
    _check("sequence_length", sequence_length, 1)
    if start_index:
        _check("start_index", start_index, 0, n)
    if end_index:
        _check("end_index", end_index, 1, n)
        if start_index and end_index <= start_index:
            raise ValueError(f"timeseries_dataset_from_array expects end_index to be higher than start_index. "
                             f"Received: start_index={start_index}, end_index={end_index}.")
    _check("sampling_rate", sampling_rate, 1, n)
    _check("sequence_stride", sequence_stride, 1, n)
    if batch_size is not None:
        _check("batch_size", batch_size, 1)
    start = start_index or 0
    end = n if end_index is None else end_index
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        count = min(count, len(targets))
    positions = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(positions)
    window_targets = None if targets is None else targets[start:]
    return TimeseriesDataset(data[start:end], window_targets, positions, sequence_length, sampling_rate, batch_size)
