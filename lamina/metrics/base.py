"""Stateful metrics: Metric, Mean, Sum and the mean-of-a-function wrappers."""
from __future__ import annotations

import torch

from .. import losses as _losses
from ..losses import per_sample_mean as _per_sample
from .._errors import positive_int
from .._naming import to_snake_case
from .._registry import register
from ._common import _as_tensor, _dtype, _floats, _sample_weights
from .functions import (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                        sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)


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

    @property
    def variables(self) -> list:
        """The state tensors, as Keras 3's ``Metric.variables`` (summed across processes by
        ``lamina.distribution.DataParallel`` at each epoch end)."""
        self._built()
        return [getattr(self, key) for key in self._state_shapes()]

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
        if isinstance(values, torch.Tensor) and values.dim() == 0 and isinstance(sample_weight, (int, float)):
            # One value counted w times (a batch's mean loss): two in-place adds, no host sync.
            self._prepare(values.device)
            self.total.add_(values.to(self._state_dtype), alpha=sample_weight)
            self.count.add_(sample_weight)
            return
        values = _as_tensor(values).to(self._state_dtype)
        self._prepare(values.device)
        if sample_weight is None:
            per = _per_sample(values)
            self.total.add_(per.sum())
            self.count.add_(per.numel())
            return
        w = _as_tensor(sample_weight, values).to(values.dtype)
        if w.ndim < values.ndim:
            w = w.reshape(w.shape + (1,) * (values.ndim - w.ndim))
        w = torch.broadcast_to(w, torch.broadcast_shapes(w.shape, values.shape))
        self.total.add_(_per_sample(values * w).sum())
        self.count.add_(_per_sample(w).sum())

    def result(self):
        self._built()
        return torch.where(self.count != 0, self.total / self.count, torch.zeros_like(self.total))


@register("metric")
class Sum(Metric):
    """Weighted sum of the values seen."""

    def _state_shapes(self):
        return {"total": ()}

    def update_state(self, values, sample_weight=None):
        if isinstance(values, torch.Tensor) and values.dim() == 0 and isinstance(sample_weight, (int, float)):
            # One value counted w times (a batch's mean loss): two in-place adds, no host sync.
            self._prepare(values.device)
            self.total.add_(values.to(self._state_dtype), alpha=sample_weight)
            self.count.add_(sample_weight)
            return
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
        from . import _FUNCTIONS
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
