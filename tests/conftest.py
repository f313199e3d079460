import os

import numpy as np
import pytest
import torch

# Two pytest-xdist workers share two cores: one torch thread each avoids oversubscription.
torch.set_num_threads(1)
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _fresh_names_and_seed():
    """Each test starts with Keras auto-names at 'dense', 'dense_1', ... and a fixed seed, and
    with no classic-form warning given yet (they warn once per process, so without this a test
    that expects the warning passes or fails depending on what ran before it on its worker)."""
    from lamina._naming import clear_session
    from lamina.compat import _state as compat_state
    clear_session()
    compat_state._WARNED.clear()
    torch.manual_seed(0)
    np.random.seed(0)
    yield
