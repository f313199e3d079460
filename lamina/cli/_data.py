"""Data for the CLI: every dataset ``lamina datasets list`` shows, and folders of images.

Arrays come back as x float32 (n, rows, cols, channels) in [0, 1] and y int64 class indices.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._errors import CLIError

__all__ = ["DATASETS", "Data", "load", "load_folder", "read_image", "list_images", "background", "resolve",
           "AUGMENT", "one_per_class"]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
# The course's ImageDataGenerator settings: CS4487's digits (light) and Deep Learning with Python's photos (strong).
AUGMENT = {
    "light": dict(rotation_range=10, width_shift_range=0.2, height_shift_range=0.2, shear_range=0.1,
                  zoom_range=0.1),
    "strong": dict(rotation_range=40, width_shift_range=0.2, height_shift_range=0.2, shear_range=0.2,
                   zoom_range=0.2, horizontal_flip=True, fill_mode="nearest"),
}


def _dataset_names():
    from .datasets import DATASETS as table  # argparse-free table of the datasets
    return tuple(table)


DATASETS = _dataset_names()


@dataclass
class Data:
    """Training data (and how it was split) for ``lamina train``, ``evaluate`` and ``predict``."""

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    class_names: list = field(default_factory=list)
    source: str = ""
    split: str = ""


def load(name: str):
    """((x_train, y_train), (x_test, y_test)) of a named dataset, downloading it on first use."""
    if name not in DATASETS:
        from .._errors import did_you_mean
        raise CLIError(f"unknown dataset {name!r}. Available: {', '.join(DATASETS)}, or a folder of images"
                       f"{did_you_mean(name, DATASETS) or '.'}")
    from ..datasets._download import ChecksumError, DatasetDownloadError
    from .datasets import _module
    try:
        (x, y), (xt, yt) = _module(name).load_data()
    except (DatasetDownloadError, ChecksumError) as err:
        raise CLIError(str(err)) from None

    def prep(a):
        a = a.astype(np.float32) / 255.0
        return a[..., None] if a.ndim == 3 else a
    return (prep(x), np.ravel(y).astype(np.int64)), (prep(xt), np.ravel(yt).astype(np.int64))


def class_names_of(name: str, count: int) -> list:
    from .datasets import _module
    names = getattr(_module(name), "CLASS_NAMES", None)
    return [str(n) for n in names] if names is not None and len(names) == count else [str(i) for i in range(count)]


# ------------------------------------------------------------------ folders
def list_images(folder: Path) -> list:
    return [f for f in sorted(folder.iterdir()) if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]


def read_image(path, rows, cols, channels) -> np.ndarray:
    """An image file as (rows, cols, channels) float32 in [0, 1], resized to rows x cols."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB")
            if rows is not None and img.size != (cols, rows):
                img = img.resize((cols, rows), Image.BILINEAR)
            arr = np.asarray(img, dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise CLIError(f"image {path} does not exist.") from None
    except Image.DecompressionBombError as err:
        raise CLIError(f"cannot read image {path}: it is a decompression bomb ({err}).") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise CLIError(f"cannot read image {path}: {err}. Expected a PNG or JPEG file.") from None
    return arr.reshape(arr.shape[0], arr.shape[1], -1)


def _class_folders(folder: Path) -> list:
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _labelled_files(folder: Path, classes=None):
    classes = classes if classes is not None else _class_folders(folder)
    files = {c: (list_images(folder / c) if (folder / c).is_dir() else []) for c in classes}
    return classes, files


def _image_spec(first: Path, image_size, color):
    """(rows, cols, channels) for a folder: --image-size and --grayscale/--rgb, else the first image's."""
    from PIL import Image
    with Image.open(first) as img:
        size, mode = img.size, img.mode
    channels = {"grayscale": 1, "rgb": 3}.get(color) or (1 if mode in ("L", "1", "I", "I;16", "F", "LA") else 3)
    cols, rows = (image_size, image_size) if image_size else size
    return rows, cols, channels


def _stack(files, labels, rows, cols, channels):
    x = np.stack([read_image(f, rows, cols, channels) for f in files]).astype(np.float32)
    return x, np.asarray(labels, np.int64)


def _split_folder(folder: Path, classes, validation_split: float):
    """Per class, the first ``validation_split`` of its images (sorted) go to validation, as Keras's
    flow_from_directory(subset='validation') takes them. Every class must keep images on both sides."""
    _, files = _labelled_files(folder, classes)
    train, val, short = [], [], []
    for i, c in enumerate(classes):
        n = len(files[c])
        k = int(round(n * validation_split))
        if n == 0 or (validation_split and (k == 0 or k == n)):
            short.append(f"{c} ({n} image{'s' if n != 1 else ''})")
            continue
        val += [(f, i) for f in files[c][:k]]
        train += [(f, i) for f in files[c][k:]]
    if short:
        raise CLIError(f"--validation-split {validation_split} leaves no training or no validation image in "
                       f"class folder(s) {', '.join(short)} of {folder}. Add images to them (at least "
                       f"{max(2, int(np.ceil(1 / max(validation_split, 1e-9))))} per class for this split), "
                       f"raise --validation-split, or give train/ and validation/ folders.")
    return train, val


def load_folder(data, image_size=None, color=None, validation_split=0.1) -> tuple[Data, tuple]:
    """A folder of labelled images for training: DIR/<class>/*.png, or DIR/train, DIR/validation (or val,
    valid) and optionally DIR/test, each with the same class folders.

    Returns (Data, (rows, cols, channels)).
    """
    data = Path(data)
    if not data.is_dir():
        raise CLIError(f"--data {str(data)!r} is not a folder. Give a folder with one sub-folder of images per "
                       f"class (DIR/cat/*.jpg, DIR/dog/*.jpg), or with train/ and validation/ folders that "
                       f"have them, or a dataset name ({', '.join(DATASETS)}).")
    train_dir = data / "train" if (data / "train").is_dir() else data
    classes = _class_folders(train_dir)
    if len(classes) < 2:
        raise CLIError(f"{train_dir} needs at least 2 class folders of images (DIR/<class>/*.png); found "
                       f"{len(classes)}{': ' + ', '.join(classes) if classes else ''}.")
    val_dir = next((data / n for n in ("validation", "val", "valid") if (data / n).is_dir()), None) \
        if train_dir != data else None
    test_dir = data / "test" if train_dir != data and (data / "test").is_dir() else None
    _, files = _labelled_files(train_dir, classes)
    empty = [c for c in classes if not files[c]]
    if empty:
        raise CLIError(f"class folder(s) {', '.join(empty)} of {train_dir} hold no images "
                       f"({', '.join(sorted(IMAGE_SUFFIXES))}). Add images or remove the folder.")
    first = files[classes[0]][0]
    rows, cols, channels = _image_spec(first, image_size, color)
    if val_dir is not None:
        train = [(f, i) for i, c in enumerate(classes) for f in files[c]]
        _, vfiles = _labelled_files(val_dir, classes)
        val = [(f, i) for i, c in enumerate(classes) for f in vfiles[c]]
        missing = [c for c in classes if not vfiles[c]]
        if missing:
            raise CLIError(f"{val_dir} has no images for class(es) {', '.join(missing)}; every class of "
                           f"{train_dir} needs validation images.")
        split = f"{train_dir.name}/ for training, {val_dir.name}/ for validation"
    else:
        if not validation_split:
            raise CLIError(f"{data} has no validation/ folder; pass --validation-split (e.g. 0.2) to hold out "
                           f"part of each class folder.")
        train, val = _split_folder(train_dir, classes, validation_split)
        split = f"{validation_split:g} of each class folder held out for validation"
    x, y = _stack(*zip(*train), rows, cols, channels)
    xv, yv = _stack(*zip(*val), rows, cols, channels)
    out = Data(x, y, xv, yv, class_names=classes, source=str(data), split=split)
    if test_dir is not None:
        _, tfiles = _labelled_files(test_dir, classes)
        test = [(f, i) for i, c in enumerate(classes) for f in tfiles[c]]
        if test:
            out.x_test, out.y_test = _stack(*zip(*test), rows, cols, channels)
            out.split += f", {test_dir.name}/ for testing"
    return out, (rows, cols, channels)


def load_labelled_folder(folder, rows, cols, channels, class_names=None):
    """Images of DIR/<class>/* (or DIR/test/<class>/*) at the model's size, for evaluate.

    ``class_names`` (the model's training classes) fixes the label order; folders not among them fail."""
    folder = Path(folder)
    if (folder / "test").is_dir():
        folder = folder / "test"
    classes = _class_folders(folder)
    if not classes:
        raise CLIError(f"{folder} has no class folders; evaluate needs DIR/<class>/*.png to know the labels.")
    names = list(class_names) if class_names else classes
    unknown = [c for c in classes if c not in names]
    if unknown:
        raise CLIError(f"class folder(s) {', '.join(unknown)} of {folder} are not classes the model was trained "
                       f"on ({', '.join(names)}).")
    pairs = [(f, names.index(c)) for c in classes for f in list_images(folder / c)]
    if not pairs:
        raise CLIError(f"{folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
    x, y = _stack(*zip(*pairs), rows, cols, channels)
    return x, y, names


def resolve(spec: str) -> str:
    """'folder' if ``spec`` is an existing folder, 'dataset' if it is a dataset name; else a clear error."""
    if Path(spec).is_dir():
        return "folder"
    if spec in DATASETS:
        return "dataset"
    from .._errors import did_you_mean
    raise CLIError(f"{spec!r} is neither a folder nor a dataset name. Give a folder of images "
                   f"(DIR/<class>/*.png) or one of {', '.join(DATASETS)}{did_you_mean(spec, DATASETS) or '.'}")


def one_per_class(y, k: int = 3) -> list:
    """Indices of the first image of each of the first ``k`` classes present in ``y`` (a folder's images come
    sorted by class, so its first images would all show one class)."""
    y = np.asarray(y)
    return [int(np.flatnonzero(y == c)[0]) for c in np.unique(y)[:k]]


def background(x: np.ndarray) -> float:
    """The mean grey level of the images' outer frame (2 pixels wide), in [0, 1]: below 0.5 is a dark
    background (MNIST: white digits on black), above is a light one (ink on paper)."""
    x = np.asarray(x, np.float32)
    if x.ndim == 3:
        x = x[None]
    grey = x.mean(axis=-1)
    b = max(1, min(2, grey.shape[1] // 8, grey.shape[2] // 8))
    frame = np.concatenate([grey[:, :b].reshape(len(grey), -1), grey[:, -b:].reshape(len(grey), -1),
                            grey[:, :, :b].reshape(len(grey), -1), grey[:, :, -b:].reshape(len(grey), -1)], axis=1)
    return float(frame.mean())
