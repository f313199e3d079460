"""Convolution arithmetic along one axis, as Keras computes it (TensorFlow's 'same' padding).

Public so that tools outside the layers (receptive fields in ``lamina.inspect``) use the very
arithmetic the layers use.
"""
from __future__ import annotations

import math

__all__ = ["tf_same_pads", "conv_output_length"]


def tf_same_pads(n: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """TensorFlow's 'same' padding of one axis: (before, after), the extra cell after."""
    k_eff = (k - 1) * d + 1
    total = max((math.ceil(n / s) - 1) * s + k_eff - n, 0)
    return total // 2, total - total // 2


def conv_output_length(n, k, padding: str, s: int, d: int = 1):
    """Output length of a convolution or pooling window along one axis (None stays None)."""
    if n is None:
        return None
    if padding == "valid":
        return (n - ((k - 1) * d + 1)) // s + 1
    return (n + s - 1) // s  # 'same' and 'causal'
