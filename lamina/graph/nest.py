"""One nested-structure utility: tensors in lists, tuples and dicts.

A leaf is anything that is not a list, tuple or dict (a tensor, a KerasTensor, a shape
tuple when ``is_leaf`` says so). Order: lists and tuples in order, dicts in insertion order.
"""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["flatten", "map_structure", "pack_like"]


def _is_container(x, is_leaf) -> bool:
    if is_leaf is not None and is_leaf(x):
        return False
    return isinstance(x, (list, tuple, dict))


def flatten(structure, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """The leaves of ``structure`` in order (``None`` leaves included)."""
    if not _is_container(structure, is_leaf):
        return [structure]
    items = structure.values() if isinstance(structure, dict) else structure
    return [leaf for item in items for leaf in flatten(item, is_leaf)]


def map_structure(fn: Callable, structure, is_leaf: Callable[[Any], bool] | None = None):
    """``structure`` with ``fn`` applied to every leaf (lists stay lists, tuples tuples)."""
    if not _is_container(structure, is_leaf):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v, is_leaf) for k, v in structure.items()}
    return type(structure)(map_structure(fn, v, is_leaf) for v in structure)


def pack_like(structure, values, is_leaf: Callable[[Any], bool] | None = None):
    """``structure`` with its leaves replaced, in order, by ``values`` (lists come back as lists)."""
    it = iter(values)

    def take(_):
        return next(it)
    return map_structure(take, structure, is_leaf)
