"""One run of a comparison: build, train and evaluate one network with one seed, and record it.

Runs only through the public API (compile / fit / evaluate / callbacks / save),
in the calling process or in a worker process of the comparison's pool.
"""
from __future__ import annotations

import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np

from ..callbacks import Callback

__all__ = ["train_run", "evaluate_ensemble", "write_record", "read_record"]

NUM_CLASSES = 10


class _Reporter(Callback):
    """Sends each finished epoch to the comparison's progress display."""

    order = 50

    def __init__(self, run_id: str, sink):
        super().__init__()
        self.run_id, self.sink = run_id, sink

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items() if isinstance(v, (int, float, np.floating))}
        self.sink(("epoch", self.run_id, epoch + 1, logs))


def write_record(path: Path, record: dict) -> None:
    """Write atomically: a killed comparison leaves either the whole record or none."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, indent=1))
    os.replace(tmp, path)


def read_record(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _optimizer(settings: dict):
    from .. import optimizers
    if settings["optimizer"] == "sgd":
        return optimizers.SGD(learning_rate=settings["lr"], momentum=settings["momentum"],
                              nesterov=settings["nesterov"])
    opt = optimizers.get(settings["optimizer"])
    opt.learning_rate = settings["lr"]
    return opt


def _is_vector_model(model) -> bool:
    try:
        shape = model.input_shape
    except (AttributeError, TypeError, ValueError):
        return False
    return isinstance(shape, tuple) and len(shape) == 2


def _evaluate(model, data: dict) -> dict:
    out = {}
    for part, key in (("train_eval", "train"), ("val", "val"), ("test", "test")):
        x, y = data[part]
        loss, acc = model.evaluate(x, _onehot(y), batch_size=500, verbose=0)[:2]
        out[f"{key}_loss"], out[f"{key}_accuracy"] = float(loss), float(acc)
    return out


def _onehot(y):
    from ..utils import to_categorical
    return to_categorical(y, NUM_CLASSES)


def train_run(task: dict, sink) -> dict:
    """Train one network as ``task`` describes, save its record (and model), return the record."""
    import torch

    from .. import callbacks, utils
    from .architectures import build_architecture
    from .data import GaussianNoise, load_split, prepare

    settings, seed = task["settings"], task["seed"]
    epochs = settings["epochs"] if task["budget"] is None else min(settings["epochs"], task["budget"])
    threads_before = torch.get_num_threads()
    torch.set_num_threads(task["threads"])
    try:
        sink(("start", task["run_id"], epochs))
        start = time.perf_counter()
        utils.set_random_seed(seed)
        split = load_split(task["data"], settings["validation"], task["quick"])
        model = build_architecture(task["build"], (28, 28, 1), NUM_CLASSES)
        data = prepare(split, _is_vector_model(model), settings["expand"])
        model.compile(optimizer=_optimizer(settings), loss="categorical_crossentropy", metrics=["accuracy"])
        cbs = [_Reporter(task["run_id"], sink)]
        if settings["patience"] is not None or settings["restore_best"]:
            cbs.insert(0, callbacks.EarlyStopping(
                monitor=settings["monitor"], min_delta=settings["min_delta"],
                patience=settings["patience"] if settings["patience"] is not None else epochs + 1,
                restore_best_weights=settings["restore_best"]))
        x, y = data["train"]
        fit_kw = dict(epochs=epochs, callbacks=cbs, validation_data=(data["val"][0], _onehot(data["val"][1])),
                      verbose=0)
        if settings["augment"] or settings["noise"]:
            from ..preprocessing.image import ImageDataGenerator
            noise = GaussianNoise(settings["noise"], seed) if settings["noise"] else None
            gen = ImageDataGenerator(**(settings["augment"] or {}), preprocessing_function=noise)
            flow = gen.flow(x, _onehot(y), batch_size=settings["batch_size"], seed=seed)
            history = model.fit(flow, steps_per_epoch=math.ceil(len(x) / settings["batch_size"]), **fit_kw)
        else:
            history = model.fit(x, _onehot(y), batch_size=settings["batch_size"], **fit_kw)
        train_seconds = time.perf_counter() - start
        record = dict(task["identity"])
        hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
        val_acc = hist.get("val_accuracy") or [float("nan")]
        record.update({
            "kind": "single", "params": int(model.count_params()), "epochs_run": len(history.epoch),
            "epoch_limit": epochs, "best_epoch": int(np.nanargmax(val_acc)) + 1 if hist.get("val_accuracy") else None,
            **_evaluate(model, data), "wall_seconds": round(time.perf_counter() - start, 3),
            "train_seconds": round(train_seconds, 3), "threads": task["threads"],
            "train_images": int(len(x)), "val_images": int(len(data["val"][0])),
            "test_images": int(len(data["test"][0])), "history": hist, "torch": torch.__version__,
            "python": platform.python_version(), "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        })
        out = Path(task["out_dir"])
        if task["save_model"]:
            model.save(out / f"{task['run_id']}.lamina")
        write_record(out / f"{task['run_id']}.json", record)
        sink(("done", task["run_id"], record))
        return record
    finally:
        torch.set_num_threads(threads_before)


def evaluate_ensemble(task: dict, member_ids: list[str], sink) -> dict:
    """Combine saved member networks by averaging their softmax outputs, evaluate, record."""
    import torch

    from ..models import ensemble, load_model
    from .data import load_split, prepare

    threads_before = torch.get_num_threads()
    torch.set_num_threads(task["threads"])
    try:
        sink(("start", task["run_id"], 0))
        start = time.perf_counter()
        out = Path(task["out_dir"])
        members = [load_model(out / f"{m}.lamina") for m in member_ids]
        records = [read_record(out / f"{m}.json") for m in member_ids]
        model = ensemble(members, mode="average")
        model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
        split = load_split(task["data"], task["settings"]["validation"], task["quick"])
        data = prepare(split, _is_vector_model(model), None)
        record = dict(task["identity"])
        record.update({
            "kind": "ensemble", "members": member_ids, "params": int(model.count_params()),
            "epochs_run": float(np.mean([r["epochs_run"] for r in records])),
            "best_epoch": float(np.mean([r["best_epoch"] for r in records if r.get("best_epoch")] or [np.nan])),
            **_evaluate(model, data),
            "wall_seconds": round(sum(r["wall_seconds"] for r in records) + time.perf_counter() - start, 3),
            "threads": task["threads"], "history": {}, "test_images": int(len(data["test"][0])),
            "member_test_accuracy": [r["test_accuracy"] for r in records],
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        })
        if task["save_model"]:
            model.save(out / f"{task['run_id']}.lamina")
        write_record(out / f"{task['run_id']}.json", record)
        sink(("done", task["run_id"], record))
        return record
    finally:
        torch.set_num_threads(threads_before)
