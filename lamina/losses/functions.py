"""Loss functions: one value per sample, shape (batch,), Keras formulas."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._common import _eps, _last_mean, _pair, _per_sample, _pred, _tensor


# ----------------------------------------------------------------- functions

def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy between one-hot (or soft) targets and class probabilities.

    On probabilities (Keras): ``p = clip(y_pred / sum(y_pred), eps, 1 - eps)``,
    ``loss = -sum(y_true * log(p))``; with ``from_logits=True``,
    ``-sum(y_true * log_softmax(y_pred))``.

    Args:
        y_true: One-hot targets, shape (batch, ..., classes).
        y_pred: Probabilities (or logits), same shape.
        from_logits: Whether ``y_pred`` holds logits. Defaults to False.
        label_smoothing: In [0, 1]: targets become ``y * (1 - s) + s / classes``.
        axis: The class axis. Defaults to -1.

    Returns:
        Tensor of shape (batch,).

    Example:
        >>> categorical_crossentropy([[0, 1, 0]], [[0.05, 0.95, 0.0]])
        tensor([0.0513])
    """
    y_pred = _pred(y_pred)
    y_true = _tensor(y_true, y_pred, y_pred.dtype)
    if from_logits:  # torch's fused kernel; its label smoothing is Keras's formula
        if y_pred.ndim > 2 or axis not in (-1, y_pred.ndim - 1):
            y_pred, y_true = y_pred.movedim(axis, 1), y_true.movedim(axis, 1)
        return _per_sample(F.cross_entropy(y_pred, y_true, reduction="none",
                                           label_smoothing=float(label_smoothing)))
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]
    eps = _eps()
    log_p = torch.log((y_pred / y_pred.sum(dim=axis, keepdim=True)).clamp(eps, 1.0 - eps))
    return _per_sample(-(y_true * log_p).sum(dim=axis))


def label_range_error(labels, classes: int, ignore_class=None) -> ValueError:
    """The error for integer labels outside [0, classes): names the bad labels and the fix."""
    flat = labels.reshape(-1)
    if ignore_class is not None:
        flat = flat[flat != ignore_class]
    bad = flat[(flat < 0) | (flat >= classes)]
    shown = sorted({int(v) for v in bad[:1000].tolist()})[:5]
    return ValueError(
        f"sparse_categorical_crossentropy expects integer labels in [0, {classes}) because the model predicts "
        f"{classes} classes; received label(s) {shown} (labels range from {int(flat.min())} to "
        f"{int(flat.max())}). Set the last layer's units to the number of classes (max label + 1), or "
        f"relabel the data from 0.")


def _sparse_labels(y_true, y_pred, axis):
    y_true = _tensor(y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return y_true if y_true.dtype == torch.long else y_true.long()


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1, ignore_class=None):
    """Crossentropy between integer class labels and class probabilities.

    Same formula as :func:`categorical_crossentropy` with the one-hot vector
    given by its index.

    Args:
        y_true: Integer labels, shape (batch, ...) or (batch, ..., 1).
        y_pred: Probabilities (or logits), shape (batch, ..., classes).
        from_logits: Whether ``y_pred`` holds logits. Defaults to False.
        axis: The class axis. Defaults to -1.
        ignore_class: A label (e.g. -1 or 255) whose positions count for nothing.
            Per-sample values average the remaining positions.

    Returns:
        Tensor of shape (batch,).

    Example:
        >>> sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        tensor([0.0513, 2.3026])
    """
    y_pred = _pred(y_pred)
    labels = _sparse_labels(y_true, y_pred, axis)
    if axis not in (-1, y_pred.ndim - 1):
        y_pred = y_pred.movedim(axis, -1)
    if y_pred.ndim > 2:  # torch's kernels want the class axis at 1
        y_pred = y_pred.movedim(-1, 1)
    ignore = -100 if ignore_class is None else int(ignore_class)
    try:
        if from_logits:  # torch's fused log_softmax + nll
            loss = F.cross_entropy(y_pred, labels, reduction="none", ignore_index=ignore)
        else:
            eps = _eps()
            log_p = torch.log((y_pred / y_pred.sum(dim=1, keepdim=True)).clamp(eps, 1.0 - eps))
            loss = F.nll_loss(log_p, labels, reduction="none", ignore_index=ignore)
    except (IndexError, RuntimeError) as err:  # torch: "Target 5 is out of bounds"; costs nothing when fine
        if "out of bounds" not in str(err) and not isinstance(err, IndexError):
            raise
        raise label_range_error(labels, y_pred.shape[1], ignore_class) from None
    if ignore_class is None:
        return _per_sample(loss)
    valid = labels != ignore_class  # ignored positions already hold 0
    if loss.ndim <= 1:
        return loss
    n = valid.reshape(valid.shape[0], -1).sum(dim=1).clamp_min(1)
    return loss.reshape(loss.shape[0], -1).sum(dim=1) / n


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy of independent yes/no predictions, averaged over the last axis.

    On probabilities (Keras): ``p = clip(y_pred, eps, 1 - eps)``,
    ``-(y log p + (1 - y) log(1 - p))``; with ``from_logits=True`` the stable
    ``binary_cross_entropy_with_logits``.

    Args:
        y_true: Targets in [0, 1], shape (batch, ...) matching ``y_pred``.
        y_pred: Probabilities (or logits).
        from_logits: Whether ``y_pred`` holds logits. Defaults to False.
        label_smoothing: In [0, 1]: targets become ``y * (1 - s) + 0.5 * s``.
        axis: Kept for Keras compatibility; the mean is over the last axis.

    Returns:
        Tensor of shape (batch,).

    Example:
        >>> binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        tensor([0.9163, 0.7136])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        eps = _eps()
        values = F.binary_cross_entropy(y_pred.clamp(eps, 1.0 - eps), y_true, reduction="none")
    return _per_sample(_last_mean(values))


def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred) ** 2)`` per sample. Example: ``mse([[0., 1.]], [[1., 1.]]) -> tensor([0.5])``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _per_sample(_last_mean((y_true - y_pred).square()))


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_true - y_pred|)`` per sample."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _per_sample(_last_mean((y_true - y_pred).abs()))


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|)`` per sample."""
    y_true, y_pred = _pair(y_true, y_pred)
    diff = ((y_true - y_pred) / y_true.abs().clamp_min(_eps())).abs()
    return _per_sample(100.0 * _last_mean(diff))


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)) ** 2)`` per sample."""
    y_true, y_pred = _pair(y_true, y_pred)
    eps = _eps()
    diff = torch.log1p(y_pred.clamp_min(eps)) - torch.log1p(y_true.clamp_min(eps))
    return _per_sample(_last_mean(diff.square()))


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for ``|error| <= delta``, linear beyond: ``0.5 * e**2`` or
    ``delta * |e| - 0.5 * delta**2``, averaged per sample."""
    y_true, y_pred = _pair(y_true, y_pred)
    err = (y_pred - y_true).abs()
    values = torch.where(err <= delta, 0.5 * err.square(), delta * err - 0.5 * delta * delta)
    return _per_sample(_last_mean(values))


def _hinge_labels(y_true):
    """0/1 labels become -1/1 (decided on the device, without a sync), others stay."""
    binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0))`` with labels in {-1, 1} (0/1 labels are converted)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _per_sample(_last_mean(torch.relu(1.0 - _hinge_labels(y_true) * y_pred)))


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0) ** 2)`` with labels in {-1, 1} (0/1 labels are converted)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _per_sample(_last_mean(torch.relu(1.0 - _hinge_labels(y_true) * y_pred).square()))


def categorical_hinge(y_true, y_pred):
    """``max(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)`` and
    ``neg = max((1 - y_true) * y_pred)`` over the class axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    pos = (y_true * y_pred).sum(dim=-1)
    neg = ((1.0 - y_true) * y_pred).amax(dim=-1)
    return _per_sample(torch.relu(neg - pos + 1.0))


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred))`` over the last axis, both clipped to [eps, 1]."""
    y_true, y_pred = _pair(y_true, y_pred)
    eps = _eps()
    y_true = y_true.clamp(eps, 1.0)
    y_pred = y_pred.clamp(eps, 1.0)
    values = y_true * torch.log(y_true / y_pred)
    return _per_sample(values if values.ndim <= 1 else values.sum(dim=-1))


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + eps))`` per sample."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _per_sample(_last_mean(y_pred - y_true * torch.log(y_pred + _eps())))


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)))`` per sample, computed stably as
    ``x + softplus(-2x) - log(2)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return _per_sample(_last_mean(x + F.softplus(-2.0 * x) - math.log(2.0)))


def _l2_normalize(x, axis):
    return x * torch.rsqrt(x.square().sum(dim=axis, keepdim=True).clamp_min(1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred))``: -1 for the same
    direction, 0 orthogonal (or a zero vector), 1 opposite."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _per_sample(-(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(dim=axis))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
