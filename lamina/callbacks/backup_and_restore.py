"""BackupAndRestore: resume an interrupted fit exactly where it stopped."""
from __future__ import annotations

import json
import os

import torch

from ..distribution import is_chief
from ..saving import fsync_dir
from ..saving.state import load_optimizer_state, optimizer_state_to_tensors, state_from_tensors, state_to_tensors
from .base import Callback

__all__ = ["BackupAndRestore"]

_FILE = "backup.safetensors"
_FORMAT = "lamina.backup"
_VERSION = 1


def _stateful(cb) -> bool:
    """Callbacks whose state a backup has to hold (the progress display and plain lambdas hold none)."""
    return type(cb).state_dict is not Callback.state_dict or hasattr(cb, "_backup_tensors")


class BackupAndRestore(Callback):
    """Back up the whole training state at each epoch end; a restarted fit resumes from it.

    At each epoch end one file, ``<backup_dir>/backup.safetensors``, is replaced
    atomically (written to a temporary file, then renamed): it holds the model's
    ``state_dict()``, the optimizer state, the index of the finished epoch, the
    state of every other callback (History included) and the random number state
    of fit (shuffling, dropout). When fit starts and that file exists, all of it
    is restored and fit continues with the next epoch, ending with exactly the
    weights an uninterrupted run would have. The file is safetensors plus JSON:
    reading it never unpickles. After a fit that ends normally the backup is
    deleted (``delete_checkpoint=True``).

    The restarted fit must use the same model, compile arguments, data and
    callbacks as the interrupted one.

    Args:
        backup_dir: directory of the backup; use it for nothing else.
        save_freq: ``'epoch'`` (the only frequency whose resume is exact).
        delete_checkpoint: delete the backup when fit ends normally (default True).

    Example:
        >>> model.fit(x, y, epochs=20, callbacks=[BackupAndRestore('/tmp/backup')])  # doctest: +SKIP
    """

    # After every other callback, so that the state saved at an epoch end includes that epoch.
    order = 1000

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"BackupAndRestore expects backup_dir to be a directory path. "
                             f"Received: backup_dir={backup_dir!r}.")
        self.backup_dir = os.fspath(backup_dir)
        if save_freq != "epoch":
            raise ValueError(f"BackupAndRestore supports save_freq='epoch' only: a backup taken in the middle "
                             f"of an epoch cannot be resumed exactly. Received: save_freq={save_freq!r}.")
        self.save_freq = save_freq
        self.delete_checkpoint = bool(delete_checkpoint)
        self.restored_epoch = None  # the finished epoch a fit resumed after, or None

    @property
    def _path(self):
        return os.path.join(self.backup_dir, _FILE)

    # ------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self.restored_epoch = None
        if os.path.isdir(self.backup_dir):
            for name in os.listdir(self.backup_dir):  # leftovers of a write that was killed
                if name.startswith(_FILE + ".tmp"):
                    os.remove(os.path.join(self.backup_dir, name))
        if os.path.exists(self._path):
            self._restore()

    def on_epoch_end(self, epoch, logs=None):
        self._save(epoch)

    def on_train_end(self, logs=None):
        if not is_chief():   # under DataParallel, rank 0 alone writes
            return
        if self.delete_checkpoint and os.path.exists(self._path):
            os.remove(self._path)
            try:
                os.rmdir(self.backup_dir)  # only if nothing else is in it
            except OSError:
                pass

    # ------------------------------------------------------------ save
    def _peers(self):
        callbacks = getattr(self, "_callback_list", None) or getattr(self.trainer, "callbacks", None) or []
        return [cb for cb in callbacks if cb is not self and _stateful(cb)]

    def _require(self, what, obj, attr):
        if obj is None or not hasattr(obj, attr):
            raise RuntimeError(f"BackupAndRestore needs {what}; it was not found. BackupAndRestore runs inside "
                               f"model.fit(), which provides it.")
        return getattr(obj, attr)

    def _save(self, epoch):
        model = self.model
        tensors: dict[str, torch.Tensor] = {}
        for k, v in model.state_dict().items():
            tensors[f"model/{k}"] = v.detach().to("cpu", copy=True).contiguous()
        meta = {"format": _FORMAT, "version": _VERSION, "epoch": int(epoch),
                "stop_training": bool(getattr(model, "stop_training", False)), "callbacks": []}
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None:
            opt_tensors, meta["optimizer"] = optimizer_state_to_tensors(optimizer)
            tensors.update({f"optimizer/{k}": v for k, v in opt_tensors.items()})
        rng = self._require("the trainer's rng_state()", self.trainer, "rng_state")()
        rng_tensors, meta["rng"] = state_to_tensors(rng)
        tensors.update({f"rng/{k}": v for k, v in rng_tensors.items()})
        for i, cb in enumerate(self._peers()):
            entry = {"class_name": type(cb).__name__, "state": cb.state_dict()}
            extra = cb._backup_tensors() if hasattr(cb, "_backup_tensors") else {}
            if extra:
                extra_tensors, entry["tensors"] = state_to_tensors(extra)
                tensors.update({f"callbacks/{i}/{k}": v.detach().to("cpu", copy=True).contiguous()
                                for k, v in extra_tensors.items()})
            meta["callbacks"].append(entry)
        self._write(tensors, json.dumps(meta))

    def _write(self, tensors, meta_json):
        from safetensors.torch import save_file

        if not is_chief():   # under DataParallel, rank 0 alone writes
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        tmp = f"{self._path}.tmp{os.getpid()}"
        save_file(tensors, tmp, metadata={"lamina_backup": meta_json})
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, self._path)
        fsync_dir(self.backup_dir)

    # ------------------------------------------------------------ restore
    def _restore(self):
        from safetensors import safe_open
        from safetensors.torch import load_file

        path = self._path
        try:
            with safe_open(path, framework="pt") as f:
                meta = json.loads((f.metadata() or {}).get("lamina_backup", "null"))
            tensors = load_file(path)
        except Exception as err:
            raise ValueError(f"BackupAndRestore cannot read the backup {path!r} ({err}). Delete it to start "
                             f"the training over.") from err
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise ValueError(f"{path!r} is not a lamina BackupAndRestore backup. Use a backup_dir of its own.")
        if int(meta.get("version", 0)) > _VERSION:
            raise ValueError(f"The backup {path!r} uses format version {meta['version']}; this lamina reads up to "
                             f"version {_VERSION}. Upgrade lamina or delete the backup.")

        def part(prefix):
            return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}

        saved = [e["class_name"] for e in meta["callbacks"]]
        peers = self._peers()
        current = [type(cb).__name__ for cb in peers]
        if saved != current:
            raise ValueError(f"The backup in {self.backup_dir!r} was written by a fit with the callbacks "
                             f"{saved}; this fit has {current}. Resume with the same callbacks, or delete the "
                             f"backup directory to start the training over.")
        model = self.model
        weights = part("model/")
        try:
            model.load_state_dict(weights)
        except RuntimeError as err:
            raise ValueError(f"The backup in {self.backup_dir!r} does not fit this model: {err}. Resume with the "
                             f"same model, or delete the backup directory to start over.") from None
        if "optimizer" in meta:
            optimizer = getattr(model, "optimizer", None)
            if optimizer is None:
                raise ValueError(f"The backup in {self.backup_dir!r} holds optimizer state but the model has no "
                                 f"optimizer. Compile the model as in the interrupted run.")
            load_optimizer_state(optimizer, part("optimizer/"), meta["optimizer"])
        self._require("the trainer's set_rng_state()", self.trainer, "set_rng_state")(
            state_from_tensors(part("rng/"), meta["rng"]))
        for i, (cb, entry) in enumerate(zip(peers, meta["callbacks"])):
            cb.load_state_dict(entry["state"])
            if hasattr(cb, "_restore_tensors"):
                extra = part(f"callbacks/{i}/")
                cb._restore_tensors(state_from_tensors(extra, entry["tensors"]) if "tensors" in entry else {})
        epoch = int(meta["epoch"])
        self.restored_epoch = epoch
        if meta.get("stop_training"):
            # The interrupted fit had decided to stop after this epoch (EarlyStopping, TerminateOnNaN).
            self.trainer.initial_epoch = max(int(self.params.get("epochs", epoch + 1)), epoch + 1)
        else:
            self.trainer.initial_epoch = epoch + 1
