"""TerminateOnNaN: stop fit at the first batch whose loss is NaN or infinite."""
from __future__ import annotations

import math

from ._io import print_msg
from ._monitor import as_float
from .base import Callback

__all__ = ["TerminateOnNaN"]


def _invalid(value) -> bool:
    try:
        return not math.isfinite(as_float(value))
    except (TypeError, ValueError):
        return False


class TerminateOnNaN(Callback):
    """Stop training when the loss becomes NaN or infinite.

    Checks the loss after every training batch, as Keras does (this makes fit
    read the loss back from the device each batch), and prints
    ``Batch N: Invalid loss, terminating training``.

    Args:
        raise_error: raise ``RuntimeError`` at once instead of stopping fit
            gracefully (then ``on_train_end`` of the other callbacks does not run,
            which keeps a BackupAndRestore backup). Default False.

    Example:
        >>> model.fit(x, y, callbacks=[TerminateOnNaN()])  # doctest: +SKIP
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and _invalid(loss):
            self._terminate(f"Batch {batch}", loss)

    def on_epoch_end(self, epoch, logs=None):
        # Batch logs are running means, so a NaN batch already stopped fit; this catches engines
        # or batch logs without 'loss'.
        loss = (logs or {}).get("loss")
        if loss is not None and _invalid(loss) and not getattr(self.model, "stop_training", False):
            self._terminate(f"Epoch {epoch + 1:05d}", loss)

    def _terminate(self, where, loss):
        if self.raise_error:
            raise RuntimeError(f"{where}: the loss is {as_float(loss)} (NaN or Inf); terminating training. "
                               f"Lower the learning rate, check the inputs for NaN, or clip gradients.")
        print_msg(self, f"{where}: Invalid loss, terminating training")
        self.model.stop_training = True
