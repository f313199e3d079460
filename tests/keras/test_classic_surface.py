"""Classic Keras 1/2 surface: layer weights=, K.gradients on weights and real tensors, Keras 1 aliases."""
import importlib

import numpy as np
import pytest
import torch

import lamina
from lamina import keras
from lamina.keras import backend as K
from lamina.keras.layers import BatchNormalization, Conv2D, Dense, Input, Lambda
from lamina.keras.models import Model, Sequential


# ---------------------------------------------------------------------------- weights=
def test_dense_weights_are_set_at_build_in_keras_layout():
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    layer = Dense(3, weights=[w, b])
    assert not layer.built
    x = rng.normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(layer(torch.as_tensor(x)).detach().numpy(), x @ w + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layer.get_weights()[0], w)


def test_weights_in_sequential_conv_and_batchnorm():
    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(3, 3, 1, 2)).astype(np.float32)   # Keras layout (kh, kw, in, out)
    bias = np.array([0.5, -0.5], np.float32)
    bn = [np.full(2, 2.0, np.float32), np.ones(2, np.float32), np.zeros(2, np.float32), np.ones(2, np.float32)]
    model = Sequential([Conv2D(2, (3, 3), input_shape=(5, 5, 1), weights=[kernel, bias]),
                        BatchNormalization(weights=bn)])
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], kernel)
    np.testing.assert_array_equal(model.layers[1].get_weights()[0], bn[0])
    x = rng.normal(size=(1, 5, 5, 1)).astype(np.float32)
    ref = torch.nn.functional.conv2d(torch.as_tensor(x).permute(0, 3, 1, 2),
                                     torch.as_tensor(kernel).permute(3, 2, 0, 1), torch.as_tensor(bias))
    expected = (2.0 * ref / np.sqrt(1 + 1e-3) + 1.0).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)


def test_functional_layer_with_weights_and_a_saved_round_trip(tmp_path):
    w, b = np.eye(3, dtype=np.float32) * 2, np.arange(3, dtype=np.float32)
    inp = Input((3,))
    model = Model(inp, Dense(3, weights=[w, b], name="fixed")(inp))
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ w + b)
    path = tmp_path / "m.lamina"
    model.save(path)
    again = lamina.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), x @ w + b)
    assert "weights" not in model.get_layer("fixed").get_config()


def test_wrong_weights_name_the_layer_and_both_shapes():
    with pytest.raises(ValueError, match=r"Dense\(weights=\[...\]\) for layer 'bad_dense'.*Weight 'kernel' of layer "
                                         r"'bad_dense' has Keras shape \(4, 3\); received an array of shape \(3, 4\)"):
        Sequential([Dense(3, input_shape=(4,), name="bad_dense", weights=[np.zeros((3, 4)), np.zeros(3)])])
    with pytest.raises(ValueError, match=r"'short'.*expects 2 weight arrays \(short/kernel \(4, 3\), short/bias "
                                         r"\(3,\)\); received 1"):
        Dense(3, name="short", weights=[np.zeros((4, 3))])(torch.zeros(1, 4))


def test_lamina_layers_refuse_weights_as_keras3_does():
    """Only the classic namespace takes weights=; lamina.layers.Dense follows Keras 3 and refuses it."""
    with pytest.raises(TypeError, match=r"Dense does not take weights= .*Keras 3 refuses it too.*"
                                        r"layer.set_weights\(\[...\]\).*lamina.keras.layers"):
        lamina.layers.Dense(3, weights=[np.zeros((4, 3)), np.zeros(3)])


def test_a_custom_layer_on_the_classic_base_takes_weights():
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.scale

    layer = Scale(weights=[np.array([2.0, 3.0], np.float32)])
    np.testing.assert_allclose(layer(torch.ones(1, 2)).detach().numpy(), [[2.0, 3.0]])


# ---------------------------------------------------------------------------- K.gradients
def test_gradients_of_a_lambda_loss_with_respect_to_the_weights():
    """Keras 2: grads = K.gradients(loss, model.trainable_weights); f = K.function([...], [loss] + grads)."""
    keras.utils.set_random_seed(0)
    inp = Input((4,))
    model = Model(inp, Dense(3)(inp))
    target = Input((3,))
    loss = Lambda(lambda t: K.mean(K.square(t[0] - t[1])))([model.output, target])
    grads = K.gradients(loss, model.trainable_weights)
    fetch = K.function([model.input, target], [loss] + grads)
    rng = np.random.default_rng(0)
    x, y = rng.random((5, 4), np.float32), rng.random((5, 3), np.float32)
    loss_value, g_kernel, g_bias = fetch([x, y])
    w, b = model.get_weights()
    err = 2 * (x @ w + b - y) / y.size
    assert loss_value == pytest.approx(((x @ w + b - y) ** 2).mean(), rel=1e-5)
    assert g_kernel.shape == tuple(model.trainable_weights[0].shape)  # the shape of the tensor asked about
    np.testing.assert_allclose(g_kernel.T, x.T @ err, atol=1e-6)
    np.testing.assert_allclose(g_bias, err.sum(0), atol=1e-6)


def test_gradients_on_real_tensors_inside_a_custom_layer_train():
    """A gradient penalty computed in call() (2018 WGAN-GP style) is differentiable again."""
    class GradientNorm(keras.layers.Layer):
        def call(self, h):
            g = K.gradients(K.sum(K.square(h)), [h])[0]          # = 2 h
            return K.sqrt(K.sum(K.square(g), axis=-1, keepdims=True))

        def compute_output_shape(self, input_shape):
            return input_shape[:-1] + (1,)

    keras.utils.set_random_seed(0)
    inp = Input((3,))
    hidden = Dense(2, name="hidden")(inp)
    model = Model(inp, GradientNorm()(hidden))
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 3), np.float32)
    before = model.get_layer("hidden").get_weights()[0].copy()
    model.train_on_batch(x, np.zeros((4, 1), np.float32))
    assert not np.allclose(model.get_layer("hidden").get_weights()[0], before)  # trained through the gradient
    h = torch.tensor([[3.0, 4.0]], requires_grad=True)
    g = K.gradients(K.sum(h ** 3), h)[0]
    np.testing.assert_allclose(g.detach().numpy(), [[27.0, 48.0]])
    (second,) = torch.autograd.grad(g.sum(), h)
    np.testing.assert_allclose(second.numpy(), [[18.0, 24.0]])


def test_gradient_errors_say_what_to_do():
    with torch.no_grad():
        with pytest.raises(RuntimeError, match="needs autograd.*torch.enable_grad"):
            K.gradients(torch.ones(2, requires_grad=True).sum(), [torch.ones(2, requires_grad=True)])
    x = torch.ones(3)
    with pytest.raises(ValueError, match=r"variable 0 \(shape \(3,\)\) does not require grad.*requires_grad_"):
        K.gradients((x * 2).sum(), [x])
    inp = Input((2,))
    out = Dense(1)(inp)
    with pytest.raises(TypeError, match="not a mix"):
        K.gradients(K.sum(out), [inp, Model(inp, out).trainable_weights[0]])
    with pytest.raises(TypeError, match="expects loss to be a tensor.*Received float"):
        K.gradients(1.5, [inp])


# ---------------------------------------------------------------------------- Keras 1 aliases
def test_objectives_is_the_losses_module_of_keras1():
    objectives = importlib.import_module("lamina.keras.objectives")
    assert objectives.categorical_crossentropy is keras.losses.categorical_crossentropy
    assert objectives.mse is lamina.losses.mean_squared_error
    y_true = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    y_pred = torch.tensor([[0.2, 0.8], [0.4, 0.6]])
    np.testing.assert_allclose(objectives.categorical_crossentropy(y_true, y_pred).numpy(),
                               [-np.log(0.8), -np.log(0.4)], rtol=1e-5)


def test_metric_and_loss_function_forms_on_tensors():
    y_true = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    y_pred = torch.tensor([[0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    m = keras.metrics
    np.testing.assert_array_equal(m.categorical_accuracy(y_true, y_pred).numpy(), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(m.binary_crossentropy(y_true, y_pred).numpy(),
                               -(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)).mean(-1), rtol=1e-5)
    np.testing.assert_allclose(m.mse(y_true, y_pred).numpy(), ((y_true - y_pred) ** 2).mean(-1), rtol=1e-6)
    np.testing.assert_allclose(m.mae(y_true, y_pred).numpy(), (y_true - y_pred).abs().mean(-1), rtol=1e-6)
    a = torch.tensor([[1.0, 0.0]])
    assert keras.losses.cosine_proximity(a, torch.tensor([[2.0, 0.0]])).item() == pytest.approx(-1.0)
    assert m.cosine(a, torch.tensor([[0.0, 3.0]])).item() == pytest.approx(0.0, abs=1e-7)


def test_backend_learning_phase_int_shape_and_dim_ordering():
    x = Input((28, 28, 1))
    assert K.int_shape(x) == (None, 28, 28, 1)
    assert K.int_shape(torch.zeros(2, 3)) == (2, 3)
    assert K.learning_phase() is K.learning_phase()
    # (K.set_image_dim_ordering and its one-time warning are covered by tests/keras/test_backend.py)
    assert K.image_dim_ordering() == {"channels_last": "tf", "channels_first": "th"}[K.image_data_format()]
    K.set_learning_phase(1)
    try:
        drop = keras.layers.Dropout(0.5)
        inp = Input((100,))
        f = K.function([inp], [drop(inp)])
        assert (f([np.ones((1, 100), np.float32)])[0] == 0).any()   # training behaviour in K.function
    finally:
        K.set_learning_phase(0)


def test_advanced_activations_module_has_keras2_layers():
    aa = importlib.import_module("lamina.keras.layers.advanced_activations")
    for name in ("LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "ReLU", "Softmax"):
        assert hasattr(aa, name)
    assert keras.layers.ThresholdedReLU is aa.ThresholdedReLU
    layer = aa.ThresholdedReLU(theta=0.5)
    np.testing.assert_allclose(layer(torch.tensor([0.2, 0.5, 0.7, -1.0])).numpy(), [0.0, 0.0, 0.7, 0.0])
    assert aa.ThresholdedReLU.from_config(layer.get_config()).theta == 0.5
    with pytest.raises(ValueError, match="theta to be a non-negative number.*theta=-1"):
        aa.ThresholdedReLU(theta=-1)
