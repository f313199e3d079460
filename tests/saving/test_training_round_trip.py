"""A trained, compiled model through a .lamina file: predictions, compile settings,
optimizer state and history come back, and training continues exactly as it would have."""
import zipfile

import numpy as np
import pytest
import torch

from lamina import optimizers
from lamina.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten
from lamina.models import Sequential, load_model


def problem(n=96, features=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, features), dtype=np.float32)
    y = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, n)]
    return x, y


def mlp():
    return Sequential([Dense(16, activation="relu", input_shape=(8,)), Dense(3, activation="softmax")])


def same_weights(a, b):
    return len(a.weights) == len(b.weights) and all(torch.equal(p, q) for p, q in zip(a.weights, b.weights))


@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum", "rmsprop"])
def test_trained_model_loads_and_keeps_training_identically(tmp_path, optimizer):
    opt = optimizers.SGD(learning_rate=0.05, momentum=0.9) if optimizer == "sgd_momentum" else optimizer
    x, y = problem()
    model = mlp()
    model.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / "trained.lamina")
    with zipfile.ZipFile(tmp_path / "trained.lamina") as zf:
        assert {"optimizer.safetensors", "optimizer.json", "history.json"} <= set(zf.namelist())

    again = load_model(tmp_path / "trained.lamina")
    assert torch.equal(torch.as_tensor(again.predict(x, verbose=0)), torch.as_tensor(model.predict(x, verbose=0)))
    assert again.compiled and type(again.optimizer) is type(model.optimizer)
    assert again.optimizer.iterations == model.optimizer.iterations == 6
    assert again.history.history.keys() == model.history.history.keys()
    assert again.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)

    model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    again.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    assert same_weights(model, again)


def test_without_optimizer_state_training_restarts_the_optimizer(tmp_path):
    x, y = problem()
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / "bare.lamina", include_optimizer=False)
    with zipfile.ZipFile(tmp_path / "bare.lamina") as zf:
        assert "optimizer.safetensors" not in zf.namelist()
    again = load_model(tmp_path / "bare.lamina")
    assert not again.compiled
    assert torch.equal(torch.as_tensor(again.predict(x, verbose=0)), torch.as_tensor(model.predict(x, verbose=0)))


def test_compile_false_loads_an_uncompiled_model(tmp_path):
    x, y = problem()
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / "m.lamina")
    assert not load_model(tmp_path / "m.lamina", compile=False).compiled


def test_cnn_with_batchnorm_and_dropout_continues_training_identically(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.random((32, 8, 8, 1), dtype=np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 32)]
    model = Sequential([Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)), BatchNormalization(),
                        Dropout(0.3), Flatten(), Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "cnn.lamina")
    again = load_model(tmp_path / "cnn.lamina")
    assert torch.equal(torch.as_tensor(again.predict(x, verbose=0)), torch.as_tensor(model.predict(x, verbose=0)))
    torch.manual_seed(5)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    torch.manual_seed(5)
    again.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    assert same_weights(model, again)
