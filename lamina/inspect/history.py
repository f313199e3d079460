"""Training curves: training against validation per epoch, optionally smoothed."""
from __future__ import annotations

import numpy as np

from ._common import new_figure

__all__ = ["smooth_curve", "history_dict", "plot_history"]


def smooth_curve(points, factor: float = 0.8) -> np.ndarray:
    """Exponential running average, as Deep Learning with Python smooths noisy curves.

    ``s[0] = p[0]`` and ``s[i] = factor * s[i - 1] + (1 - factor) * p[i]``.

    Args:
        points: a sequence of numbers.
        factor: weight of the previous smoothed value, in [0, 1) (default 0.8).

    Example:
        >>> smooth_curve([1.0, 0.0, 0.0], factor=0.5).tolist()
        [1.0, 0.5, 0.25]
    """
    if not 0.0 <= float(factor) < 1.0:
        raise ValueError(f"smooth_curve expects factor in [0, 1). Received: factor={factor!r}.")
    pts = np.asarray(points, dtype=np.float64).ravel()
    out = np.empty_like(pts)
    for i, p in enumerate(pts):
        out[i] = p if i == 0 else out[i - 1] * factor + p * (1.0 - factor)
    return out


def history_dict(history) -> dict:
    """``{"loss": [...], "val_loss": [...], ...}`` from a History, a model that was fitted, or a dict.

    A dict written by ``lamina train`` (``{"history": {...}, ...}``) is unwrapped too.
    """
    if isinstance(history, dict):
        if "history" in history and isinstance(history["history"], dict):
            history = history["history"]
        return {str(k): [float(v) for v in vals] for k, vals in history.items()
                if isinstance(vals, (list, tuple, np.ndarray))}
    inner = getattr(history, "history", None)
    if isinstance(inner, dict):
        return history_dict(inner)
    if inner is not None and isinstance(getattr(inner, "history", None), dict):  # a model: model.history
        return history_dict(inner.history)
    raise TypeError(f"plot_history expects the History returned by fit(), a fitted model or a dict of lists. "
                    f"Received {type(history).__name__}.")


_ALIASES = {"accuracy": ("accuracy", "acc"), "acc": ("acc", "accuracy")}


def plot_history(history, metrics=("loss", "accuracy"), smooth=None, best_epoch: int | None = None):
    """Training and validation curves per epoch, one panel per metric.

    Args:
        history: the History from ``fit()``, a fitted model, or a dict of per-epoch lists.
        metrics: metric names to draw (default ('loss', 'accuracy')); 'acc' and 'accuracy' are
            interchangeable. Names the history lacks are skipped; if none is present a ValueError
            lists those it has.
        smooth: None (raw curves) or a factor in [0, 1) for :func:`smooth_curve` (Deep Learning with Python uses 0.8).
        best_epoch: None, or the epoch (1-based) whose weights the model has, e.g. the one
            EarlyStopping(restore_best_weights=True) restored (``stop.best_epoch + 1``): marked by a
            dashed line labelled "restored: epoch N" in every panel.

    Returns:
        A matplotlib Figure (never shown in a window).

    Example:
        >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, metrics=("loss",))
    """
    hist = history_dict(history)
    if isinstance(metrics, str):
        metrics = (metrics,)
    chosen = []
    for name in metrics:
        for key in _ALIASES.get(name, (name,)):
            if key in hist:
                chosen.append(key)
                break
    if not chosen:
        raise ValueError(f"plot_history found none of {list(metrics)} in the history. It has: "
                         f"{', '.join(sorted(hist)) or 'nothing'}.")
    from matplotlib.ticker import MaxNLocator
    fig = new_figure(4.6 * len(chosen), 3.4)
    axes = fig.subplots(1, len(chosen), squeeze=False)[0]
    for ax, key in zip(axes, chosen):
        for prefix, label, style in (("", "training", "o-"), ("val_", "validation", "s-")):
            if prefix + key not in hist:
                continue
            values = np.asarray(hist[prefix + key], dtype=np.float64)
            epochs = np.arange(1, len(values) + 1)
            if smooth is not None:
                ax.plot(epochs, values, style, alpha=0.25, markersize=3, color=f"C{0 if not prefix else 1}")
                values = smooth_curve(values, smooth)
                label += " (smoothed)"
            ax.plot(epochs, values, style, markersize=3, label=label, color=f"C{0 if not prefix else 1}")
        if best_epoch is not None:
            ax.axvline(best_epoch, color="0.25", linestyle="--", linewidth=1, label=f"restored: epoch {best_epoch}")
            values = hist.get("val_" + key, hist[key])
            if 1 <= best_epoch <= len(values):
                ax.plot([best_epoch], [values[best_epoch - 1]], marker="*", markersize=11, color="0.15",
                        linestyle="none")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_title(key)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
