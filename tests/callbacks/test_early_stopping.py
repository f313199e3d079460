import pytest
import torch

from lamina.callbacks import EarlyStopping, LambdaCallback


def test_patience_counts_epochs_without_improvement(model, harness):
    stop = EarlyStopping(patience=2)
    ran, _ = harness.drive([stop], harness.val_losses(1.0, 0.9, 0.95, 0.96, 0.97, 0.98), model)
    assert ran == 4  # epochs 2 and 3 do not improve on 0.9
    assert stop.stopped_epoch == 3 and stop.best == 0.9 and stop.best_epoch == 1
    assert model.stop_training is True


def test_patience_zero_stops_at_first_non_improvement_but_never_at_epoch_0(model, harness):
    stop = EarlyStopping(patience=0, baseline=0.5)  # epoch 0 misses the baseline; Keras still never stops at 0
    ran, _ = harness.drive([stop], harness.val_losses(1.0, 1.1, 0.8), model)
    assert ran == 2 and stop.stopped_epoch == 1


def test_min_delta_is_a_magnitude_signed_by_the_direction(model, harness):
    # min mode: an improvement must be larger than min_delta, whatever its sign.
    for delta in (0.05, -0.05):
        stop = EarlyStopping(min_delta=delta, patience=1)
        ran, _ = harness.drive([stop], harness.val_losses(1.0, 0.97, 0.9, 0.5), model)
        assert ran == 2 and stop.best == 1.0
    # max mode: val_acc must rise by more than 0.0001 (the course's setting).
    logs = [{"val_acc": v} for v in (0.5, 0.50005, 0.6, 0.60009, 0.60008, 0.7)]
    stop = EarlyStopping(monitor="val_acc", min_delta=0.0001, patience=2)
    ran, _ = harness.drive([stop], logs, model)
    assert ran == 5 and stop.best == 0.6 and stop.best_epoch == 2


@pytest.mark.parametrize("monitor,direction", [
    ("val_loss", "min"), ("loss", "min"), ("val_acc", "max"), ("accuracy", "max"), ("val_auc", "max"),
    ("precision", "max"), ("val_recall", "max"), ("mean_absolute_error", "min"), ("val_mse", "min"),
    ("sparse_categorical_accuracy", "max"), ("val_top_k_categorical_accuracy", "max")])
def test_auto_mode_direction(model, monitor, direction):
    stop = EarlyStopping(monitor=monitor)
    stop.set_model(model)
    assert stop._resolve_direction() == direction


def test_auto_mode_uses_a_metric_objects_direction(model, monkeypatch):
    class Metric:
        name = "dice"
        _direction = "up"
    monkeypatch.setattr(type(model), "metrics", property(lambda self: [Metric()]))
    stop = EarlyStopping(monitor="val_dice")
    stop.set_model(model)
    assert stop._resolve_direction() == "max"


def test_explicit_mode_overrides_the_name(model, harness):
    stop = EarlyStopping(monitor="val_loss", mode="max", patience=0)
    ran, _ = harness.drive([stop], harness.val_losses(1.0, 0.5), model)
    assert ran == 2 and stop.stopped_epoch == 1


def test_bad_mode_and_patience_raise():
    with pytest.raises(ValueError, match=r"mode to be one of 'auto', 'min', 'max'. Received: mode='maximum'"):
        EarlyStopping(mode="maximum")
    with pytest.raises(ValueError, match=r"patience to be a non-negative int. Received: patience=-1"):
        EarlyStopping(patience=-1)


def test_baseline_keras3_rule(model, harness):
    # Improvements that do not beat the baseline do not reset the count; the next
    # non-improving epoch then stops, with patience counted from the start.
    values = harness.val_losses(0.9, 0.8, 0.85, 0.84, 0.83)
    ran_plain, _ = harness.drive([EarlyStopping(patience=2)], values, model)
    stop = EarlyStopping(patience=2, baseline=0.5)
    ran, _ = harness.drive([stop], values, model)
    assert ran_plain == 4 and ran == 3 and stop.stopped_epoch == 2
    # Beating the baseline resets the count as usual.
    stop = EarlyStopping(patience=2, baseline=0.95)
    ran, _ = harness.drive([stop], values, model)
    assert ran == 4


def _perturb(model):
    """A callback that changes the weights each epoch, standing in for training."""
    def change(epoch, logs):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)
    return LambdaCallback(on_epoch_end=change)


def test_restore_best_weights_after_stopping(model, harness):
    start = [p.detach().clone() for p in model.parameters()]
    stop = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    ran, _ = harness.drive([_perturb(model), stop], harness.val_losses(1.0, 0.5, 0.7, 0.8, 0.9), model)
    assert ran == 4 and stop.best_epoch == 1
    for p, p0 in zip(model.parameters(), start):  # weights at the end of epoch 1: two perturbations
        assert torch.equal(p, p0 + 1.0 + 1.0)


def test_restore_best_weights_also_when_patience_never_ran_out(model, harness):
    # Keras 3: restore happens at train end whenever a best epoch was recorded.
    start = [p.detach().clone() for p in model.parameters()]
    stop = EarlyStopping(patience=10, restore_best_weights=True)
    ran, _ = harness.drive([_perturb(model), stop], harness.val_losses(1.0, 0.2, 0.7), model)
    assert ran == 3 and stop.stopped_epoch == 0
    for p, p0 in zip(model.parameters(), start):
        assert torch.equal(p, p0 + 1.0 + 1.0)


def test_start_from_epoch_skips_warmup(model, harness):
    stop = EarlyStopping(patience=1, start_from_epoch=3)
    ran, _ = harness.drive([stop], harness.val_losses(1.0, 2.0, 3.0, 4.0, 5.0, 6.0), model)
    assert ran == 5 and stop.best == 4.0 and stop.stopped_epoch == 4


def test_verbose_prints_the_keras2_message(model, harness, capsys):
    stop = EarlyStopping(monitor="val_acc", min_delta=0.0001, patience=5, verbose=1, mode="auto")
    logs = [{"val_accuracy": v} for v in (0.8, 0.9, 0.89, 0.88, 0.87, 0.9, 0.9, 0.95)]
    ran, _ = harness.drive([stop], logs, model)
    assert ran == 7
    assert capsys.readouterr().out == "Epoch 00007: early stopping\n"


def test_silent_by_default(model, harness, capsys):
    harness.drive([EarlyStopping(patience=0)], harness.val_losses(1.0, 2.0), model)
    assert capsys.readouterr().out == ""


def test_message_goes_through_the_progress_display(model, harness):
    lines = []
    trainer = harness.FakeTrainer()
    trainer.progress = type("P", (), {"message": staticmethod(lines.append)})()
    harness.drive([EarlyStopping(patience=0, verbose=1)], harness.val_losses(1.0, 2.0), model, trainer=trainer)
    assert lines == ["Epoch 00002: early stopping"]


@pytest.mark.parametrize("monitor,key", [("val_acc", "val_accuracy"), ("val_accuracy", "val_acc"),
                                         ("acc", "accuracy"), ("accuracy", "acc")])
def test_keras2_and_keras3_accuracy_names_find_each_other(model, harness, monitor, key):
    stop = EarlyStopping(monitor=monitor, patience=0)
    ran, _ = harness.drive([stop], [{key: 0.9}, {key: 0.8}], model)
    assert ran == 2 and stop.best == 0.9


def test_missing_monitor_raises_listing_the_logs(model, harness):
    with pytest.raises(ValueError, match=r"EarlyStopping monitors 'val_loss', which is not in the epoch logs\. "
                                         r"Available keys: 'loss', 'accuracy'\. .*validation_data="):
        harness.drive([EarlyStopping()], [{"loss": 1.0, "accuracy": 0.5}], model)
    with pytest.raises(ValueError, match=r"monitors 'val_los'.* Did you mean 'val_loss'\?"):
        harness.drive([EarlyStopping(monitor="val_los")], harness.val_losses(1.0), model)


def test_state_dict_round_trip_and_reuse(model, harness):
    stop = EarlyStopping(patience=3)
    harness.drive([stop], harness.val_losses(1.0, 0.5, 0.6), model)
    state = stop.state_dict()
    assert state == {"wait": 1, "stopped_epoch": 0, "best": 0.5, "best_epoch": 1}
    other = EarlyStopping(patience=3)
    other.load_state_dict(state)
    assert other.state_dict() == state
    harness.drive([stop], harness.val_losses(3.0), model)  # a second fit starts afresh, as in Keras
    assert stop.best == 3.0 and stop.wait == 0


def test_epochs_without_validation_are_skipped_when_fit_validates_every_n_epochs(model, harness):
    from lamina.callbacks import CallbackList, ModelCheckpoint, ReduceLROnPlateau
    stop = EarlyStopping(patience=1)
    reduce = ReduceLROnPlateau(patience=1)
    ckpt = ModelCheckpoint("b.lamina", save_best_only=True)
    model.save = lambda path: None
    logs = [{"loss": 1.0}, {"loss": 0.9, "val_loss": 1.0}, {"loss": 0.8}, {"loss": 0.7, "val_loss": 1.5}]
    cl = CallbackList([stop, reduce, ckpt], model=model, params={"epochs": 4, "do_validation": True})
    cl.on_train_begin()
    for epoch, epoch_logs in enumerate(logs):
        cl.on_epoch_end(epoch, epoch_logs)
    assert stop.best == 1.0 and stop.stopped_epoch == 3 and reduce.wait == 0 and ckpt.best == 1.0
    # Without validation data in fit, a val_ monitor is an error.
    cl = CallbackList([EarlyStopping()], model=model, params={"epochs": 4, "do_validation": False})
    with pytest.raises(ValueError, match="validation_data="):
        cl.on_epoch_end(0, {"loss": 1.0})
