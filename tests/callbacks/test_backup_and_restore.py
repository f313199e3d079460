import json
import os
import struct

import pytest
import torch

import lamina
from lamina.callbacks import BackupAndRestore, CSVLogger, EarlyStopping, History, LambdaCallback, CallbackList
from lamina.layers import Dense


def _model(seed=0):
    from lamina._naming import clear_session
    clear_session()  # a restarted process names its layers 'dense', 'dense_1' again
    torch.manual_seed(seed)
    m = lamina.Sequential([Dense(3, input_shape=(4,)), Dense(2)])
    m.optimizer = torch.optim.Adam(m.parameters(), lr=0.01)
    m.stop_training = False
    return m


def _train_step(model):
    """A real optimizer step with some randomness, standing in for an epoch of fit."""
    x = torch.randn(8, 4)
    loss = model(x).pow(2).mean()
    model.optimizer.zero_grad()
    loss.backward()
    model.optimizer.step()
    return loss.item()


def _run(model, backup_dir, epochs, trainer, kill_at=None, extra=()):
    """The fit event sequence with a training step per epoch; kill_at raises mid-fit like a crash."""
    history = History()
    stop = EarlyStopping(monitor="loss", patience=50, restore_best_weights=True)
    cbs = [BackupAndRestore(backup_dir), stop, history, *extra]
    cl = CallbackList(cbs, model=model, params={"epochs": epochs, "steps": 1, "verbose": 0}, trainer=trainer)
    cl.on_train_begin()
    for epoch in range(trainer.initial_epoch, epochs):
        if epoch == kill_at:
            raise KeyboardInterrupt
        cl.on_epoch_begin(epoch)
        loss = _train_step(model)
        cl.on_epoch_end(epoch, {"loss": loss})
        if model.stop_training:
            break
    cl.on_train_end()
    return history, stop, trainer


def _optimizer_tensors(opt):
    return [t.clone() for s in opt.state_dict()["state"].values() for t in s.values()]


def test_resume_restores_everything_and_ends_like_an_uninterrupted_run(tmp_path, harness):
    torch.manual_seed(1)
    ref_model = _model()
    ref_history, ref_stop, _ = _run(ref_model, tmp_path / "ref", 5, harness.FakeTrainer())

    torch.manual_seed(1)
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        _run(model, tmp_path / "b", 5, harness.FakeTrainer(), kill_at=3)
    assert (tmp_path / "b" / "backup.safetensors").exists()
    torch.manual_seed(123)  # the restarted process starts from other random numbers and weights
    model = _model(seed=5)
    history, stop, trainer = _run(model, tmp_path / "b", 5, harness.FakeTrainer())
    assert trainer.initial_epoch == 3
    assert history.epoch == ref_history.epoch == [0, 1, 2, 3, 4]
    assert history.history == ref_history.history
    assert stop.best == ref_stop.best and stop.best_epoch == ref_stop.best_epoch
    for a, b in zip(model.state_dict().values(), ref_model.state_dict().values()):
        assert torch.equal(a, b)
    for a, b in zip(_optimizer_tensors(model.optimizer), _optimizer_tensors(ref_model.optimizer)):
        assert torch.equal(a, b)
    assert not (tmp_path / "b").exists()  # deleted after a normal end


def test_backup_file_is_safetensors_with_json_metadata(tmp_path, model, harness):
    model.optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    backup = BackupAndRestore(tmp_path, delete_checkpoint=False)
    harness.drive([backup, EarlyStopping(monitor="loss", patience=9)], [{"loss": 1.0}, {"loss": 0.5}], model)
    raw = (tmp_path / "backup.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = json.loads(header["__metadata__"]["lamina_backup"])
    assert meta["epoch"] == 1 and meta["format"] == "lamina.backup"
    assert [c["class_name"] for c in meta["callbacks"]] == ["EarlyStopping", "History"]
    assert meta["callbacks"][1]["state"] == {"history": {"loss": [1.0, 0.5]}, "epoch": [0, 1]}
    assert {"model/dense.kernel", "rng/torch"} <= set(header)
    assert os.listdir(tmp_path) == ["backup.safetensors"]  # no temporary file left behind


def test_leftover_temporary_file_is_removed_and_missing_backup_starts_fresh(tmp_path, harness):
    model = _model()
    (tmp_path / "backup.safetensors.tmp999").write_bytes(b"partial")
    trainer = harness.FakeTrainer()
    ran, _ = harness.drive([BackupAndRestore(tmp_path)], [{"loss": 1.0}], model, trainer=trainer)
    assert ran == 1 and trainer.initial_epoch == 0
    assert not tmp_path.exists()


def test_stopped_run_does_not_resume_training(tmp_path, harness):
    model = _model()
    stop = EarlyStopping(monitor="loss", patience=0)
    crash = LambdaCallback(on_train_end=lambda logs: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):  # killed after EarlyStopping decided to stop, before train end
        harness.drive([BackupAndRestore(tmp_path), stop, crash], [{"loss": 1.0}, {"loss": 2.0}, {"loss": 0.0}],
                      model)
    trainer = harness.FakeTrainer()
    ran, _ = harness.drive([BackupAndRestore(tmp_path), EarlyStopping(monitor="loss", patience=0), LambdaCallback()],
                           [{"loss": 1.0}, {"loss": 2.0}, {"loss": 0.0}], model, trainer=trainer)
    assert ran == 0 and trainer.initial_epoch == 3


def test_different_callbacks_or_model_raise(tmp_path, harness):
    model = _model()
    harness.drive([BackupAndRestore(tmp_path, delete_checkpoint=False), EarlyStopping(monitor="loss")],
                  [{"loss": 1.0}], model)
    with pytest.raises(ValueError, match=r"written by a fit with the callbacks \['EarlyStopping', 'History'\]; "
                                         r"this fit has \['History'\]\. .*delete the backup directory"):
        harness.drive([BackupAndRestore(tmp_path)], [{"loss": 1.0}], model)
    other = lamina.Sequential([Dense(5, input_shape=(4,))])
    other.optimizer = None
    with pytest.raises(ValueError, match=r"does not fit this model"):
        harness.drive([BackupAndRestore(tmp_path), EarlyStopping(monitor="loss")], [{"loss": 1.0}], other)


def test_unreadable_backup_raises_naming_the_file(tmp_path, model, harness):
    (tmp_path / "backup.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match=r"cannot read the backup .*backup\.safetensors.*Delete it"):
        harness.drive([BackupAndRestore(tmp_path)], [{"loss": 1.0}], model)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match=r"backup_dir to be a directory path. Received: backup_dir=''"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match=r"save_freq='epoch' only.*Received: save_freq=100"):
        BackupAndRestore("/tmp/x", save_freq=100)


def test_csv_logger_continues_its_file_on_resume(tmp_path, harness):
    torch.manual_seed(1)
    model = _model()
    csv = tmp_path / "log.csv"
    with pytest.raises(KeyboardInterrupt):
        _run(model, tmp_path / "b", 4, harness.FakeTrainer(), kill_at=2, extra=[CSVLogger(csv)])
    _run(_model(), tmp_path / "b", 4, harness.FakeTrainer(), extra=[CSVLogger(csv)])
    rows = csv.read_text().splitlines()
    assert rows[0] == "epoch,loss" and [r.split(",")[0] for r in rows[1:]] == ["0", "1", "2", "3"]
