"""Drive callbacks with synthetic epoch logs, without the fit engine."""
import types

import pytest
import torch

import lamina
from lamina.callbacks import CallbackList, History
from lamina.layers import Dense


class FakeOptimizer:
    """Just the documented optimizer field callbacks use: a float learning_rate."""

    def __init__(self, lr=0.01):
        self.learning_rate = lr


class FakeTrainer:
    def __init__(self):
        self.initial_epoch = 0
        self.epoch = 0
        self.stop_training = False
        self.progress = None

    def rng_state(self):
        return {"torch": torch.get_rng_state()}

    def set_rng_state(self, state):
        torch.set_rng_state(state["torch"])


@pytest.fixture
def model():
    m = lamina.Sequential([Dense(3, input_shape=(4,)), Dense(2)])
    m.optimizer = FakeOptimizer(0.01)
    m.stop_training = False
    return m


def drive(callbacks, epoch_logs, model, trainer=None, epochs=None, history=True):
    """Run the fit event sequence over a list of epoch logs; return (epochs run, CallbackList)."""
    trainer = trainer or FakeTrainer()
    cbs = list(callbacks) + ([History()] if history else [])
    epochs = epochs if epochs is not None else len(epoch_logs)
    cl = CallbackList(cbs, model=model, params={"epochs": epochs, "steps": 1, "verbose": 0}, trainer=trainer)
    model.stop_training = False
    cl.on_train_begin()
    ran = 0
    for epoch in range(trainer.initial_epoch, epochs):
        trainer.epoch = epoch
        cl.on_epoch_begin(epoch)
        logs = dict(epoch_logs[epoch])
        cl.on_epoch_end(epoch, logs)
        ran += 1
        if model.stop_training or trainer.stop_training:
            break
    cl.on_train_end()
    return ran, cl


def val_losses(*values):
    return [{"loss": v + 0.1, "val_loss": v} for v in values]


@pytest.fixture
def fake_trainer():
    return FakeTrainer()


namespace = types.SimpleNamespace(drive=drive, val_losses=val_losses, FakeOptimizer=FakeOptimizer,
                                  FakeTrainer=FakeTrainer)


@pytest.fixture
def harness():
    return namespace
