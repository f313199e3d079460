"""Shared fixtures: a few real digits, and folders of PNG files written from them."""
import os
import sys

import numpy as np
import pytest
from image_folders import write_folder

# The shared layer contract (tests/layers/contract.py) is importable from here too.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "layers"))


@pytest.fixture(scope="session")
def digits():
    """The bundled sample: uint8 (6000, 28, 28) train and (4000, 28, 28) test images, with labels."""
    from lamina.datasets import mnist_sample
    (x, y), (xt, yt) = mnist_sample.load_data()
    return x, y, xt, yt


@pytest.fixture
def digit_folder(tmp_path, digits):
    """Three classes ('0', '1', '2') of 28x28 grey PNG digits, 12 files each."""
    x, y, _, _ = digits
    idx = np.concatenate([np.flatnonzero(y == c)[:12] for c in range(3)])
    return write_folder(tmp_path / "digits", x[idx], y[idx])
