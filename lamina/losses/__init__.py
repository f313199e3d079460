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

from .._errors import unknown_name_error
from .._registry import get_class
from .classes import (BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge, Huber,
                      KLDivergence, LogCosh, Loss, LossFunctionWrapper, MeanAbsoluteError,
                      MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, Poisson,
                      SparseCategoricalCrossentropy, SquaredHinge)
from .functions import (MAE, MAPE, MSE, MSLE, KLD, binary_crossentropy, categorical_crossentropy, categorical_hinge,
                        cosine_similarity, hinge, huber, kl_divergence, kld, kullback_leibler_divergence, log_cosh,
                        logcosh, mae, mape, mean_absolute_error, mean_absolute_percentage_error,
                        mean_squared_error, mean_squared_logarithmic_error, mse, msle, poisson,
                        sparse_categorical_crossentropy, squared_hinge)

__all__ = [
    "validate",
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


def validate(loss) -> None:
    """Check a ``compile(loss=...)`` argument now, so a typo fails at compile, not at fit.

    Accepts what ``compile`` accepts: a name, a Loss, a function, a config dict, or a list or
    dict of those (one per output). Nothing is built.

    Raises:
        ValueError: an unknown name, listing the valid ones with a "did you mean".
        TypeError: something that is not a loss.

    Example:
        >>> validate("categorical_crossentropy")
        >>> validate("categorical_crossentropi")
        Traceback (most recent call last):
        ...
        ValueError: Unknown loss 'categorical_crossentropi'. ...; did you mean 'categorical_crossentropy'?
    """
    stack = [loss]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, Loss) or (isinstance(item, type) and issubclass(item, Loss)):
            continue
        if isinstance(item, str):
            key = item.lower()
            if not (_NAMES.get(key) or _CLASS_NAMES.get(key)):
                raise unknown_name_error("loss", item, list(_NAMES))
        elif isinstance(item, dict) and "class_name" in item:
            deserialize(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif not callable(item):
            raise TypeError(f"compile expects loss to be a name, a Loss, a function fn(y_true, y_pred), or a list "
                            f"or dict of those (one per output). Received: loss={item!r} "
                            f"({type(item).__name__}).")


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
