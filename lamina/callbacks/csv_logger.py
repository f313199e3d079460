"""CSVLogger: one row of epoch results per epoch in a CSV file."""
from __future__ import annotations

import collections.abc
import csv
import os

import numpy as np

from ..distribution import is_chief
from .base import Callback

__all__ = ["CSVLogger"]


def _cell(value):
    if isinstance(value, str):
        return value
    if hasattr(value, "ndim") and value.ndim == 0:
        return value.item()
    if isinstance(value, collections.abc.Iterable):
        return f'"[{", ".join(map(str, np.asarray(value).ravel().tolist()))}]"'
    return value


class CSVLogger(Callback):
    """Stream the epoch logs to a CSV file: a header ``epoch,<keys sorted>``, then a row per epoch.

    The file is flushed after each row, so it can be read while fit runs. The
    ``epoch`` column is 0-based, as in Keras. Keys are fixed at the first epoch;
    a key missing in a later epoch is written as ``NA``.

    Args:
        filename: path of the CSV file, e.g. ``'run/log.csv'``.
        separator: string between the cells (default ``','``).
        append: append to an existing file (continuing a training) instead of
            overwriting it (default False). The header is written only if the
            file is empty.

    Example:
        >>> model.fit(x, y, epochs=10, callbacks=[CSVLogger('training.log')])  # doctest: +SKIP
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        try:
            self.filename = os.fspath(filename)
        except TypeError:
            raise TypeError(f"CSVLogger expects filename to be a path (str or os.PathLike). "
                            f"Received: filename={filename!r}.") from None
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger expects separator to be a one-character string, e.g. ',' or '\\t'. "
                             f"Received: separator={separator!r}.")
        self.sep = separator
        self.append = bool(append)
        self.keys = None
        self.csv_file = None
        self.writer = None
        self._resume_offset = None  # set by load_state_dict: continue this file from that byte offset

    def on_train_begin(self, logs=None):
        self._close()
        self.keys = None
        self._resume_offset = None
        # The file is opened at the first epoch end, so that BackupAndRestore (which restores the
        # callbacks' state in on_train_begin) can make a resumed fit continue the same file.

    def _open(self):
        dirname = os.path.dirname(self.filename)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self._resume_offset is not None and os.path.exists(self.filename):
            self.csv_file = open(self.filename, "r+", newline="", encoding="utf-8")
            self.csv_file.seek(self._resume_offset)
            self.csv_file.truncate()  # drop rows of epochs after the backup, which will run again
            write_header = self._resume_offset == 0
        elif self.append and os.path.exists(self.filename):
            with open(self.filename, "r", encoding="utf-8") as f:
                write_header = not f.readline()
            self.csv_file = open(self.filename, "a", newline="", encoding="utf-8")
        else:
            self.csv_file = open(self.filename, "w", newline="", encoding="utf-8")
            write_header = True
        sep = self.sep

        class _Dialect(csv.excel):
            delimiter = sep

        self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys], dialect=_Dialect)
        if write_header:
            self.writer.writeheader()

    def on_epoch_end(self, epoch, logs=None):
        if not is_chief():   # under DataParallel, rank 0 alone writes
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            # The first epoch may lack validation (fit(validation_freq=N)): keep columns for it.
            names = getattr(self.model, "metrics_names", None) or []
            names = [k for k in names if isinstance(k, str)] if isinstance(names, (list, tuple)) else []
            expected = [k for k in names if k.startswith("val_")]
            if (self.params or {}).get("do_validation"):
                expected += ["val_" + k for k in names if not k.startswith("val_")]
            self.keys += [k for k in expected if k not in self.keys]
        if self.writer is None:
            self._open()
        row = {"epoch": epoch}
        row.update((k, _cell(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None

    def state_dict(self):
        offset = self.csv_file.tell() if self.csv_file is not None and not self.csv_file.closed else None
        return {"keys": self.keys, "offset": offset}

    def load_state_dict(self, state):
        self._close()
        keys = state.get("keys")
        self.keys = list(keys) if keys is not None else None
        self._resume_offset = state.get("offset")
