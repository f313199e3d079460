"""The sequence layers against real Keras 3 (torch backend), pinning Keras 3 semantics (lamina.layers).

Same weights (copied from lamina to Keras with get_weights/set_weights, i.e. through the Keras
layout), same inputs: same parameter counts, outputs and gradients (input and every weight) to
atol 1e-5. Both of lamina's paths are checked: torch's fused kernels and the generic loop
(``unroll=True`` forces the loop).
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

import lamina  # noqa: E402
from lamina import layers as L  # noqa: E402

pytestmark = [pytest.mark.skipif(keras is None, reason="the keras package is not installed (pip install 'keras>=3')"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]
ATOL = 1e-5


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _randomize(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") * 0.4 for w in layer.get_weights()])


def _outputs(y):
    """Flat list of output tensors (Keras nests the states of stacked cells per cell; lamina lists
    them flat, in the same order)."""
    if isinstance(y, (list, tuple)):
        return [t for v in y for t in _outputs(v)]
    return [y]


def _run_keras(layer, x, **kw):
    xt = torch.tensor(x, requires_grad=True)
    ys = _outputs(layer(xt, **kw))
    return xt, ys


def _compare(ours, theirs, x, mask=None, training=False, atol=ATOL, grads=True, init_states=None):
    """Build both, copy lamina's weights into Keras, compare outputs and gradients."""
    kw = {}
    if mask is not None:
        kw["mask"] = torch.as_tensor(mask)
    xt = torch.tensor(x, requires_grad=True)
    ours_kw = dict(kw)
    if init_states is not None:
        ours_kw["initial_state"] = [torch.tensor(s) for s in init_states]
    ys = _outputs(ours(xt, training=training, **ours_kw))
    keras_kw = dict(kw)
    if init_states is not None:
        keras_kw["initial_state"] = [torch.tensor(s) for s in init_states]
    theirs(torch.tensor(x), **keras_kw)  # builds
    assert ours.count_params() == theirs.count_params()
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    theirs.set_weights(ours.get_weights())
    kx, kys = _run_keras(theirs, x, training=training, **keras_kw)
    assert len(ys) == len(kys)
    for a, b in zip(ys, kys):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().cpu().numpy(), atol=atol, rtol=1e-5)
    if not grads:
        return ys
    coefs = [torch.linspace(-1, 1, y.numel()).reshape(y.shape) for y in ys]
    sum(((y * c).sum() for y, c in zip(ys, coefs))).backward()
    sum(((y * c).sum() for y, c in zip(kys, coefs))).backward()
    np.testing.assert_allclose(xt.grad.numpy(), kx.grad.numpy(), atol=atol, rtol=1e-5)
    items = ours._weight_items()
    assert len(items) == len(theirs.trainable_weights)
    for (layer, rec), kw_ in zip(items, theirs.trainable_weights):
        g = layer._tensor(rec).grad
        if rec.to_keras is not None:  # torch layout -> Keras layout
            g = g.permute(*rec.to_keras)
        np.testing.assert_allclose(g.numpy(), kw_.value.grad.cpu().numpy(), atol=atol, rtol=1e-5)
    return ys


def _pair(kind, **kwargs):
    ours = getattr(L, kind)(**kwargs)
    theirs = getattr(keras.layers, kind)(**kwargs)
    return ours, theirs


def _built(kind, x, **kwargs):
    ours, theirs = _pair(kind, **kwargs)
    ours(torch.tensor(x))
    _randomize(ours)
    return ours, theirs


CONFIGS = [
    {},
    {"return_sequences": True},
    {"return_state": True},
    {"go_backwards": True, "return_sequences": True},
    {"return_sequences": True, "return_state": True, "go_backwards": True},
    {"use_bias": False, "return_sequences": True},
    {"activation": "relu", "return_sequences": True},
]
KINDS = [("SimpleRNN", {}), ("LSTM", {}), ("GRU", {"reset_after": True}), ("GRU", {"reset_after": False})]


@pytest.mark.parametrize("unroll", [False, True], ids=["fused", "loop"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "default")
@pytest.mark.parametrize("kind,extra", KINDS, ids=lambda v: v if isinstance(v, str) else
                         "-".join(f"{k}={val}" for k, val in v.items()))
def test_recurrent_layer_matches_keras(kind, extra, cfg, unroll):
    x = _x(3, 6, 4)
    ours, theirs = _built(kind, x, units=5, **extra, **cfg)
    ours.unroll = unroll  # True: lamina's generic loop (Keras computes the same numbers either way)
    _compare(ours, theirs, x)


@pytest.mark.parametrize("unroll", [False, True], ids=["fused_packed", "loop"])
@pytest.mark.parametrize("kind,extra", KINDS, ids=lambda v: v if isinstance(v, str) else
                         "-".join(f"{k}={val}" for k, val in v.items()))
@pytest.mark.parametrize("return_sequences", [False, True])
def test_masked_right_padded_matches_keras(kind, extra, return_sequences, unroll):
    x = _x(4, 6, 3)
    mask = np.array([[1] * 6, [1] * 3 + [0] * 3, [1] + [0] * 5, [1] * 5 + [0]], dtype=bool)
    ours, theirs = _built(kind, x, units=4, return_sequences=return_sequences, **extra)
    ours.unroll = unroll
    _compare(ours, theirs, x, mask=mask)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_masked_with_holes_and_go_backwards_matches_keras(kind):
    """Masks that are not right-padded (left padding, holes) and go_backwards take the generic loop."""
    x = _x(3, 7, 3)
    mask = np.array([[0, 0, 1, 1, 1, 1, 1], [1, 0, 1, 0, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1]], dtype=bool)
    for cfg in ({"return_sequences": True}, {"go_backwards": True, "return_sequences": True}, {"go_backwards": True}):
        ours, theirs = _built(kind, x, units=4, **cfg)
        _compare(ours, theirs, x, mask=mask)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_initial_state_matches_keras(kind):
    x = _x(2, 5, 3)
    ours, theirs = _built(kind, x, units=4, return_sequences=True)
    n = 2 if kind == "LSTM" else 1
    states = [_x(2, 4, seed=10 + i) for i in range(n)]
    _compare(ours, theirs, x, init_states=states)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_stateful_matches_keras_over_two_batches_and_reset(kind):
    x1, x2 = _x(2, 4, 3, seed=1), _x(2, 4, 3, seed=2)
    ours, theirs = getattr(L, kind)(4, stateful=True), getattr(keras.layers, kind)(4, stateful=True)
    ours(L.Input(batch_shape=(2, 4, 3)))
    theirs(keras.Input(batch_shape=(2, 4, 3)))
    _randomize(ours)
    theirs.set_weights(ours.get_weights())

    def both(x):
        a = ours(torch.tensor(x)).detach().numpy()
        b = theirs(torch.tensor(x)).detach().cpu().numpy()
        np.testing.assert_allclose(a, b, atol=ATOL)
        return a

    first = both(x1)
    second = both(x2)
    assert not np.allclose(both(x1), first)  # the state carried over
    ours.reset_states()
    theirs.reset_states()
    np.testing.assert_allclose(both(x1), first, atol=ATOL)
    np.testing.assert_allclose(both(x2), second, atol=ATOL)


def test_dropout_inference_is_identity_and_matches_keras():
    x = _x(2, 5, 3)
    ours, theirs = _built("LSTM", x, units=4, dropout=0.3, recurrent_dropout=0.2, return_sequences=True)
    _compare(ours, theirs, x, training=False)


def test_unit_forget_bias_and_parameter_counts():
    for kind, kw in [("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False}), ("SimpleRNN", {}),
                     ("LSTM", {"use_bias": False})]:
        ours, theirs = _pair(kind, units=7, **kw)
        x = torch.zeros(1, 3, 5)
        ours(x)
        theirs(x)
        assert ours.count_params() == theirs.count_params(), (kind, kw)
    lstm = L.LSTM(3)
    lstm(torch.zeros(1, 2, 2))
    np.testing.assert_array_equal(lstm.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])


# ---------------------------------------------------------------------------- cells and RNN(cell)
@pytest.mark.parametrize("cell", ["SimpleRNNCell", "LSTMCell", "GRUCell"])
def test_rnn_of_cell_matches_keras(cell):
    x = _x(2, 5, 3)
    ours = L.RNN(getattr(L, cell)(4), return_sequences=True)
    theirs = keras.layers.RNN(getattr(keras.layers, cell)(4), return_sequences=True)
    ours(torch.tensor(x))
    _randomize(ours)
    _compare(ours, theirs, x)


def test_stacked_cells_match_keras():
    x = _x(2, 5, 3)
    ours = L.RNN([L.LSTMCell(4), L.GRUCell(3)], return_state=True)
    theirs = keras.layers.RNN([keras.layers.LSTMCell(4), keras.layers.GRUCell(3)], return_state=True)
    ours(torch.tensor(x))
    _randomize(ours)
    _compare(ours, theirs, x)


def test_cell_step_matches_keras():
    x, h, c = _x(2, 3), _x(2, 4, seed=3), _x(2, 4, seed=4)
    ours, theirs = L.LSTMCell(4), keras.layers.LSTMCell(4)
    ours(torch.tensor(x), [torch.tensor(h), torch.tensor(c)])
    theirs(torch.tensor(x), [torch.tensor(h), torch.tensor(c)])
    _randomize(ours)
    theirs.set_weights(ours.get_weights())
    a, (ah, ac) = ours(torch.tensor(x), [torch.tensor(h), torch.tensor(c)])
    b, (bh, bc) = theirs(torch.tensor(x), [torch.tensor(h), torch.tensor(c)])
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=ATOL)
    np.testing.assert_allclose(ac.detach().numpy(), bc.detach().numpy(), atol=ATOL)


# ---------------------------------------------------------------------------- wrappers
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_matches_keras(merge_mode, return_sequences):
    x = _x(3, 5, 4)
    ours = L.Bidirectional(L.LSTM(3, return_sequences=return_sequences), merge_mode=merge_mode)
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=return_sequences),
                                        merge_mode=merge_mode)
    ours(torch.tensor(x))
    _randomize(ours)
    _compare(ours, theirs, x)


def test_bidirectional_return_state_mask_and_backward_layer_match_keras():
    x = _x(3, 5, 4)
    mask = np.array([[1] * 5, [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=bool)
    ours = L.Bidirectional(L.GRU(3, return_sequences=True, return_state=True),
                           backward_layer=L.SimpleRNN(3, return_sequences=True, return_state=True, go_backwards=True))
    theirs = keras.layers.Bidirectional(
        keras.layers.GRU(3, return_sequences=True, return_state=True),
        backward_layer=keras.layers.SimpleRNN(3, return_sequences=True, return_state=True, go_backwards=True))
    ours(torch.tensor(x))
    _randomize(ours)
    _compare(ours, theirs, x, mask=mask)


def test_time_distributed_dense_and_conv2d_match_keras():
    x = _x(2, 3, 4)
    ours, theirs = L.TimeDistributed(L.Dense(5)), keras.layers.TimeDistributed(keras.layers.Dense(5))
    ours(torch.tensor(x))
    _randomize(ours)
    _compare(ours, theirs, x)
    frames = _x(2, 3, 6, 6, 2)
    ours = L.TimeDistributed(L.Conv2D(3, 3, padding="same"))
    theirs = keras.layers.TimeDistributed(keras.layers.Conv2D(3, 3, padding="same"))
    ours(torch.tensor(frames))
    _randomize(ours)
    # the bias gradient sums 216 terms: float32 summation order differs by ~3e-5
    _compare(ours, theirs, frames, atol=1e-4)


# ---------------------------------------------------------------------------- embedding, masking, helpers
def test_embedding_and_mask_match_keras():
    ids = np.array([[3, 1, 0, 0], [5, 2, 7, 0]])
    ours, theirs = L.Embedding(8, 3, mask_zero=True), keras.layers.Embedding(8, 3, mask_zero=True)
    ours(torch.tensor(ids))
    theirs(torch.tensor(ids))
    assert ours.count_params() == theirs.count_params() == 24
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours(torch.tensor(ids)).detach().numpy(),
                               theirs(torch.tensor(ids)).detach().cpu().numpy(), atol=ATOL)
    np.testing.assert_array_equal(ours.compute_mask(torch.tensor(ids)).numpy(),
                                  theirs.compute_mask(torch.tensor(ids)).cpu().numpy())


def test_masking_layer_matches_keras():
    x = _x(2, 4, 3)
    x[0, 2] = 0.0
    x[1, 0] = 0.0
    ours, theirs = L.Masking(0.0), keras.layers.Masking(0.0)
    np.testing.assert_allclose(ours(torch.tensor(x)).numpy(), theirs(torch.tensor(x)).cpu().numpy())
    np.testing.assert_array_equal(ours.compute_mask(torch.tensor(x)).numpy(),
                                  theirs.compute_mask(torch.tensor(x)).cpu().numpy())


def test_masked_model_matches_keras_end_to_end():
    """Embedding(mask_zero) -> LSTM -> Dense, in a functional model on both sides: the mask travels."""
    ids = np.array([[3, 1, 4, 0, 0], [5, 2, 7, 1, 6], [2, 0, 0, 0, 0]])
    inp = L.Input((5,))
    from lamina.models import Model
    ours = Model(inp, L.Dense(2)(L.LSTM(4)(L.Embedding(8, 3, mask_zero=True)(inp))))
    kin = keras.Input((5,))
    theirs = keras.Model(kin, keras.layers.Dense(2)(keras.layers.LSTM(4)(keras.layers.Embedding(8, 3,
                                                                                                mask_zero=True)(kin))))
    _randomize(ours)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours(torch.tensor(ids)).detach().numpy(),
                               theirs(torch.tensor(ids)).detach().cpu().numpy(), atol=ATOL)


@pytest.mark.parametrize("kind,args,shape", [
    ("RepeatVector", (3,), (2, 4)), ("ZeroPadding1D", ((2, 1),), (2, 4, 3)), ("Cropping1D", ((1, 2),), (2, 6, 3)),
    ("UpSampling1D", (3,), (2, 4, 3))])
def test_sequence_helpers_match_keras(kind, args, shape):
    x = _x(*shape)
    np.testing.assert_allclose(getattr(L, kind)(*args)(torch.tensor(x)).numpy(),
                               getattr(keras.layers, kind)(*args)(torch.tensor(x)).cpu().numpy())


def _tagger(lib, sequential):
    """Embedding(mask_zero) -> LSTM(return_sequences) -> softmax per step (the output carries the mask),
    built with ``lib`` (keras, or lamina)."""
    layers = [lib.layers.Embedding(6, 4, mask_zero=True), lib.layers.LSTM(3, return_sequences=True),
              lib.layers.Dense(3, activation="softmax")]
    if sequential:
        return lib.Sequential([lib.Input((5,))] + layers)
    inp = x = lib.Input((5,))
    for layer in layers:
        x = layer(x)
    return lib.Model(inp, x)


@pytest.mark.parametrize("sequential", [False, True], ids=["functional", "sequential"])
def test_masked_loss_and_metrics_match_keras(sequential):
    """The output mask weighs the loss (mean over the kept steps) and the mean metrics, as Keras 3 does;
    per-step sample weights combine with it."""
    ids = np.array([[3, 4, 5, 0, 0], [1, 2, 0, 0, 0], [5, 5, 5, 5, 5], [2, 0, 0, 0, 0]])
    y = np.random.default_rng(0).integers(0, 3, size=(4, 5))
    weights = np.repeat(np.array([1.0, 2.0, 0.5, 0.0])[:, None], 5, axis=1)
    ours, theirs = _tagger(lamina, sequential), _tagger(keras, sequential)
    _randomize(ours)
    theirs.set_weights(ours.get_weights())
    for m in (ours, theirs):
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    got = ours.evaluate(ids.astype("float32"), y, sample_weight=weights, batch_size=4, verbose=0)
    want = theirs.evaluate(ids, y, sample_weight=weights, batch_size=4, verbose=0)
    np.testing.assert_allclose(got, [want[0], want[2], want[3]], atol=ATOL)   # loss, accuracy, weighted
    got = ours.evaluate(ids.astype("float32"), y, batch_size=4, verbose=0)
    want = theirs.evaluate(ids, y, batch_size=4, verbose=0)
    np.testing.assert_allclose(got, [want[0], want[2], want[3]], atol=ATOL)
