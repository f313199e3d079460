"""Loss classes: Keras reductions plus what the training engine needs."""
from __future__ import annotations


import torch

from .._errors import check_choice
from .._registry import register
from ._common import _per_sample, _tensor
from .functions import (binary_crossentropy, categorical_crossentropy, categorical_hinge, cosine_similarity,
                        hinge, huber, kl_divergence, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
                        mean_squared_error, mean_squared_logarithmic_error, poisson,
                        sparse_categorical_crossentropy, squared_hinge)
from .functions import label_range_error


# -------------------------------------------------------------------- classes

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none")


def _format_shape(shape) -> str:
    """A shape with the batch axis shown as N: (N, 10), (N,)."""
    dims = ["N"] + [str(d) for d in tuple(shape)[1:]]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"



def _float32(y_pred):
    """Predictions of a float16/bfloat16 layer in float32: losses are computed in float32, as in Keras."""
    if isinstance(y_pred, torch.Tensor) and y_pred.dtype in (torch.float16, torch.bfloat16):
        return y_pred.float()
    return y_pred

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
        from .._naming import to_snake_case
        self.reduction = None if reduction is None else check_choice(type(self).__name__, "reduction",
                                                                      reduction, _REDUCTIONS)
        self.name = name if name is not None else to_snake_case(type(self).__name__)

    def call(self, y_true, y_pred) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def per_sample(self, y_true, y_pred) -> torch.Tensor:
        """One loss value per sample, shape (batch,)."""
        return self.call(y_true, _float32(y_pred))

    def per_sample_from_logits(self, y_true, logits) -> torch.Tensor:
        """The loss of ``activation(logits)`` computed in log space (crossentropies only)."""
        raise NotImplementedError(f"{type(self).__name__} has no fused logits form (fused_kind is None).")

    def check_targets(self, y_true_shape, y_pred_shape) -> None:
        """Raise a ValueError with a fix when targets of this shape cannot fit the predictions."""

    def check_target_values(self, y_true, y_pred_shape) -> None:
        """Raise a ValueError with a fix when the target values cannot be right for this loss
        (labels out of range, non-integer class labels, binary targets outside [0, 1]).
        Called once per target array, before training, not per batch."""

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
        from . import _BUILTIN_FUNCTIONS
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
        return categorical_crossentropy(y_true, _float32(logits), True, self.label_smoothing, self.axis)

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
        return sparse_categorical_crossentropy(y_true, _float32(logits), True, self.axis, self.ignore_class)

    def _valid_count(self, y_true, batch):
        labels = _tensor(y_true)
        if self.ignore_class is None or labels.ndim - (labels.shape[-1] == 1 if labels.ndim > 1 else 0) > 1:
            return batch
        return (labels != self.ignore_class).sum().clamp_min(1)  # Keras: mean over the valid labels

    def check_target_values(self, y_true, y_pred_shape):
        c = _class_count(tuple(y_pred_shape))
        y = _tensor(y_true)
        if y.numel() == 0:
            return
        if y.is_floating_point():
            if not bool(torch.isfinite(y).all()):
                raise ValueError("sparse_categorical_crossentropy expects integer class labels; the targets hold "
                                 "NaN or inf. Remove or fix those samples.")
            frac = y != torch.round(y)
            if bool(frac.any()):
                first = int(frac.reshape(frac.shape[0], -1).any(dim=1).nonzero()[0, 0])
                raise ValueError(f"sparse_categorical_crossentropy expects integer class labels; sample {first} "
                                 f"has label {float(y.reshape(y.shape[0], -1)[first][0])} (not a whole number, "
                                 f"which would be truncated silently). Use integer labels 0..classes-1, or "
                                 f"loss='categorical_crossentropy' / 'mse' for soft or continuous targets.")
        if c is None or c < 2:
            return
        labels = y.long()
        if self.ignore_class is not None:
            labels = labels[labels != self.ignore_class]
        if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= c):
            raise label_range_error(labels, c)

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
        return binary_crossentropy(y_true, _float32(logits), True, self.label_smoothing, self.axis)

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

    def check_target_values(self, y_true, y_pred_shape):
        y = _tensor(y_true)
        if y.numel() == 0 or not (y.is_floating_point() or y.dtype.is_signed or y.dtype == torch.uint8):
            return
        bad = (y < 0) | (y > 1)
        if bool(bad.any()):
            first = int(bad.reshape(bad.shape[0], -1).any(dim=1).nonzero()[0, 0])
            values = sorted({float(v) for v in y[bad][:1000].tolist()})[:5]
            raise ValueError(f"binary_crossentropy expects targets in [0, 1] (0 = no, 1 = yes); sample {first} "
                             f"has {values[0]:g} (bad values: {', '.join(f'{v:g}' for v in values)}). For more "
                             f"than two classes use loss='sparse_categorical_crossentropy' with labels "
                             f"0..classes-1 and a softmax output.")

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
