"""Keras 1/2 training forms on lamina's engine, for the classic namespace's models: ``nb_epoch``, ``fit_generator``,
``evaluate_generator``, ``predict_generator``, ``predict_classes``, ``predict_proba``,
``load_weights(by_name=True)`` and the Keras 2 history keys (``'acc'``/``'val_acc'``).

Each legacy form is a thin wrapper around the same ``fit``/``evaluate``/``predict``,
so classic code trains exactly as fast as modern code; each warns once, naming the
modern form (silence with ``LAMINA_QUIET_LEGACY=1`` or ``lamina.compat.quiet()``).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ..compat import warn_legacy
from ..models import Model as _Model

__all__ = ["LegacyTrainingMixin", "LogDict"]

_FIT_ARGS = ("x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle, "
             "class_weight, sample_weight, initial_epoch, steps_per_epoch, validation_steps, "
             "validation_batch_size, validation_freq")
# tf.keras arguments of fit/fit_generator that only tune data loading; lamina loads in-process.
_LOADER_ARGS = ("workers", "use_multiprocessing", "max_queue_size", "nb_worker", "pickle_safe", "max_q_size")


class LogDict(dict):
    """``history.history``: also answers the Keras 2 spellings (``'acc'`` for ``'accuracy'``,
    ``'val_acc'``, ``'lr'``) and the Keras 3 ones, whichever the metrics were logged as."""

    def __missing__(self, key):
        from ..callbacks import metric_aliases
        for alt in metric_aliases(key) if isinstance(key, str) else ():
            if dict.__contains__(self, alt):
                return dict.__getitem__(self, alt)
        raise KeyError(f"{key!r} is not in the history. Recorded keys: {', '.join(map(repr, self))}.")

    def __contains__(self, key):
        if dict.__contains__(self, key):
            return True
        from ..callbacks import metric_aliases
        return isinstance(key, str) and any(dict.__contains__(self, a) for a in metric_aliases(key))

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


def _steps(value, what):
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number of batches. Received: {what}={value!r}.") from None
    if not v > 0:
        raise ValueError(f"{what} must be positive. Received: {what}={value!r}.")
    return math.ceil(v)  # Keras 2 accepted len(x) / 50 and ran ceil(...) batches


def _samples_to_steps(samples, generator, what, modern):
    batch = getattr(generator, "batch_size", None)
    if not batch:
        raise TypeError(f"{what}= (Keras 1) counts samples, and this generator does not say its batch size. Pass "
                        f"{modern}= (the number of batches) instead.")
    warn_legacy(f"samples.{what}", f"{what}= (samples, Keras 1) is the Keras 1 form; use {modern}= (batches): "
                f"{modern}={what} // batch_size.")
    return max(1, math.ceil(samples / batch))


def _drop_loader_args(kwargs, where):
    for key in _LOADER_ARGS:
        if key in kwargs:
            kwargs.pop(key)
            warn_legacy(f"loader.{key}", f"{where}({key}=...) (Keras 2 data-loading option) is ignored: lamina loads "
                        f"batches in the training process. Remove it.")


_LEGACY_METRIC_NAMES = {"accuracy": "acc", "crossentropy": "ce"}


def _keras2_metric_names(metrics):
    """Keras 2.2 logged ``metrics=['accuracy']`` as 'acc' (and 'crossentropy' as 'ce')."""
    if isinstance(metrics, str):
        return _LEGACY_METRIC_NAMES.get(metrics, metrics)
    if isinstance(metrics, dict):
        return {k: _keras2_metric_names(v) for k, v in metrics.items()}
    if isinstance(metrics, (list, tuple)):
        return [_keras2_metric_names(m) for m in metrics]
    return metrics


class LegacyTrainingMixin:
    """Keras 1/2 forms of the training API; the classic ``keras.models`` classes put it before
    lamina's :class:`~lamina.models.Model` in their bases."""

    # ------------------------------------------------------------------ compile / fit
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, sample_weight_mode=None,
                weighted_metrics=None, target_tensors=None, **kwargs):
        """Keras 2.2 ``compile(optimizer, loss, metrics, loss_weights, sample_weight_mode, weighted_metrics,
        target_tensors)``: optimizer names take Keras 2's default learning rates, and 'accuracy' is
        logged as 'acc'."""
        if isinstance(optimizer, str):
            from . import optimizers as _legacy_optimizers
            optimizer = _legacy_optimizers.get(optimizer)
        if sample_weight_mode is not None:
            raise ValueError(f"compile(sample_weight_mode={sample_weight_mode!r}) (Keras 2) is not supported: lamina "
                             f"weights whole samples. Pass sample_weight with one weight per sample to fit().")
        if target_tensors is not None:
            raise ValueError("compile(target_tensors=...) (Keras 2) is not supported; pass the targets to fit(x, y).")
        kwargs = dict(kwargs)
        if "class_mode" in kwargs:
            kwargs.pop("class_mode")
            warn_legacy("compile.class_mode", "compile(class_mode=...) is the Keras 0/1 form and is ignored; "
                        "choose the loss instead (binary_crossentropy or categorical_crossentropy).")
        return _Model.compile(self, optimizer, loss=loss, loss_weights=loss_weights,
                              metrics=_keras2_metric_names(metrics),
                              weighted_metrics=_keras2_metric_names(weighted_metrics), **kwargs)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, **kwargs):
        """Keras 2.2 ``fit``; Keras 1's ``nb_epoch`` is accepted (with a warning)."""
        kwargs = dict(kwargs)
        if "nb_epoch" in kwargs:
            nb_epoch = kwargs.pop("nb_epoch")
            if epochs not in (1, None, nb_epoch):
                raise TypeError(f"fit got both nb_epoch={nb_epoch!r} (Keras 1) and epochs={epochs!r}; pass only "
                                f"epochs=.")
            warn_legacy("fit.nb_epoch", "fit(nb_epoch=...) is the Keras 1 form; use fit(epochs=...).")
            epochs = nb_epoch
        if "show_accuracy" in kwargs:
            kwargs.pop("show_accuracy")
            warn_legacy("fit.show_accuracy", "fit(show_accuracy=True) is the Keras 0 form and is ignored; use "
                        "compile(metrics=['accuracy']).")
        _drop_loader_args(kwargs, "fit")
        if kwargs:
            from ..training.engine import reject_arguments
            reject_arguments("fit", kwargs, _FIT_ARGS.split(", ") + ["nb_epoch"])
        history = _Model.fit(self, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks,
                             validation_split=validation_split, validation_data=validation_data, shuffle=shuffle,
                             class_weight=class_weight, sample_weight=sample_weight, initial_epoch=initial_epoch,
                             steps_per_epoch=steps_per_epoch, validation_steps=validation_steps)
        if type(history.history) is dict:
            history.history = LogDict(history.history)
        return history

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None, steps=None, **kwargs):
        """Keras 2.2 ``evaluate`` (verbose=1 by default, as Keras 2)."""
        _drop_loader_args(kwargs, "evaluate")
        return _Model.evaluate(self, x, y, batch_size=batch_size, verbose=verbose, sample_weight=sample_weight,
                               steps=steps, **kwargs)

    # ------------------------------------------------------------------ generators
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, class_weight=None, shuffle=True,
                      initial_epoch=0, **kwargs):
        """Keras 2 ``fit_generator``: ``fit(generator, steps_per_epoch=..., ...)``.

        ``steps_per_epoch`` may be a float (``len(x) / 50``); ceil of it batches run. Keras 1's
        ``samples_per_epoch``/``nb_val_samples``/``nb_epoch`` are converted.
        """
        warn_legacy("fit_generator", "fit_generator() is the Keras 2 form; use fit(generator, "
                    "steps_per_epoch=...), which takes generators.")
        kwargs = dict(kwargs)
        if "nb_epoch" in kwargs:
            epochs = kwargs.pop("nb_epoch")
            warn_legacy("fit.nb_epoch", "fit(nb_epoch=...) is the Keras 1 form; use fit(epochs=...).")
        if "samples_per_epoch" in kwargs:
            steps_per_epoch = _samples_to_steps(kwargs.pop("samples_per_epoch"), generator, "samples_per_epoch",
                                                "steps_per_epoch")
        if "nb_val_samples" in kwargs:
            validation_steps = _samples_to_steps(kwargs.pop("nb_val_samples"), validation_data, "nb_val_samples",
                                                 "validation_steps")
        _drop_loader_args(kwargs, "fit_generator")
        if kwargs:
            raise TypeError(f"fit_generator got unexpected keyword argument(s) {sorted(kwargs)}. Valid: generator, "
                            f"steps_per_epoch, epochs, verbose, callbacks, validation_data, validation_steps, "
                            f"class_weight, shuffle, initial_epoch.")
        return self.fit(generator, steps_per_epoch=_steps(steps_per_epoch, "steps_per_epoch"), epochs=epochs,
                        verbose=verbose, callbacks=callbacks, validation_data=validation_data,
                        validation_steps=_steps(validation_steps, "validation_steps"), class_weight=class_weight,
                        shuffle=shuffle, initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, verbose=0, **kwargs):
        """Keras 2 ``evaluate_generator``: ``evaluate(generator, steps=...)``."""
        warn_legacy("evaluate_generator", "evaluate_generator() is the Keras 2 form; use evaluate(generator, "
                    "steps=...).")
        kwargs = dict(kwargs)
        if "val_samples" in kwargs:
            steps = _samples_to_steps(kwargs.pop("val_samples"), generator, "val_samples", "steps")
        _drop_loader_args(kwargs, "evaluate_generator")
        if kwargs:
            raise TypeError(f"evaluate_generator got unexpected keyword argument(s) {sorted(kwargs)}. Valid: "
                            f"generator, steps, verbose.")
        return self.evaluate(generator, steps=_steps(steps, "steps"), verbose=verbose)

    def predict_generator(self, generator, steps=None, verbose=0, **kwargs):
        """Keras 2 ``predict_generator``: ``predict(generator, steps=...)`` (the generator may yield (x, y))."""
        warn_legacy("predict_generator", "predict_generator() is the Keras 2 form; use predict(generator, "
                    "steps=...).")
        kwargs = dict(kwargs)
        if "val_samples" in kwargs:
            steps = _samples_to_steps(kwargs.pop("val_samples"), generator, "val_samples", "steps")
        _drop_loader_args(kwargs, "predict_generator")
        if kwargs:
            raise TypeError(f"predict_generator got unexpected keyword argument(s) {sorted(kwargs)}. Valid: "
                            f"generator, steps, verbose.")
        return self.predict(generator, steps=_steps(steps, "steps"), verbose=verbose)

    # ------------------------------------------------------------------ prediction
    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 2 ``predict_classes``: argmax of the predictions, or ``> 0.5`` for one sigmoid unit."""
        warn_legacy("predict_classes", "predict_classes() is the Keras 2 form (removed in 2.6); use "
                    "np.argmax(model.predict(x), axis=-1), or (model.predict(x) > 0.5).astype('int32') for one "
                    "sigmoid unit.")
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if isinstance(proba, list):
            raise ValueError("predict_classes works for models with one output; this model has "
                             f"{len(proba)}. Take np.argmax of each of model.predict(x).")
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 2 ``predict_proba``: the predictions (which must be probabilities)."""
        warn_legacy("predict_proba", "predict_proba() is the Keras 2 form (removed in 2.6); use model.predict(x).")
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        arrays = preds if isinstance(preds, list) else [preds]
        if any(np.min(p) < 0.0 or np.max(p) > 1.0 for p in arrays):
            warn_legacy("predict_proba.range", "predict_proba: the network returns values outside [0, 1] (Keras 2 "
                        "warned too); did you forget a softmax or sigmoid output?")
        return preds

    # ------------------------------------------------------------------ saving
    def to_yaml(self, **kwargs):
        raise NotImplementedError("model.to_yaml() (Keras 1/2) is not supported; YAML architectures were removed in "
                                  "Keras 2.6. Use model.to_json().")
