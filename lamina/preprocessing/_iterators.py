"""The iterators ImageDataGenerator.flow() returns: endless, and Keras Sequences at the same time.

``len(it)`` is the number of batches per epoch; ``it[i]`` is batch i of the current
epoch (what ``fit`` reads, calling ``on_epoch_end()`` between epochs);
``next(it)`` walks the batches for ever, reshuffling at each wrap, as Keras's
iterators do. With a ``seed`` the batches repeat exactly: batch k of the
iterator draws its shuffling and augmentation from a generator seeded with
``seed + k`` (Keras's rule), and NumPy's global generator is seeded the same
way before a ``preprocessing_function`` runs, as Keras does.
"""
from __future__ import annotations

import math
import os
import threading
import warnings

import numpy as np
import torch

from .. import config as _config
from .._errors import positive_int
from ._pil import array_to_img
from ._scan import GENERATOR_FORMATS

__all__ = ["Iterator", "NumpyArrayIterator"]


def as_index_tensor(index_array) -> torch.Tensor:
    return torch.as_tensor(np.asarray(index_array, dtype=np.int64))


class Iterator:
    """Base class of the image iterators: batching, shuffling, seeding, endless iteration.

    Subclasses implement ``_get_batches_of_transformed_samples(index_array)``.

    Args:
        n: number of samples.
        batch_size: samples per batch.
        shuffle: reshuffle the order at the start of every epoch.
        seed: None or int; makes shuffling and augmentation repeat exactly.
        device: None (default: batches are NumPy arrays, as in Keras) or a torch device; then the
            transforms run on that device and batches are tensors there.
    """

    white_list_formats = GENERATOR_FORMATS

    def __init__(self, n, batch_size, shuffle, seed, device=None):
        self.n = int(n)
        self.batch_size = positive_int(type(self).__name__, "batch_size", batch_size, "E.g. batch_size=32.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"{type(self).__name__} expects seed to be None or a non-negative int. "
                             f"Received: seed={seed!r}.")
        self.seed = None if seed is None else int(seed)
        self.shuffle = bool(shuffle)
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()
        self._device = None
        self.set_device(device)

    # ------------------------------------------------------------------ device
    @property
    def device(self):
        """None (batches are NumPy arrays) or the torch device the batches are made on."""
        return self._device

    def set_device(self, device) -> "Iterator":
        """Make batches on ``device`` as tensors (None: NumPy arrays on the CPU, the default)."""
        self._device = None if device is None else torch.device(device)
        return self

    def _work_device(self):
        return self._device if self._device is not None else torch.device("cpu")

    def _out(self, t):
        if self._device is not None:
            return t
        return t.detach().cpu().contiguous().numpy()

    # ------------------------------------------------------------------ randomness
    def _generator(self, offset: int):
        """A CPU generator for one batch (seeded), or None for torch's global one."""
        if self.seed is None:
            return None
        g = torch.Generator()
        g.manual_seed(self.seed + offset)
        np.random.seed((self.seed + offset) % 2**32)
        return g

    def _set_index_array(self, generator=None):
        if self.shuffle:
            self.index_array = torch.randperm(self.n, generator=generator).numpy()
        else:
            self.index_array = np.arange(self.n)

    # ------------------------------------------------------------------ Sequence protocol
    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, idx):
        if isinstance(idx, (bool, np.bool_)) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"{type(self).__name__} indices must be ints. Received: {idx!r}.")
        if not 0 <= idx < len(self):
            raise IndexError(f"{type(self).__name__} has {len(self)} batches per epoch; received index {idx}.")
        with self.lock:
            seen = self.total_batches_seen
            gen = self._generator(seen)
            self.total_batches_seen += 1
            if self.index_array is None:
                self._set_index_array(gen)
            bs = self.batch_size
            index_array = self.index_array[bs * idx:bs * (idx + 1)]
            upcoming = self.index_array[bs * (idx + 1):bs * (idx + 2)] if idx + 1 < len(self) else None
        if upcoming is not None:
            self._prefetch(upcoming)
        return self._sequence_batch(idx, index_array, gen, seen)

    def _sequence_batch(self, idx, index_array, generator, seen):
        """Batch ``idx`` of the epoch, read as the ``seen``-th batch of this iterator."""
        return self._get_batches_of_transformed_samples(index_array, generator)

    def _prefetch(self, index_array) -> None:
        """A hint that this batch comes next (file iterators start decoding it)."""

    def on_epoch_end(self):
        """Reshuffle for the next epoch (fit calls this between epochs)."""
        with self.lock:
            self._set_index_array(self._generator(self.total_batches_seen))

    def reset(self):
        self.batch_index = 0

    # ------------------------------------------------------------------ endless iteration
    def _flow_index(self):
        self.reset()
        while True:
            gen = self._generator(self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array(gen)
            current = (self.batch_index * self.batch_size) % self.n if self.n else 0
            if self.n > current + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current:current + self.batch_size], gen

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            index_array, gen = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array, gen)

    def next(self):
        """The next batch (Keras 2's ``it.next()``)."""
        return self.__next__()

    def _get_batches_of_transformed_samples(self, index_array, generator=None):
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers
    def _save_batch(self, batch_x, index_array, hash_range):
        """Write the batch as images into save_to_dir (Keras's file names)."""
        arr = batch_x.detach().cpu().numpy() if isinstance(batch_x, torch.Tensor) else batch_x
        for i, j in enumerate(index_array):
            img = array_to_img(arr[i], self.data_format, scale=True)
            fname = f"{self.save_prefix}_{int(j)}_{np.random.randint(hash_range)}.{self.save_format}"
            img.save(os.path.join(self.save_to_dir, fname))


def _labels_out(values, index_array, device):
    picked = values[index_array]
    if device is not None and isinstance(picked, np.ndarray) and picked.dtype.kind in "biuf":
        return torch.as_tensor(picked).to(device)
    return picked


class NumpyArrayIterator(Iterator):
    """Batches of augmented images from an in-memory array (``ImageDataGenerator.flow``)."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png", subset=None,
                 ignore_class_split=False, dtype=None, device=None):
        self.data_format = _config.normalize_data_format(data_format)
        self.dtype = dtype or _config.floatx()
        x_misc = []
        if isinstance(x, (tuple, list)):
            if len(x) != 2:
                raise ValueError(f"flow expects x to be an array, or a pair (images, other_inputs). "
                                 f"Received a {type(x).__name__} of {len(x)} items.")
            x_misc = [np.asarray(v) for v in (x[1] if isinstance(x[1], list) else [x[1]])]
            x = x[0]
            for v in x_misc:
                if len(v) != len(x):
                    raise ValueError(f"flow: all arrays in x must have the same length; received "
                                     f"{len(x)} images and an extra input of length {len(v)}.")
        if y is not None and len(x) != len(y):
            raise ValueError(f"flow: x (images) and y (labels) must have the same length. Received "
                             f"x.shape={tuple(np.shape(x))}, y.shape={tuple(np.shape(y))}.")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(f"flow: x (images) and sample_weight must have the same length. Received "
                             f"x.shape={tuple(np.shape(x))}, sample_weight.shape={tuple(np.shape(sample_weight))}.")
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"flow expects subset to be 'training', 'validation' or None. Received: "
                                 f"subset={subset!r}.")
            cut = int(len(x) * image_data_generator._validation_split)
            if y is not None and not ignore_class_split and not np.array_equal(
                    np.unique(np.asarray(y[:cut])), np.unique(np.asarray(y[cut:]))):
                raise ValueError("flow: the training and validation subsets hold different classes after the "
                                 "split. If the arrays are sorted by label, shuffle them first (or pass "
                                 "ignore_class_split=True).")
            part = slice(None, cut) if subset == "validation" else slice(cut, None)
            x = x[part]
            x_misc = [v[part] for v in x_misc]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        self._x = _as_tensor(x)
        if self._x.dim() != 4:
            fix = " Add a channel axis, e.g. x[..., None] (or x[:, None] for channels_first)." \
                if self._x.dim() == 3 else ""
            raise ValueError(f"flow expects x of rank 4: (samples, rows, cols, channels) for channels_last or "
                             f"(samples, channels, rows, cols) for channels_first. Received an array of shape "
                             f"{tuple(self._x.shape)}.{fix}")
        channel_axis = 3 if self.data_format == "channels_last" else 1
        if self._x.shape[channel_axis] not in (1, 3, 4):
            warnings.warn(f"flow: data_format is {self.data_format!r} (channels on axis {channel_axis}), so 1, 3 "
                          f"or 4 channels are expected there, but x has shape {tuple(self._x.shape)} "
                          f"({self._x.shape[channel_axis]} channels).", stacklevel=3)
        self._x_numpy = None
        self._ahead = {}
        self._torch_dtype = getattr(torch, self.dtype)
        self.x_misc = x_misc
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(self._x.shape[0], batch_size, shuffle, seed, device)

    @property
    def x(self) -> np.ndarray:
        """The images as a float array (Keras keeps them so)."""
        if self._x_numpy is None:
            self._x_numpy = np.asarray(self._x.detach().cpu().numpy(), dtype=self.dtype)
        return self._x_numpy

    def set_device(self, device):
        super().set_device(device)
        self._x = self._x.to(self._work_device())
        return self

    # Sequential reads (what fit does) augment up to this many images at once and keep the batches ahead: one
    # warp instead of several, the same result, since each batch still draws from its own generator.
    lookahead_images = 512
    lookahead_bytes = 16 << 20

    def _set_index_array(self, generator=None):
        self._ahead = {}
        super()._set_index_array(generator)

    def _select(self, index_array) -> torch.Tensor:
        idx = as_index_tensor(index_array)
        if self._x.device.type != "cpu":
            idx = idx.to(self._x.device)
        batch = self._x.index_select(0, idx)
        return batch if batch.dtype == self._torch_dtype else batch.to(self._torch_dtype)

    def _sequence_batch(self, idx, index_array, generator, seen):
        gen = self.image_data_generator
        with self.lock:
            ready = self._ahead.pop((idx, seen), None)
            if ready is None:
                self._ahead = {}
        if ready is not None:
            return self._finish(index_array, ready)
        bs = self.batch_size
        image_bytes = self._x[0].numel() * 4 * bs
        count = min(len(self) - idx, self.lookahead_images // bs, self.lookahead_bytes // max(image_bytes, 1))
        if not gen._augments or count <= 1:
            return self._get_batches_of_transformed_samples(index_array, generator)
        parts = [self.index_array[bs * (idx + j):bs * (idx + j + 1)] for j in range(count)]
        gens = [generator] + [None if self.seed is None else torch.Generator().manual_seed(self.seed + seen + j)
                              for j in range(1, count)]
        batches = gen._augment_batches(self._select(np.concatenate(parts)), [len(p) for p in parts], gens,
                                       self.data_format)
        with self.lock:
            self._ahead = {(idx + j, seen + j): batches[j] for j in range(1, count)}
        return self._finish(index_array, batches[0])

    def _get_batches_of_transformed_samples(self, index_array, generator=None):
        batch = self._select(index_array)
        gen = self.image_data_generator
        if gen._augments:
            batch = gen._augment_batches(batch, [len(batch)], [generator], self.data_format)[0]
        return self._finish(index_array, batch)

    def _finish(self, index_array, batch):
        """Standardize an augmented batch and add its labels."""
        batch = self.image_data_generator._standardize_tensor(batch)
        if self.save_to_dir:
            self._save_batch(batch, index_array, 10**4)
        batch_x = self._out(batch)
        index_array = np.asarray(index_array)
        misc = [_labels_out(v, index_array, self._device) for v in self.x_misc]
        first = [batch_x] + misc if misc else batch_x
        if self.y is None:
            return first
        out = (first, _labels_out(self.y, index_array, self._device))
        if self.sample_weight is not None:
            out += (_labels_out(self.sample_weight, index_array, self._device),)
        return out


def _as_tensor(x) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach()
    arr = np.asarray(x)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"flow expects numeric image arrays. Received an array of dtype {arr.dtype}.")
    if arr.dtype.kind == "u" and arr.dtype != np.uint8 or arr.dtype.byteorder == ">":
        arr = arr.astype(np.float32)
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    return torch.from_numpy(arr)
