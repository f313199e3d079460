"""Shared helpers of the loss functions and classes."""
from __future__ import annotations


import torch



def _eps() -> float:
    from ..config import epsilon
    return epsilon()


def _tensor(x, like: torch.Tensor | None = None, dtype=None) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        t = x
    else:
        t = torch.as_tensor(x, device=None if like is None else like.device)
    if dtype is not None and t.dtype != dtype:
        t = t.to(dtype)
    return t


def _pred(y_pred) -> torch.Tensor:
    y_pred = _tensor(y_pred)
    return y_pred if y_pred.is_floating_point() else y_pred.to(torch.get_default_dtype())


def _same_rank(y_true, y_pred):
    """Keras's squeeze_or_expand_to_same_rank: drop a trailing axis of size 1 so
    (N,) targets meet (N, 1) predictions element by element, never broadcasting to (N, N)."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_pred = y_pred.squeeze(-1)
    return y_true, y_pred


def _pair(y_true, y_pred):
    y_pred = _pred(y_pred)
    y_true = _tensor(y_true, y_pred, y_pred.dtype)
    return _same_rank(y_true, y_pred)


def _per_sample(values: torch.Tensor) -> torch.Tensor:
    """(batch, ...) -> (batch,) by the mean over non-batch axes; 0-d -> (1,)."""
    if values.ndim == 0:
        return values.reshape(1)
    if values.ndim == 1:
        return values
    return values.reshape(values.shape[0], -1).mean(dim=1)


def _last_mean(values: torch.Tensor) -> torch.Tensor:
    """Keras's mean over the last axis, keeping 1-D inputs element-wise (one value per sample)."""
    return values if values.ndim <= 1 else values.mean(dim=-1)


# Public names for the metrics package, which reduces and aligns values the way the losses do.
squeeze_or_expand_to_same_rank = _same_rank
per_sample_mean = _per_sample
