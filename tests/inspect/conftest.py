"""Data shared by the lamina.inspect tests."""
import numpy as np
import pytest


@pytest.fixture(scope="session")
def digits():
    """200 real test digits, (n, 28, 28, 1) in [0, 1], and their labels."""
    from lamina.datasets import mnist_sample
    _, (x, y) = mnist_sample.load_data()
    return (x[:200].astype(np.float32) / 255.0)[..., None], y[:200].astype(np.int64)
