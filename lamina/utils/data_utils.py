"""Packing a batch as the training step receives it: ``(x,)``, ``(x, y)`` or
``(x, y, sample_weight)``, with Keras 3's names."""
from __future__ import annotations

__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]


def pack_x_y_sample_weight(x, y=None, sample_weight=None) -> tuple:
    """The tuple a step receives: ``(x,)`` without targets, ``(x, y)``, or ``(x, y, sample_weight)``."""
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data) -> tuple:
    """``(x, y, sample_weight)`` from what a step receives, with ``None`` for missing parts.

    Example:
        >>> x, y, sample_weight = unpack_x_y_sample_weight(data)   # in a custom train_step
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(f"A batch must be (x,), (x, y) or (x, y, sample_weight); received a tuple of {len(data)} "
                     f"items. Put several inputs in one list: ([x1, x2], y).")
