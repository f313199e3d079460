"""Constraints: Keras formulas, applied in Keras layout after every optimizer step."""
import numpy as np
import pytest
import torch

import lamina
from lamina import constraints, layers


def test_max_norm_matches_the_keras_formula():
    w = np.random.default_rng(0).normal(0, 2, (6, 4)).astype(np.float32)
    out = constraints.MaxNorm(max_value=2.0, axis=0)(torch.from_numpy(w)).numpy()
    norms = np.sqrt((w ** 2).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(out, w * np.clip(norms, 0, 2.0) / (1e-7 + norms), rtol=1e-6)


def test_unit_norm_min_max_and_non_neg():
    w = torch.tensor([[3.0, -1.0], [4.0, 2.0]])
    np.testing.assert_allclose(constraints.UnitNorm(axis=0)(w).norm(dim=0).numpy(), [1, 1], rtol=1e-6)
    np.testing.assert_array_equal(constraints.NonNeg()(w).numpy(), [[3, 0], [4, 2]])
    clipped = constraints.MinMaxNorm(min_value=0.0, max_value=1.0)(w)
    assert torch.all(clipped.norm(dim=0) <= 1.0 + 1e-6)


def test_fit_keeps_each_dense_unit_within_max_norm_in_keras_layout():
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 5, (128, 10)).astype(np.float32), rng.integers(0, 3, 128)
    model = lamina.Sequential([layers.Dense(8, activation="relu", input_shape=(10,),
                                            kernel_constraint=constraints.max_norm(0.5)),
                               layers.Dense(3, activation="softmax", kernel_constraint="non_neg")])
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=1.0), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    kernel = model.layers[0].get_weights()[0]  # Keras layout (in, out): axis 0 is each unit's inputs
    assert np.all(np.sqrt((kernel ** 2).sum(axis=0)) <= 0.5 + 1e-5)
    assert np.all(model.layers[1].get_weights()[0] >= 0)


def test_conv_kernel_constraint_uses_keras_axes():
    model = lamina.Sequential([layers.Conv2D(4, 3, input_shape=(8, 8, 2),
                                             kernel_constraint=constraints.MaxNorm(0.1, axis=[0, 1, 2])),
                               layers.Flatten(), layers.Dense(2)])
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=1.0), loss="mse")
    model.fit(np.random.rand(16, 8, 8, 2).astype(np.float32), np.random.rand(16, 2).astype(np.float32),
              epochs=1, verbose=0)
    kernel = model.layers[0].get_weights()[0]  # (kh, kw, in, out)
    assert np.all(np.sqrt((kernel ** 2).sum(axis=(0, 1, 2))) <= 0.1 + 1e-6)


def test_config_round_trip_and_unknown_name():
    layer = layers.Dense(3, kernel_constraint=constraints.MaxNorm(3, axis=0))
    cfg = layer.get_config()
    assert cfg["kernel_constraint"] == {"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}}
    assert layers.Dense.from_config(cfg).get_config() == cfg
    with pytest.raises(ValueError, match="did you mean 'max_norm'"):
        layers.Dense(3, kernel_constraint="max_nrom")
