"""keras.backend on torch: configuration, math on torch and symbolic tensors, K.gradients and K.function
(checked against torch.autograd on the same network), and the seeds' filter-visualisation / Grad-CAM code."""
import numpy as np
import pytest
import torch

import lamina
from lamina import config
from lamina.keras import backend as K
from lamina.keras import layers, models


@pytest.fixture(autouse=True)
def _restore_format():
    fmt = config.image_data_format()
    yield
    config.set_image_data_format(fmt)
    K.LearningPhase.value = None


def test_configuration_functions():
    assert K.backend() == "torch"
    assert K.floatx() == "float32" and K.epsilon() == pytest.approx(1e-7)
    K.set_image_data_format("channels_first")
    assert K.image_data_format() == "channels_first"
    with pytest.warns(DeprecationWarning, match="image_data_format"):
        assert K.image_dim_ordering() == "th"
    K.set_image_dim_ordering("tf")
    assert K.image_data_format() == "channels_last"
    with pytest.raises(ValueError, match="'tf' or 'th'"):
        K.set_image_dim_ordering("xx")


def test_clear_session_resets_auto_names():
    layers.Dense(2)
    K.clear_session()
    assert layers.Dense(2).name == "dense"


def test_int_shape_and_count_params():
    model = models.Sequential([layers.Dense(10, input_dim=784)])
    assert K.int_shape(model.input) == (None, 784)
    assert K.int_shape(model.layers[0].output) == (None, 10)
    assert K.int_shape(np.zeros((2, 3))) == (2, 3)
    assert K.count_params(model.layers[0]) == 7850
    assert K.count_params(model.layers[0].kernel) == 7840


def test_math_on_torch_tensors_is_eager_and_differentiable():
    x = torch.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    assert K.mean(x).item() == pytest.approx(-0.5)
    np.testing.assert_allclose(K.mean(x, axis=0).detach(), [2.0, -3.0])
    np.testing.assert_allclose(K.sum(K.square(x), axis=1, keepdims=True).detach(), [[5.0], [25.0]])
    assert K.max(x).item() == 3.0 and K.min(x, axis=1).tolist() == [-2.0, -4.0]
    np.testing.assert_allclose(K.sqrt(K.abs(x)).detach(), np.sqrt(np.abs(x.detach().numpy())))
    assert K.sqrt(torch.tensor(-1.0)).item() == 0.0  # clipped at 0, as Keras does
    K.sum(K.square(x)).backward()
    np.testing.assert_allclose(x.grad, 2 * x.detach())
    np.testing.assert_allclose(K.mean(np.ones((2, 3))), 1.0)
    np.testing.assert_allclose(K.std(torch.tensor([1.0, 3.0])), 1.0)  # population std


def test_keras2_backend_losses():
    t = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    p = torch.tensor([[0.2, 0.8], [0.6, 0.4]])
    np.testing.assert_allclose(K.categorical_crossentropy(t, p), -np.log([0.8, 0.6]), rtol=1e-6)
    np.testing.assert_allclose(K.binary_crossentropy(t, p), -(t * np.log(p) + (1 - t) * np.log(1 - p)), rtol=1e-6)


def test_symbolic_math_records_ops_with_shapes():
    inp = lamina.Input((None, None, 3))
    out = layers.Conv2D(8, 3, padding="same")(inp)
    assert out[:, :, :, 2].shape == (None, None, None)
    assert K.mean(out[:, :, :, 2]).shape == ()
    assert K.mean(out, axis=(0, 1, 2)).shape == (8,)
    assert (out * 2 + 1).shape == (None, None, None, 8)
    assert (1.0 - out[0]).shape == (None, None, 8)
    assert K.int_shape(K.batch_flatten(lamina.Input((4, 5)))) == (None, 20)


def _small_cnn():
    model = models.Sequential()
    model.add(layers.Conv2D(4, (3, 3), activation="tanh", input_shape=(10, 10, 3), name="c1"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(6, (3, 3), activation="tanh", name="c2"))
    model.add(layers.Flatten())
    model.add(layers.Dense(5, activation="softmax", name="top"))
    return model


def test_gradients_wrt_input_match_torch_autograd():
    model = _small_cnn()
    x = np.random.default_rng(0).random((2, 10, 10, 3)).astype("float32")
    loss = K.mean(model.get_layer("c2").output[:, :, :, 1])
    grads = K.gradients(loss, model.input)[0]
    f = K.function([model.input], [loss, grads])
    loss_value, grads_value = f([x])

    xt = torch.from_numpy(x).requires_grad_(True)
    h = model.get_layer("c2")(model.get_layer("max_pooling2d")(model.get_layer("c1")(xt)))
    want = h[:, :, :, 1].mean()
    want.backward()
    assert loss_value == pytest.approx(want.item(), rel=1e-6)
    np.testing.assert_allclose(grads_value, xt.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_gradients_wrt_an_intermediate_output_of_a_frozen_model():
    """Grad-CAM: d(class score)/d(conv output), even when no weight requires grad."""
    model = _small_cnn()
    model.trainable = False
    x = np.random.default_rng(1).random((1, 10, 10, 3)).astype("float32")
    conv = model.get_layer("c2").output
    score = model.output[:, 3]
    grads = K.gradients(score, conv)[0]
    pooled = K.mean(grads, axis=(0, 1, 2))
    pooled_value, conv_value = K.function([model.input], [pooled, conv[0]])([x])

    with torch.no_grad():
        feat = model.get_layer("c2")(model.get_layer("max_pooling2d")(model.get_layer("c1")(torch.from_numpy(x))))
    feat.requires_grad_(True)
    s = model.get_layer("top")(model.get_layer("flatten")(feat))[:, 3].sum()
    s.backward()
    np.testing.assert_allclose(pooled_value, feat.grad.mean(dim=(0, 1, 2)).numpy(), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(conv_value, feat[0].detach().numpy(), rtol=1e-6)


def test_function_with_learning_phase_runs_dropout_in_training():
    model = models.Sequential([layers.Dropout(0.5, input_shape=(1000,))])
    f = K.function([model.input, K.learning_phase()], [model.output])
    x = np.ones((1, 1000), "float32")
    assert np.array_equal(f([x, 0])[0], x)
    out = f([x, 1])[0]
    assert set(np.unique(out)) == {0.0, 2.0}


def test_function_errors_name_what_is_missing():
    a, b = lamina.Input((3,)), lamina.Input((3,))
    out = layers.add([a, b])
    with pytest.raises(ValueError, match="not among the function's inputs"):
        K.function([a], [out])
    f = K.function([a, b], [out])
    with pytest.raises(ValueError, match="expects 2 input value"):
        f([np.ones((1, 3))])
    with pytest.raises(NotImplementedError, match="optimizer.step"):
        K.function([a, b], [out], updates=[("x", 1)])
    with pytest.raises(TypeError, match="torch.autograd.grad"):
        K.gradients(torch.ones(()), [a])
    with pytest.raises(NotImplementedError, match="TensorFlow session"):
        K.get_session()


def test_gradient_outputs_cannot_be_predicted_without_autograd():
    model = _small_cnn()
    g = K.gradients(K.mean(model.output), model.input)[0]
    with pytest.raises(RuntimeError, match="K.function"):
        lamina.Model(model.input, g).predict(np.zeros((1, 10, 10, 3), "float32"), verbose=0)


def test_activation_model_from_layer_outputs():
    """The seeds' activation model: Model(inputs=model.input, outputs=[layer.output for layer in model.layers[:3]])."""
    model = _small_cnn()
    activation_model = models.Model(inputs=model.input, outputs=[layer.output for layer in model.layers[:3]])
    acts = activation_model.predict(np.zeros((2, 10, 10, 3), "float32"), verbose=0)
    assert [a.shape for a in acts] == [(2, 8, 8, 4), (2, 4, 4, 4), (2, 2, 2, 6)]


def test_seed_gradient_ascent_fragment_runs_as_written():
    """The slide's fragment (seed 001), verbatim between the markers, with its undefined names supplied."""
    model = _small_cnn()
    layer_output = model.get_layer("c1").output
    size, filter_index, step = 10, 2, 1.0
    input_img_data = np.random.random((1, size, size, 3)) * 20 + 128.
    # --- verbatim from the slide ---
    input_img = np.random.random((1, size, size, 3)) * 20 + 128.
    loss = K.mean(layer_output[:, :, :, filter_index])  # Max response
    grads = K.gradients(loss, model.input)[0]  # Compute gradient
    for i in range(40):  # Run gradient ascent for 40 steps
        loss_value, grads_value = K.function([input_img], [loss, grads])
        input_img_data += grads_value * step
    # --- end ---
    assert grads_value.shape == (1, size, size, 3) and np.isfinite(loss_value)


def test_classic_gradient_ascent_increases_the_filter_response():
    model = _small_cnn()
    layer_output = model.get_layer("c1").output
    loss = K.mean(layer_output[:, :, :, 0])
    grads = K.gradients(loss, model.input)[0]
    grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)
    iterate = K.function([model.input], [loss, grads])
    img = np.random.default_rng(0).random((1, 10, 10, 3)) * 0.2
    first, _ = iterate([img])
    for _ in range(20):
        loss_value, grads_value = iterate([img])
        img += grads_value * 0.1
    assert loss_value > first
