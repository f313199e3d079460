"""``keras.wrappers``: ``scikit_learn`` (KerasClassifier, KerasRegressor)."""
from . import scikit_learn  # noqa: F401

__all__ = ["scikit_learn"]
