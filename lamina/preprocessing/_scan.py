"""Finding the images of a class-per-subfolder directory, as Keras does.

Classes are the subfolder names in alphanumeric order (or the ``classes`` given,
in their order); files are found recursively, sorted by folder then name, and
kept by extension, so other files (``.txt``, ``.DS_Store``, ...) are ignored.
"""
from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__: list[str] = []

# ImageDataGenerator.flow_from_directory's formats, and image_dataset_from_directory's.
GENERATOR_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")
DATASET_FORMATS = ("bmp", "gif", "jpeg", "jpg", "png")


def check_directory(owner: str, directory) -> str:
    path = os.fspath(directory)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{owner}: the directory {path!r} does not exist (absolute: "
                                f"{os.path.abspath(path)!r}). Pass the folder that holds one subfolder "
                                f"per class.")
    if not os.path.isdir(path):
        raise NotADirectoryError(f"{owner}: {path!r} is a file, not a directory. Pass the folder that holds "
                                 f"one subfolder per class.")
    return path


def class_folders(owner: str, directory: str, classes=None) -> list[str]:
    """The class names: the given ones (each must be a subfolder) or the sorted subfolders."""
    subdirs = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
    if classes:
        classes = list(classes)
        missing = [c for c in classes if c not in subdirs]
        if missing:
            raise ValueError(f"{owner}: classes {missing} have no subfolder in {directory!r}. Subfolders "
                             f"found: {subdirs}.")
        return classes
    if not subdirs:
        raise ValueError(f"{owner} found no class subfolders in {directory!r}. It expects one subfolder per "
                         f"class, e.g. {os.path.join(directory, 'cats')}/*.jpg and "
                         f"{os.path.join(directory, 'dogs')}/*.jpg; for unlabelled images put them in one "
                         f"subfolder and pass class_mode=None (labels=None).")
    return subdirs


def _walk(folder: str, follow_links: bool):
    """``os.walk`` that visits each real directory once: a symbolic link back to a folder already
    seen (a loop) is skipped with a warning instead of being followed again and again."""
    seen = {os.path.realpath(folder)}
    for root, dirs, files in os.walk(folder, followlinks=follow_links):
        if follow_links:
            keep = []
            for d in dirs:
                full = os.path.join(root, d)
                real = os.path.realpath(full)
                if real in seen:
                    warnings.warn(f"Skipping {full!r}: it is a symbolic link to {real!r}, a folder already "
                                  f"scanned (a link loop or a duplicate).", stacklevel=4)
                    continue
                seen.add(real)
                keep.append(d)
            dirs[:] = keep
        yield root, dirs, files


def _files_of(folder: str, formats: tuple, follow_links: bool) -> list[str]:
    """Image files under ``folder`` (recursively), as paths relative to ``folder``, Keras's order."""
    out = []
    for root, _, files in sorted(_walk(folder, follow_links), key=lambda t: t[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                out.append(os.path.relpath(os.path.join(root, name), folder))
    return out


def scan(owner: str, directory: str, classes: list[str], formats, follow_links=False, split=None,
         stacklevel=3):
    """Files and labels of a class-per-subfolder directory.

    Args:
        split: None or (start, stop) fractions of each class's files to keep (Keras's
            validation_split: 'validation' keeps (0, v), 'training' (v, 1)).

    Returns:
        (filenames relative to ``directory`` as 'class/file.png', int32 labels).
    """
    formats = tuple("." + f.lstrip(".").lower() for f in formats)
    folders = [os.path.join(directory, c) for c in classes]
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(folders)))) as pool:
        listed = list(pool.map(lambda f: _files_of(f, formats, follow_links), folders))
    filenames, labels, empty = [], [], []
    for index, (name, files) in enumerate(zip(classes, listed)):
        if not files:
            empty.append(name)
        if split is not None:
            files = files[int(split[0] * len(files)):int(split[1] * len(files))]
        filenames.extend(os.path.join(name, f) for f in files)
        labels.extend([index] * len(files))
    allowed = ", ".join(f[1:] for f in formats)
    if empty and len(empty) < len(classes):
        warnings.warn(f"{owner}: class folder(s) {empty} in {directory!r} hold no image files ({allowed}); "
                      f"those classes get no samples.", stacklevel=stacklevel)
    if not filenames:
        where = f"in the class folders {classes} of {directory!r}"
        raise ValueError(f"{owner} found no images {where}. Allowed formats: {allowed}.")
    return filenames, np.asarray(labels, dtype="int32")
