"""Stateful metrics with Keras's names and formulas, accumulated on the device.

``update_state`` runs a few torch ops and never reads a value back to the host;
``result()`` returns a 0-d tensor the progress display reads when it refreshes.
State tensors are created on the device of the first batch they see.

``get`` resolves what ``compile(metrics=[...])`` receives, including Keras's
'accuracy' rule (binary, sparse categorical or categorical from the shapes).
"""
from __future__ import annotations

import torch

from .. import losses as _losses
from .._errors import unknown_name_error
from .._naming import to_snake_case
from .._registry import get_class
from .confusion import AUC, Precision, Recall
from .base import (Accuracy, BinaryAccuracy, BinaryCrossentropy, CategoricalAccuracy, CategoricalCrossentropy,
                   Mean, MeanAbsoluteError, MeanAbsolutePercentageError, MeanMetricWrapper, MeanSquaredError,
                   MeanSquaredLogarithmicError, Metric, RootMeanSquaredError, SparseCategoricalAccuracy,
                   SparseCategoricalCrossentropy, SparseTopKCategoricalAccuracy, Sum, TopKCategoricalAccuracy)
from .functions import (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                        sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)


__all__ = [
    "validate",
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
    "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "Precision",
    "Recall", "AUC", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "RootMeanSquaredError", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "BinaryCrossentropy", "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "get", "serialize", "deserialize",
]


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


def validate(metrics) -> None:
    """Check a ``compile(metrics=...)`` (or ``weighted_metrics``) argument now, so a typo fails at
    compile, not at fit. Accepts names, Metric objects or classes, functions, config dicts, and
    lists or dicts (per output) of those. Nothing is built.

    Raises:
        ValueError: an unknown name, listing the valid ones with a "did you mean".
        TypeError: something that is not a metric.

    Example:
        >>> validate(["accuracy", "mae"])
    """
    valid = ["accuracy", "acc", "crossentropy", "ce", *_BY_NAME, *_LOSS_ONLY]
    stack = [metrics]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, Metric) or (isinstance(item, type) and issubclass(item, Metric)):
            continue
        if isinstance(item, str):
            key = item.lower()
            if key not in ("accuracy", "acc", "crossentropy", "ce") and key not in _BY_NAME \
                    and item not in _CLASSES and key not in _LOSS_ONLY:
                raise unknown_name_error("metric", item, valid)
        elif isinstance(item, dict) and "class_name" in item:
            deserialize(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif not callable(item):
            raise TypeError(f"compile expects metrics to be a list of names, Metric objects or functions (or a "
                            f"dict of such lists by output). Received {item!r} ({type(item).__name__}).")


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
