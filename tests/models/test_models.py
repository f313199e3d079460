"""Sequential, functional and subclassed models: construction, access, summary, errors."""
import numpy as np
import pytest
import torch

import lamina
from lamina import layers


def summary_of(model) -> str:
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


# ---------------------------------------------------------------- the seeds' exact tables
@pytest.mark.parametrize("hidden, total", [((), 7850), ((50,), 39760), ((200,), 159010), ((1000,), 795010),
                                           ((500, 500), 648010)])
def test_course_mlps_have_the_seed_parameter_counts(hidden, total):
    model = lamina.Sequential()
    dims = list(hidden) + [10]
    model.add(layers.Dense(units=dims[0], input_dim=784, activation="relu" if hidden else "softmax"))
    for i, units in enumerate(dims[1:]):
        model.add(layers.Dense(units=units, activation="softmax" if i == len(dims) - 2 else "relu"))
    assert model.count_params() == total
    text = summary_of(model)
    assert f"Total params: {total:,}" in text
    assert f"Trainable params: {total:,}" in text
    assert "Non-trainable params: 0" in text


def test_summary_is_the_classic_keras_table():
    model = lamina.Sequential([layers.Dense(units=50, input_dim=784, activation="relu"),
                               layers.Dense(units=10, activation="softmax")])
    expected = "\n".join([
        'Model: "sequential"',
        "_" * 65,
        "Layer (type)                 Output Shape              Param #   ",
        "=" * 65,
        "dense (Dense)                (None, 50)                39250     ",
        "_" * 65,
        "dense_1 (Dense)              (None, 10)                510       ",
        "=" * 65,
        "Total params: 39,760",
        "Trainable params: 39,760",
        "Non-trainable params: 0",
        "_" * 65,
    ])
    assert summary_of(model) == expected


def test_frozen_layers_move_to_non_trainable_in_summary_and_weights():
    model = lamina.Sequential([layers.Dense(20, input_dim=10), layers.BatchNormalization(), layers.Dense(3)])
    bn = 4 * 20
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 2
    model.layers[0].trainable = False
    text = summary_of(model)
    total = 220 + bn + 63
    assert f"Total params: {total:,}" in text
    assert f"Trainable params: {total - 220 - 40:,}" in text  # frozen dense + BN moving stats
    assert f"Non-trainable params: {220 + 40:,}" in text
    assert not model.layers[0].kernel.requires_grad
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 8


# ---------------------------------------------------------------- access
def test_sequential_access_follows_keras():
    model = lamina.Sequential(name="net")
    model.add(layers.Dense(8, input_shape=(4,), name="hidden"))
    model.add(layers.Dense(2, name="out"))
    assert [l.name for l in model.layers] == ["hidden", "out"]  # no InputLayer in a Sequential's layers
    assert model.get_layer(index=0) is model.get_layer(name="hidden")
    assert model.input_shape == (None, 4) and model.output_shape == (None, 2)
    assert model.get_layer("out").input_shape == (None, 8)
    assert model.get_layer("out").output_shape == (None, 2)
    assert model.input.shape == (None, 4) and model.outputs[0].shape == (None, 2)
    kernel, bias = model.get_layer("hidden").get_weights()
    assert kernel.shape == (4, 8) and bias.shape == (8,)  # Keras layout
    assert model.get_layer("hidden").kernel.shape == (8, 4)  # torch layout
    with pytest.raises(ValueError, match=r"did you mean 'hidden'"):
        model.get_layer("hiden")
    with pytest.raises(ValueError, match=r"has 2 layers \(indices 0..1\); received index=5"):
        model.get_layer(index=5)


def test_deferred_sequential_builds_on_first_data():
    model = lamina.Sequential([layers.Dense(8), layers.Dense(2)])
    with pytest.raises(ValueError, match="has not been built yet"):
        model.summary()
    out = model(np.zeros((3, 5), np.float32))
    assert out.shape == (3, 2)
    assert model.count_params() == 5 * 8 + 8 + 8 * 2 + 2
    assert model.input_shape == (None, 5)


def test_sequential_with_input_and_nested_functional_builds_at_once():
    inner_in = lamina.Input(shape=(6,))
    inner = lamina.Model(inner_in, layers.Dense(4)(inner_in), name="base")
    model = lamina.Sequential([inner, layers.Dense(2)])
    assert model.output_shape == (None, 2)
    assert "base (Functional)" in summary_of(model)
    seq = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(2)])
    assert seq.count_params() == 8


def test_functional_multi_input_output_shared_layer():
    a, b = lamina.Input(shape=(5,), name="a"), lamina.Input(shape=(5,), name="b")
    shared = layers.Dense(4, name="shared")
    ha, hb = shared(a), shared(b)
    merged = layers.Concatenate(name="cat")([ha, hb])
    out1 = layers.Dense(1, name="o1")(merged)
    out2 = layers.Dense(2, name="o2")(hb)
    model = lamina.Model(inputs=[a, b], outputs=[out1, out2])
    assert [l.name for l in model.layers] == ["a", "b", "shared", "cat", "o1", "o2"]
    assert model.count_params() == 24 + 9 + 10
    xa, xb = np.ones((2, 5), np.float32), np.zeros((2, 5), np.float32)
    y1, y2 = model([xa, xb])
    assert y1.shape == (2, 1) and y2.shape == (2, 2)
    # the shared layer computes the same function on both inputs
    with torch.no_grad():
        w = shared.kernel
        np.testing.assert_allclose(model.predict({"a": xa, "b": xa}, verbose=0)[0],
                                   model.predict([xa, xa], verbose=0)[0], rtol=1e-6)
        assert w.shape == (4, 5)
    text = summary_of(model)
    assert "Connected to" in text and "shared[0][0]" in text and "shared[1][0]" in text


def test_activation_model_from_layer_outputs_like_the_seeds():
    model = lamina.Sequential([layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
                               layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(2)])
    probe = lamina.Model(inputs=model.input, outputs=[l.output for l in model.layers[:2]])
    x = np.random.default_rng(0).random((1, 8, 8, 1)).astype(np.float32)
    conv_out, pool_out = probe.predict(x, verbose=0)
    assert conv_out.shape == (1, 6, 6, 4) and pool_out.shape == (1, 3, 3, 4)
    np.testing.assert_allclose(pool_out, conv_out.reshape(1, 3, 2, 3, 2, 4).max(axis=(2, 4)), rtol=1e-6)


def test_models_are_plain_torch_modules():
    model = lamina.Sequential([layers.Dense(3, input_shape=(2,), name="d")])
    assert isinstance(model, torch.nn.Module)
    assert set(model.state_dict()) == {"d.kernel", "d.bias"}
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = model(torch.ones(4, 2)).sum()
    loss.backward()
    opt.step()
    assert model.get_layer("d").kernel.grad is not None


def test_subclassed_model_summary_after_build():
    class Net(lamina.Model):
        def __init__(self):
            super().__init__(name="net")
            self.d1 = layers.Dense(6, activation="relu")
            self.d2 = layers.Dense(2)

        def call(self, x):
            return self.d2(self.d1(x))
    net = Net()
    net.build((None, 3))
    text = summary_of(net)
    assert "dense (Dense)" in text and "(None, 6)" in text and "Total params: 38" in text


# ---------------------------------------------------------------- errors
def test_graph_disconnected_names_the_missing_input():
    a, b = lamina.Input(shape=(2,), name="a"), lamina.Input(shape=(2,), name="b")
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match=r"Graph disconnected.*input 'b'"):
        lamina.Model(a, out)


def test_duplicate_layer_names_are_refused():
    with pytest.raises(ValueError, match="already has a layer named 'x'"):
        lamina.Sequential([layers.Dense(2, name="x", input_dim=2), layers.Dense(2, name="x")])


def test_sequential_add_refuses_non_layers():
    with pytest.raises(TypeError, match=r"Sequential.add expects a lamina layer.*Received 'relu'"):
        lamina.Sequential().add("relu")


def test_unknown_layer_keyword_lists_valid_ones():
    with pytest.raises(TypeError, match=r"Dense got unexpected keyword argument\(s\) 'unit'.*did you mean 'units'"):
        layers.Dense(unit=3)


def test_dense_on_wrong_width_names_the_layer():
    model = lamina.Sequential([layers.Dense(2, input_shape=(4,), name="d")])
    with pytest.raises(ValueError, match=r"Model '.*' expects input shape \(None, 4\) \(first layer 'd'"):
        model.predict(np.zeros((1, 5)), verbose=0)
    with pytest.raises(ValueError, match=r"Layer 'd' \(Dense\) expects axis -1 of its input to have size 4"):
        model.get_layer("d")(lamina.Input(shape=(5,)))


def test_count_params_before_build_explains():
    with pytest.raises(ValueError, match="not built yet"):
        layers.Dense(3).count_params()


def test_set_weights_checks_count_and_shapes():
    layer = layers.Dense(3, input_shape=(2,))
    lamina.Sequential([layer])
    with pytest.raises(ValueError, match="expects 2 weight arrays"):
        layer.set_weights([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"Weight 'kernel' of layer 'dense' has Keras shape \(2, 3\); received "
                                         r"an array of shape \(3, 2\)"):
        layer.set_weights([np.zeros((3, 2)), np.zeros(3)])


def test_dense_config_round_trips_with_initializer_and_regularizer_objects():
    from lamina import initializers, regularizers
    layer = layers.Dense(3, kernel_initializer=initializers.HeNormal(seed=1), kernel_regularizer=regularizers.l2(0.1))
    config = layer.get_config()
    assert layers.Dense.from_config(config).get_config() == config


def test_missing_required_argument_explains():
    with pytest.raises(TypeError, match=r"Dense requires argument\(s\) 'units'.*Example: Dense\(units=...\)"):
        layers.Dense()
