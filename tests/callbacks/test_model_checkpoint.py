import pytest

from lamina.callbacks import ModelCheckpoint


@pytest.fixture
def saves(model):
    """Record model.save / model.save_weights calls (the saving engine writes the files)."""
    calls = []
    model.save = lambda path: calls.append(("save", path))
    model.save_weights = lambda path: calls.append(("save_weights", path))
    return calls


def test_template_uses_1_based_epoch_and_log_keys(model, harness, saves, tmp_path):
    ckpt = ModelCheckpoint(str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.lamina"))
    harness.drive([ckpt], harness.val_losses(0.5, 0.25, 0.125), model)
    assert saves == [("save", str(tmp_path / name)) for name in
                     ("w.01-0.50.lamina", "w.02-0.25.lamina", "w.03-0.12.lamina")]


def test_save_weights_only_and_pathlike_and_created_directory(model, harness, saves, tmp_path):
    ckpt = ModelCheckpoint(tmp_path / "sub" / "dir" / "{epoch}.weights.safetensors", save_weights_only=True)
    harness.drive([ckpt], harness.val_losses(1.0), model)
    assert saves == [("save_weights", str(tmp_path / "sub" / "dir" / "1.weights.safetensors"))]
    assert (tmp_path / "sub" / "dir").is_dir()


def test_save_best_only_saves_improvements(model, harness, saves, capsys):
    ckpt = ModelCheckpoint("best.lamina", save_best_only=True, verbose=1)
    harness.drive([ckpt], harness.val_losses(0.5, 0.6, 0.4, 0.4), model)
    assert saves == [("save", "best.lamina"), ("save", "best.lamina")]
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 00001: val_loss improved from inf to 0.50000, saving model to best.lamina",
        "Epoch 00002: val_loss did not improve from 0.50000",
        "Epoch 00003: val_loss improved from 0.50000 to 0.40000, saving model to best.lamina",
        "Epoch 00004: val_loss did not improve from 0.40000"]


def test_save_best_only_max_mode_with_keras2_name(model, harness, saves):
    ckpt = ModelCheckpoint("m{epoch}-{val_acc:.3f}.lamina", monitor="val_acc", save_best_only=True)
    logs = [{"val_accuracy": v} for v in (0.5, 0.7, 0.6)]
    harness.drive([ckpt], logs, model)
    assert [p for _, p in saves] == ["m1-0.500.lamina", "m2-0.700.lamina"]
    assert ckpt.best == 0.7


def test_initial_value_threshold(model, harness, saves):
    ckpt = ModelCheckpoint("b.lamina", save_best_only=True, initial_value_threshold=0.45)
    harness.drive([ckpt], harness.val_losses(0.5, 0.46, 0.44), model)
    assert len(saves) == 1


def test_unsaved_epochs_with_period(model, harness, saves):
    with pytest.warns(DeprecationWarning, match="period"):
        ckpt = ModelCheckpoint("{epoch}.lamina", period=2)
    harness.drive([ckpt], harness.val_losses(1, 1, 1, 1, 1), model)
    assert [p for _, p in saves] == ["2.lamina", "4.lamina"]


def test_save_freq_in_batches(model, saves):
    from lamina.callbacks import CallbackList
    ckpt = ModelCheckpoint("{epoch}-{batch}.lamina", save_freq=3)
    cl = CallbackList([ckpt], model=model)
    assert cl.wants_batch_logs()
    for epoch in range(2):
        cl.on_epoch_begin(epoch)
        for batch in range(4):
            cl.on_train_batch_end(batch, {"loss": 1.0})
        cl.on_epoch_end(epoch, {"loss": 1.0})
    assert [p for _, p in saves] == ["1-3.lamina", "2-2.lamina"]
    assert not CallbackList([ModelCheckpoint("x.lamina")], model=model).wants_batch_logs()


def test_template_key_missing_from_logs_raises(model, harness, saves):
    ckpt = ModelCheckpoint("w-{val_accuracy:.2f}.lamina")
    with pytest.raises(KeyError, match=r"uses \{val_accuracy\}, which is not in the epoch logs\. "
                                       r"Available keys: 'epoch', 'loss', 'val_loss'\."):
        harness.drive([ckpt], harness.val_losses(1.0), model)
    assert saves == []


def test_bad_templates_and_arguments_raise():
    with pytest.raises(ValueError, match=r"positional field \{\}"):
        ModelCheckpoint("w-{}.lamina")
    with pytest.raises(ValueError, match="not a valid template"):
        ModelCheckpoint("w-{epoch.lamina")
    with pytest.raises(ValueError, match=r"save_freq to be 'epoch' or a positive int.*save_freq='batch'"):
        ModelCheckpoint("w.lamina", save_freq="batch")
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['save_best'\]"):
        ModelCheckpoint("w.lamina", save_best=True)


def test_save_best_only_missing_monitor_raises(model, harness, saves):
    ckpt = ModelCheckpoint("b.lamina", save_best_only=True)
    with pytest.raises(ValueError, match=r"ModelCheckpoint\(save_best_only=True\) monitors 'val_loss'.*"
                                         r"Available keys: 'loss'"):
        harness.drive([ckpt], [{"loss": 1.0}], model)


def test_directory_path_raises(model, harness, saves, tmp_path):
    with pytest.raises(IsADirectoryError, match="existing directory"):
        harness.drive([ModelCheckpoint(str(tmp_path))], harness.val_losses(1.0), model)


def test_state_dict_round_trip(model, harness, saves):
    ckpt = ModelCheckpoint("b.lamina", save_best_only=True)
    harness.drive([ckpt], harness.val_losses(0.5, 0.3), model)
    other = ModelCheckpoint("b.lamina", save_best_only=True)
    other.load_state_dict(ckpt.state_dict())
    assert other.best == 0.3 and other.state_dict() == ckpt.state_dict()
