"""LambdaCallback: a callback made of plain functions."""
from __future__ import annotations

from .._errors import did_you_mean
from .base import Callback

__all__ = ["LambdaCallback"]

_HOOKS = ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end", "on_train_begin", "on_train_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin",
          "on_test_batch_end", "on_predict_begin", "on_predict_end", "on_predict_batch_begin",
          "on_predict_batch_end")


class LambdaCallback(Callback):
    """A callback whose hooks are the functions passed in.

    The functions take the hook's positional arguments: ``on_epoch_begin(epoch,
    logs)``, ``on_epoch_end(epoch, logs)``, ``on_batch_begin(batch, logs)``,
    ``on_batch_end(batch, logs)``, ``on_train_begin(logs)``, ``on_train_end(logs)``;
    any other hook of :class:`Callback` can be given by name (Keras 3's
    ``on_train_batch_end=...`` included). Batch hooks make fit read the batch logs
    back from the device, so pass them only when needed.

    Example:
        >>> log = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs['loss']))
        >>> model.fit(x, y, callbacks=[log])  # doctest: +SKIP
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None, on_batch_end=None,
                 on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_batch_begin=on_batch_begin,
                     on_batch_end=on_batch_end, on_train_begin=on_train_begin, on_train_end=on_train_end)
        for name in kwargs:
            if name not in _HOOKS:
                raise TypeError(f"LambdaCallback got an unknown hook {name!r}{did_you_mean(name, _HOOKS) or '.'} "
                                f"Expected one of {', '.join(_HOOKS)}.")
        given.update(kwargs)
        for name, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback expects {name} to be a function. Received: {name}={fn!r}.")
            setattr(self, name, fn)

    def _overrides(self, hook):
        if hook in self.__dict__:
            return True
        alias = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}.get(hook)
        return alias in self.__dict__ if alias else False
