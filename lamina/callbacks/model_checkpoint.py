"""ModelCheckpoint: save the model or its weights during fit."""
from __future__ import annotations

import os
import string
import warnings

from ._io import print_msg
from ._monitor import as_float, lookup, missing_key_error, validation_skipped, _MonitorCallback

__all__ = ["ModelCheckpoint"]


class _TemplateKeyError(KeyError):
    """A KeyError (as Keras raises) whose message prints as written, not as a quoted repr."""

    def __str__(self):
        return str(self.args[0])


class ModelCheckpoint(_MonitorCallback):
    """Save the model (``model.save``) or its weights (``model.save_weights``) during fit.

    Args:
        filepath: path of the file to write; may hold ``str.format`` fields filled
            with the 1-based epoch and any log key, e.g.
            ``'weights.{epoch:02d}-{val_loss:.2f}.lamina'``. A field that is not a
            log key raises ``KeyError`` naming it and the available keys.
        monitor: quantity compared when ``save_best_only`` (default ``'val_loss'``).
        verbose: 1 prints a line for each save decision (default 0).
        save_best_only: save only when ``monitor`` improves on the best so far
            (default False).
        save_weights_only: call ``model.save_weights`` instead of ``model.save``
            (default False).
        mode: ``'auto'`` (default), ``'min'`` or ``'max'``: which way is better.
        save_freq: ``'epoch'`` (default) saves at each epoch end; an int saves every
            that many training batches.
        initial_value_threshold: a first "best" value that the monitored quantity
            has to beat before the first save (only with ``save_best_only``).
        period: Keras 2 argument: save every ``period`` epochs (deprecated).

    Example:
        >>> ckpt = ModelCheckpoint('best.lamina', monitor='val_accuracy', save_best_only=True)
        >>> model.fit(x, y, validation_split=0.1, callbacks=[ckpt])  # doctest: +SKIP
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None, **kwargs):
        super().__init__(monitor=monitor, mode=mode, baseline=initial_value_threshold)
        self.period = 1
        if "period" in kwargs:
            warnings.warn("ModelCheckpoint(period=N) is the Keras 2 form; it still saves every N epochs. "
                          "Keras 3 removed it (use save_freq= with a number of batches).",
                          DeprecationWarning, stacklevel=2)
            self.period = int(kwargs.pop("period"))
        if kwargs:
            raise TypeError(f"ModelCheckpoint got unexpected keyword arguments {sorted(kwargs)}. Expected filepath, "
                            f"monitor, verbose, save_best_only, save_weights_only, mode, save_freq, "
                            f"initial_value_threshold.")
        try:
            self.filepath = os.fspath(filepath)
        except TypeError:
            raise TypeError(f"ModelCheckpoint expects filepath to be a path (str or os.PathLike), e.g. "
                            f"'model.{{epoch:02d}}.lamina'. Received: filepath={filepath!r}.") from None
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq <= 0):
            raise ValueError(f"ModelCheckpoint expects save_freq to be 'epoch' or a positive int (a number of "
                             f"batches). Received: save_freq={save_freq!r}.")
        self._fields = _template_fields(self.filepath)
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.save_freq = save_freq
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = -1
        self._epochs_since_last_save = 0

    # ------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._check_format()

    def _check_format(self):
        """Fail before training, not after the first epoch, when the file type cannot be saved."""
        ext = os.path.splitext(self.filepath)[1]
        if not ext or "{" in ext or "}" in ext:
            return
        try:
            from ..saving import api as _api
        except ImportError:
            return
        handler = getattr(_api, "_handler", None)
        if handler is None:
            return
        action = "save_weights" if self.save_weights_only else "save_model"
        try:
            handler(self.filepath, action)
        except ValueError as err:
            raise ValueError(f"ModelCheckpoint(save_weights_only={self.save_weights_only}) cannot write "
                             f"{self.filepath!r}: {err}") from None

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        if batch <= self._last_batch_seen:  # a new epoch started
            self._batches_seen_since_last_saving += batch + 1
        else:
            self._batches_seen_since_last_saving += batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._last_batch_seen = -1
        if self.save_freq != "epoch":
            return
        self._epochs_since_last_save += 1
        if self._epochs_since_last_save >= self.period:
            self._epochs_since_last_save = 0
            self._save(epoch, None, logs)

    # Engines that skip batch hooks when no callback overrides them: only pay for them with save_freq=int.
    def _overrides(self, hook):
        if hook == "on_train_batch_end":
            return self.save_freq != "epoch"
        return super()._overrides(hook)

    # ------------------------------------------------------------ saving
    def _save(self, epoch, batch, logs):
        logs = dict(logs or {})
        if self.save_best_only and lookup(logs, self.monitor) is None \
                and validation_skipped(self, logs, self.monitor):
            return  # an epoch without validation (fit(validation_freq=N)): nothing to compare
        filepath = self._file_path(epoch, batch, logs)
        if self.save_best_only:
            current = lookup(logs, self.monitor)
            if current is None:
                raise missing_key_error("ModelCheckpoint(save_best_only=True)", "monitors", self.monitor, logs)
            current = as_float(current)
            best = float("inf") if self.best is None and self._resolve_direction() == "min" else (
                float("-inf") if self.best is None else self.best)
            if not self._is_improvement(current, self.best):
                if self.verbose > 0:
                    print_msg(self, f"Epoch {epoch + 1:05d}: {self.monitor} did not improve from {best:.5f}")
                return
            if self.verbose > 0:
                print_msg(self, f"Epoch {epoch + 1:05d}: {self.monitor} improved from {best:.5f} to "
                                f"{current:.5f}, saving model to {filepath}")
            self.best = current
        elif self.verbose > 0:
            print_msg(self, f"Epoch {epoch + 1:05d}: saving model to {filepath}")
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if os.path.isdir(filepath):
            raise IsADirectoryError(f"ModelCheckpoint cannot write {filepath!r}: it is an existing directory. "
                                    f"Pass a file path, e.g. {os.path.join(filepath, 'model.lamina')!r}.")
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)

    def _file_path(self, epoch, batch, logs):
        values = {}
        for key in self._fields:
            if key == "epoch":
                values[key] = epoch + 1
            elif key == "batch" and batch is not None and "batch" not in logs:
                values[key] = batch + 1
            else:
                value = lookup(logs, key)
                if value is None:
                    listed = ", ".join(repr(k) for k in ["epoch", *logs]) or "none"
                    raise _TemplateKeyError(f"ModelCheckpoint filepath {self.filepath!r} uses {{{key}}}, which is not in "
                                   f"the epoch logs. Available keys: {listed}.")
                values[key] = value
        try:
            return self.filepath.format(**values)
        except (ValueError, IndexError) as err:
            raise ValueError(f"ModelCheckpoint cannot fill filepath {self.filepath!r} with {values}: {err}. "
                             f"Use named fields such as {{epoch:02d}} or {{val_loss:.2f}}.") from None

    # ------------------------------------------------------------ state
    def state_dict(self):
        return {"best": self.best, "epochs_since_last_save": self._epochs_since_last_save,
                "batches_seen_since_last_saving": self._batches_seen_since_last_saving}

    def load_state_dict(self, state):
        best = state.get("best")
        self.best = None if best is None else float(best)
        self._epochs_since_last_save = int(state.get("epochs_since_last_save", 0))
        self._batches_seen_since_last_saving = int(state.get("batches_seen_since_last_saving", 0))


def _template_fields(filepath: str) -> list[str]:
    """Names of the ``{field}`` parts of a filepath template; positional ``{}`` is refused."""
    fields = []
    try:
        parsed = list(string.Formatter().parse(filepath))
    except ValueError as err:
        raise ValueError(f"ModelCheckpoint filepath {filepath!r} is not a valid template: {err}. Write literal "
                         f"braces as '{{{{' and '}}}}'.") from None
    for _, field, _, _ in parsed:
        if field is None:
            continue
        name = field.split(".")[0].split("[")[0]
        if not name or name.isdigit():
            raise ValueError(f"ModelCheckpoint filepath {filepath!r} has a positional field {{{field}}}; use a "
                             f"named one such as {{epoch:02d}} or {{val_loss:.2f}}.")
        if name not in fields:
            fields.append(name)
    return fields
