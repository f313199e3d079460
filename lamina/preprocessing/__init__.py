"""``keras.preprocessing`` on torch: ``lamina.preprocessing.image`` (ImageDataGenerator and image files),
``lamina.preprocessing.sequence`` (pad_sequences, ...) and ``lamina.preprocessing.text`` (Tokenizer, ...).

Submodules load on first use, so importing ``lamina.utils`` (which re-exports
``image_dataset_from_directory``) does not import torch.
"""
from __future__ import annotations

import importlib

__all__ = ["image", "sequence", "text", "ImageDataGenerator", "image_dataset_from_directory"]


def __getattr__(name):
    if name in ("image", "sequence", "text"):
        return importlib.import_module(f".{name}", __name__)
    if name == "ImageDataGenerator":
        return importlib.import_module(".image", __name__).ImageDataGenerator
    if name == "image_dataset_from_directory":
        return importlib.import_module("._dataset", __name__).image_dataset_from_directory
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
