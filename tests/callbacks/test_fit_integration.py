"""Callbacks inside a real model.fit."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from lamina import Sequential
from lamina.callbacks import CSVLogger, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN
from lamina.layers import Dense
from lamina.optimizers import SGD

SCRIPT = Path(__file__).with_name("resume_script.py")


def _problem(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 20)).astype("float32")
    labels = (x[:, :10].argmax(axis=1)).astype("int64")
    return x, np.eye(10, dtype="float32")[labels]


def test_course_early_stopping_on_val_acc(capsys):
    """The seed's EarlyStopping(monitor='val_acc', ...) with metrics=['accuracy'] (logs say 'val_accuracy')."""
    x, y = _problem()
    nn = Sequential([Dense(units=10, input_dim=20, activation="softmax")])
    earlystop = EarlyStopping(monitor="val_acc", min_delta=0.0001, patience=5, verbose=1, mode="auto")
    nn.compile(loss="categorical_crossentropy", optimizer=SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
               metrics=["accuracy"])
    history = nn.fit(x[:300], y[:300], epochs=100, batch_size=50, callbacks=[earlystop],
                     validation_data=(x[300:], y[300:]), verbose=False)
    epochs_run = len(history.history["loss"])
    assert 6 <= epochs_run < 100 and earlystop.stopped_epoch == epochs_run - 1
    val_acc = history.history["val_accuracy"]
    assert earlystop.best == val_acc[earlystop.best_epoch] == max(val_acc)
    assert earlystop.stopped_epoch - earlystop.best_epoch == 5  # five epochs without a 0.0001 gain
    assert capsys.readouterr().out == f"Epoch {epochs_run:05d}: early stopping\n"


def test_reduce_lr_in_fit_changes_the_optimizer_and_is_logged(tmp_path):
    x, y = _problem()
    model = Sequential([Dense(10, input_dim=20, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=SGD(learning_rate=0.5), metrics=["accuracy"])
    reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0)  # every epoch a plateau
    history = model.fit(x, y, epochs=3, batch_size=100, verbose=0,
                        callbacks=[reduce, CSVLogger(tmp_path / "log.csv")])
    # The first epoch sets the best value; each later one is a plateau and halves the rate after it is logged.
    assert history.history["learning_rate"] == [0.5, 0.5, 0.25]
    assert model.optimizer.learning_rate == 0.125
    assert model.optimizer.param_groups[0]["lr"] == 0.125
    header = (tmp_path / "log.csv").read_text().splitlines()[0]
    assert header == "epoch,accuracy,learning_rate,loss"


def _start_script(backup_dir, out, **env):
    full_env = dict(os.environ, **{k: str(v) for k, v in env.items()})
    full_env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2]), full_env.get("PYTHONPATH", "")])
    return subprocess.Popen([sys.executable, str(SCRIPT), str(backup_dir), str(out)], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc):
    _, stderr = proc.communicate(timeout=300)
    return proc.returncode, stderr


@pytest.mark.slow
def test_sigkill_in_the_middle_of_fit_then_rerun_ends_with_the_uninterrupted_weights(tmp_path):
    # The uninterrupted reference and the run that gets killed are independent: run them side by side.
    reference = _start_script(tmp_path / "ref_backup", tmp_path / "ref")
    killed = _start_script(tmp_path / "backup", tmp_path / "run", KILL_AT_EPOCH=2, KILL_AT_BATCH=7)
    rc, err = _finish(killed)
    assert rc == -signal.SIGKILL, err
    assert (tmp_path / "backup" / "backup.safetensors").exists()
    assert not (tmp_path / "run.json").exists()

    resumed = _start_script(tmp_path / "backup", tmp_path / "run")
    rc, err = _finish(resumed)
    assert rc == 0, err
    rc, err = _finish(reference)
    assert rc == 0, err
    assert not (tmp_path / "ref_backup").exists()  # deleted at the end of a normal fit
    ref = json.loads((tmp_path / "ref.json").read_text())
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["restored_epoch"] == 1 and run["epochs_ran"] == [2, 3, 4]  # epoch 2 was cut short: run again
    assert ref["epochs_ran"] == [0, 1, 2, 3, 4] and ref["restored_epoch"] is None
    assert run["history"] == ref["history"]
    want, got = load_file(tmp_path / "ref.safetensors"), load_file(tmp_path / "run.safetensors")
    assert want.keys() == got.keys() and {k.split("/")[0] for k in want} == {"last", "final"}
    for k in want:
        assert torch.equal(want[k], got[k]), k
    assert not (tmp_path / "backup").exists()


def test_model_checkpoint_writes_loadable_files_in_fit(tmp_path):
    from lamina.saving import load_model
    x, y = _problem()
    model = Sequential([Dense(10, input_dim=20, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=SGD(learning_rate=0.1), metrics=["accuracy"])
    every = ModelCheckpoint(str(tmp_path / "m.{epoch:02d}-{val_loss:.2f}.lamina"))
    best = ModelCheckpoint(str(tmp_path / "best.weights.safetensors"), monitor="val_acc", save_best_only=True,
                           save_weights_only=True)
    history = model.fit(x[:300], y[:300], epochs=3, batch_size=50, validation_data=(x[300:], y[300:]),
                        verbose=0, callbacks=[every, best])
    names = sorted(p.name for p in tmp_path.iterdir())
    want = [f"m.{e + 1:02d}-{v:.2f}.lamina" for e, v in enumerate(history.history["val_loss"])]
    assert names == sorted(want + ["best.weights.safetensors"])
    last = load_model(str(tmp_path / want[-1]))
    np.testing.assert_array_equal(last.predict(x[300:], verbose=0), model.predict(x[300:], verbose=0))
    assert best.best == max(history.history["val_accuracy"])


def test_model_checkpoint_refuses_an_unsaveable_file_type_before_training(tmp_path):
    x, y = _problem()
    model = Sequential([Dense(10, input_dim=20, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    with pytest.raises(ValueError, match=r"ModelCheckpoint\(save_weights_only=True\) cannot write .*\.txt"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "w.txt"),
                                                                       save_weights_only=True)])
    assert list(tmp_path.iterdir()) == []


def test_terminate_on_nan_stops_fit_at_the_bad_batch(capsys):
    x, y = _problem()
    x[230] = np.nan  # the fifth batch of 50 (no shuffling)
    model = Sequential([Dense(10, input_dim=20, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    history = model.fit(x, y, epochs=3, batch_size=50, shuffle=False, verbose=0, callbacks=[TerminateOnNaN()])
    assert len(history.history["loss"]) == 1 and np.isnan(history.history["loss"][0])
    assert capsys.readouterr().out == "Batch 4: Invalid loss, terminating training\n"
