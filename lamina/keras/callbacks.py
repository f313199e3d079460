"""``keras.callbacks``: History, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, ...

Keras 2's monitor names work: ``EarlyStopping(monitor='val_acc')`` watches validation
accuracy whether the model logs ``'acc'`` or ``'accuracy'``.
"""
from ..callbacks import *  # noqa: F401,F403
from ..callbacks import __all__ as _all
from ..callbacks import Callback
from ..compat import LegacyNameError

__all__ = [*_all, "BaseLogger", "ProgbarLogger"]


class BaseLogger(Callback):
    """Keras 2 added this to every fit to average the batch logs; lamina's fit averages them itself,
    so it does nothing (kept so that code listing it keeps working)."""


class ProgbarLogger(Callback):
    """Keras 2's progress-bar callback; lamina's fit shows progress through ``verbose=``, so
    this does nothing (kept so that code listing it keeps working)."""

    def __init__(self, count_mode="samples", stateful_metrics=None):
        super().__init__()


_MISSING = {
    "TensorBoard": "lamina has no TensorBoard callback. Log with CSVLogger('log.csv'), or write to "
                   "torch.utils.tensorboard.SummaryWriter from a LambdaCallback(on_epoch_end=...)",
    "RemoteMonitor": "lamina has no RemoteMonitor callback. Send the logs yourself from a "
                     "LambdaCallback(on_epoch_end=lambda epoch, logs: ...)",
}


def __getattr__(name):
    if name in _MISSING:
        raise LegacyNameError(f"keras.callbacks.{name}: {_MISSING[name]}.")
    raise AttributeError(f"module 'keras.callbacks' has no attribute {name!r}. It provides: "
                         f"{', '.join(__all__)}.")
