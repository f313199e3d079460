"""``image_dataset_from_directory``: Keras's modern way to read a folder of labelled images.

This module stays free of torch at import time (``lamina.utils`` re-exports the
function); the dataset class it returns lives in ``_dataset_iter``.
"""
from __future__ import annotations

import os

import numpy as np

from .. import config as _config
from .._errors import check_choice
from ._pil import check_color_mode, check_size
from ._scan import DATASET_FORMATS, check_directory, class_folders, scan

__all__ = ["image_dataset_from_directory"]

LABEL_MODES = ("int", "categorical", "binary")
# Keras's interpolation names -> Pillow's filters.
INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic", "area": "box",
                  "lanczos3": "lanczos", "lanczos5": "lanczos", "box": "box", "hamming": "hamming",
                  "lanczos": "lanczos"}


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                                 data_format=None, verbose=True, cache=False, workers=None):
    """A dataset of (images, labels) batches from ``directory/<class>/<image files>``, as Keras's.

    Images are float32 tensors of grey levels 0-255, shape (batch, height, width, channels) (or
    channels first); labels follow ``label_mode``. The dataset is a Keras Sequence: ``len(ds)``
    batches, ``ds[i]``, ``for images, labels in ds`` (one epoch per loop, reshuffled each time), and
    ``model.fit(ds)``. It also has ``class_names``, ``file_paths``, ``take(n)``, ``map(fn)``,
    ``cache()`` and ``prefetch(n)``.

    Args:
        directory: folder with one subfolder per class ('inferred' labels), or any image folder.
        labels: 'inferred' (default: from the subfolders), None (images only), or a list of int
            labels, one per image file in alphanumeric order of the paths.
        label_mode: 'int' (int32 class indices, default), 'categorical' (one-hot float32), 'binary'
            (float32 0/1 of shape (batch, 1), exactly 2 classes) or None.
        class_names: the class subfolders to use, in label order (with labels='inferred').
        color_mode: 'rgb' (default), 'grayscale' or 'rgba'.
        batch_size: default 32; None yields single images.
        image_size: (height, width) every image is resized to (default (256, 256)).
        shuffle: shuffle the files (default True); also reshuffles every epoch.
        seed: int; required with validation_split and shuffle, so the subsets do not overlap.
        validation_split: fraction of the files for validation; subset: 'training', 'validation' or
            'both' (returns the two datasets).
        interpolation: 'bilinear' (default), 'nearest', 'bicubic', 'area', 'lanczos3', 'lanczos5'
            (Pillow's filters; Pillow's downscaling is antialiased, TensorFlow's is not).
        follow_links: follow symbolic links to subfolders.
        crop_to_aspect_ratio / pad_to_aspect_ratio: crop or pad (black) each image to the target
            aspect ratio before resizing.
        data_format: 'channels_last' (default from lamina.config) or 'channels_first'.
        verbose: log how many files and classes were found (lamina logs, it does not print).
        cache: lamina only: keep decoded images in memory after their first read.
        workers: lamina only: decoding threads (default None: automatic, as flow_from_directory).

    Example:
        >>> train_ds, val_ds = image_dataset_from_directory(          # doctest: +SKIP
        ...     "photos", validation_split=0.2, subset="both", seed=1337, image_size=(180, 180))
        >>> train_ds.class_names                                       # doctest: +SKIP
        ['cats', 'dogs']
    """
    owner = "image_dataset_from_directory"
    directory = check_directory(owner, directory)
    if not (labels in ("inferred", None) or isinstance(labels, (list, tuple))):
        raise ValueError(f"{owner} expects labels to be 'inferred', None, or a list of int labels, one per file. "
                         f"Received: labels={labels!r}.")
    if labels is None or label_mode is None:
        label_mode = None
    else:
        label_mode = check_choice(owner, "label_mode", label_mode, LABEL_MODES)
    if class_names is not None and labels != "inferred":
        raise ValueError(f"{owner}: class_names only applies to labels='inferred'. Received: labels={labels!r}, "
                         f"class_names={class_names!r}.")
    check_color_mode(owner, color_mode)
    image_size = check_size(owner, "image_size", image_size)
    if interpolation not in INTERPOLATIONS:
        from .._errors import did_you_mean
        raise ValueError(f"{owner} expects interpolation to be one of {', '.join(map(repr, INTERPOLATIONS))}. "
                         f"Received: interpolation={interpolation!r}"
                         f"{did_you_mean(str(interpolation), INTERPOLATIONS) or '.'}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{owner}: crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be True.")
    data_format = _config.normalize_data_format(data_format)
    if validation_split:
        if not 0 < validation_split < 1:
            raise ValueError(f"{owner} expects validation_split in (0, 1). Received: "
                             f"validation_split={validation_split!r}.")
        if subset not in ("training", "validation", "both"):
            raise ValueError(f"{owner}: with validation_split, pass subset='training', 'validation' or 'both'. "
                             f"Received: subset={subset!r}.")
        if shuffle and seed is None:
            raise ValueError(f"{owner}: with validation_split and shuffle=True, pass a seed (e.g. seed=1337) so "
                             f"the training and validation subsets do not overlap.")
    elif subset is not None:
        raise ValueError(f"{owner}: subset={subset!r} needs validation_split, e.g. validation_split=0.2.")
    if seed is None and shuffle:
        seed = int(np.random.randint(1_000_000))

    if labels == "inferred":
        names = class_folders(owner, directory, class_names)
        files, label_array = scan(owner, directory, names, DATASET_FORMATS, follow_links, stacklevel=3)
    else:
        names = None
        files = _all_files(directory, follow_links)
        if not files:
            raise ValueError(f"{owner} found no images in {directory!r}. Allowed formats: "
                             f"{', '.join(DATASET_FORMATS)}.")
        label_array = None
        if labels is not None:
            if len(labels) != len(files):
                raise ValueError(f"{owner}: labels has {len(labels)} entries but {directory!r} holds {len(files)} "
                                 f"image files. Pass one label per file, in alphanumeric order of the paths.")
            label_array = np.asarray(labels, dtype="int32")
            names = [str(v) for v in sorted(set(label_array.tolist()))]
    if label_mode == "binary" and names is not None and len(names) != 2:
        raise ValueError(f"{owner}(label_mode='binary') needs exactly 2 classes. Received {len(names)} classes: "
                         f"{names}. Use label_mode='int' or 'categorical'.")
    paths = [os.path.join(directory, f) for f in files]
    if shuffle:
        order = np.random.RandomState(seed).permutation(len(paths))
        paths = [paths[i] for i in order]
        if label_array is not None:
            label_array = label_array[order]
    from ._dataset_iter import ImageDataset
    common = dict(class_names=names, label_mode=label_mode if label_array is not None else None,
                  color_mode=color_mode, batch_size=batch_size, image_size=image_size, shuffle=shuffle,
                  seed=seed, interpolation=INTERPOLATIONS[interpolation], crop=crop_to_aspect_ratio,
                  pad=pad_to_aspect_ratio, data_format=data_format, cache=cache, workers=workers)

    def part(sl):
        return ImageDataset(paths[sl], None if label_array is None else label_array[sl], **common)
    if not validation_split:
        return part(slice(None))
    n_val = int(validation_split * len(paths))
    if n_val == 0 or n_val == len(paths):
        raise ValueError(f"{owner}: validation_split={validation_split} of {len(paths)} files leaves an empty "
                         f"subset.")
    train, val = slice(None, len(paths) - n_val), slice(len(paths) - n_val, None)
    if subset == "training":
        return part(train)
    if subset == "validation":
        return part(val)
    return part(train), part(val)


def _all_files(directory, follow_links):
    formats = tuple("." + f for f in DATASET_FORMATS)
    out = []
    for root, _, names in sorted(os.walk(directory, followlinks=follow_links), key=lambda t: t[0]):
        out.extend(os.path.relpath(os.path.join(root, n), directory) for n in sorted(names)
                   if n.lower().endswith(formats))
    return out
