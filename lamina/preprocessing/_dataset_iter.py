"""The dataset ``image_dataset_from_directory`` returns: a Keras Sequence of (images, labels) tensors."""
from __future__ import annotations

import logging

import numpy as np
import torch

from ._file_iterators import BatchFromFilesMixin
from ._iterators import Iterator

__all__ = ["ImageDataset"]

_log = logging.getLogger("lamina")


class ImageDataset(BatchFromFilesMixin, Iterator):
    """Batches of (images, labels) torch tensors read from image files.

    Images are float32, grey levels 0-255. Labels: 'int' int32 (batch,), 'categorical' float32
    (batch, classes), 'binary' float32 (batch, 1). ``for batch in ds`` runs one epoch and reshuffles
    for the next; ``ds[i]`` and ``len(ds)`` make it a Sequence for ``fit``/``evaluate``/``predict``.
    """

    def __init__(self, file_paths, labels, class_names, label_mode, color_mode, batch_size, image_size, shuffle,
                 seed, interpolation, crop, pad, data_format, cache=False, workers=None):
        self.pad_to_aspect_ratio = bool(pad)
        self.set_processing_attrs(None, image_size, color_mode, data_format, None, "", "png", None, interpolation,
                                  crop, cache, workers, "raise", "image_dataset_from_directory")
        self.dtype = "float32"
        self.file_paths = list(file_paths)
        self._filepaths = self.file_paths
        self.class_names = class_names
        self.label_mode = label_mode
        self.class_mode = None
        self._labels = labels
        self._unbatched = batch_size is None
        _log.info("Found %d files belonging to %d classes.", len(self.file_paths), len(class_names or []))
        super().__init__(len(self.file_paths), 1 if batch_size is None else batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array, generator=None):
        images = torch.from_numpy(np.ascontiguousarray(self._load(index_array))).to(torch.float32)
        if self.data_format == "channels_first":
            images = images.permute(0, 3, 1, 2).contiguous()
        if self._labels is None or self.label_mode is None:
            return images[0] if self._unbatched else images
        lab = self._labels[np.asarray(index_array)]
        if self.label_mode == "int":
            y = torch.from_numpy(lab.astype(np.int32))
        elif self.label_mode == "binary":
            y = torch.from_numpy(lab.astype(np.float32)).reshape(-1, 1)
        else:
            y = torch.nn.functional.one_hot(torch.from_numpy(lab.astype(np.int64)),
                                            len(self.class_names)).to(torch.float32)
        if self._unbatched:
            return images[0], y[0]
        return images, y

    def _out(self, t):
        return t

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
        self.on_epoch_end()

    def __next__(self):
        raise TypeError("Iterate over an ImageDataset with a for loop or iter(ds); it is not an endless iterator.")

    # ------------------------------------------------------------------ tf.data-style helpers
    def take(self, count: int) -> list:
        """The first ``count`` batches (of the current epoch), as a list."""
        return [self[i] for i in range(min(int(count), len(self)))]

    def map(self, fn) -> "MappedDataset":
        """A view of this dataset with ``fn`` applied to every batch (``fn(images, labels)`` for pairs)."""
        return MappedDataset(self, fn)

    def cache(self, filename="") -> "ImageDataset":
        """Keep decoded images in memory after their first read (in memory only; ``filename`` is ignored)."""
        self.cache_images = True
        return self

    def prefetch(self, buffer_size=None) -> "ImageDataset":
        """No-op: the next batch is always decoded while the current one is used."""
        return self


class MappedDataset:
    """A dataset with a function applied to each batch."""

    def __init__(self, source, fn):
        self.source, self.fn = source, fn
        self.class_names = getattr(source, "class_names", None)
        self.file_paths = getattr(source, "file_paths", None)

    def __len__(self):
        return len(self.source)

    def __getitem__(self, i):
        item = self.source[i]
        return self.fn(*item) if isinstance(item, tuple) else self.fn(item)

    def on_epoch_end(self):
        if hasattr(self.source, "on_epoch_end"):
            self.source.on_epoch_end()

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
        self.on_epoch_end()

    def take(self, count):
        return [self[i] for i in range(min(int(count), len(self)))]

    def map(self, fn):
        return MappedDataset(self, fn)

    def prefetch(self, buffer_size=None):
        return self

    def cache(self, filename=""):
        return self
