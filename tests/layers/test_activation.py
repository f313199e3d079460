"""ReLU, LeakyReLU, Softmax, ELU, PReLU against their formulas."""
import numpy as np
import pytest
import torch

from lamina.layers import ELU, Input, LeakyReLU, PReLU, ReLU, Softmax

X = np.linspace(-3, 3, 13, dtype=np.float32).reshape(1, 13)


def test_relu_options_follow_keras_formula():
    np.testing.assert_allclose(ReLU()(X).numpy(), np.maximum(X, 0))
    y = ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5)(X).numpy()
    expected = np.where(X >= 2.0, 2.0, np.where(X >= 0.5, X, 0.1 * (X - 0.5)))
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    np.testing.assert_allclose(ReLU(max_value=1.0)(X).numpy(), np.clip(X, 0, 1))


def test_leaky_relu_default_and_legacy_alpha(monkeypatch):
    import warnings

    from lamina.compat import _state as compat_state
    monkeypatch.setattr(compat_state, "_WARNED", set())
    np.testing.assert_allclose(LeakyReLU()(X).numpy(), np.where(X >= 0, X, 0.3 * X), rtol=1e-6)
    with pytest.warns(DeprecationWarning, match=r"LeakyReLU\(alpha=\.\.\.\) is the Keras 2 name"):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == pytest.approx(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LeakyReLU(alpha=0.2)  # the legacy form warns once per process
    assert layer.get_config()["negative_slope"] == pytest.approx(0.1) and "alpha" not in layer.get_config()
    np.testing.assert_allclose(layer(X).numpy(), np.where(X >= 0, X, 0.1 * X), rtol=1e-6)


def test_softmax_axis_tuple_and_mask():
    x = torch.randn(2, 3, 4)
    torch.testing.assert_close(Softmax()(x), torch.softmax(x, -1))
    torch.testing.assert_close(Softmax(axis=1)(x), torch.softmax(x, 1))
    y = Softmax(axis=(1, 2))(x)
    torch.testing.assert_close(y.sum(dim=(1, 2)), torch.ones(2))
    torch.testing.assert_close(y, torch.softmax(x.reshape(2, 12), -1).reshape(2, 3, 4))
    mask = torch.tensor([[True, True, False, False]]).expand(2, 3, 4)
    ym = Softmax()(x, mask=mask)
    assert torch.all(ym[..., 2:] == 0)
    torch.testing.assert_close(ym[..., :2], torch.softmax(x[..., :2], -1))


def test_elu():
    np.testing.assert_allclose(ELU(alpha=0.5)(X).numpy(), np.where(X > 0, X, 0.5 * (np.exp(X) - 1)), rtol=1e-5)


def test_prelu_alpha_shape_and_values():
    layer = PReLU()
    x = torch.randn(2, 4, 4, 3)
    layer(x)
    assert layer.get_weights()[0].shape == (4, 4, 3)
    shared = PReLU(shared_axes=[1, 2], alpha_initializer="ones")
    shared(x)
    alpha = np.array([0.1, 0.2, 0.3], np.float32).reshape(1, 1, 3)
    shared.set_weights([alpha])
    xn = x.numpy()
    np.testing.assert_allclose(shared(x).detach().numpy(), np.where(xn >= 0, xn, alpha * xn), rtol=1e-6)
    with pytest.raises(ValueError, match=r"\(PReLU\) expects axis 3 of its input to have size 3\. "
                                         r"Received shape \(None, 4, 4, 5\)"):
        shared(torch.randn(1, 4, 4, 5))
    assert tuple(shared(torch.randn(1, 6, 2, 3)).shape) == (1, 6, 2, 3)  # shared axes may change size


def test_activation_errors():
    with pytest.raises(ValueError, match=r"ReLU expects max_value to be a non-negative float or None\. "
                                         r"Received: max_value=-1"):
        ReLU(max_value=-1)
    with pytest.raises(ValueError, match=r"ReLU expects negative_slope to be a non-negative float\. "
                                         r"Received: negative_slope=-0\.2"):
        ReLU(negative_slope=-0.2)
    with pytest.raises(ValueError, match=r"LeakyReLU expects negative_slope to be a non-negative float\. "
                                         r"Received: negative_slope=None"):
        LeakyReLU(negative_slope=None)
    with pytest.raises(ValueError, match=r"Softmax expects axis to be an int or a tuple of ints\. "
                                         r"Received: axis='last'"):
        Softmax(axis="last")
    with pytest.raises(ValueError, match=r"ELU expects alpha to be a float\. Received: alpha='big'"):
        ELU(alpha="big")
    with pytest.raises(ValueError, match=r"PReLU expects shared_axes to be None or axis numbers >= 1.*"
                                         r"Received: shared_axes=0"):
        PReLU(shared_axes=0)
    with pytest.raises(ValueError, match=r"\(PReLU\) has shared_axes=\(3,\), but its input shape \(None, 4, 4\) "
                                         r"has axes 1\.\.2 only"):
        PReLU(shared_axes=3)(Input(shape=(4, 4)))
    with pytest.raises(ValueError, match=r"\(PReLU\) needs every non-shared axis of its input to be known"):
        PReLU()(Input(shape=(None, 4)))
