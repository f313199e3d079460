import math

import numpy as np
import pytest

from lamina.callbacks import CallbackList, CSVLogger, LambdaCallback, TerminateOnNaN


def _logs(n):
    return [{"loss": 1.0 / (e + 1), "accuracy": 0.5 + e / 10, "val_loss": 2.0 / (e + 1), "val_accuracy": 0.25}
            for e in range(n)]


def test_csv_header_sorted_with_epoch_first_and_rows_flushed_each_epoch(model, harness, tmp_path):
    path = tmp_path / "log.csv"
    contents = []
    peek = LambdaCallback(on_epoch_end=lambda epoch, logs: contents.append(path.read_text()))
    peek.order = 1  # after CSVLogger
    harness.drive([CSVLogger(path), peek], _logs(3), model)
    assert contents[0] == "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,1.0,0.25,2.0\n"
    assert path.read_bytes().startswith(b"epoch,accuracy,loss,val_accuracy,val_loss\r\n")  # csv.excel, as Keras
    assert path.read_text().splitlines() == [
        "epoch,accuracy,loss,val_accuracy,val_loss",
        "0,0.5,1.0,0.25,2.0",
        "1,0.6,0.5,0.25,1.0",
        f"2,0.7,{1 / 3},0.25,{2 / 3}"]


def test_csv_append_and_separator(model, harness, tmp_path):
    path = tmp_path / "log.tsv"
    harness.drive([CSVLogger(path, separator="\t")], [{"loss": 1.0}], model)
    harness.drive([CSVLogger(path, separator="\t", append=True)], [{"loss": 0.5}, {"loss": 0.25}], model)
    assert path.read_text().splitlines() == ["epoch\tloss", "0\t1.0", "0\t0.5", "1\t0.25"]
    harness.drive([CSVLogger(path, separator="\t")], [{"loss": 3.0}], model)  # append=False overwrites
    assert path.read_text().splitlines() == ["epoch\tloss", "0\t3.0"]


def test_csv_missing_key_is_na_and_arrays_are_quoted(model, harness, tmp_path):
    path = tmp_path / "log.csv"
    harness.drive([CSVLogger(path)], [{"loss": 1.0, "f1": np.array([0.5, 0.25])}, {"loss": 2.0}], model)
    assert path.read_text().splitlines() == ['epoch,f1,loss', '0,"""[0.5, 0.25]""",1.0', "1,NA,2.0"]


def test_csv_resume_truncates_rows_after_the_backup(model, harness, tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    saved = {}
    snap = LambdaCallback(on_epoch_end=lambda e, logs: saved.setdefault(e, logger.state_dict()))
    snap.order = 1
    harness.drive([logger, snap], _logs(3), model)
    resumed = CSVLogger(path)
    restore = LambdaCallback(on_train_begin=lambda logs: resumed.load_state_dict(saved[0]))
    restore.order = 1
    trainer = harness.FakeTrainer()
    trainer.initial_epoch = 1
    harness.drive([resumed, restore], _logs(3), model, trainer=trainer)
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,accuracy,loss,val_accuracy,val_loss" and [l[0] for l in lines[1:]] == ["0", "1", "2"]


def test_csv_bad_separator():
    with pytest.raises(ValueError, match=r"one-character string.*separator=', '"):
        CSVLogger("x.csv", separator=", ")


def test_terminate_on_nan_checks_every_batch(model, capsys):
    stop = TerminateOnNaN()
    cl = CallbackList([stop], model=model)
    assert cl.wants_batch_logs()
    model.stop_training = False
    cl.on_train_batch_end(0, {"loss": 0.5})
    assert not model.stop_training
    cl.on_train_batch_end(3, {"loss": math.nan})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 3: Invalid loss, terminating training\n"
    model.stop_training = False
    cl.on_train_batch_end(4, {"loss": math.inf})
    assert model.stop_training


def test_terminate_on_nan_epoch_end_and_raise_error(model, harness, capsys):
    ran, _ = harness.drive([TerminateOnNaN()], [{"loss": 1.0}, {"loss": math.nan}, {"loss": 1.0}], model)
    assert ran == 2 and "Epoch 00002: Invalid loss, terminating training" in capsys.readouterr().out
    cl = CallbackList([TerminateOnNaN(raise_error=True)], model=model)
    with pytest.raises(RuntimeError, match=r"Batch 7: the loss is nan \(NaN or Inf\); terminating training"):
        cl.on_train_batch_end(7, {"loss": float("nan")})


def test_lambda_callback_calls_each_function(model, harness):
    events = []
    cb = LambdaCallback(on_train_begin=lambda logs: events.append("train_begin"),
                        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
                        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, logs["loss"])),
                        on_train_end=lambda logs: events.append("train_end"))
    harness.drive([cb], [{"loss": 1.0}, {"loss": 0.5}], model)
    assert events == ["train_begin", ("epoch_begin", 0), ("epoch_end", 0, 1.0), ("epoch_begin", 1),
                      ("epoch_end", 1, 0.5), "train_end"]


def test_lambda_batch_hooks_are_dispatched_only_when_given(model):
    seen = []
    assert not CallbackList([LambdaCallback(on_epoch_end=lambda e, l: None)]).wants_batch_logs()
    keras2 = LambdaCallback(on_batch_end=lambda batch, logs: seen.append(("k2", batch, logs["loss"])))
    keras3 = LambdaCallback(on_train_batch_begin=lambda batch, logs: seen.append(("k3", batch)))
    cl = CallbackList([keras2, keras3], model=model)
    assert cl.wants_batch_logs()
    cl.on_train_batch_begin(0, {})
    cl.on_train_batch_end(0, {"loss": 2.0})
    assert seen == [("k3", 0), ("k2", 0, 2.0)]


def test_lambda_callback_rejects_unknown_hooks_and_non_functions():
    with pytest.raises(TypeError, match=r"unknown hook 'on_epoch_ends'; did you mean 'on_epoch_end'\?"):
        LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match=r"on_train_end to be a function. Received: on_train_end=3"):
        LambdaCallback(on_train_end=3)


def test_csv_keeps_validation_columns_when_the_first_epoch_has_no_validation(model, tmp_path, monkeypatch):
    monkeypatch.setattr(type(model), "metrics_names", property(lambda self: ["loss", "accuracy"]))
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    cl = CallbackList([logger], model=model, params={"epochs": 2, "do_validation": True})
    cl.on_train_begin()
    cl.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})
    cl.on_epoch_end(1, {"loss": 0.5, "accuracy": 0.75, "val_loss": 0.25, "val_accuracy": 1.0})
    cl.on_train_end()
    assert path.read_text().splitlines() == ["epoch,accuracy,loss,val_loss,val_accuracy", "0,0.5,1.0,NA,NA",
                                             "1,0.75,0.5,0.25,1.0"]
