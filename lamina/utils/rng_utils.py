"""One call to seed every random number generator a training run draws from."""
from __future__ import annotations

import random

import numpy as np

__all__ = ["set_random_seed"]


def set_random_seed(seed) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and every CUDA device).

    lamina draws all its randomness (weight initialisation, dropout, shuffling,
    validation splits, augmentation) from these generators or from generators
    seeded by them, so calling ``set_random_seed(s)`` before building and
    fitting a model makes a CPU run repeat bit for bit at the same torch thread
    count. While other processes keep cores busy, lamina's default thread policy
    lowers that count during ``fit`` (see ``lamina.threads``), which changes float32
    results in the last bits; set ``LAMINA_THREAD_POLICY=fixed`` (or
    ``torch.use_deterministic_algorithms(True)``) where runs must repeat exactly on
    a shared machine. GPU kernels may still differ between runs unless
    ``torch.use_deterministic_algorithms(True)`` is set as well.

    Args:
        seed: int in [0, 2**32 - 1] (NumPy's legacy generator accepts no more).

    Example:
        >>> from lamina.utils import set_random_seed
        >>> set_random_seed(4487)
    """
    ok = isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and 0 <= int(seed) < 2**32
    if not ok:
        raise ValueError(f"set_random_seed expects an int in [0, 2**32 - 1]. Received: seed={seed!r}. "
                         f"Pass a whole number, e.g. set_random_seed(4487).")
    import torch

    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device, lazily if CUDA is not yet initialised
