"""Loss functions and classes with Keras's names, arguments and formulas.

Functions (``categorical_crossentropy(y_true, y_pred)``, ``mse``, ...) return one
value per sample, shape ``(batch,)``: Keras reduces the last axis, and lamina
also averages any other non-batch axes. Classes (``CategoricalCrossentropy()``)
add Keras's default reduction, ``sum(sample_weight * loss) / batch_size``, and
what the training engine needs: ``per_sample``, the fused log-space form
``per_sample_from_logits`` (used when the model ends in softmax/sigmoid, as
TF-Keras did), ``target_dtype`` and ``check_targets``.

Crossentropy on probabilities follows Keras: predictions are divided by their
sum (categorical) and clipped to ``[eps, 1 - eps]`` with
``eps = lamina.config.epsilon()`` (1e-7).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._errors import check_choice, unknown_name_error
from ._registry import get_class, register

__all__ = [
    "Loss", "LossFunctionWrapper", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "BinaryCrossentropy", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "Huber", "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence",
    "Poisson", "LogCosh", "CosineSimilarity",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "hinge", "squared_hinge", "categorical_hinge",
    "kl_divergence", "poisson", "log_cosh", "cosine_similarity",
    "mse", "mae", "mape", "msle", "kld", "kullback_leibler_divergence", "logcosh",
    "get", "serialize", "deserialize",
]


def _eps() -> float:
    from .config import epsilon
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
    if from_logits:  # torch's fused log_softmax + nll
        loss = F.cross_entropy(y_pred, labels, reduction="none", ignore_index=ignore)
    else:
        eps = _eps()
        log_p = torch.log((y_pred / y_pred.sum(dim=1, keepdim=True)).clamp(eps, 1.0 - eps))
        loss = F.nll_loss(log_p, labels, reduction="none", ignore_index=ignore)
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


# -------------------------------------------------------------------- classes

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none")


def _format_shape(shape) -> str:
    """A shape with the batch axis shown as N: (N, 10), (N,)."""
    dims = ["N"] + [str(d) for d in tuple(shape)[1:]]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` -> reduced scalar.

    Subclasses implement ``call(y_true, y_pred)`` returning one value per sample
    (shape (batch,)). The engine also uses ``per_sample``, ``fused_kind`` with
    ``per_sample_from_logits``, ``target_dtype`` and ``check_targets``.

    Args:
        reduction: 'sum_over_batch_size' (default, ``sum(w * loss) / batch``), 'sum',
            'mean' (same as the default), 'mean_with_sample_weight'
            (``sum(w * loss) / sum(w)``) or None/'none' (per-sample values).
        name: Defaults to the snake-case class name.
    """

    fused_kind: str | None = None
    target_dtype: torch.dtype | None = None
    fn_name = "loss"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        from ._naming import to_snake_case
        self.reduction = None if reduction is None else check_choice(type(self).__name__, "reduction",
                                                                      reduction, _REDUCTIONS)
        self.name = name if name is not None else to_snake_case(type(self).__name__)

    def call(self, y_true, y_pred) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def per_sample(self, y_true, y_pred) -> torch.Tensor:
        """One loss value per sample, shape (batch,)."""
        return self.call(y_true, y_pred)

    def per_sample_from_logits(self, y_true, logits) -> torch.Tensor:
        """The loss of ``activation(logits)`` computed in log space (crossentropies only)."""
        raise NotImplementedError(f"{type(self).__name__} has no fused logits form (fused_kind is None).")

    def check_targets(self, y_true_shape, y_pred_shape) -> None:
        """Raise a ValueError with a fix when targets of this shape cannot fit the predictions."""

    def _valid_count(self, y_true, batch):
        return batch

    def __call__(self, y_true, y_pred, sample_weight=None) -> torch.Tensor:
        values = self.per_sample(y_true, y_pred)
        if sample_weight is not None:
            w = _tensor(sample_weight, values, values.dtype)
            if w.ndim > 1 and w.numel() == values.numel():
                w = w.reshape(values.shape)
            values = values * w
        if self.reduction in (None, "none"):
            return values
        total = values.sum()
        if self.reduction == "sum":
            return total
        if self.reduction == "mean_with_sample_weight" and sample_weight is not None:
            return total / torch.broadcast_to(w, values.shape).sum()
        return total / self._valid_count(y_true, values.numel())

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class LossFunctionWrapper(Loss):
    """A Loss around any ``fn(y_true, y_pred, **kwargs)`` returning per-sample
    (or per-element) values.

    Example:
        >>> def my_mse(y_true, y_pred):
        ...     return ((y_true - y_pred) ** 2).mean(dim=-1)
        >>> LossFunctionWrapper(my_mse).name
        'my_mse'
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", "loss"))
        self.fn = fn
        self.fn_name = getattr(fn, "__name__", "loss")
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return _per_sample(self.fn(y_true, y_pred, **self._fn_kwargs))

    def get_config(self):
        return {**super().get_config(), "fn": self.fn_name, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        name = config.pop("fn")
        fn = (custom_objects or {}).get(name) or _BUILTIN_FUNCTIONS.get(name)
        if fn is None:
            raise ValueError(f"Cannot rebuild the loss function {name!r}: pass it in custom_objects, "
                             f"e.g. load_model(path, custom_objects={{{name!r}: {name}}}).")
        return cls(fn, **config)



def _check_same_shape(loss_name, y_true_shape, y_pred_shape):
    t, p = tuple(y_true_shape), tuple(y_pred_shape)
    if len(t) == len(p) + 1 and t[-1] == 1:
        t = t[:-1]
    elif len(p) == len(t) + 1 and p[-1] == 1:
        p = p[:-1]
    if len(t) != len(p) or any(a != b for a, b in zip(t[1:], p[1:]) if a is not None and b is not None):
        raise ValueError(
            f"{loss_name} expects targets of the same shape as the predictions {_format_shape(y_pred_shape)}; "
            f"received shape {_format_shape(y_true_shape)}. Reshape the targets, or check the size of "
            f"the model's last layer.")


def _class_count(shape):
    return shape[-1] if len(shape) else None


@register("loss")
class CategoricalCrossentropy(Loss):
    """Class form of :func:`categorical_crossentropy` (one-hot targets).

    Args:
        from_logits: Whether predictions are logits. Defaults to False.
        label_smoothing: Float in [0, 1]. Defaults to 0.
        axis: The class axis. Defaults to -1.
        reduction: 'sum_over_batch_size' (default), 'sum', 'mean',
            'mean_with_sample_weight' or None/'none'.
        name: Defaults to 'categorical_crossentropy'.

    Example:
        >>> CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        tensor(1.1769)
    """

    fn_name = "categorical_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        super().__init__(reduction=reduction, name=name)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _smoothing(type(self).__name__, label_smoothing)
        self.axis = axis
        self.fused_kind = None if self.from_logits else "categorical"

    def call(self, y_true, y_pred):
        return categorical_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing, self.axis)

    def per_sample_from_logits(self, y_true, logits):
        return categorical_crossentropy(y_true, logits, True, self.label_smoothing, self.axis)

    def check_targets(self, y_true_shape, y_pred_shape):
        t, p = tuple(y_true_shape), tuple(y_pred_shape)
        c = _class_count(p)
        if c == 1:
            raise ValueError(
                f"categorical_crossentropy needs one output per class, but the predictions have shape "
                f"{_format_shape(p)}: the loss is always 0 and nothing is learned. For two classes use "
                f"one sigmoid unit with loss='binary_crossentropy', or Dense(2, activation='softmax').")
        if len(t) == len(p) - 1 or (len(t) == len(p) and t[-1] == 1):
            raise ValueError(
                f"categorical_crossentropy expects one-hot targets of shape {_format_shape(p)}; received "
                f"shape {_format_shape(t)}. Use loss='sparse_categorical_crossentropy' for integer labels, "
                f"or convert them with lamina.utils.to_categorical(y, {c}).")
        if len(t) != len(p) or (c is not None and t[-1] is not None and t[-1] != c):
            raise ValueError(
                f"categorical_crossentropy expects one-hot targets of shape {_format_shape(p)}; received "
                f"shape {_format_shape(t)}. The model predicts {c} classes but the targets have "
                f"{t[-1] if t else 0} columns: set the last Dense layer's units to the number of classes, "
                f"or pass that number to lamina.utils.to_categorical.")

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


@register("loss")
class SparseCategoricalCrossentropy(Loss):
    """Class form of :func:`sparse_categorical_crossentropy` (integer labels).

    Args:
        from_logits: Whether predictions are logits. Defaults to False.
        ignore_class: A label to ignore (e.g. 255 in segmentation masks). With the
            default reduction the loss averages the valid positions only.
        axis: The class axis. Defaults to -1.
        reduction, name: as in :class:`CategoricalCrossentropy`.

    Example:
        >>> SparseCategoricalCrossentropy()([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        tensor(1.1769)
    """

    fn_name = "sparse_categorical_crossentropy"
    target_dtype = torch.long

    def __init__(self, from_logits=False, ignore_class=None, axis=-1, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(reduction=reduction, name=name)
        self.from_logits = bool(from_logits)
        self.ignore_class = ignore_class
        self.axis = axis
        self.fused_kind = None if self.from_logits else "sparse_categorical"

    def call(self, y_true, y_pred):
        return sparse_categorical_crossentropy(y_true, y_pred, self.from_logits, self.axis, self.ignore_class)

    def per_sample_from_logits(self, y_true, logits):
        return sparse_categorical_crossentropy(y_true, logits, True, self.axis, self.ignore_class)

    def _valid_count(self, y_true, batch):
        labels = _tensor(y_true)
        if self.ignore_class is None or labels.ndim - (labels.shape[-1] == 1 if labels.ndim > 1 else 0) > 1:
            return batch
        return (labels != self.ignore_class).sum().clamp_min(1)  # Keras: mean over the valid labels

    def check_targets(self, y_true_shape, y_pred_shape):
        t, p = tuple(y_true_shape), tuple(y_pred_shape)
        c = _class_count(p)
        if len(t) == len(p) and t[-1] == 1:
            t = t[:-1]
        if len(t) == len(p) and c is not None and c > 1 and t[-1] == c:
            raise ValueError(
                f"sparse_categorical_crossentropy expects integer class labels of shape "
                f"{_format_shape(p[:-1])}; received one-hot targets of shape {_format_shape(y_true_shape)}. "
                f"Use loss='categorical_crossentropy' for one-hot targets, or convert them with "
                f"y.argmax(axis=-1).")
        if len(t) != len(p) - 1 or any(a != b for a, b in zip(t[1:], p[1:-1]) if a is not None and b is not None):
            raise ValueError(
                f"sparse_categorical_crossentropy expects integer class labels of shape "
                f"{_format_shape(p[:-1])} (or with a trailing 1) for predictions of shape {_format_shape(p)}; "
                f"received shape {_format_shape(y_true_shape)}.")
        if c == 1:
            raise ValueError(
                f"sparse_categorical_crossentropy needs one output per class, but the predictions have shape "
                f"{_format_shape(p)}. For two classes use one sigmoid unit with loss='binary_crossentropy', "
                f"or Dense(2, activation='softmax').")

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "ignore_class": self.ignore_class,
                "axis": self.axis}


@register("loss")
class BinaryCrossentropy(Loss):
    """Class form of :func:`binary_crossentropy` (0/1 targets, one sigmoid per label).

    Args:
        from_logits: Whether predictions are logits. Defaults to False.
        label_smoothing: Float in [0, 1]. Defaults to 0.
        axis: Kept for Keras compatibility. Defaults to -1.
        reduction, name: as in :class:`CategoricalCrossentropy`.

    Example:
        >>> BinaryCrossentropy()([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        tensor(0.8149)
    """

    fn_name = "binary_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        super().__init__(reduction=reduction, name=name)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _smoothing(type(self).__name__, label_smoothing)
        self.axis = axis
        self.fused_kind = None if self.from_logits else "binary"

    def call(self, y_true, y_pred):
        return binary_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing, self.axis)

    def per_sample_from_logits(self, y_true, logits):
        return binary_crossentropy(y_true, logits, True, self.label_smoothing, self.axis)

    def check_targets(self, y_true_shape, y_pred_shape):
        t, p = tuple(y_true_shape), tuple(y_pred_shape)
        c = _class_count(p)
        if c is not None and c > 1 and (len(t) == len(p) - 1 or (len(t) == len(p) and t[-1] == 1)):
            raise ValueError(
                f"binary_crossentropy expects 0/1 targets of shape {_format_shape(p)}; received shape "
                f"{_format_shape(t)}. For {c} exclusive classes with integer labels use "
                f"loss='sparse_categorical_crossentropy'; for a yes/no problem end the model with "
                f"Dense(1, activation='sigmoid').")
        _check_same_shape("binary_crossentropy", t, p)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


def _smoothing(owner, value):
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{owner} expects label_smoothing to be a float in [0, 1]. "
                         f"Received: label_smoothing={value!r}.")
    return v


def _simple(class_name, fn, default_name, doc, extra=()):
    """A Loss class around an element-wise function with optional keyword args."""

    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, **kwargs):
        Loss.__init__(self, reduction=reduction, name=name)
        for (key, default), value in zip(extra, args):
            kwargs.setdefault(key, value)
        for key, default in extra:
            setattr(self, key, kwargs.pop(key, default))
        if kwargs:
            raise TypeError(f"{class_name} got an unexpected argument {next(iter(kwargs))!r}.")

    def call(self, y_true, y_pred):
        return fn(y_true, y_pred, **{k: getattr(self, k) for k, _ in extra})

    def check_targets(self, y_true_shape, y_pred_shape):
        _check_same_shape(default_name, y_true_shape, y_pred_shape)

    def get_config(self):
        return {**Loss.get_config(self), **{k: getattr(self, k) for k, _ in extra}}

    cls = type(class_name, (Loss,), {"__init__": __init__, "call": call, "check_targets": check_targets,
                                     "get_config": get_config, "__doc__": doc, "fn_name": fn.__name__,
                                     "__module__": __name__})
    return register("loss")(cls)


MeanSquaredError = _simple("MeanSquaredError", mean_squared_error, "mean_squared_error",
                           "Class form of :func:`mean_squared_error`. Example: ``MeanSquaredError()(y, p)``.")
MeanAbsoluteError = _simple("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                            "Class form of :func:`mean_absolute_error`.")
MeanAbsolutePercentageError = _simple("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                      "mean_absolute_percentage_error",
                                      "Class form of :func:`mean_absolute_percentage_error`.")
MeanSquaredLogarithmicError = _simple("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                      "mean_squared_logarithmic_error",
                                      "Class form of :func:`mean_squared_logarithmic_error`.")
Huber = _simple("Huber", huber, "huber_loss", "Class form of :func:`huber`. Args: delta (default 1.0).",
                extra=(("delta", 1.0),))
Hinge = _simple("Hinge", hinge, "hinge", "Class form of :func:`hinge`.")
SquaredHinge = _simple("SquaredHinge", squared_hinge, "squared_hinge", "Class form of :func:`squared_hinge`.")
CategoricalHinge = _simple("CategoricalHinge", categorical_hinge, "categorical_hinge",
                           "Class form of :func:`categorical_hinge`.")
KLDivergence = _simple("KLDivergence", kl_divergence, "kl_divergence", "Class form of :func:`kl_divergence`.")
Poisson = _simple("Poisson", poisson, "poisson", "Class form of :func:`poisson`.")
LogCosh = _simple("LogCosh", log_cosh, "log_cosh", "Class form of :func:`log_cosh`.")
CosineSimilarity = _simple("CosineSimilarity", cosine_similarity, "cosine_similarity",
                           "Class form of :func:`cosine_similarity`. Args: axis (default -1).",
                           extra=(("axis", -1),))

# ------------------------------------------------------------------ get/serialize

_FUNCTION_CLASSES = {
    categorical_crossentropy: CategoricalCrossentropy, sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy, mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError, mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError, huber: Huber, hinge: Hinge,
    squared_hinge: SquaredHinge, categorical_hinge: CategoricalHinge, kl_divergence: KLDivergence,
    poisson: Poisson, log_cosh: LogCosh, cosine_similarity: CosineSimilarity,
}
_BUILTIN_FUNCTIONS = {fn.__name__: fn for fn in _FUNCTION_CLASSES}
_NAMES = {fn.__name__: cls for fn, cls in _FUNCTION_CLASSES.items()}
_NAMES.update({"mse": MeanSquaredError, "mae": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
               "msle": MeanSquaredLogarithmicError, "kld": KLDivergence, "kullback_leibler_divergence": KLDivergence,
               "logcosh": LogCosh, "huber_loss": Huber})
_CLASS_NAMES = {cls.__name__.lower(): cls for cls in _FUNCTION_CLASSES.values()}


def get(identifier):
    """Resolve a loss to a :class:`Loss` object.

    Args:
        identifier: A name ('categorical_crossentropy', 'mse', ...; class names
            too), a Loss instance (returned as is), one of this module's
            functions (``lamina.losses.categorical_crossentropy`` gives a
            ``CategoricalCrossentropy()``, fused-capable), a config dict, or any
            callable ``fn(y_true, y_pred)`` (wrapped).

    Returns:
        A Loss, or None for None.

    Example:
        >>> get("categorical_crossentropy").fused_kind
        'categorical'
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        cls = _NAMES.get(key) or _CLASS_NAMES.get(key)
        if cls is None:
            raise unknown_name_error("loss", identifier, list(_NAMES))
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if identifier in _FUNCTION_CLASSES:
        return _FUNCTION_CLASSES[identifier]()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise TypeError(f"A loss must be a name such as 'categorical_crossentropy', a Loss, a function "
                    f"fn(y_true, y_pred) or a config dict. Received: {identifier!r}.")


def serialize(loss) -> dict:
    """``{'class_name': ..., 'config': ...}`` of a Loss (or of what :func:`get` makes of it)."""
    loss = get(loss)
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> Loss:
    """Rebuild a loss from :func:`serialize`'s output. Custom functions must be in
    ``custom_objects``; nothing is imported."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A loss config must be a dict with 'class_name' and 'config'. Received: {config!r}.")
    name, cfg = config["class_name"], dict(config.get("config") or {})
    if name == "LossFunctionWrapper":
        return LossFunctionWrapper.from_config(cfg, custom_objects)
    cls = get_class("loss", name, custom_objects)
    return cls.from_config(cfg)

