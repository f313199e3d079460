import os

import numpy as np
import pytest
import torch

# Two pytest-xdist workers share two cores: one torch thread each avoids oversubscription.
torch.set_num_threads(1)
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _fresh_names_and_seed():
    """Each test starts with Keras auto-names at 'dense', 'dense_1', ... and a fixed seed."""
    from lamina._naming import clear_session
    clear_session()
    torch.manual_seed(0)
    np.random.seed(0)
    yield
