"""What a comparison runs: candidates (a model and its training recipe), seeds and settings.

A :class:`Candidate` names a network and how to train it. Its ``build`` is a
built-in architecture name, a Python file defining ``build_model()``, or a
Python callable; its settings override the defaults below, which are the CS4487
handout's recipe (SGD with Nesterov momentum 0.9, batch 50, up to 100 epochs,
early stopping on validation accuracy with patience 5).
"""
from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
from pathlib import Path

__all__ = ["Candidate", "DEFAULT_SETTINGS", "resolve_candidates"]

# The handout's recipe. Every key can be overridden per candidate or per settings variant.
DEFAULT_SETTINGS = {
    "optimizer": "sgd",          # 'sgd' or any lamina optimizer name
    "lr": 0.01,                  # learning rate
    "momentum": 0.9,             # SGD only
    "nesterov": True,            # SGD only
    "batch_size": 50,
    "epochs": 100,               # the recipe's epochs; a comparison's epoch budget may cap it
    "patience": 5,               # early-stopping patience in epochs; None trains every epoch
    "monitor": "val_accuracy",
    "min_delta": 1e-4,
    "restore_best": False,       # restore the best validation epoch's weights at the end
    "augment": None,             # ImageDataGenerator arguments, e.g. {'rotation_range': 10}
    "noise": 0.0,                # std of Gaussian pixel noise added to each augmented image
    "expand": None,              # 'shift1': add the four one-pixel shifts of every training image
    "validation": 0.1,           # fraction of the training images held out (fixed, seed 4487)
}

_TYPES = {"optimizer": str, "lr": float, "momentum": float, "nesterov": bool, "batch_size": int,
          "epochs": int, "patience": (int, type(None)), "monitor": str, "min_delta": float,
          "restore_best": bool, "augment": (dict, type(None)), "noise": float, "expand": (str, type(None)),
          "validation": float}


def check_settings(settings: dict, where: str) -> dict:
    """Settings merged over the defaults; unknown keys and wrong types raise with the fix."""
    from .._errors import did_you_mean

    out = dict(DEFAULT_SETTINGS)
    for key, value in settings.items():
        if key not in DEFAULT_SETTINGS:
            raise ValueError(f"{where}: unknown setting {key!r}. Expected one of "
                             f"{', '.join(sorted(DEFAULT_SETTINGS))}{did_you_mean(key, DEFAULT_SETTINGS) or '.'}")
        want = _TYPES[key]
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            names = " or ".join(t.__name__ for t in (want if isinstance(want, tuple) else (want,)))
            raise ValueError(f"{where}: setting {key!r} must be {names}. Received: {key}={value!r}.")
        out[key] = value
    for key in ("lr", "batch_size", "epochs"):
        if not out[key] > 0:
            raise ValueError(f"{where}: setting {key!r} must be positive. Received: {key}={out[key]!r}.")
    if out["patience"] is not None and out["patience"] < 1:
        raise ValueError(f"{where}: setting 'patience' must be a positive int or None (no early stopping). "
                         f"Received: patience={out['patience']!r}.")
    if not 0.0 < out["validation"] < 1.0:
        raise ValueError(f"{where}: setting 'validation' must be in (0, 1). Received: "
                         f"validation={out['validation']!r}.")
    if out["expand"] not in (None, "shift1"):
        raise ValueError(f"{where}: setting 'expand' must be None or 'shift1' (one-pixel shifts). Received: "
                         f"expand={out['expand']!r}.")
    if out["noise"] < 0:
        raise ValueError(f"{where}: setting 'noise' is a standard deviation, >= 0. Received: noise={out['noise']!r}.")
    return out


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One row of a comparison: a network and how to train it.

    Args:
        name: the row's label in the table.
        build: a built-in architecture name (see ``lamina.experiments.ARCHITECTURES``),
            a path to a Python file defining ``build_model()``, or a callable
            ``build(input_shape, num_classes)`` (or ``build()``) returning a model.
            With ``workers > 1`` a callable must be importable by name (a
            module-level function), as it is sent to worker processes.
        settings: overrides of :data:`DEFAULT_SETTINGS` (default: none).
        published: a published test accuracy to show beside lamina's (optional).
        ensemble: combine this many networks, trained with seeds derived from
            each run's seed, by averaging their softmax outputs (default: None,
            a single network).
        note: a short remark shown with the row (optional).

    Example:
        >>> Candidate("CNN + dropout", "cnn", {"lr": 0.02}, published=0.9756)
    """

    name: str
    build: object
    settings: dict = dataclasses.field(default_factory=dict)
    published: float | None = None
    ensemble: int | None = None
    note: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Candidate expects a non-empty name. Received: name={self.name!r}.")
        if self.ensemble is not None and (not isinstance(self.ensemble, int) or self.ensemble < 2):
            raise ValueError(f"Candidate {self.name!r}: ensemble must be an int >= 2 (networks to combine) or None."
                             f" Received: ensemble={self.ensemble!r}.")
        object.__setattr__(self, "settings", check_settings(dict(self.settings), f"Candidate {self.name!r}"))

    def build_ref(self) -> str:
        """A stable text naming the builder (part of each run's identity)."""
        b = self.build
        if isinstance(b, str):
            if b.endswith(".py"):
                data = Path(b).read_bytes() if Path(b).is_file() else b"missing"
                return f"file:{Path(b).resolve()}:{hashlib.sha256(data).hexdigest()[:12]}"
            return f"builtin:{b}"
        mod = getattr(b, "__module__", "?")
        qual = getattr(b, "__qualname__", type(b).__name__)
        try:
            src = inspect.getsource(b)
        except (OSError, TypeError):
            src = ""
        return f"callable:{mod}.{qual}:{hashlib.sha256(src.encode()).hexdigest()[:12]}"


def recipe_hash(candidate: Candidate, settings: dict, data: str, quick: bool) -> str:
    """Identity of one trained network's recipe: same hash + same seed = same run."""
    text = json.dumps({"build": candidate.build_ref(), "settings": settings, "data": data, "quick": quick},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def as_candidate(entry) -> Candidate:
    if isinstance(entry, Candidate):
        return entry
    if isinstance(entry, str):
        return Candidate(Path(entry).stem if entry.endswith(".py") else entry, entry)
    if callable(entry):
        return Candidate(getattr(entry, "__name__", type(entry).__name__), entry)
    raise ValueError(f"compare expects models as names, .py files, callables or Candidate objects. "
                     f"Received {entry!r} ({type(entry).__name__}).")


def variant_label(variant: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in variant.items())


def resolve_candidates(models, settings) -> list[Candidate]:
    """models x settings variants -> the comparison's rows."""
    if isinstance(models, (str, Candidate)) or callable(models):
        models = [models]
    cands = [as_candidate(m) for m in models]
    if not cands:
        raise ValueError("compare expects at least one model. Received an empty list. Pass names, e.g. "
                         "compare(['logreg', 'cnn']).")
    variants = [{}] if settings is None else [settings] if isinstance(settings, dict) else list(settings)
    for v in variants:
        if not isinstance(v, dict):
            raise ValueError(f"compare expects settings as a dict or a list of dicts. Received {v!r}.")
    rows = []
    for c in cands:
        for v in variants:
            if not v:
                rows.append(c)
                continue
            merged = {k: val for k, val in c.settings.items() if val != DEFAULT_SETTINGS[k]}
            merged.update(v)
            rows.append(dataclasses.replace(c, name=f"{c.name} ({variant_label(v)})", settings=merged))
    names = [r.name for r in rows]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"compare needs a distinct name per row; {', '.join(map(repr, dup))} repeats. Use "
                         f"Candidate(name=..., build=...) to name them.")
    return rows
