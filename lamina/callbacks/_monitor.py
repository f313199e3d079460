"""What EarlyStopping, ModelCheckpoint and ReduceLROnPlateau share: finding the
monitored value in the epoch logs, and deciding whether it improved.

Keras 3 semantics (``keras/src/callbacks/monitor_callback.py``): ``mode='auto'``
minimises losses and maximises accuracy-like metrics; an improvement is
``current - min_delta`` beyond the reference, with ``min_delta`` taken as a
magnitude and signed by the direction. lamina differs in one way: a monitored
key missing from the logs raises (Keras only warns and then does nothing).
"""
from __future__ import annotations

from .._errors import check_choice, did_you_mean
from .base import Callback

__all__: list[str] = []

# Substrings of metric names that are better when higher (Keras metrics with _direction='up').
_UP_WORDS = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2", "cosine_similarity",
             "true_positives", "true_negatives", "specificity", "sensitivity")


def metric_aliases(key: str) -> list[str]:
    """Other spellings of a log key: Keras 2 wrote 'acc'/'val_acc' and 'lr' where Keras 3 writes
    'accuracy'/'val_accuracy' and 'learning_rate'; the course code monitors the old names."""
    out = []
    for old, new in (("acc", "accuracy"), ("lr", "learning_rate")):
        for a, b in ((old, new), (new, old)):
            if key == a:
                out.append(b)
            elif key.endswith("_" + a):
                out.append(key[: -len(a)] + b)
    return out


def lookup(logs: dict, key: str):
    """The value of ``key`` in ``logs`` (or of its Keras 2/3 alias), or None when absent."""
    if key in logs:
        return logs[key]
    for alt in metric_aliases(key):
        if alt in logs:
            return logs[alt]
    return None


def missing_key_error(owner: str, what: str, key: str, logs: dict) -> ValueError:
    keys = list(logs)
    listed = ", ".join(repr(k) for k in keys) or "none"
    hint = ""
    if key.startswith("val_") and not any(k.startswith("val_") for k in keys):
        hint = (" Validation metrics ('val_...') exist only when fit() gets validation_data= or "
                "validation_split=.")
    elif keys:
        hint = did_you_mean(key, keys).replace("; did you mean", " Did you mean")
    return ValueError(f"{owner} {what} {key!r}, which is not in the epoch logs. Available keys: {listed}.{hint}")


def as_float(value) -> float:
    """A log value (Python/numpy number or 0-d tensor) as a Python float."""
    return float(value.item() if hasattr(value, "item") else value)


class _MonitorCallback(Callback):
    """Base of callbacks that watch one logged quantity (``monitor``) for improvements."""

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0, baseline=None):
        super().__init__()
        owner = type(self).__name__
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"{owner} expects monitor to be the name of a logged quantity, e.g. 'val_loss' or "
                             f"'val_accuracy'. Received: monitor={monitor!r}.")
        self.monitor = monitor
        self.mode = check_choice(owner, "mode", mode, ("auto", "min", "max"))
        try:
            self.min_delta = abs(float(min_delta))
        except (TypeError, ValueError):
            raise ValueError(f"{owner} expects min_delta to be a number. Received: min_delta={min_delta!r}.") from None
        self.best = None if baseline is None else float(baseline)
        self._direction = None  # 'min' or 'max', decided at the first epoch end (needs the compiled metrics)

    # ------------------------------------------------------------ direction
    def _resolve_direction(self) -> str:
        if self._direction is None:
            self._direction = self.mode if self.mode != "auto" else _auto_direction(self.monitor, self.model)
        return self._direction

    def _is_improvement(self, current: float, reference) -> bool:
        if reference is None:
            return True
        if self._resolve_direction() == "min":
            return current + self.min_delta < reference
        return current - self.min_delta > reference

    # ------------------------------------------------------------ values
    def _monitor_value(self, logs, what="monitors"):
        """The monitored value as a float; None in an epoch that skipped validation
        (``fit(validation_freq=N)``); raises when the key cannot be found."""
        logs = logs or {}
        value = lookup(logs, self.monitor)
        if value is None:
            if validation_skipped(self, logs, self.monitor):
                return None
            raise missing_key_error(type(self).__name__, what, self.monitor, logs)
        return as_float(value)


def validation_skipped(callback, logs: dict, key: str) -> bool:
    """True when ``key`` is a validation quantity and this epoch ran no validation although fit has
    validation data (``params['do_validation']``, as Keras 2 called it), i.e. ``validation_freq > 1``."""
    return (key.startswith("val_") and bool((callback.params or {}).get("do_validation"))
            and not any(k.startswith("val_") for k in logs))


def _auto_direction(monitor: str, model) -> str:
    """'min' for losses and errors, 'max' for accuracy-like metrics (what Keras 'auto' decides)."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss" or name.endswith("_loss"):
        return "min"
    # A compiled metric object may say which way is better, as Keras metrics do (_direction 'up'/'down').
    for m in _model_metrics(model):
        if getattr(m, "name", None) in (name, *metric_aliases(name)):
            direction = getattr(m, "_direction", None) or getattr(m, "direction", None)
            if direction in ("up", "max"):
                return "max"
            if direction in ("down", "min"):
                return "min"
    lowered = name.lower()
    if any(word in lowered for word in _UP_WORDS):
        return "max"
    return "min"


def _model_metrics(model):
    metrics = getattr(model, "metrics", None) if model is not None else None
    if metrics is None or callable(metrics) or isinstance(metrics, (str, bytes)):
        return []
    try:
        return list(metrics)
    except TypeError:
        return []

