"""Masks through merge layers and nested models, against real Keras 3 (torch backend).

The same models are built in lamina and in Keras 3, Keras gets lamina's weights, and both run
on padded token ids: the outputs agree to 1e-5 only if the masks travel the same way (a recurrent
layer reads a masked step as "carry the state over").
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

from lamina import layers, models, utils  # noqa: E402

pytestmark = [pytest.mark.skipif(keras is None, reason="the keras package is not installed (pip install 'keras>=3')"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

IDS = np.array([[3, 4, 5, 0, 0, 0], [1, 2, 0, 0, 0, 0], [7, 0, 0, 0, 0, 0], [6, 5, 4, 3, 2, 1]])
IDS_B = np.array([[2, 2, 0, 0, 0, 0], [1, 2, 3, 4, 0, 0], [7, 8, 0, 0, 0, 0], [6, 5, 4, 0, 0, 0]])


def _same(build, inputs, atol=1e-5):
    utils.set_random_seed(11)
    ours = build(layers, models.Model, models.Sequential)
    theirs = build(keras.layers, keras.Model, keras.Sequential)
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=w.shape).astype("float32") * 0.5 for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    a = ours.predict(inputs, verbose=0)
    b = theirs.predict(inputs, verbose=0)
    for x, y in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]):
        np.testing.assert_allclose(x, np.asarray(y), atol=atol)
    return ours


def _two_branches(merge):
    def build(L, M, S):
        i = L.Input((6,), dtype="int32")
        j = L.Input((6,), dtype="int32")
        a = L.Embedding(10, 3, mask_zero=True)(i)
        b = L.Embedding(10, 3, mask_zero=True)(j) if merge != "unmasked" else L.Embedding(10, 3)(j)
        layer = {"add": L.Add, "concatenate": L.Concatenate, "maximum": L.Maximum, "minimum": L.Minimum,
                 "multiply": L.Multiply, "average": L.Average, "subtract": L.Subtract,
                 "unmasked": L.Multiply}[merge]
        merged = layer()([a, b])
        return M([i, j], [L.LSTM(2, return_sequences=True)(merged), L.GRU(3)(merged)])
    return build


@pytest.mark.parametrize("merge", ["add", "concatenate", "maximum", "minimum", "multiply", "average", "subtract",
                                   "unmasked"])
def test_merge_layers_pass_masks_as_keras(merge):
    """Different masks on the two branches: Keras 3 ORs them (concatenate: any over the joined
    axis) and Maximum/Minimum/Multiply also change values where only one input is masked."""
    _same(_two_branches(merge), [IDS, IDS_B])


def test_merged_mask_is_the_or_of_the_inputs():
    add = layers.Add()
    a, b = torch.ones(2, 4, 3), torch.ones(2, 4, 3)
    ma = torch.tensor([[1, 1, 0, 0], [1, 0, 0, 0]], dtype=torch.bool)
    mb = torch.tensor([[1, 0, 1, 0], [0, 0, 0, 0]], dtype=torch.bool)
    assert add.compute_mask([a, b], [ma, mb]).tolist() == [[True, True, True, False], [True, False, False, False]]
    assert add.compute_mask([a, b], [ma, None]) is None
    concat = layers.Concatenate(axis=1)
    assert concat.compute_mask([a, b], [ma, None]).tolist() == [[True, True, False, False] + [True] * 4,
                                                              [True, False, False, False] + [True] * 4]


def test_mask_made_inside_a_nested_sequential_reaches_the_outer_lstm():
    def build(L, M, S):
        inner = S([L.Input((6,), dtype="int32"), L.Embedding(10, 3, mask_zero=True)])
        i = L.Input((6,), dtype="int32")
        return M(i, L.LSTM(2)(inner(i)))
    _same(build, IDS)


def test_mask_goes_into_a_nested_functional_model():
    def build(L, M, S):
        i = L.Input((6,), dtype="int32")
        e = L.Embedding(10, 3, mask_zero=True)(i)
        inner_in = L.Input((6, 3))
        inner = M(inner_in, L.Dense(4)(L.GRU(4, return_sequences=True)(inner_in)))
        return M(i, L.LSTM(2)(inner(e)))
    _same(build, IDS)


def test_mask_goes_through_a_nested_model_without_recurrent_layers():
    def build(L, M, S):
        inner = S([L.Input((6, 3)), L.Dense(5, activation="tanh")])
        return S([L.Input((6,), dtype="int32"), L.Embedding(10, 3, mask_zero=True), inner, L.LSTM(2)])
    _same(build, IDS)


def test_nested_sequential_inside_sequential():
    def build(L, M, S):
        return S([L.Input((6,), dtype="int32"), S([L.Embedding(10, 3, mask_zero=True)]), L.GRU(2)])
    model = _same(build, IDS)
    out = model(torch.as_tensor(IDS))
    assert not hasattr(out, "_keras_mask")       # the GRU returns its last state: no mask after it


def test_masked_loss_through_a_nested_model_matches_keras():
    """The per-step loss reads the mask the nested model's graph made (Keras 3 ignores masked steps)."""
    def build(L, M, S):
        inner = S([L.Input((6,), dtype="int32"), L.Embedding(10, 3, mask_zero=True),
                   L.LSTM(4, return_sequences=True)])
        i = L.Input((6,), dtype="int32")
        return M(i, L.Dense(1)(inner(i)))
    ours = _same(build, IDS)
    theirs = build(keras.layers, keras.Model, keras.Sequential)
    theirs.set_weights(ours.get_weights())
    y = np.random.default_rng(1).normal(size=(4, 6, 1)).astype("float32")
    ours.compile("sgd", "mse")
    theirs.compile("sgd", "mse")
    np.testing.assert_allclose(ours.evaluate(IDS, y, verbose=0), theirs.evaluate(IDS, y, verbose=0), atol=1e-5)


def test_models_without_masks_keep_the_plain_path():
    inner = models.Sequential([layers.Input((4,)), layers.Dense(3)])
    outer = models.Sequential([layers.Input((4,)), inner, layers.Dense(2)])
    assert inner._makes_mask is False and outer._makes_mask is False
    masked = models.Sequential([layers.Input((4,), dtype="int32"), layers.Embedding(5, 2, mask_zero=True)])
    assert masked._makes_mask is True
    assert models.Sequential([layers.Input((4,), dtype="int32"), masked, layers.LSTM(2)])._makes_mask is True
