import numpy as np
import pytest
import torch

from lamina.callbacks import LearningRateScheduler, ReduceLROnPlateau


def test_plateau_reductions_with_cooldown_and_min_lr(model, harness, capsys):
    model.optimizer.learning_rate = 1.0
    reduce = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.3, verbose=1)
    ran, cl = harness.drive([reduce], harness.val_losses(*[1.0] * 8), model)
    history = [cb for cb in cl if type(cb).__name__ == "History"][0].history
    # Keras: the rate in effect during each epoch is logged, then a reduction may follow.
    assert history["learning_rate"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.3, 0.3, 0.3]
    assert model.optimizer.learning_rate == 0.3  # min_lr reached: no further reductions
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 00003: ReduceLROnPlateau reducing learning rate to 0.5.",
        "Epoch 00005: ReduceLROnPlateau reducing learning rate to 0.3."]


def test_plateau_improvement_resets_wait_and_min_delta(model, harness):
    model.optimizer.learning_rate = 0.1
    reduce = ReduceLROnPlateau(factor=0.1, patience=2, min_delta=0.01)
    # 0.995 improves by less than min_delta: counts as a plateau epoch.
    harness.drive([reduce], harness.val_losses(1.0, 0.995, 0.9, 0.899, 0.8), model)
    assert model.optimizer.learning_rate == pytest.approx(0.1)
    harness.drive([reduce], harness.val_losses(1.0, 0.995, 0.999), model)
    assert model.optimizer.learning_rate == pytest.approx(0.01)


def test_plateau_max_mode_for_accuracy(model, harness):
    model.optimizer.learning_rate = 0.1
    reduce = ReduceLROnPlateau(monitor="val_acc", patience=1, factor=0.5)
    harness.drive([reduce], [{"val_accuracy": v} for v in (0.5, 0.6, 0.7)], model)
    assert model.optimizer.learning_rate == 0.1
    harness.drive([reduce], [{"val_accuracy": v} for v in (0.5, 0.4)], model)
    assert model.optimizer.learning_rate == 0.05


def test_plateau_errors(model, harness):
    with pytest.raises(ValueError, match=r"factor to be a number in \[0, 1\).*factor=1.5"):
        ReduceLROnPlateau(factor=1.5)
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau monitors 'val_loss'.*Available keys: 'loss'"):
        harness.drive([ReduceLROnPlateau()], [{"loss": 1.0}], model)
    model.optimizer = None
    with pytest.raises(ValueError, match=r"needs a compiled model.*model.compile"):
        harness.drive([ReduceLROnPlateau()], harness.val_losses(1.0), model)


def test_plateau_state_and_keras2_epsilon(model, harness):
    reduce = ReduceLROnPlateau(patience=3, epsilon=0.5)
    assert reduce.min_delta == 0.5
    harness.drive([reduce], harness.val_losses(1.0, 0.9), model)
    assert reduce.state_dict() == {"best": 1.0, "wait": 1, "cooldown_counter": 0}
    other = ReduceLROnPlateau(patience=3)
    other.load_state_dict(reduce.state_dict())
    assert other.state_dict() == reduce.state_dict()


def test_scheduler_of_epoch(model, harness, capsys):
    seen = []

    def step_decay(epoch):
        seen.append(epoch)
        return 0.1 * 0.5 ** (epoch // 2)

    ran, cl = harness.drive([LearningRateScheduler(step_decay, verbose=1)], harness.val_losses(1, 1, 1, 1), model)
    history = [cb for cb in cl if type(cb).__name__ == "History"][0].history
    assert seen == [0, 1, 2, 3]
    assert history["learning_rate"] == [0.1, 0.1, 0.05, 0.05]
    assert capsys.readouterr().out.splitlines()[2] == "Epoch 00003: LearningRateScheduler setting learning rate to 0.05."


def test_scheduler_of_epoch_and_lr_accepts_numpy_and_tensor_floats(model, harness):
    model.optimizer.learning_rate = 1.0
    harness.drive([LearningRateScheduler(lambda epoch, lr: np.float32(lr * 0.5))], harness.val_losses(1, 1), model)
    assert model.optimizer.learning_rate == 0.25
    harness.drive([LearningRateScheduler(lambda epoch, lr: torch.tensor(lr * 2))], harness.val_losses(1), model)
    assert model.optimizer.learning_rate == 0.5
    assert isinstance(model.optimizer.learning_rate, float)


def test_scheduler_return_type_is_checked(model, harness):
    with pytest.raises(ValueError, match=r"schedule to return a float learning rate\. Received 1 of type int "
                                         r"from one\(epoch=0\)"):
        def one(epoch):
            return 1
        harness.drive([LearningRateScheduler(one)], harness.val_losses(1), model)
    with pytest.raises(ValueError, match=r"Received None of type NoneType"):
        harness.drive([LearningRateScheduler(lambda epoch: None)], harness.val_losses(1), model)
    with pytest.raises(ValueError, match=r"finite, non-negative learning rate. Received nan"):
        harness.drive([LearningRateScheduler(lambda epoch: float("nan"))], harness.val_losses(1), model)
    with pytest.raises(TypeError, match=r"schedule to be a function"):
        LearningRateScheduler(0.1)


def test_scheduler_errors_inside_schedule_are_not_swallowed(model, harness):
    def broken(epoch, lr):
        raise TypeError("bug in my schedule")
    with pytest.raises(TypeError, match="bug in my schedule"):
        harness.drive([LearningRateScheduler(broken)], harness.val_losses(1), model)
