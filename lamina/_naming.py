"""Keras auto-names: the first Dense is 'dense', the next 'dense_1', and so on,
per process until :func:`clear_session` (``keras.backend.clear_session``)."""
from __future__ import annotations

import re
from collections import defaultdict

__all__ = ["unique_name", "to_snake_case", "clear_session"]

_counts: dict[str, int] = defaultdict(int)


def to_snake_case(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s.replace("__", "_").lstrip("_")


def unique_name(base: str) -> str:
    n = _counts[base]
    _counts[base] += 1
    return base if n == 0 else f"{base}_{n}"


def reserve_name(name: str) -> None:
    """Count a user-given name so later auto-names do not repeat it (Keras does the same)."""
    m = re.fullmatch(r"(.*?)(?:_(\d+))?", name)
    base, idx = m.group(1), m.group(2)
    nxt = 1 if idx is None else int(idx) + 1
    if _counts[base] < nxt:
        _counts[base] = nxt


def clear_session() -> None:
    """Reset the auto-name counters (and nothing else: models stay usable)."""
    _counts.clear()
