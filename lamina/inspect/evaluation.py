"""Where the model goes wrong: confusion matrix with per-class precision and recall, and the
most confident mistakes."""
from __future__ import annotations

import numpy as np
import torch

from ._common import check_model, input_format, new_figure, prepare_images, to_display

__all__ = ["predict_proba", "confusion_matrix", "mistakes", "plot_confusion_matrix", "plot_mistakes",
           "confusion_from_probabilities", "mistakes_from_probabilities"]


def _labels(y, n: int, what: str) -> np.ndarray:
    y = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)          # one-hot
    y = y.reshape(-1)
    if len(y) != n:
        raise ValueError(f"{what} received {n} images and {len(y)} labels; pass one label per image.")
    if y.size and (np.any(y < 0) or np.any(y != np.round(y))):
        raise ValueError(f"{what} expects integer class labels >= 0 (or one-hot rows). Received values such "
                         f"as {y[:5].tolist()}.")
    return y.astype(np.int64)


def predict_proba(model, x, batch_size: int = 256, what: str = "predict") -> np.ndarray:
    """Model outputs (first output for several) for a batch of images, converting their shape as
    :func:`feature_maps` does; a single sigmoid unit becomes two columns (1 - p, p)."""
    check_model(model, what)
    xt = prepare_images(model, x, what)
    outs = []
    with torch.no_grad():
        for s in range(0, len(xt), batch_size):
            o = model(xt[s:s + batch_size], training=False)
            if not isinstance(o, torch.Tensor):
                o = o[0] if isinstance(o, (list, tuple)) else next(iter(o.values()))
            outs.append(o.float().cpu())
    p = torch.cat(outs).numpy() if outs else np.zeros((0, 0), np.float32)
    if p.ndim != 2:
        raise ValueError(f"{what}: model '{model.name}' outputs shape {p.shape}; expected class scores "
                         f"(batch, classes).")
    if p.shape[1] == 1:
        p = np.concatenate([1.0 - p, p], axis=1)
    return p


def confusion_matrix(model, x, y, num_classes: int | None = None, batch_size: int = 256, plot: bool = False):
    """Counts of (true class, predicted class) pairs on labelled data, with per-class precision and
    recall.

    Args:
        model: a built classifier (softmax over classes, or one sigmoid unit).
        x: images (any shape :func:`feature_maps` accepts, batched).
        y: labels, integers or one-hot rows.
        num_classes: matrix size (default: the model's number of outputs).
        batch_size: images per forward pass (default 256).
        plot: also return a Figure.

    Returns:
        A dict: ``matrix`` (classes, classes) int64, rows = true class, columns = predicted;
        ``precision`` and ``recall`` per class (NaN where a class was never predicted / never
        present); ``accuracy``; ``predicted`` labels. With ``plot=True``, (dict, Figure).

    Example:
        >>> cm = confusion_matrix(model, x_test, y_test)
        >>> cm["matrix"][3, 5]     # threes taken for fives
    """
    what = "confusion_matrix"
    probs = predict_proba(model, x, batch_size, what)
    result = confusion_from_probabilities(probs, y, num_classes, what)
    if not plot:
        return result
    return result, plot_confusion_matrix(result)


def confusion_from_probabilities(probs: np.ndarray, y, num_classes: int | None = None,
                                 what: str = "confusion_matrix") -> dict:
    """:func:`confusion_matrix` from model outputs already computed ((n, classes) scores)."""
    y = _labels(y, len(probs), what)
    k = int(num_classes) if num_classes is not None else max(probs.shape[1], int(y.max()) + 1 if y.size else 0)
    if y.size and y.max() >= k:
        raise ValueError(f"{what}: labels go up to {int(y.max())} but the matrix has {k} classes "
                         f"(num_classes={num_classes}). Pass num_classes > {int(y.max())}.")
    pred = probs.argmax(axis=1)
    matrix = np.bincount(y * k + pred, minlength=k * k).reshape(k, k).astype(np.int64)
    diag = np.diag(matrix).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = diag / matrix.sum(axis=0)
        recall = diag / matrix.sum(axis=1)
    return {"matrix": matrix, "precision": precision, "recall": recall,
            "accuracy": float(diag.sum() / max(len(y), 1)), "predicted": pred}


def plot_confusion_matrix(result: dict, class_names=None):
    """A Figure of a :func:`confusion_matrix` result: counts in cells, recall per row and precision
    per column in the margins."""
    matrix = result["matrix"]
    k = len(matrix)
    names = [str(i) for i in range(k)] if class_names is None else [str(n) for n in class_names]
    size = min(9.0, 2.5 + 0.45 * k)
    fig = new_figure(size + 1.2, size)
    ax = fig.subplots(1, 1)
    im = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    peak = matrix.max() if matrix.size else 0
    if k <= 20:
        for i in range(k):
            for j in range(k):
                if matrix[i, j]:
                    ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if matrix[i, j] > peak / 2 else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels([f"{n}\n{p:.2f}" if np.isfinite(p) else f"{n}\n-"
                        for n, p in zip(names, result["precision"])], fontsize=7)
    ax.set_yticklabels([f"{n} ({r:.2f})" if np.isfinite(r) else f"{n} (-)"
                        for n, r in zip(names, result["recall"])], fontsize=7)
    ax.set_xlabel("predicted class (precision)")
    ax.set_ylabel("true class (recall)")
    ax.set_title(f"accuracy {result['accuracy']:.4f}", fontsize=10)
    fig.tight_layout()
    return fig


def mistakes(model, x, y, k: int = 10, batch_size: int = 256, plot: bool = False, ncols: int | None = None):
    """The k most confident wrong predictions: images the model got wrong with the highest
    probability on its (wrong) answer.

    Args:
        model: a built classifier.
        x: images; y: labels (integers or one-hot rows).
        k: how many (default 10; fewer if there are fewer mistakes).
        batch_size: images per forward pass.
        plot: also return a Figure (each image titled "true -> predicted (confidence)").

    Returns:
        A dict with arrays sorted by confidence, highest first: ``index`` (positions in x),
        ``images`` (rows, cols, channels), ``true``, ``predicted``, ``confidence`` (probability of the
        predicted class), ``true_probability``. With ``plot=True``, (dict, Figure).
    """
    what = "mistakes"
    probs = predict_proba(model, x, batch_size, what)
    result = mistakes_from_probabilities(model, x, probs, y, k, what)
    if not plot:
        return result
    return result, plot_mistakes(result, ncols)


def mistakes_from_probabilities(model, x, probs: np.ndarray, y, k: int = 10, what: str = "mistakes") -> dict:
    """:func:`mistakes` from model outputs already computed ((n, classes) scores)."""
    y = _labels(y, len(probs), what)
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != y)
    conf = probs[wrong, pred[wrong]]
    order = wrong[np.argsort(-conf, kind="stable")][: max(int(k), 0)]
    if len(order):
        images = to_display(prepare_images(model, np.asarray(x)[order], what), input_format(model))
    else:
        images = np.zeros((0,), np.float32)
    return {"index": order, "images": images, "true": y[order], "predicted": pred[order],
            "confidence": probs[order, pred[order]], "true_probability": probs[order, y[order]]}


def plot_mistakes(result: dict, ncols: int | None = None):
    """A Figure of a :func:`mistakes` result, each image titled "true → predicted (confidence)"."""
    from .images import show_images
    n = len(result["index"])
    if not n:
        fig = new_figure(3, 1)
        fig.text(0.5, 0.5, "no mistakes", ha="center", va="center")
        return fig
    titles = [f"{t} → {p} ({c:.2f})" for t, p, c in zip(result["true"], result["predicted"], result["confidence"])]
    return show_images(list(result["images"]), titles=titles, ncols=ncols or min(8, n), data_format="channels_last")
