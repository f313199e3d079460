"""Classic Keras seeding for unchanged scripts: ``np.random.seed(s)`` seeds lamina too.

Classic Keras backends drew their random seeds (weight initialisation, dropout masks,
shuffling) from NumPy's global generator, so a 2017 script that calls only
``np.random.seed(1337)`` trained the same way on every run. lamina draws from torch's
generator; the runner (``python -m lamina.compat``) therefore makes NumPy's ``seed``
also seed torch and Python's ``random`` with a value derived from the same seed. Only
the runner does this, for the script it runs; importing lamina never patches NumPy.
"""
from __future__ import annotations

import functools
import random

import numpy as np

__all__ = ["seed_lamina_with_numpy"]


def _derived_seed(seed) -> int:
    return int(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0] % (2**63 - 1))


def seed_lamina_with_numpy() -> None:
    """Make ``numpy.random.seed`` seed torch and ``random`` too (idempotent)."""
    if getattr(np.random.seed, "_lamina_classic_seeding", False):
        return
    original = np.random.seed

    @functools.wraps(original)
    def seed(seed=None):
        original(seed)
        import torch
        if seed is None:
            torch.seed()
            random.seed()
        else:
            value = _derived_seed(np.asarray(seed, dtype=np.int64).ravel().tolist()
                                  if not isinstance(seed, int) else seed)
            torch.manual_seed(value)
            random.seed(value)
    seed._lamina_classic_seeding = True
    np.random.seed = seed
