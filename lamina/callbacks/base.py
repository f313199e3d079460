"""Callback, the list that dispatches to callbacks, and History.

The fit loop calls the hooks below. Batch hooks cost a host-device sync for
their ``logs``, so the engine calls them only when some callback overrides one
(``CallbackList.wants_batch_logs``).
"""
from __future__ import annotations

__all__ = ["Callback", "CallbackList", "History"]

_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
                "on_predict_batch_begin", "on_predict_batch_end", "on_batch_begin", "on_batch_end")


class Callback:
    """Base class. Subclasses override the hooks they need.

    Attributes set by fit: ``model`` (the Model), ``params`` (dict with 'epochs',
    'steps', 'verbose') and ``trainer`` (the running loop: ``trainer.stop_training``,
    ``trainer.epoch``, ``trainer.rng_state()`` / ``trainer.set_rng_state()``).
    """

    # Lower runs first at each event (fastai-style). User callbacks (0) run before History (100),
    # as Keras 3 appends History after them, so keys they add to the logs ('learning_rate') are
    # recorded; BackupAndRestore and the progress display run last.
    order = 0

    def __init__(self):
        self.model = None
        self.params = {}
        self.trainer = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def set_trainer(self, trainer):
        self.trainer = trainer

    def _set_callback_list(self, callback_list):
        # The list this callback runs in: BackupAndRestore saves the state of its peers.
        self._callback_list = callback_list

    # Keras 2 names kept as aliases of the train-batch hooks.
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass

    def state_dict(self) -> dict:
        """JSON-able state, saved by BackupAndRestore so a resumed run continues exactly."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def _overrides(self, hook: str) -> bool:
        mine = getattr(type(self), hook, None)
        base = getattr(Callback, hook)
        if mine is not base:
            return True
        # on_train_batch_* delegate to the Keras 2 names.
        if hook == "on_train_batch_begin":
            return getattr(type(self), "on_batch_begin") is not Callback.on_batch_begin
        if hook == "on_train_batch_end":
            return getattr(type(self), "on_batch_end") is not Callback.on_batch_end
        return False


class CallbackList:
    """Calls each hook on every callback, in ``order``; raises errors naming the callback and event."""

    def __init__(self, callbacks=None, model=None, params=None, trainer=None):
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be lamina Callback instances, e.g. EarlyStopping(...). "
                                f"Received {cb!r} of type {type(cb).__name__}.")
        self.callbacks = sorted(callbacks, key=lambda c: getattr(c, "order", 0))
        for cb in self.callbacks:
            if model is not None:
                cb.set_model(model)
            if params is not None:
                cb.set_params(params)
            if trainer is not None:
                cb.set_trainer(trainer)
            cb._set_callback_list(self)
        self._with_hook = {h: [c for c in self.callbacks if c._overrides(h)] for h in _BATCH_HOOKS}

    def wants_batch_logs(self, mode: str = "train") -> bool:
        return bool(self._with_hook[f"on_{mode}_batch_begin"] or self._with_hook[f"on_{mode}_batch_end"])

    def _call(self, event, *args):
        for cb in self.callbacks:
            try:
                getattr(cb, event)(*args)
            except StopIteration:
                raise
            except Exception as err:
                if getattr(err, "_lamina_named", False):
                    raise
                note = f"(raised by callback {type(cb).__name__} in {event})"
                try:
                    err.add_note(note)
                except AttributeError:  # Python < 3.11
                    pass
                err._lamina_named = True
                raise

    def _call_batch(self, event, batch, logs):
        for cb in self._with_hook[event]:
            getattr(cb, event)(batch, logs)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)
    def on_train_batch_begin(self, batch, logs=None): self._call_batch("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call_batch("on_train_batch_end", batch, logs)
    def on_test_batch_begin(self, batch, logs=None): self._call_batch("on_test_batch_begin", batch, logs)
    def on_test_batch_end(self, batch, logs=None): self._call_batch("on_test_batch_end", batch, logs)
    def on_predict_batch_begin(self, batch, logs=None): self._call_batch("on_predict_batch_begin", batch, logs)
    def on_predict_batch_end(self, batch, logs=None): self._call_batch("on_predict_batch_end", batch, logs)

    def __iter__(self):
        return iter(self.callbacks)


class History(Callback):
    """Records the epoch logs: ``history.history['val_loss']`` is a list with one value per epoch."""

    order = 100

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        # A resumed or continued fit appends, as Keras's model.history does.
        pass

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def state_dict(self):
        return {"history": self.history, "epoch": self.epoch}

    def load_state_dict(self, state):
        self.history = {k: list(v) for k, v in state.get("history", {}).items()}
        self.epoch = list(state.get("epoch", []))
