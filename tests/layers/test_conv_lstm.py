"""ConvLSTM2D (lamina.layers, Keras 3 semantics) against real Keras 3 (torch backend); its layer contract
cases live with the other sequence layers' in test_recurrent_contract.py.

Same weights (lamina's, copied to Keras through get_weights/set_weights, i.e. the Keras layout), same
inputs: same parameter counts, outputs, and gradients (input and every weight) to atol 1e-5.
"""
import os

import numpy as np
import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")
try:
    import keras
except ImportError:  # pragma: no cover - CI installs keras through the dev extra
    keras = None

from lamina import layers as L  # noqa: E402
from lamina.models import Sequential, load_model  # noqa: E402
from lamina.optimizers import Adam  # noqa: E402

needs_keras = pytest.mark.skipif(keras is None, reason="the keras package is not installed (pip install 'keras>=3')")
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]
ATOL = 1e-5


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _flat(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _compare(kwargs, x, init_states=None, mask=None, atol=ATOL):
    """Build lamina's and Keras's ConvLSTM2D, give Keras lamina's (randomized) weights, compare outputs,
    input gradients and weight gradients."""
    ours, theirs = L.ConvLSTM2D(**kwargs), keras.layers.ConvLSTM2D(**kwargs)
    kw = {}
    if init_states is not None:
        kw["initial_state"] = [torch.tensor(s) for s in init_states]
    if mask is not None:
        kw["mask"] = torch.as_tensor(mask)
    ours(torch.tensor(x), **kw)
    theirs(torch.tensor(x), **kw)
    assert ours.count_params() == theirs.count_params()
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    rng = np.random.default_rng(1)
    ours.set_weights([rng.normal(size=w.shape).astype("float32") * 0.3 for w in ours.get_weights()])
    theirs.set_weights(ours.get_weights())
    xa, xb = torch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = _flat(ours(xa, **kw)), _flat(theirs(xb, **kw))
    assert len(ya) == len(yb)
    for a, b in zip(ya, yb):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().cpu().numpy(), atol=atol, rtol=1e-5)
    expected = ours.compute_output_shape((None,) + x.shape[1:])
    assert [tuple(s[1:]) for s in (expected if isinstance(expected, list) else [expected])] == \
        [tuple(a.shape[1:]) for a in ya]
    coefs = [torch.linspace(-1, 1, y.numel()).reshape(y.shape) for y in ya]
    sum((y * c).sum() for y, c in zip(ya, coefs)).backward()
    sum((y * c).sum() for y, c in zip(yb, coefs)).backward()
    np.testing.assert_allclose(xa.grad.numpy(), xb.grad.numpy(), atol=atol, rtol=1e-5)
    items = ours._weight_items()
    assert len(items) == len(theirs.trainable_weights)
    for (layer, rec), kv in zip(items, theirs.trainable_weights):
        g = layer._tensor(rec).grad
        if rec.to_keras is not None:
            g = g.permute(*rec.to_keras)
        np.testing.assert_allclose(g.numpy(), kv.value.grad.cpu().numpy(), atol=atol, rtol=1e-4)
    return ours


CASES = [
    ("last", {}),
    ("sequences_same", {"return_sequences": True, "padding": "same"}),
    ("return_state", {"return_state": True, "padding": "same"}),
    ("go_backwards_sequences", {"go_backwards": True, "return_sequences": True}),
    ("strides2_same", {"strides": 2, "padding": "same", "return_sequences": True}),
    ("strides2_valid_state", {"strides": (2, 1), "return_state": True}),
    ("even_kernel_same", {"kernel_size": (2, 3), "padding": "same", "return_sequences": True}),
    ("dilation_nobias_relu", {"dilation_rate": 2, "use_bias": False, "activation": "relu"}),
    ("channels_first", {"data_format": "channels_first", "return_sequences": True, "return_state": True,
                        "padding": "same"}),
]


@needs_keras
@pytest.mark.parametrize("cfg", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_conv_lstm2d_matches_keras(cfg):
    cfg = dict(cfg)
    kernel = cfg.pop("kernel_size", 3)
    cf = cfg.get("data_format") == "channels_first"
    x = _x(2, 4, 2, 7, 6) if cf else _x(2, 4, 7, 6, 2)
    _compare(dict(filters=3, kernel_size=kernel, **cfg), x)


@needs_keras
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_initial_state_matches_keras(data_format):
    cf = data_format == "channels_first"
    x = _x(2, 3, 2, 5, 5) if cf else _x(2, 3, 5, 5, 2)
    state_shape = (2, 3, 5, 5) if cf else (2, 5, 5, 3)
    states = [_x(*state_shape, seed=10), _x(*state_shape, seed=11)]
    _compare(dict(filters=3, kernel_size=3, padding="same", data_format=data_format, return_sequences=True,
                  return_state=True), x, init_states=states)


@needs_keras
def test_mask_matches_keras():
    x = _x(3, 4, 5, 5, 2)
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 1, 0, 1]], dtype=bool)
    _compare(dict(filters=2, kernel_size=3, padding="same", return_sequences=True, return_state=True), x, mask=mask)


@needs_keras
def test_parameter_count_and_forget_bias_match_keras():
    for kw in ({}, {"use_bias": False}, {"kernel_size": (1, 5)}):
        kw = {"filters": 6, "kernel_size": 3, **kw}
        ours, theirs = L.ConvLSTM2D(**kw), keras.layers.ConvLSTM2D(**kw)
        x = torch.zeros(1, 2, 8, 8, 4)
        ours(x)
        theirs(x)
        assert ours.count_params() == theirs.count_params(), kw
    layer = L.ConvLSTM2D(2, 3)
    layer(torch.zeros(1, 2, 4, 4, 1))
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 1, 8) and recurrent.shape == (3, 3, 2, 8)
    np.testing.assert_array_equal(bias, [0, 0, 1, 1, 0, 0, 0, 0])
    assert layer.count_params() == 3 * 3 * 1 * 8 + 3 * 3 * 2 * 8 + 8
    assert layer.name.startswith("conv_lstm2d") and layer.cell.name == "conv_lstm_cell"


def test_config_round_trip_and_defaults():
    layer = L.ConvLSTM2D(4, (3, 2), strides=(1, 2), padding="same", data_format="channels_first",
                         recurrent_activation="hard_sigmoid", dropout=0.1, recurrent_dropout=0.2, seed=3,
                         kernel_regularizer="l2", return_sequences=True, go_backwards=True, name="clstm")
    cfg = layer.get_config()
    assert cfg["kernel_size"] == (3, 2) and cfg["strides"] == (1, 2) and cfg["unit_forget_bias"] is True
    assert cfg["recurrent_activation"] == "hard_sigmoid" and cfg["name"] == "clstm" and "cell" not in cfg
    again = L.ConvLSTM2D.from_config(cfg)
    assert again.get_config() == cfg
    assert layer.filters == 4 and layer.padding == "same" and layer.data_format == "channels_first"
    default = L.ConvLSTM2D(2, 3).get_config()
    assert (default["padding"], default["strides"], default["activation"], default["recurrent_activation"]) == \
        ("valid", (1, 1), "tanh", "sigmoid")


@needs_keras
def test_config_keys_match_keras():
    ours = set(L.ConvLSTM2D(2, 3).get_config())
    theirs = set(keras.layers.ConvLSTM2D(2, 3).get_config())
    # Keras 3 also lists RNN's unroll / zero_output_for_mask (not ConvLSTM2D arguments) and its dtype policy
    assert theirs - ours <= {"unroll", "zero_output_for_mask", "dtype", "activity_regularizer"}, theirs - ours
    assert ours - theirs <= {"dtype"}, ours - theirs


def test_saves_and_loads_in_a_sequential(tmp_path):
    torch.manual_seed(0)
    model = Sequential([L.ConvLSTM2D(3, 3, padding="same", return_sequences=True, input_shape=(3, 6, 6, 2)),
                        L.ConvLSTM2D(2, 3, strides=2), L.Flatten(), L.Dense(2)])
    x = torch.from_numpy(_x(2, 3, 6, 6, 2))
    path = tmp_path / "clstm.lamina"
    model.save(path)
    loaded = load_model(path)
    torch.testing.assert_close(loaded(x), model(x))
    assert [type(layer).__name__ for layer in loaded.layers] == ["ConvLSTM2D", "ConvLSTM2D", "Flatten", "Dense"]
    assert loaded.layers[0].get_config() == model.layers[0].get_config()


def test_small_model_trains():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4, 6, 6, 1)).astype("float32")
    y = (x[:, -1].mean(axis=(1, 2, 3)) > 0).astype("float32")[:, None]   # sign of the last frame's mean
    model = Sequential([L.ConvLSTM2D(4, 3, padding="same", input_shape=(4, 6, 6, 1)),
                        L.GlobalAveragePooling2D(), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=Adam(learning_rate=0.02), loss="binary_crossentropy")
    history = model.fit(x, y, epochs=15, batch_size=8, shuffle=False, verbose=0).history["loss"]
    assert history[-1] < history[0] * 0.7, history


def test_four_d_input_names_the_five_d_shape():
    layer = L.ConvLSTM2D(2, 3, name="clstm")
    with pytest.raises(ValueError, match=r"Layer 'clstm' \(ConvLSTM2D\) expects 5-D input "
                                         r"\(batch, time, rows, cols, channels\)\. Received shape "
                                         r"\(None, 8, 8, 3\)\. .*Reshape\(\(1, 8, 8, 3\)\)"):
        layer(torch.zeros(2, 8, 8, 3))
    with pytest.raises(ValueError, match=r"expects 5-D input \(batch, time, channels, rows, cols\)"):
        L.ConvLSTM2D(2, 3, data_format="channels_first")(L.Input((8, 8, 3)))
    built = L.ConvLSTM2D(2, 3)
    built(torch.zeros(1, 2, 5, 5, 1))
    with pytest.raises(ValueError, match=r"expects 5-D input"):
        built(torch.zeros(2, 5, 5, 1))


def test_stateful_needs_a_fixed_batch_size_and_carries_states():
    with pytest.raises(ValueError, match=r"Layer 'sclstm' \(ConvLSTM2D\) is stateful, so it needs a fixed batch "
                                         r"size.*received input shape \(None, 3, 5, 5, 1\).*batch_size="):
        L.ConvLSTM2D(2, 3, stateful=True, name="sclstm")(L.Input((3, 5, 5, 1)))
    layer = L.ConvLSTM2D(2, 3, padding="same", stateful=True)
    layer(L.Input(batch_shape=(2, 3, 5, 5, 1)))
    x = torch.from_numpy(_x(2, 3, 5, 5, 1))
    first = layer(x)
    assert not torch.allclose(layer(x), first)  # the state carried over
    layer.reset_states()
    torch.testing.assert_close(layer(x), first)


def test_argument_and_shape_errors():
    with pytest.raises(ValueError, match=r"ConvLSTM2DCell expects filters to be a positive int"):
        L.ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match=r"cannot combine strides > 1 with dilation_rate > 1"):
        L.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"expects padding to be one of 'valid', 'same'"):
        L.ConvLSTM2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"Layer 'v' \(ConvLSTM2D\) has kernel_size \(5, 5\) and padding='valid', "
                                         r"which needs at least 5 rows; its input has rows=4"):
        L.ConvLSTM2D(2, 5, name="v")(torch.zeros(1, 2, 4, 6, 1))
    layer = L.ConvLSTM2D(2, 3, padding="same", name="init")
    with pytest.raises(ValueError, match=r"expects initial_state to be 2 tensors \[h, c\], each of shape "
                                         r"\(1, 4, 4, 2\)"):
        layer(torch.zeros(1, 2, 4, 4, 1), initial_state=[torch.zeros(1, 4, 4, 3), torch.zeros(1, 4, 4, 3)])
    with pytest.raises(ValueError, match=r"runs one step on a frame.*use ConvLSTM2D"):
        L.RNN(L.ConvLSTM2DCell(2, 3))(torch.zeros(1, 2, 4))


def test_cell_runs_one_step_like_the_layer():
    x = torch.from_numpy(_x(2, 1, 5, 5, 2))
    layer = L.ConvLSTM2D(3, 3, padding="same", return_state=True)
    out, h, c = layer(x)
    cell = layer.cell
    h0 = torch.zeros(2, 5, 5, 3)
    step_out, (sh, sc) = cell(x[:, 0], [h0, h0])
    torch.testing.assert_close(step_out, out)
    torch.testing.assert_close(sc, c)
    assert [tuple(s.shape) for s in cell.get_initial_state(2)] == [(2, 5, 5, 3)] * 2


def test_dropout_is_seeded_and_inactive_at_inference():
    x = torch.from_numpy(_x(2, 3, 5, 5, 2))
    a = L.ConvLSTM2D(2, 3, dropout=0.3, recurrent_dropout=0.3, seed=1)
    b = L.ConvLSTM2D.from_config({**a.get_config(), "name": "b"})
    a(x)
    b(x)
    b.set_weights(a.get_weights())
    torch.testing.assert_close(a(x, training=True), b(x, training=True))
    assert not torch.allclose(a(x, training=True), a(x, training=False))
    plain = L.ConvLSTM2D.from_config({**a.get_config(), "name": "plain", "dropout": 0.0, "recurrent_dropout": 0.0})
    plain(x)
    plain.set_weights(a.get_weights())
    torch.testing.assert_close(a(x, training=False), plain(x))


def test_classic_namespace_defaults_to_keras2_hard_sigmoid():
    from lamina import activations
    from lamina import keras as classic
    layer = classic.layers.ConvLSTM2D(2, 3)
    assert layer.recurrent_activation is activations.hard_sigmoid_keras2
    assert classic.layers.convolutional_recurrent.ConvLSTM2D is classic.layers.ConvLSTM2D
    assert isinstance(layer, L.ConvLSTM2D) and isinstance(L.ConvLSTM2D(2, 3), classic.layers.ConvLSTM2D)
    with pytest.warns(DeprecationWarning):
        old = classic.layers.ConvLSTM2D(4, 3, 3, border_mode="same", inner_init="orthogonal")
    assert old.kernel_size == (3, 3) and old.padding == "same" and old.filters == 4


def test_does_not_offer_the_flat_vector_trajectory():
    """RNN.trajectory (what lamina.inspect draws) records (batch, units) states; ConvLSTM2D's are maps."""
    assert not callable(getattr(L.ConvLSTM2D(2, 3), "trajectory", None))
