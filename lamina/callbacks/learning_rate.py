"""Callbacks that set the optimizer's learning rate: ReduceLROnPlateau and LearningRateScheduler."""
from __future__ import annotations

import inspect
import math
import numbers

import numpy as np
import torch

from ._io import print_msg
from ._monitor import _MonitorCallback
from .base import Callback

__all__ = ["ReduceLROnPlateau", "LearningRateScheduler"]


def _optimizer(callback):
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{type(callback).__name__} needs a compiled model whose optimizer has a learning_rate. "
                         f"Received optimizer={optimizer!r}. Call model.compile(optimizer=...) before fit.")
    return optimizer


def _get_lr(callback) -> float:
    return float(_optimizer(callback).learning_rate)


def _non_negative(owner, arg, value, integer=False):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= 0
    if ok and integer:
        ok = float(value).is_integer()
    if not ok:
        kind = "int" if integer else "number"
        raise ValueError(f"{owner} expects {arg} to be a non-negative {kind}. Received: {arg}={value!r}.")
    return int(value) if integer else float(value)


class ReduceLROnPlateau(_MonitorCallback):
    """Reduce the learning rate when a monitored quantity has stopped improving.

    After ``patience`` epochs without an improvement larger than ``min_delta``, the
    learning rate becomes ``max(lr * factor, min_lr)``; then ``cooldown`` epochs
    pass before epochs count towards ``patience`` again. The learning rate used
    in each epoch is added to the epoch logs as ``'learning_rate'`` (Keras 3).

    Args:
        monitor: quantity to watch (default ``'val_loss'``).
        factor: multiplier of the learning rate, below 1 (default 0.1).
        patience: epochs without improvement before reducing (default 10).
        verbose: 1 prints a line at each reduction (default 0).
        mode: ``'auto'`` (default), ``'min'`` or ``'max'``.
        min_delta: smallest change that counts as an improvement (default 1e-4).
        cooldown: epochs to wait after a reduction before counting again (default 0).
        min_lr: lower bound on the learning rate (default 0).

    Example:
        >>> reduce_lr = ReduceLROnPlateau(monitor='val_loss', factor=0.2, patience=5, min_lr=0.001)
        >>> model.fit(x, y, validation_split=0.1, callbacks=[reduce_lr])  # doctest: +SKIP
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        if "epsilon" in kwargs:  # Keras 2 name of min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected keyword arguments {sorted(kwargs)}. Expected monitor, "
                            f"factor, patience, verbose, mode, min_delta, cooldown, min_lr.")
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta)
        if not isinstance(factor, numbers.Real) or isinstance(factor, bool) or not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau expects factor to be a number in [0, 1): new_lr = lr * factor. "
                             f"Received: factor={factor!r}.")
        self.factor = float(factor)
        self.patience = _non_negative("ReduceLROnPlateau", "patience", patience, integer=True)
        self.cooldown = _non_negative("ReduceLROnPlateau", "cooldown", cooldown, integer=True)
        self.min_lr = _non_negative("ReduceLROnPlateau", "min_lr", min_lr)
        self.verbose = verbose
        self._reset()

    def _reset(self):
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        old_lr = _get_lr(self)
        logs["learning_rate"] = old_lr
        current = self._monitor_value(logs)
        if current is None:  # an epoch without validation (fit(validation_freq=N)): nothing to compare
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    _optimizer(self).learning_rate = new_lr
                    if self.verbose > 0:
                        print_msg(self, f"Epoch {epoch + 1:05d}: ReduceLROnPlateau reducing learning rate to "
                                        f"{new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def state_dict(self):
        return {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def load_state_dict(self, state):
        best = state.get("best")
        self.best = None if best is None else float(best)
        self.wait = int(state.get("wait", 0))
        self.cooldown_counter = int(state.get("cooldown_counter", 0))


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch from ``schedule``.

    Args:
        schedule: a function of the 0-based epoch, ``schedule(epoch)``, or of the
            epoch and the current learning rate, ``schedule(epoch, lr)``, that
            returns the new learning rate as a float.
        verbose: 1 prints a line at each epoch (default 0).

    The learning rate of each epoch is added to the epoch logs as ``'learning_rate'``.

    Example:
        >>> def step_decay(epoch):
        ...     return 0.1 * 0.5 ** (epoch // 10)
        >>> model.fit(x, y, epochs=30, callbacks=[LearningRateScheduler(step_decay)])  # doctest: +SKIP
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler expects schedule to be a function schedule(epoch) or "
                            f"schedule(epoch, lr) returning a float. Received: schedule={schedule!r}.")
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _takes_two_args(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _optimizer(self)
        lr = float(optimizer.learning_rate)
        if self._takes_lr is None:  # signature unknown: Keras's way, try (epoch, lr) then (epoch)
            try:
                new_lr = self.schedule(epoch, lr)
            except TypeError:
                new_lr = self.schedule(epoch)
        elif self._takes_lr:
            new_lr = self.schedule(epoch, lr)
        else:
            new_lr = self.schedule(epoch)
        new_lr = _check_lr(new_lr, epoch, self.schedule)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print_msg(self, f"Epoch {epoch + 1:05d}: LearningRateScheduler setting learning rate to {new_lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _get_lr(self)


def _takes_two_args(fn):
    """True if fn accepts (epoch, lr), False if only (epoch), None if its signature cannot be read."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2


def _check_lr(value, epoch, schedule):
    name = getattr(schedule, "__name__", type(schedule).__name__)
    if isinstance(value, torch.Tensor) and value.ndim == 0 and value.is_floating_point():
        value = float(value.item())
    if not isinstance(value, (float, np.floating)):
        raise ValueError(f"LearningRateScheduler expects schedule to return a float learning rate. Received "
                         f"{value!r} of type {type(value).__name__} from {name}(epoch={epoch}). Return a float, "
                         f"e.g. float(...) or 0.01 rather than 1.")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"LearningRateScheduler expects schedule to return a finite, non-negative learning rate. "
                         f"Received {value!r} from {name}(epoch={epoch}).")
    return value
