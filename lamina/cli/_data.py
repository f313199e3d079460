"""Datasets the CLI knows, as (x, y) arrays scaled for the zoo's networks."""
from __future__ import annotations

import numpy as np

from ._errors import CLIError

DATASETS = ("mnist-sample",)


def load(name: str):
    """((x_train, y_train), (x_test, y_test)) with x float32 (n, rows, cols, channels) in [0, 1]."""
    if name == "mnist-sample":
        from ..datasets import mnist_sample
        (x, y), (xt, yt) = mnist_sample.load_data()
    else:
        from .._errors import did_you_mean
        raise CLIError(f"unknown dataset {name!r}. Available: {', '.join(DATASETS)}"
                       f"{did_you_mean(name, DATASETS) or '.'}")
    prep = lambda a: (a.astype(np.float32) / 255.0)[..., None]  # noqa: E731
    return (prep(x), y.astype(np.int64)), (prep(xt), yt.astype(np.int64))
