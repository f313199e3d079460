"""Helpers that turn bad arguments into errors saying what was expected, what was
received, and how to fix it."""
from __future__ import annotations

import difflib
from typing import Iterable

__all__ = ["did_you_mean", "unknown_name_error", "positive_int", "int_tuple", "check_choice", "probability"]


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: a swap of neighbours ('adma' -> 'adam') is one edit."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    valid = list(valid)
    key = str(name).lower()
    scored = sorted((_edit_distance(key, v.lower()), -difflib.SequenceMatcher(None, key, v.lower()).ratio(), v)
                    for v in valid)
    if scored and scored[0][0] <= max(2, len(key) // 3):
        return f"; did you mean {scored[0][2]!r}?"
    matches = difflib.get_close_matches(key, [v.lower() for v in valid], n=1, cutoff=0.6)
    if not matches:
        return ""
    lowered = {v.lower(): v for v in valid}
    return f"; did you mean {lowered[matches[0]]!r}?"


def unknown_name_error(kind: str, name, valid: Iterable[str]) -> ValueError:
    valid = sorted(set(valid))
    hint = did_you_mean(str(name), valid) or "."
    listed = ", ".join(repr(v) for v in valid)
    return ValueError(f"Unknown {kind} {name!r}. Expected one of {listed}{hint}")


def positive_int(owner: str, arg: str, value, example: str = "") -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    if not ok:
        try:  # numpy integers and integral floats such as 50.0
            ok = float(value) == int(value) and int(value) > 0 and not isinstance(value, bool)
        except (TypeError, ValueError):
            ok = False
    if not ok:
        fix = f" {example}" if example else ""
        raise ValueError(f"{owner} expects {arg} to be a positive int. Received: {arg}={value!r}.{fix}")
    return int(value)


def int_tuple(owner: str, arg: str, value, n: int, allow_zero: bool = False) -> tuple[int, ...]:
    """Accept an int or a sequence of n ints, as Keras does for kernel_size, strides, ..."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    else:
        try:
            out = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            out = ()
        if len(out) != n or any(float(a) != float(b) for a, b in zip(out, value)):
            raise ValueError(f"{owner} expects {arg} to be an int or a tuple of {n} ints. "
                             f"Received: {arg}={value!r}.")
    lo = 0 if allow_zero else 1
    if any(v < lo for v in out):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{owner} expects {arg} to hold {bound} ints. Received: {arg}={value!r}.")
    return out


def check_choice(owner: str, arg: str, value, choices: Iterable[str]) -> str:
    choices = list(choices)
    v = value.lower() if isinstance(value, str) else value
    if v not in choices:
        hint = did_you_mean(str(value), choices) or "."
        raise ValueError(f"{owner} expects {arg} to be one of {', '.join(map(repr, choices))}. "
                         f"Received: {arg}={value!r}{hint}")
    return v


def probability(owner: str, arg: str, value, inclusive_high: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    ok = 0.0 <= v <= 1.0 if inclusive_high else 0.0 <= v < 1.0
    if not ok:
        top = "1]" if inclusive_high else "1)"
        raise ValueError(f"{owner} expects {arg} to be a float in [0, {top}. Received: {arg}={value!r}.")
    return v
