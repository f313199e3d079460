"""The data of a comparison run: a fixed validation split, preprocessing, one-pixel expansion, noise."""
from __future__ import annotations

import numpy as np

__all__ = ["load_split", "shift_expand", "GaussianNoise", "DATASETS", "QUICK_SIZES"]

DATASETS = ("mnist-sample",)
# --quick trains on the first 600 training images and tests on the first 500 test images.
QUICK_SIZES = (600, 500)
# The validation images are the same for every run and seed (the handout fixes them with random_state=4487).
_SPLIT_SEED = 4487


def _load(name: str):
    if name != "mnist-sample":
        from .._errors import did_you_mean
        raise ValueError(f"Unknown dataset {name!r}. Expected one of {', '.join(DATASETS)}"
                         f"{did_you_mean(name, DATASETS) or '.'}")
    from ..datasets import mnist_sample
    return mnist_sample.load_data()


def load_split(name: str, validation: float, quick: bool):
    """``{'train': (x, y), 'val': (x, y), 'test': (x, y)}``: uint8 images (n, 28, 28), int labels."""
    (x, y), (xt, yt) = _load(name)
    if quick:
        x, y, xt, yt = x[:QUICK_SIZES[0]], y[:QUICK_SIZES[0]], xt[:QUICK_SIZES[1]], yt[:QUICK_SIZES[1]]
    order = np.random.RandomState(_SPLIT_SEED).permutation(len(x))
    n_val = int(round(validation * len(x)))
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    return {"train": (x[train], y[train]), "val": (x[val], y[val]), "test": (xt, yt), "all_train": x}


def shift_expand(x: np.ndarray, y: np.ndarray):
    """The training images plus each one shifted by one pixel up, down, left and right (5x the data).

    As in Nielsen's ``expand_mnist.py``: the pixel row or column that moves in is zero.
    """
    def shift(a, dy, dx):
        out = np.zeros_like(a)
        h, w = a.shape[1:3]
        out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            a[:, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
        return out

    xs = [x] + [shift(x, dy, dx) for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1))]
    return np.concatenate(xs), np.concatenate([y] * 5)


class GaussianNoise:
    """``preprocessing_function`` adding zero-mean Gaussian noise of std ``std`` (its own seeded generator)."""

    def __init__(self, std: float, seed: int):
        self.std = float(std)
        self._rng = np.random.default_rng(seed)

    def __call__(self, image):
        return image + self._rng.normal(0.0, self.std, image.shape).astype(image.dtype)


def prepare(split: dict, vector: bool, expand: str | None):
    """float32 arrays for the model: images in [0, 1] (n, 28, 28, 1), or 784-vectors centred on the
    mean training image (the handout's StandardScaler(with_std=False), fitted on all training images)."""
    tx, ty = split["train"]
    if expand == "shift1":
        tx, ty = shift_expand(tx, ty)
    parts = {"train": (tx, ty), "train_eval": split["train"], "val": split["val"], "test": split["test"]}
    if vector:
        mean = (split["all_train"].reshape(len(split["all_train"]), -1) / 255.0).mean(axis=0)
        conv = lambda a: (a.reshape(len(a), -1) / 255.0 - mean).astype(np.float32)  # noqa: E731
    else:
        conv = lambda a: (a.astype(np.float32) / 255.0)[..., None]  # noqa: E731
    return {k: (conv(a), b.astype(np.int64)) for k, (a, b) in parts.items()}
