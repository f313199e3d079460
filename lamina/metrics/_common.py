"""Shared helpers of the metrics."""
from __future__ import annotations

import torch

from ..losses import squeeze_or_expand_to_same_rank as _same_rank


_NEG_INF = -1e10


def _as_tensor(x, like: torch.Tensor | None = None) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach()
    return torch.as_tensor(x, device=None if like is None else like.device)


def _floats(y_true, y_pred):
    y_pred = _as_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    y_true = _as_tensor(y_true, y_pred).to(y_pred.dtype)
    return _same_rank(y_true, y_pred)


def _dtype(dtype) -> torch.dtype:
    if dtype is None:
        return torch.float32
    return getattr(torch, dtype) if isinstance(dtype, str) else dtype

def _sample_weights(sample_weight, like):
    """Weights broadcast to ``like``'s shape (one per sample expands along the other axes)."""
    if sample_weight is None:
        return torch.ones_like(like)
    w = _as_tensor(sample_weight, like).to(like.dtype)
    if w.ndim < like.ndim:
        w = w.reshape(w.shape + (1,) * (like.ndim - w.ndim))
    return torch.broadcast_to(w, like.shape)
