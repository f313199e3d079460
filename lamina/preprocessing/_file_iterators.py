"""Iterators over image files: ``flow_from_directory`` and ``flow_from_dataframe``.

Files are decoded by Pillow in a pool of worker threads (Pillow releases the GIL
while it decodes and resizes), the next batch is decoded while the current one
trains, and ``cache=True`` keeps the decoded images in memory after their first
read. A batch is then augmented as a whole by the ImageDataGenerator.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from .. import config as _config
from .._errors import check_choice
from ._iterators import Iterator
from ._pil import UnreadableImageError, check_color_mode, check_interpolation, check_size, decode_file
from ._scan import check_directory, class_folders, scan

__all__ = ["DirectoryIterator", "DataFrameIterator"]

_log = logging.getLogger("lamina")
ON_ERROR = ("raise", "skip")


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


class BatchFromFilesMixin:
    """Decoding, caching, augmenting and labelling batches of image files."""

    def set_processing_attrs(self, image_data_generator, target_size, color_mode, data_format, save_to_dir,
                             save_prefix, save_format, subset, interpolation, keep_aspect_ratio=False,
                             cache=False, workers=None, on_error="raise", owner="flow_from_directory"):
        self.image_data_generator = image_data_generator
        self.target_size = check_size(owner, "target_size", target_size)
        self.keep_aspect_ratio = bool(keep_aspect_ratio)
        self.color_mode = check_color_mode(owner, color_mode)
        self.data_format = _config.normalize_data_format(data_format)
        channels = {"rgba": 4, "rgb": 3, "grayscale": 1}[self.color_mode]
        self.image_shape = (self.target_size + (channels,) if self.data_format == "channels_last"
                            else (channels,) + self.target_size)
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.interpolation = check_interpolation(owner, interpolation)
        self.cache_images = bool(cache)
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise ValueError(f"{owner} expects workers to be None (automatic) or a positive int. Received: "
                             f"workers={workers!r}.")
        self.workers = workers
        self._threads = default_workers() if workers is None else workers
        # Threads pay off when decoding is slow enough to release the GIL for long (photos); small files
        # decode faster in the calling thread. workers=None decides from the measured decode time.
        self._use_threads = workers is not None and workers > 1
        self._decode_time = [0.0, 0]
        self.on_error = check_choice(owner, "on_error", on_error, ON_ERROR)
        if subset is not None:
            split = getattr(image_data_generator, "_validation_split", 0.0) if image_data_generator else 0.0
            if subset not in ("training", "validation"):
                raise ValueError(f"{owner} expects subset to be 'training', 'validation' or None. Received: "
                                 f"subset={subset!r}.")
            if not split:
                raise ValueError(f"{owner}(subset={subset!r}) needs a validation split: create the generator "
                                 f"with ImageDataGenerator(validation_split=0.2, ...).")
            self.split = (0.0, split) if subset == "validation" else (split, 1.0)
        else:
            self.split = None
        self.subset = subset
        self._cache: dict[int, np.ndarray] = {}
        self._pool = None
        self._pool_lock = threading.Lock()
        self._pending = None

    # ------------------------------------------------------------------ decoding
    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="lamina-decode")
            return self._pool

    def _read(self, j: int) -> np.ndarray:
        arr = self._cache.get(j) if self.cache_images else None
        if arr is None:
            arr = decode_file(self._filepaths[j], self.color_mode, self.target_size, self.interpolation,
                              self.keep_aspect_ratio, getattr(self, "pad_to_aspect_ratio", False))
            if self.cache_images:
                self._cache[j] = arr
        return arr

    def _read_many(self, indices) -> list:
        return [self._read(j) for j in indices]

    def _submit(self, index_array):
        """Decode jobs for a batch: one per worker, each a run of files (fewer hand-offs than one per file)."""
        pool = self._executor()
        indices = [int(j) for j in index_array]
        chunk = -(-len(indices) // self._threads)
        return [pool.submit(self._read_many, indices[i:i + chunk]) for i in range(0, len(indices), chunk)]

    def _prefetch(self, index_array) -> None:
        if not self._use_threads or self.cache_images and all(int(j) in self._cache for j in index_array):
            return
        self._pending = (tuple(int(j) for j in index_array), self._submit(index_array))

    def _load(self, index_array) -> np.ndarray:
        key = tuple(int(j) for j in index_array)
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] == key:
            futures = pending[1]
        elif not self._use_threads or len(key) == 1:
            start = time.perf_counter()
            arrays = self._read_many(key)
            self._measure(time.perf_counter() - start, len(key))
            return np.stack(arrays)
        else:
            futures = self._submit(key)
        return np.stack([a for f in futures for a in f.result()])

    def _measure(self, seconds, count) -> None:
        """workers=None: switch to decoding threads once files take over 2 ms each (e.g. photos)."""
        if self.workers is not None or self._threads < 2:
            return
        total = self._decode_time
        total[0] += seconds
        total[1] += count
        if total[1] >= 16 and total[0] / total[1] > 0.002:
            self._use_threads = True

    def _drop_unreadable(self, owner: str) -> None:
        """on_error='skip': decode every file once, keep the readable ones, one warning per skipped file."""
        def check(j):
            try:
                self._read(j)
                return None
            except (UnreadableImageError, FileNotFoundError) as err:
                return j, str(err)
        with ThreadPoolExecutor(max_workers=self._threads) as pool:
            bad = [r for r in pool.map(check, range(len(self._filepaths))) if r is not None]
        if not bad:
            return
        for k, (j, reason) in enumerate(bad, 1):
            warnings.warn(f"{owner} skipped {self._filepaths[j]!r} ({k} of {len(bad)} unreadable among "
                          f"{len(self._filepaths)} image files; on_error='skip'): {reason}", stacklevel=4)
        keep = np.setdiff1d(np.arange(len(self._filepaths)), [j for j, _ in bad])
        if self.cache_images:
            self._cache = {new: self._cache[int(old)] for new, old in enumerate(keep) if int(old) in self._cache}
        self._keep_rows(keep)

    def _keep_rows(self, keep: np.ndarray) -> None:
        raise NotImplementedError

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ batches
    def _get_batches_of_transformed_samples(self, index_array, generator=None):
        arrays = self._load(index_array)
        # NumPy converts uint8 to float faster than torch on the CPU; the device gets the float batch.
        batch = torch.from_numpy(arrays.astype(self.dtype)).to(self._work_device())
        if self.data_format == "channels_first":
            batch = batch.permute(0, 3, 1, 2)
        if self.image_data_generator is not None:
            batch = self.image_data_generator._process_batch(batch, generator, self.data_format)
        if self.save_to_dir:
            self._save_batch(batch, index_array, 10**7)
        batch_x = self._out(batch)
        index_array = np.asarray(index_array)
        mode = self.class_mode
        if mode is None:
            return batch_x
        if mode == "input":
            batch_y = batch_x.clone() if isinstance(batch_x, torch.Tensor) else batch_x.copy()
        elif mode in ("binary", "sparse"):
            batch_y = np.asarray(self.classes)[index_array].astype(self.dtype)
        elif mode == "categorical":
            batch_y = np.zeros((len(index_array), len(self.class_indices)), dtype=self.dtype)
            batch_y[np.arange(len(index_array)), np.asarray(self.classes)[index_array]] = 1.0
        elif mode == "multi_output":
            batch_y = [np.asarray(out)[index_array] for out in self.labels]
        else:  # raw
            batch_y = np.asarray(self.labels)[index_array]
        if self._device is not None and isinstance(batch_y, np.ndarray) and batch_y.dtype.kind in "biuf":
            batch_y = torch.as_tensor(batch_y).to(self._device)
        weights = self.sample_weight
        if weights is None:
            return batch_x, batch_y
        return batch_x, batch_y, np.asarray(weights)[index_array]

    @property
    def filepaths(self) -> list[str]:
        """Absolute (or directory-joined) paths of the image files, in sample order."""
        return self._filepaths


class DirectoryIterator(BatchFromFilesMixin, Iterator):
    """Batches of augmented images read from a folder with one subfolder per class.

    Attributes (as Keras's): ``directory``, ``classes`` (label of every sample),
    ``class_indices`` ({class name: index}), ``num_classes``, ``filenames``
    ('class/file.png', relative to ``directory``), ``filepaths``, ``samples``,
    ``image_shape``.
    """

    allowed_class_modes = ("categorical", "binary", "sparse", "input", None)

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, data_format=None,
                 save_to_dir=None, save_prefix="", save_format="png", follow_links=False, subset=None,
                 interpolation="nearest", keep_aspect_ratio=False, dtype=None, cache=False, workers=None,
                 on_error="raise", device=None):
        owner = "flow_from_directory"
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format, save_to_dir,
                                  save_prefix, save_format, subset, interpolation, keep_aspect_ratio, cache,
                                  workers, on_error, owner)
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"{owner} expects class_mode to be one of 'categorical', 'binary', 'sparse', "
                             f"'input' or None. Received: class_mode={class_mode!r}.")
        self.class_mode = class_mode
        self.dtype = dtype or _config.floatx()
        self.directory = check_directory(owner, directory)
        names = class_folders(owner, self.directory, classes)
        if class_mode == "binary" and len(names) != 2:
            raise ValueError(f"{owner}(class_mode='binary') needs exactly 2 classes; {self.directory!r} has "
                             f"{len(names)}: {names}. Use class_mode='categorical' for more classes.")
        self.num_classes = len(names)
        self.class_indices = dict(zip(names, range(len(names))))
        self.filenames, self.classes = scan(owner, self.directory, names, self.white_list_formats, follow_links,
                                            self.split, stacklevel=4)
        self._filepaths = [os.path.join(self.directory, f) for f in self.filenames]
        if self.on_error == "skip":
            self._drop_unreadable(owner)
        self.samples = len(self.filenames)
        _log.info("Found %d images belonging to %d classes.", self.samples, self.num_classes)
        super().__init__(self.samples, batch_size, shuffle, seed, device)

    def _keep_rows(self, keep):
        self.filenames = [self.filenames[j] for j in keep]
        self._filepaths = [self._filepaths[j] for j in keep]
        self.classes = self.classes[keep]

    @property
    def labels(self):
        return self.classes

    @property
    def sample_weight(self):
        return None


class DataFrameIterator(BatchFromFilesMixin, Iterator):
    """Batches of augmented images whose file names (and labels) come from a pandas DataFrame."""

    allowed_class_modes = ("binary", "categorical", "input", "multi_output", "raw", "sparse", None)

    def __init__(self, dataframe, directory=None, image_data_generator=None, x_col="filename", y_col="class",
                 weight_col=None, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, data_format=None,
                 save_to_dir=None, save_prefix="", save_format="png", subset=None, interpolation="nearest",
                 keep_aspect_ratio=False, dtype=None, validate_filenames=True, cache=False, workers=None,
                 on_error="raise", device=None):
        owner = "flow_from_dataframe"
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format, save_to_dir,
                                  save_prefix, save_format, subset, interpolation, keep_aspect_ratio, cache,
                                  workers, on_error, owner)
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"{owner} expects class_mode to be one of {list(self.allowed_class_modes)}. "
                             f"Received: class_mode={class_mode!r}.")
        self.class_mode = class_mode
        self.dtype = dtype or _config.floatx()
        self.directory = "" if directory is None else check_directory(owner, directory)
        for col in [x_col] + ([] if class_mode in ("input", None) else
                              (list(y_col) if isinstance(y_col, (list, tuple)) else [y_col])) + (
                [weight_col] if weight_col else []):
            if col not in dataframe.columns:
                raise ValueError(f"{owner}: the dataframe has no column {col!r}. Columns: {list(dataframe.columns)}.")
        files = [str(f) for f in dataframe[x_col].tolist()]
        rows = list(range(len(files)))
        if validate_filenames:
            formats = tuple("." + f for f in self.white_list_formats)
            rows = [i for i in rows if files[i].lower().endswith(formats)
                    and os.path.isfile(os.path.join(self.directory, files[i]))]
            if len(rows) < len(files):
                warnings.warn(f"{owner}: {len(files) - len(rows)} file name(s) in column x_col={x_col!r} are not "
                              f"image files on disk; they are ignored.", stacklevel=3)
        labels = None if class_mode in ("input", None) else dataframe[y_col]
        if class_mode in ("binary", "categorical", "sparse"):
            values = labels.tolist()
            found = sorted({v for lab in values for v in (lab if isinstance(lab, (list, tuple)) else [lab])})
            names = list(dict.fromkeys(classes)) if classes else found
            if class_mode == "binary" and len(names) != 2:
                raise ValueError(f"{owner}(class_mode='binary') needs exactly 2 classes; found {len(names)}: "
                                 f"{names}.")
            self.class_indices = dict(zip(names, range(len(names))))
            rows = [i for i in rows if _known(values[i], self.class_indices)]
        if self.split:
            n = len(rows)
            rows = rows[int(self.split[0] * n):int(self.split[1] * n)]
        self.filenames = [files[i] for i in rows]
        self._filepaths = [os.path.join(self.directory, f) for f in self.filenames]
        if class_mode in ("binary", "categorical", "sparse"):
            self.classes = [_encode(values[i], self.class_indices) for i in rows]
            if class_mode != "categorical" or all(isinstance(c, int) for c in self.classes):
                self.classes = np.asarray(self.classes, dtype="int32") if all(
                    isinstance(c, int) for c in self.classes) else self.classes
        if class_mode == "multi_output":
            self._targets = [np.asarray(dataframe[c].tolist())[rows] for c in y_col]
        elif class_mode == "raw":
            self._targets = np.asarray(dataframe[y_col].tolist())[rows]
        self._sample_weight = None if not weight_col else np.asarray(dataframe[weight_col].tolist())[rows]
        if self.on_error == "skip":
            self._drop_unreadable(owner)
        self.samples = len(self.filenames)
        super().__init__(self.samples, batch_size, shuffle, seed, device)

    def _keep_rows(self, keep):
        self.filenames = [self.filenames[j] for j in keep]
        self._filepaths = [self._filepaths[j] for j in keep]
        if hasattr(self, "classes"):
            self.classes = self.classes[keep] if isinstance(self.classes, np.ndarray) else [
                self.classes[j] for j in keep]
        if getattr(self, "_targets", None) is not None:
            self._targets = ([t[keep] for t in self._targets] if isinstance(self._targets, list)
                             else self._targets[keep])
        if self._sample_weight is not None:
            self._sample_weight = self._sample_weight[keep]

    def _get_batches_of_transformed_samples(self, index_array, generator=None):
        if self.class_mode == "categorical" and not isinstance(self.classes, np.ndarray):
            return self._multi_label_batch(index_array, generator)
        return super()._get_batches_of_transformed_samples(index_array, generator)

    def _multi_label_batch(self, index_array, generator):
        mode = self.class_mode
        self.class_mode = None
        try:
            batch_x = super()._get_batches_of_transformed_samples(index_array, generator)
        finally:
            self.class_mode = mode
        batch_y = np.zeros((len(index_array), len(self.class_indices)), dtype=self.dtype)
        for i, j in enumerate(index_array):
            batch_y[i, self.classes[j]] = 1.0
        if self._sample_weight is None:
            return batch_x, batch_y
        return batch_x, batch_y, self._sample_weight[np.asarray(index_array)]

    @property
    def labels(self):
        if self.class_mode in ("multi_output", "raw"):
            return self._targets
        return getattr(self, "classes", None)

    @property
    def sample_weight(self):
        return self._sample_weight


def _known(label, class_indices) -> bool:
    if isinstance(label, (list, tuple)):
        return any(v in class_indices for v in label)
    return label in class_indices


def _encode(label, class_indices):
    if isinstance(label, (list, tuple)):
        return [class_indices[v] for v in label if v in class_indices]
    return class_indices[label]
