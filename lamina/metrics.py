"""Stateful metrics with Keras's names and formulas, accumulated on the device.

``update_state`` runs a few torch ops and never reads a value back to the host;
``result()`` returns a 0-d tensor the progress display reads when it refreshes.
State tensors are created on the device of the first batch they see.

``get`` resolves what ``compile(metrics=[...])`` receives, including Keras's
'accuracy' rule (binary, sparse categorical or categorical from the shapes).
"""
from __future__ import annotations

import torch

from . import losses as _losses
from ._errors import check_choice, positive_int, unknown_name_error
from ._naming import to_snake_case
from ._registry import get_class, register

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
    "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "Precision",
    "Recall", "AUC", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "RootMeanSquaredError", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "BinaryCrossentropy", "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "get", "serialize", "deserialize",
]

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
    return _losses._same_rank(y_true, y_pred)


def _dtype(dtype) -> torch.dtype:
    if dtype is None:
        return torch.float32
    return getattr(torch, dtype) if isinstance(dtype, str) else dtype


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


# -------------------------------------------------------------------- base

class Metric:
    """Base class of stateful metrics.

    Subclasses list their state tensors in ``_state_shapes()`` (name -> shape; they
    start at zero on the first batch's device) and implement ``update_state`` and
    ``result``. Calling a metric updates it and returns the result.

    Args:
        name: Defaults to the snake-case class name.
        dtype: Dtype of the state ('float32' by default).
    """

    def __init__(self, name=None, dtype=None):
        self.name = name if name is not None else to_snake_case(type(self).__name__)
        self.dtype = dtype
        self._state_dtype = _dtype(dtype)
        self._device = None

    def _state_shapes(self) -> dict:
        return {}

    def _prepare(self, device) -> None:
        """Create the states on ``device`` (or move them there)."""
        if self._device == device:
            return
        for key, shape in self._state_shapes().items():
            current = getattr(self, key, None)
            if current is None or self._device is None:
                setattr(self, key, torch.zeros(shape, dtype=self._state_dtype, device=device))
            else:
                setattr(self, key, current.to(device))
        self._device = device

    def _built(self) -> bool:
        if self._device is None:
            self._prepare(torch.device("cpu"))
        return True

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self) -> None:
        """Zero the accumulated state (in place, on its device)."""
        if self._device is not None:
            for key in self._state_shapes():
                getattr(self, key).zero_()

    reset_states = reset_state

    def __call__(self, *args, **kwargs) -> torch.Tensor:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


@register("metric")
class Mean(Metric):
    """Weighted mean of the values seen: ``sum(w * v) / sum(w)``. Values with more
    than one axis are first averaged per sample, as Keras does.

    Example:
        >>> m = Mean(); m.update_state([1.0, 3.0, 5.0]); m.result()
        tensor(3.)
    """

    def _state_shapes(self):
        return {"total": (), "count": ()}

    def update_state(self, values, sample_weight=None):
        values = _as_tensor(values).to(self._state_dtype)
        self._prepare(values.device)
        if sample_weight is None:
            per = _losses._per_sample(values)
            self.total.add_(per.sum())
            self.count.add_(per.numel())
            return
        w = _as_tensor(sample_weight, values).to(values.dtype)
        if w.ndim < values.ndim:
            w = w.reshape(w.shape + (1,) * (values.ndim - w.ndim))
        w = torch.broadcast_to(w, torch.broadcast_shapes(w.shape, values.shape))
        self.total.add_(_losses._per_sample(values * w).sum())
        self.count.add_(_losses._per_sample(w).sum())

    def result(self):
        self._built()
        return torch.where(self.count != 0, self.total / self.count, torch.zeros_like(self.total))


@register("metric")
class Sum(Metric):
    """Weighted sum of the values seen."""

    def _state_shapes(self):
        return {"total": ()}

    def update_state(self, values, sample_weight=None):
        values = _as_tensor(values).to(self._state_dtype)
        self._prepare(values.device)
        if sample_weight is not None:
            values = values * _sample_weights(sample_weight, values)
        self.total.add_(values.sum())

    def result(self):
        self._built()
        return self.total.clone()


@register("metric")
class MeanMetricWrapper(Mean):
    """The :class:`Mean` of ``fn(y_true, y_pred, **kwargs)`` over batches.

    Example:
        >>> m = MeanMetricWrapper(sparse_categorical_accuracy, name="acc")
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name if name is not None else getattr(fn, "__name__", "metric"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = getattr(self._fn, "__name__", None)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if cls is not MeanMetricWrapper:
            return cls(**config)
        name = config.pop("fn")
        fn = (custom_objects or {}).get(name) or _FUNCTIONS.get(name) or _losses._BUILTIN_FUNCTIONS.get(name)
        if fn is None:
            raise ValueError(f"Cannot rebuild the metric function {name!r}: pass it in custom_objects.")
        return cls(fn, **config)


def _wrapper(class_name, fn, default_name, doc, extra=(), k_first=False):
    """A MeanMetricWrapper subclass for ``fn`` with Keras's signature: positional
    arguments are (name, dtype, *extra), or (k, name, dtype) for the top-k metrics."""
    order = ("k", "name", "dtype") if k_first else ("name", "dtype", *(key for key, _ in extra))

    def __init__(self, *args, **kwargs):
        if len(args) > len(order):
            raise TypeError(f"{class_name} takes at most {len(order)} positional arguments ({', '.join(order)}).")
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError(f"{class_name} got multiple values for argument {key!r}.")
            kwargs[key] = value
        name, dtype = kwargs.pop("name", default_name), kwargs.pop("dtype", None)
        options = {key: kwargs.pop(key, default) for key, default in extra}
        if kwargs:
            raise TypeError(f"{class_name} got an unexpected argument {next(iter(kwargs))!r}.")
        if "k" in options:
            options["k"] = positive_int(class_name, "k", options["k"], "e.g. k=5.")
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    cls = type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})
    return register("metric")(cls)


Accuracy = _wrapper("Accuracy", accuracy, "accuracy", "How often predictions equal labels exactly.")
BinaryAccuracy = _wrapper("BinaryAccuracy", binary_accuracy, "binary_accuracy",
                          "How often ``y_pred > threshold`` matches 0/1 labels. Args: threshold (0.5).",
                          extra=(("threshold", 0.5),))
CategoricalAccuracy = _wrapper("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy",
                               "How often the arg-max prediction matches one-hot targets.")
SparseCategoricalAccuracy = _wrapper("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                     "sparse_categorical_accuracy",
                                     "How often the arg-max prediction matches integer labels.")
TopKCategoricalAccuracy = _wrapper("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                   "top_k_categorical_accuracy",
                                   "How often one-hot targets are in the top k predictions. Args: k (5).",
                                   extra=(("k", 5),), k_first=True)
SparseTopKCategoricalAccuracy = _wrapper("SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
                                         "sparse_top_k_categorical_accuracy",
                                         "How often integer labels are in the top k predictions. Args: k (5).",
                                         extra=(("k", 5),), k_first=True)
MeanSquaredError = _wrapper("MeanSquaredError", _losses.mean_squared_error, "mean_squared_error",
                            "Mean of the per-sample mean squared error.")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", _losses.mean_absolute_error, "mean_absolute_error",
                             "Mean of the per-sample mean absolute error.")
MeanAbsolutePercentageError = _wrapper("MeanAbsolutePercentageError", _losses.mean_absolute_percentage_error,
                                       "mean_absolute_percentage_error", "Mean absolute percentage error.")
MeanSquaredLogarithmicError = _wrapper("MeanSquaredLogarithmicError", _losses.mean_squared_logarithmic_error,
                                       "mean_squared_logarithmic_error", "Mean squared logarithmic error.")
CategoricalCrossentropy = _wrapper("CategoricalCrossentropy", _losses.categorical_crossentropy,
                                   "categorical_crossentropy", "Mean categorical crossentropy.",
                                   extra=(("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))
SparseCategoricalCrossentropy = _wrapper("SparseCategoricalCrossentropy", _losses.sparse_categorical_crossentropy,
                                         "sparse_categorical_crossentropy", "Mean sparse categorical crossentropy.",
                                         extra=(("from_logits", False), ("axis", -1)))
BinaryCrossentropy = _wrapper("BinaryCrossentropy", _losses.binary_crossentropy, "binary_crossentropy",
                              "Mean binary crossentropy.",
                              extra=(("from_logits", False), ("label_smoothing", 0.0)))


@register("metric")
class RootMeanSquaredError(Mean):
    """``sqrt(mean((y_pred - y_true) ** 2))`` over all samples seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _floats(y_true, y_pred)
        super().update_state((y_pred - y_true).square(), sample_weight)

    def result(self):
        return super().result().sqrt()


# --------------------------------------------------------- confusion metrics

def _sample_weights(sample_weight, like):
    """Weights broadcast to ``like``'s shape (one per sample expands along the other axes)."""
    if sample_weight is None:
        return torch.ones_like(like)
    w = _as_tensor(sample_weight, like).to(like.dtype)
    if w.ndim < like.ndim:
        w = w.reshape(w.shape + (1,) * (like.ndim - w.ndim))
    return torch.broadcast_to(w, like.shape)


def _filter_top_k(y_pred, k):
    """Keep the k largest predictions per row; the others become -1e10 (Keras)."""
    idx = y_pred.topk(min(k, y_pred.shape[-1]), dim=-1).indices
    mask = torch.zeros_like(y_pred, dtype=torch.bool).scatter_(-1, idx, True)
    return torch.where(mask, y_pred, torch.full_like(y_pred, _NEG_INF))


def _divide_no_nan(a, b):
    return torch.where(b != 0, a / torch.where(b != 0, b, torch.ones_like(b)), torch.zeros_like(a))


class _ConfusionMetric(Metric):
    """True positives, false positives and false negatives at fixed thresholds
    (``y_pred > threshold`` is a positive prediction)."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        self.init_thresholds = thresholds
        self.top_k = None if top_k is None else positive_int(owner, "top_k", top_k)
        self.class_id = class_id
        default = 0.5 if top_k is None else _NEG_INF
        values = [default] if thresholds is None else (
            list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds])
        for v in values:
            if v != _NEG_INF and not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"{owner} expects thresholds in [0, 1]. Received: thresholds={thresholds!r}.")
        self.thresholds = [float(v) for v in values]
        self._single = not isinstance(thresholds, (list, tuple))
        self._thr = None

    def _state_shapes(self):
        n = len(self.thresholds)
        return {"true_positives": (n,), "false_positives": (n,), "false_negatives": (n,)}

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _floats(y_true, y_pred)
        self._prepare(y_pred.device)
        if self._thr is None or self._thr.device != y_pred.device:
            self._thr = torch.tensor(self.thresholds, dtype=y_pred.dtype, device=y_pred.device)
        if self.top_k is not None:
            y_pred = _filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        w = _sample_weights(sample_weight, y_true).reshape(-1)
        pos = (y_true.reshape(-1) != 0).to(w.dtype) * w
        neg = w - pos
        predicted = (y_pred.reshape(-1, 1) > self._thr).to(w.dtype)
        tp = pos @ predicted
        self.true_positives.add_(tp.to(self._state_dtype))
        self.false_positives.add_((neg @ predicted).to(self._state_dtype))
        self.false_negatives.add_((pos.sum() - tp).to(self._state_dtype))

    def _out(self, value):
        return value[0] if self._single else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


@register("metric")
class Precision(_ConfusionMetric):
    """``tp / (tp + fp)`` at each threshold (0.5 by default; a scalar for one threshold).

    Args:
        thresholds: A float or list of floats in [0, 1].
        top_k: Count only the k highest predictions of each sample as positive.
        class_id: Compute the metric for this class (last axis) only.

    Example:
        >>> Precision()([0, 1, 1, 1], [1, 0, 1, 1])
        tensor(0.6667)
    """

    def result(self):
        self._built()
        return self._out(_divide_no_nan(self.true_positives, self.true_positives + self.false_positives))


@register("metric")
class Recall(_ConfusionMetric):
    """``tp / (tp + fn)`` at each threshold; arguments as :class:`Precision`."""

    def result(self):
        self._built()
        return self._out(_divide_no_nan(self.true_positives, self.true_positives + self.false_negatives))


@register("metric")
class AUC(Metric):
    """Area under the ROC or precision-recall curve, approximated on thresholds as
    Keras does: predictions are counted in ``num_thresholds`` buckets
    ``[-eps, 1/(n-1), ..., (n-2)/(n-1), 1+eps]`` and the curve is integrated
    with a Riemann sum ('interpolation' uses trapezoids for ROC and Davis &
    Goadrich's interpolation for PR; 'minoring'/'majoring' the lower/upper bound).

    Args:
        num_thresholds: > 1. Defaults to 200.
        curve: 'ROC' (default) or 'PR'.
        summation_method: 'interpolation' (default), 'minoring' or 'majoring'.
        thresholds: Explicit thresholds in [0, 1] instead of evenly spaced ones.
        multi_label: Compute one AUC per label (last axis) and average them.
        num_labels: Labels count for ``multi_label`` (else taken from the first batch).
        label_weights: Weights of the labels in the average (or of the flattened
            entries when ``multi_label`` is False).
        from_logits: Apply a sigmoid to the predictions first.

    Example:
        >>> AUC(num_thresholds=3)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        tensor(0.7500)
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        from .config import epsilon
        if thresholds is not None:
            inner = sorted(float(v) for v in thresholds)
            self.num_thresholds = len(inner) + 2
        else:
            if not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(f"AUC expects num_thresholds to be an int > 1. "
                                 f"Received: num_thresholds={num_thresholds!r}.")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._even = thresholds is None
        self._init_thresholds = thresholds
        self.thresholds = [-epsilon()] + inner + [1.0 + epsilon()]
        self.curve = check_choice("AUC", "curve", str(curve).lower(), ("roc", "pr")).upper()
        self.summation_method = check_choice("AUC", "summation_method", summation_method,
                                             ("interpolation", "minoring", "majoring"))
        self.multi_label = bool(multi_label)
        if num_labels is not None and not self.multi_label:
            raise ValueError("AUC uses num_labels only with multi_label=True. "
                             f"Received: num_labels={num_labels!r}, multi_label=False.")
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(v) for v in label_weights]
        self.from_logits = bool(from_logits)
        self._thr = None

    def _state_shapes(self):
        shape = (self.num_thresholds,)
        if self.multi_label:
            shape = (self.num_thresholds, self.num_labels or 1)
        return {k: shape for k in ("true_positives", "false_positives", "true_negatives", "false_negatives")}

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _floats(y_true, y_pred)
        if self.multi_label and self.num_labels is None:
            if y_pred.ndim != 2:
                raise ValueError(f"AUC(multi_label=True) expects predictions of shape (batch, labels). "
                                 f"Received shape {tuple(y_pred.shape)}.")
            self.num_labels = y_pred.shape[-1]
            self._device = None  # the states take their (thresholds, labels) shape now
        self._prepare(y_pred.device)
        if self.from_logits:
            y_pred = torch.sigmoid(y_pred)
        w = _sample_weights(sample_weight, y_true)
        if self.label_weights is not None and not self.multi_label:
            w = w * torch.tensor(self.label_weights, dtype=w.dtype, device=w.device)
        labels = self.num_labels if self.multi_label else 1
        y_true = (y_true != 0).to(w.dtype)  # Keras casts labels to bool
        pos = (y_true * w).reshape(-1, labels)
        neg = ((1.0 - y_true) * w).reshape(-1, labels)
        p = y_pred.reshape(-1, labels)
        n = self.num_thresholds
        if self._even:  # bucket each prediction, then count from the top down (Keras's fast path)
            bucket = (torch.ceil(p.clamp(0.0, 1.0) * (n - 1)) - 1).clamp_min(0).long()
            index = (bucket * labels + torch.arange(labels, device=p.device)).reshape(-1)
            hist = torch.zeros(2, n * labels, dtype=p.dtype, device=p.device)
            hist[0].index_add_(0, index, pos.reshape(-1))
            hist[1].index_add_(0, index, neg.reshape(-1))
            tp, fp = hist.reshape(2, n, labels).flip(1).cumsum(1).flip(1).unbind(0)
        else:
            if self._thr is None or self._thr.device != p.device:
                self._thr = torch.tensor(self.thresholds, dtype=p.dtype, device=p.device)
            above = (p.unsqueeze(-1) > self._thr).to(p.dtype)  # (samples, labels, thresholds)
            tp = torch.einsum("sl,slt->tl", pos, above)
            fp = torch.einsum("sl,slt->tl", neg, above)
        fn = pos.sum(0) - tp
        tn = neg.sum(0) - fp
        if not self.multi_label:
            tp, fp, fn, tn = (x.squeeze(-1) for x in (tp, fp, fn, tn))
        dt = self._state_dtype
        self.true_positives.add_(tp.to(dt))
        self.false_positives.add_(fp.to(dt))
        self.false_negatives.add_(fn.to(dt))
        self.true_negatives.add_(tn.to(dt))

    def _average(self, by_label):
        if not self.multi_label:
            return by_label.sum()
        per_label = by_label.sum(0)
        if self.label_weights is None:
            return per_label.mean()
        lw = torch.tensor(self.label_weights, dtype=per_label.dtype, device=per_label.device)
        return _divide_no_nan((per_label * lw).sum(), lw.sum())

    def _interpolate_pr(self):
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, dp.clamp_min(0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = torch.where(both, _divide_no_nan(p[:-1], p[1:].clamp_min(0)), torch.ones_like(p[1:]))
        area = _divide_no_nan(slope * (dtp + intercept * torch.log(ratio)), (tp[1:] + fn[1:]).clamp_min(0))
        return self._average(area)

    def result(self):
        self._built()
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr()
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": self.label_weights,
                  "from_logits": self.from_logits}
        if self._init_thresholds is not None:
            config["thresholds"] = self.thresholds[1:-1]
        return config


# ------------------------------------------------------------------ get()

_FUNCTIONS = {f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                      top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)}
_CLASSES = {cls.__name__: cls for cls in (
    Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, Precision, Recall, AUC, MeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, RootMeanSquaredError, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, BinaryCrossentropy)}
_BY_NAME = {to_snake_case(name): cls for name, cls in _CLASSES.items()}
_BY_NAME.update({"auc": AUC, "mse": MeanSquaredError, "mae": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
                 "msle": MeanSquaredLogarithmicError, "rmse": RootMeanSquaredError})
_LOSS_ONLY = ("hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "kld", "kullback_leibler_divergence",
              "poisson", "log_cosh", "logcosh", "huber", "cosine_similarity")


def _loss_of(loss):
    if loss is None or isinstance(loss, (list, tuple, dict)):
        return None
    try:
        return _losses.get(loss)
    except (TypeError, ValueError):
        return None


def _resolve_kind(y_true_shape, y_pred_shape, loss) -> str:
    """'binary', 'sparse' or 'categorical', by Keras's rules for 'accuracy'/'crossentropy'."""
    loss_obj = _loss_of(loss)
    if y_pred_shape is not None:
        p = tuple(y_pred_shape)
        if len(p) <= 1 or p[-1] == 1:
            return "binary"
        if y_true_shape is not None:
            t = tuple(y_true_shape)
            if len(t) < len(p) or (t and t[-1] == 1):
                return "sparse"
    if loss_obj is not None and loss_obj.target_dtype == torch.long:
        return "sparse"
    if isinstance(loss_obj, _losses.BinaryCrossentropy):
        return "binary"  # multi-label sigmoid outputs: classic Keras's binary_accuracy
    return "categorical"


def get(identifier, y_true_shape=None, y_pred_shape=None, loss=None):
    """Resolve a metric to a :class:`Metric` object.

    'accuracy'/'acc' (and 'crossentropy'/'ce') follow Keras: binary when the
    prediction's last axis is 1 (or the loss is binary crossentropy); sparse
    categorical when the targets have one axis fewer than the predictions, or a
    last axis of 1 against several classes, or the loss is sparse; categorical
    otherwise. The metric keeps the user's spelling as its name ('acc' logs as
    'acc').

    Args:
        identifier: A name, a Metric (returned as is), a Metric class, a metric or
            loss function, a Loss object, any ``fn(y_true, y_pred)``, or a config dict.
        y_true_shape, y_pred_shape: Shapes of the targets and the predictions.
        loss: The compiled loss (name or object), used when shapes do not decide.

    Example:
        >>> get("acc", y_true_shape=(None,), y_pred_shape=(None, 10)).name
        'acc'
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc", "crossentropy", "ce"):
            kind = _resolve_kind(y_true_shape, y_pred_shape, loss)
            family = ({"binary": BinaryAccuracy, "sparse": SparseCategoricalAccuracy,
                       "categorical": CategoricalAccuracy} if key in ("accuracy", "acc") else
                      {"binary": BinaryCrossentropy, "sparse": SparseCategoricalCrossentropy,
                       "categorical": CategoricalCrossentropy})
            return family[kind](name=identifier)
        cls = _BY_NAME.get(key) or _CLASSES.get(identifier)
        if cls is not None:
            return cls(name=identifier)
        if key in _LOSS_ONLY:
            return MeanMetricWrapper(getattr(_losses, key), name=identifier)
        raise unknown_name_error("metric", identifier, ["accuracy", "acc", "crossentropy", *_BY_NAME, *_LOSS_ONLY])
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, _losses.Loss):
        return MeanMetricWrapper(identifier.per_sample, name=identifier.name)
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise TypeError(f"A metric must be a name such as 'accuracy', a Metric, a function fn(y_true, y_pred) "
                    f"or a config dict. Received: {identifier!r}.")


def serialize(metric) -> dict:
    """``{'class_name': ..., 'config': ...}`` of a metric."""
    metric = get(metric)
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> Metric:
    """Rebuild a metric from :func:`serialize`'s output (registered classes and
    ``custom_objects`` only)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A metric config must be a dict with 'class_name' and 'config'. Received: {config!r}.")
    cls = get_class("metric", config["class_name"], custom_objects)
    cfg = dict(config.get("config") or {})
    if cls is MeanMetricWrapper:
        return cls.from_config(cfg, custom_objects)
    return cls.from_config(cfg)
