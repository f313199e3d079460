"""Metric functions: one value per sample (accuracy variants)."""
from __future__ import annotations

import torch

from ._common import _as_tensor, _floats


# ---------------------------------------------------------------- functions

def accuracy(y_true, y_pred):
    """1.0 where ``y_pred == y_true`` element-wise, else 0.0."""
    y_true, y_pred = _floats(y_true, y_pred)
    return (y_true == y_pred).float()


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Mean over the last axis of ``(y_pred > threshold) == y_true``; shape (batch,).

    Example:
        >>> binary_accuracy([[1], [0]], [[0.7], [0.6]])
        tensor([1., 0.])
    """
    y_true, y_pred = _floats(y_true, y_pred)
    hits = ((y_pred > threshold).to(y_pred.dtype) == y_true).float()
    return hits if hits.ndim <= 1 else hits.mean(dim=-1)


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_pred) == argmax(y_true)`` (one-hot targets); shape (batch,)."""
    y_pred = _as_tensor(y_pred)
    y_true = _as_tensor(y_true, y_pred)
    return (y_true.argmax(dim=-1) == y_pred.argmax(dim=-1)).float()


def _labels(y_true, y_pred):
    y_true = _as_tensor(y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return y_true if y_true.dtype == torch.long else y_true.long()


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_pred) == y_true`` (integer labels); shape (batch,).

    Example:
        >>> sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        tensor([0., 1.])
    """
    y_pred = _as_tensor(y_pred)
    return (y_pred.argmax(dim=-1) == _labels(y_true, y_pred)).float()


def _in_top_k(labels, y_pred, k):
    """Keras's in_top_k: the target's score is at least the k-th largest (ties count)."""
    k = min(int(k), y_pred.shape[-1])
    kth = y_pred.topk(k, dim=-1).values[..., -1]
    return (y_pred.gather(-1, labels.unsqueeze(-1)).squeeze(-1) >= kth).float()


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the target class (one-hot) is among the k highest predictions."""
    y_pred = _as_tensor(y_pred)
    return _in_top_k(_as_tensor(y_true, y_pred).argmax(dim=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the target class (integer label) is among the k highest predictions."""
    y_pred = _as_tensor(y_pred)
    return _in_top_k(_labels(y_true, y_pred), y_pred, k)
