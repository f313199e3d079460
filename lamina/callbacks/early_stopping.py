"""EarlyStopping: stop fit when a monitored quantity has stopped improving."""
from __future__ import annotations

import torch

from ._io import print_msg
from ._monitor import _MonitorCallback

__all__ = ["EarlyStopping"]


def _non_negative_int(arg, value):
    if isinstance(value, bool) or not isinstance(value, int) and not (
            isinstance(value, float) and value.is_integer()) or value < 0:
        raise ValueError(f"EarlyStopping expects {arg} to be a non-negative int. Received: {arg}={value!r}.")
    return int(value)


class EarlyStopping(_MonitorCallback):
    """Stop training when a monitored quantity has stopped improving.

    Keras 3 semantics: at each epoch end the value of ``monitor`` is compared with
    the best so far; an epoch that does not improve by more than ``min_delta``
    counts towards ``patience``, and when ``patience`` epochs in a row fail to
    improve, ``model.stop_training`` is set. With ``baseline``, an improvement
    resets the count only if it also beats the baseline.

    Args:
        monitor: logged quantity to watch (default ``'val_loss'``). The Keras 2
            names ``'acc'``/``'val_acc'`` find ``'accuracy'``/``'val_accuracy'``
            and vice versa. A name missing from the logs raises ``ValueError``
            listing the available keys.
        min_delta: smallest change that counts as an improvement (default 0).
        patience: epochs without improvement before stopping (default 0).
        verbose: 1 prints ``Epoch 00007: early stopping`` when it stops (default 0).
        mode: ``'min'``, ``'max'`` or ``'auto'`` (default): losses and errors are
            minimised, accuracy/AUC/precision/recall-like metrics maximised.
        baseline: value the monitored quantity must beat (default None).
        restore_best_weights: at the end of training, put back the weights of the
            best epoch (default False). As in Keras 3 this happens whenever a best
            epoch was recorded, also when training ran all its epochs.
        start_from_epoch: epochs of warm-up before monitoring starts (default 0).

    Attributes:
        best_epoch: the 0-based index of the best epoch seen (its weights are the ones restored);
            ``best_epoch + 1`` is the epoch number the progress display shows.
        stopped_epoch: the 0-based epoch at which training was stopped (0 if it ran to the end).
        best: the best monitored value (None before the first monitored epoch).

    Example:
        >>> stop = EarlyStopping(monitor='val_acc', min_delta=0.0001, patience=5, verbose=1)
        >>> model.fit(x, y, epochs=100, validation_split=0.1, callbacks=[stop])  # doctest: +SKIP
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta)
        self.patience = _non_negative_int("patience", patience)
        self.verbose = verbose
        self.baseline = None if baseline is None else float(baseline)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = _non_negative_int("start_from_epoch", start_from_epoch)
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None
        self._last_epoch = None

    def on_train_begin(self, logs=None):
        self._reset()  # an instance can be reused for another fit, as in Keras

    def on_epoch_end(self, epoch, logs=None):
        self._last_epoch = epoch
        current = self._monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:  # no validation this epoch, or warm-up
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the current weights are the best.
            self.best_weights = self._snapshot()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._snapshot()
            # Only restart the count when the value beats both the previous best and the baseline.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(self, f"Epoch {self.stopped_epoch + 1:05d}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.best_epoch == self._last_epoch:
                return  # the best epoch is the last one: the model already has its weights
            if self.verbose > 0:
                print_msg(self, f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)

    def get_monitor_value(self, logs):
        """The monitored value in ``logs`` as a float (Keras name); raises if it is missing.

        None in an epoch without validation when fit validates every ``validation_freq`` epochs."""
        return self._monitor_value(logs)

    # ------------------------------------------------------------ state
    def _snapshot(self):
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def state_dict(self):
        return {"wait": self.wait, "stopped_epoch": self.stopped_epoch, "best": self.best,
                "best_epoch": self.best_epoch}

    def load_state_dict(self, state):
        self.wait = int(state.get("wait", 0))
        self.stopped_epoch = int(state.get("stopped_epoch", 0))
        best = state.get("best")
        self.best = None if best is None else float(best)
        self.best_epoch = int(state.get("best_epoch", 0))

    # BackupAndRestore also keeps these tensors, so a resumed run restores the same best weights.
    def _backup_tensors(self) -> dict[str, torch.Tensor]:
        return dict(self.best_weights) if self.best_weights is not None else {}

    def _restore_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.best_weights = dict(tensors) if tensors else None
