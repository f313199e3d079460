"""``keras.wrappers.scikit_learn``: a Keras model as a scikit-learn estimator (Keras 2).

``KerasClassifier(build_fn=make_model, epochs=5, batch_size=32)`` is an estimator that
scikit-learn's ``cross_val_score``, ``GridSearchCV`` and ``clone`` accept. ``build_fn``
returns a compiled model; the other keyword arguments (``sk_params``) go to ``build_fn``
and to ``fit``/``predict``/``evaluate``, each getting those its signature names.
Needs scikit-learn (``pip install scikit-learn``).
"""
from __future__ import annotations

import inspect
import types

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
except ImportError:  # pragma: no cover - exercised by a test that hides sklearn
    raise ImportError("keras.wrappers.scikit_learn needs scikit-learn, which is not installed. Install it: "
                      "pip install scikit-learn (or pip install 'lamina[sklearn]').") from None

from ...models import Sequential
from ...utils import to_categorical

__all__ = ["KerasClassifier", "KerasRegressor"]

_CATEGORICAL = ("categorical_crossentropy",)


def _arg_names(fn) -> set:
    return {p.name for p in inspect.signature(fn).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


class _BaseWrapper(BaseEstimator):
    """The shared part of KerasClassifier and KerasRegressor (Keras 2's ``BaseWrapper``)."""

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _build_callable(self):
        if self.build_fn is None:
            return self.__call__
        if not isinstance(self.build_fn, (types.FunctionType, types.MethodType)) and callable(self.build_fn):
            return self.build_fn.__call__ if not inspect.isclass(self.build_fn) else self.build_fn
        return self.build_fn

    def check_params(self, params) -> None:
        """Raise ValueError for a parameter that neither the model's fit/predict/evaluate nor build_fn take."""
        legal = set()
        for fn in (Sequential.fit, Sequential.predict, Sequential.evaluate):
            legal |= _arg_names(fn)
        if self.build_fn is None:
            if not hasattr(self, "__call__"):
                raise ValueError(f"{type(self).__name__} needs build_fn=..., a function returning a compiled "
                                 f"model, e.g. KerasClassifier(build_fn=make_model, epochs=5).")
        elif not callable(self.build_fn):
            raise TypeError(f"{type(self).__name__} expects build_fn to be a function (or class) returning a "
                            f"compiled model. Received: build_fn={self.build_fn!r}.")
        else:
            legal |= _arg_names(self._build_callable())
        legal -= {"self", "x", "y"}
        for name in params:
            if name not in legal:
                from ..._errors import did_you_mean
                valid = sorted(legal)
                raise ValueError(f"{name} is not a legal parameter of {type(self).__name__}: it is taken by neither "
                                 f"build_fn nor the model's fit/predict/evaluate. Legal parameters: "
                                 f"{', '.join(valid)}{did_you_mean(name, valid) or '.'}")

    def get_params(self, deep=True) -> dict:
        """The estimator's parameters: ``build_fn`` and the ``sk_params`` (what ``clone`` copies)."""
        params = dict(self.sk_params)
        params["build_fn"] = self.build_fn
        return params

    def set_params(self, **params):
        """Change parameters (``GridSearchCV`` sets them between fits); returns self."""
        self.check_params({k: v for k, v in params.items() if k != "build_fn"})
        if "build_fn" in params:
            self.build_fn = params.pop("build_fn")
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None) -> dict:
        """The sk_params (then ``override``) that ``fn``'s signature takes."""
        names = _arg_names(fn)
        out = {k: v for k, v in self.sk_params.items() if k in names}
        out.update({k: v for k, v in (override or {}).items() if k in names})
        return out

    def _build(self):
        fn = self._build_callable()
        model = fn(**self.filter_sk_params(fn))
        if getattr(model, "optimizer", None) is None or not hasattr(model, "fit"):
            raise ValueError(f"{type(self).__name__}: build_fn must return a compiled model (call "
                             f"model.compile(...) before returning it). Received {model!r}.")
        return model

    def _is_categorical(self, y) -> bool:
        loss = self.model.loss
        name = loss if isinstance(loss, str) else getattr(loss, "__name__", type(loss).__name__)
        return (name in _CATEGORICAL or type(loss).__name__ == "CategoricalCrossentropy") and np.ndim(y) != 2

    def fit(self, x, y, **kwargs):
        """Build a fresh model with build_fn and train it; returns the History.

        A ``categorical_crossentropy`` model gets one-hot targets from integer labels, as in Keras 2.
        """
        self.model = self._build()
        y = np.asarray(y)
        if self._is_categorical(y):
            y = to_categorical(y)
        fit_args = self.filter_sk_params(self.model.fit, kwargs)
        return self.model.fit(np.asarray(x), y, **fit_args)

    def _require_fitted(self, what):
        if not hasattr(self, "model"):
            raise AttributeError(f"{type(self).__name__}.{what} needs a fitted estimator: call fit(x, y) first.")



class KerasClassifier(ClassifierMixin, _BaseWrapper):
    """A classifier for scikit-learn around a model that ``build_fn`` returns (Keras 2).

    Labels may be any sortable values (strings, ints); ``classes_`` holds them sorted and
    ``predict`` returns them. ``score`` is the model's accuracy on ``(x, y)``, so compile with
    ``metrics=['accuracy']``.

    Args:
        build_fn: function (or class) returning a compiled model; its keyword arguments come
            from ``sk_params``.
        **sk_params: arguments of build_fn and of the model's ``fit`` (``epochs``,
            ``batch_size``, ...), ``predict`` and ``evaluate``.

    Example:
        >>> from keras.wrappers.scikit_learn import KerasClassifier  # doctest: +SKIP
        >>> clf = KerasClassifier(build_fn=make_model, epochs=5, batch_size=16, verbose=0)  # doctest: +SKIP
        >>> cross_val_score(clf, x, y, cv=3)  # doctest: +SKIP
    """

    def fit(self, x, y, sample_weight=None, **kwargs):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError(f"KerasClassifier expects y to be labels (n,) or one-hot (n, classes). Received "
                             f"an array of shape {y.shape}.")
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def predict_proba(self, x, **kwargs):
        """Class probabilities, (n, n_classes); one sigmoid unit gives two columns [1 - p, p]."""
        self._require_fitted("predict_proba")
        probs = np.asarray(self.model.predict(np.asarray(x), **self.filter_sk_params(self.model.predict, kwargs)))
        if probs.ndim == 1 or probs.shape[1] == 1:
            probs = probs.reshape(len(probs), 1)
            probs = np.hstack([1 - probs, probs])
        return probs

    def predict(self, x, **kwargs):
        """The predicted labels (values of ``classes_``)."""
        probs = self.predict_proba(x, **kwargs)
        return self.classes_[probs.argmax(axis=-1)]

    def score(self, x, y, sample_weight=None, **kwargs):
        """The model's accuracy on ``(x, y)`` (its 'accuracy'/'acc' metric)."""
        self._require_fitted("score")
        y = np.searchsorted(self.classes_, np.asarray(y)) if np.ndim(y) == 1 else np.asarray(y)
        if self._is_categorical(y):
            y = to_categorical(y, self.n_classes_)
        args = self.filter_sk_params(self.model.evaluate, kwargs)
        if sample_weight is not None:
            args["sample_weight"] = sample_weight
        outputs = self.model.evaluate(np.asarray(x), y, return_dict=True, **args)
        for name in ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy"):
            if name in outputs:
                return float(outputs[name])
        raise ValueError(f"KerasClassifier.score is the model's accuracy, but the model logs only "
                         f"{', '.join(outputs)}. Pass metrics=['accuracy'] to model.compile() in build_fn.")


class KerasRegressor(RegressorMixin, _BaseWrapper):
    """A regressor for scikit-learn around a model that ``build_fn`` returns (Keras 2).

    ``score`` is the negated loss (higher is better, as scikit-learn's searches expect).

    Example:
        >>> from keras.wrappers.scikit_learn import KerasRegressor  # doctest: +SKIP
        >>> reg = KerasRegressor(build_fn=make_model, epochs=20, verbose=0)  # doctest: +SKIP
        >>> reg.fit(x, y).history['loss'][-1]  # doctest: +SKIP
    """

    def predict(self, x, **kwargs):
        """Predictions with size-1 axes removed (a vector for one output unit)."""
        self._require_fitted("predict")
        out = self.model.predict(np.asarray(x), **self.filter_sk_params(self.model.predict, kwargs))
        return np.squeeze(np.asarray(out), axis=-1) if np.ndim(out) == 2 and np.shape(out)[1] == 1 else out

    def score(self, x, y, sample_weight=None, **kwargs):
        """Minus the model's loss on ``(x, y)``."""
        self._require_fitted("score")
        args = self.filter_sk_params(self.model.evaluate, kwargs)
        if sample_weight is not None:
            args["sample_weight"] = sample_weight
        loss = self.model.evaluate(np.asarray(x), np.asarray(y), **args)
        return -float(loss[0] if isinstance(loss, (list, tuple)) else loss)
