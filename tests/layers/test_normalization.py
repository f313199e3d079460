"""BatchNormalization: Keras's moving averages (biased variance), inference mode, trainable=False."""
import numpy as np
import pytest
import torch

from lamina import Sequential
from lamina.layers import BatchNormalization, Dense, Input

EPS = 1e-3


def _bn_ref(x, mean, var, gamma=1.0, beta=0.0):
    return gamma * (x - mean) / np.sqrt(var + EPS) + beta


@pytest.mark.parametrize("shape,axis", [((6, 4), -1), ((3, 2, 2, 4), -1), ((3, 4, 2, 2), 1), ((3, 5, 4), 2)])
def test_training_step_normalises_with_batch_stats_and_updates_moving_averages_by_hand(shape, axis):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=shape) * 3 + 2).astype(np.float32)
    layer = BatchNormalization(axis=axis, momentum=0.9)
    y = layer(x, training=True).detach().numpy()
    red = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    mean = x.mean(axis=red, keepdims=True)
    var = x.var(axis=red, keepdims=True)  # biased (ddof=0), as Keras 3's ops.moments
    np.testing.assert_allclose(y, _bn_ref(x, mean, var), rtol=1e-4, atol=1e-5)
    gamma, beta, moving_mean, moving_var = layer.get_weights()
    np.testing.assert_allclose(moving_mean, 0.9 * 0.0 + 0.1 * mean.ravel(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(moving_var, 0.9 * 1.0 + 0.1 * var.ravel(), rtol=1e-5)
    np.testing.assert_array_equal(gamma, np.ones_like(gamma))
    np.testing.assert_array_equal(beta, np.zeros_like(beta))


def test_moving_averages_after_two_steps():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(8, 3)).astype(np.float32), rng.normal(size=(8, 3)).astype(np.float32) + 1
    layer = BatchNormalization()
    layer(a, training=True)
    layer(b, training=True)
    mm = 0.99 * (0.99 * 0 + 0.01 * a.mean(0)) + 0.01 * b.mean(0)
    mv = 0.99 * (0.99 * 1 + 0.01 * a.var(0)) + 0.01 * b.var(0)
    np.testing.assert_allclose(layer.get_weights()[2], mm, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(layer.get_weights()[3], mv, rtol=1e-5)


def test_gradients_match_the_formula():
    x = torch.randn(5, 3, dtype=torch.float32)
    layer = BatchNormalization()
    layer(x)  # build
    layer.set_weights([np.array([1.0, 2.0, 0.5], np.float32), np.array([0.1, -0.2, 0.3], np.float32),
                       np.zeros(3, np.float32), np.ones(3, np.float32)])
    xa = x.clone().requires_grad_()
    w = torch.linspace(-1, 1, 15).reshape(5, 3)
    (layer(xa, training=True) * w).sum().backward()
    xb = x.clone().requires_grad_()
    gamma = torch.tensor([1.0, 2.0, 0.5], requires_grad=True)
    var, mean = torch.var_mean(xb, dim=0, correction=0)
    ref = gamma * (xb - mean) / torch.sqrt(var + EPS) + torch.tensor([0.1, -0.2, 0.3])
    (ref * w).sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(layer.gamma.grad, gamma.grad, rtol=1e-4, atol=1e-5)


def test_inference_uses_moving_statistics():
    x = np.random.randn(4, 3).astype(np.float32)
    layer = BatchNormalization()
    layer(x)
    gamma, beta = np.array([1.0, 2.0, 3.0], np.float32), np.array([0.0, 1.0, -1.0], np.float32)
    mm, mv = np.array([0.5, -0.5, 0.0], np.float32), np.array([1.0, 4.0, 0.25], np.float32)
    layer.set_weights([gamma, beta, mm, mv])
    np.testing.assert_allclose(layer(x).detach().numpy(), _bn_ref(x, mm, mv, gamma, beta), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layer.get_weights()[2], mm)  # inference leaves the moving stats alone


def test_training_none_follows_module_mode():
    x = np.random.randn(6, 2).astype(np.float32) + 5
    layer = BatchNormalization()
    layer(x)  # constructed in eval mode: inference
    np.testing.assert_array_equal(layer.get_weights()[2], [0, 0])
    layer.train()
    layer(x)
    assert (layer.get_weights()[2] > 0).all()
    layer.eval()
    before = layer.get_weights()[2]
    layer(x)
    np.testing.assert_array_equal(layer.get_weights()[2], before)


def test_frozen_layer_always_runs_in_inference_mode():
    x = np.random.randn(6, 2).astype(np.float32) * 4 + 3
    layer = BatchNormalization(trainable=False)
    y = layer(x, training=True).detach().numpy()
    np.testing.assert_allclose(y, _bn_ref(x, 0.0, 1.0), rtol=1e-5)
    np.testing.assert_array_equal(layer.get_weights()[2:], [np.zeros(2), np.ones(2)])
    model = Sequential([Dense(2, input_shape=(2,)), BatchNormalization()])
    model.layers[1].trainable = False
    model(torch.from_numpy(x), training=True)
    np.testing.assert_array_equal(model.layers[1].get_weights()[2], [0, 0])


def test_single_value_per_feature_normalises_to_beta():
    layer = BatchNormalization(beta_initializer="ones")
    y = layer(np.array([[3.0, -2.0]], np.float32), training=True)
    torch.testing.assert_close(y, torch.ones(1, 2))
    np.testing.assert_allclose(layer.get_weights()[2], [0.03, -0.02], rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[3], [0.99, 0.99], rtol=1e-6)


def test_weights_order_names_and_summary_counts():
    model = Sequential([Dense(4, input_shape=(3,)), BatchNormalization()])
    bn = model.layers[1]
    assert [r.name for r in bn._weight_records] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [t is w for t, w in zip(bn.trainable_weights, [bn.gamma, bn.beta])] == [True, True]
    assert bn.non_trainable_weights[0] is bn.moving_mean
    lines = []
    model.summary(print_fn=lines.append)
    assert "batch_normalization (BatchNo (None, 4)                 16        " in lines
    assert "Trainable params: 24" in lines and "Non-trainable params: 8" in lines


def test_batch_normalization_errors():
    with pytest.raises(ValueError, match=r"Layer 'batch_normalization' \(BatchNormalization\) has axis=3, which is "
                                         r"not a feature axis of its input shape \(None, 4, 5\)"):
        BatchNormalization(axis=3)(Input(shape=(4, 5)))
    with pytest.raises(ValueError, match=r"BatchNormalization expects epsilon to be a positive float\. "
                                         r"Received: epsilon=0"):
        BatchNormalization(epsilon=0)
    with pytest.raises(ValueError, match=r"BatchNormalization expects momentum to be a float in \[0, 1\]\. "
                                         r"Received: momentum=1\.5"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match=r"BatchNormalization expects axis to be an int.*Received: axis=\[1, 2\]"):
        BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match=r"needs the size of axis -1 to be known\. Received shape \(None, 3, None\)"):
        BatchNormalization()(Input(shape=(3, None)))
