"""Merge layers and their functional forms."""
import pytest
import torch

from lamina import Model
from lamina.layers import (Add, Average, Concatenate, Dense, Input, Maximum, Minimum, Multiply, Subtract, add,
                           average, concatenate, maximum, minimum, multiply, subtract)

A, B, C = torch.randn(2, 3), torch.randn(2, 3), torch.randn(2, 3)


@pytest.mark.parametrize("cls,fn,expected", [
    (Add, add, A + B + C),
    (Multiply, multiply, A * B * C),
    (Average, average, (A + B + C) / 3),
    (Maximum, maximum, torch.maximum(torch.maximum(A, B), C)),
    (Minimum, minimum, torch.minimum(torch.minimum(A, B), C)),
])
def test_elementwise_merges_and_functional_forms(cls, fn, expected):
    torch.testing.assert_close(cls()([A, B, C]), expected)
    xs = [Input(shape=(3,)) for _ in range(3)]
    out = fn(xs)
    assert type(out._keras_history[0]) is cls and out.shape == (None, 3)
    model = Model(xs, out)
    torch.testing.assert_close(model([A, B, C]), expected)


def test_subtract_and_concatenate_functional():
    torch.testing.assert_close(Subtract()([A, B]), A - B)
    x1, x2 = Input(shape=(4, 4, 2)), Input(shape=(4, 4, 3))
    out = concatenate([x1, x2])
    assert out.shape == (None, 4, 4, 5)
    assert out._keras_history[0].axis == -1
    y = Model([x1, x2], subtract([Dense(3)(x1), Dense(3)(x2)]))
    assert y.output_shape == (None, 4, 4, 3)
    a, b = torch.randn(2, 4, 4, 2), torch.randn(2, 4, 4, 3)
    torch.testing.assert_close(Concatenate()([a, b]), torch.cat([a, b], -1))
    torch.testing.assert_close(Concatenate(axis=1)([a, a]), torch.cat([a, a], 1))


def test_broadcasting_follows_keras():
    x, v = torch.randn(2, 3, 4), torch.randn(2, 4)
    torch.testing.assert_close(Add()([x, v]), x + v[:, None, :])  # lower rank gains axes after the batch
    assert Add().compute_output_shape([(None, 3, 4), (None, 1, 4)]) == (None, 3, 4)
    assert Add().compute_output_shape([(None, None, 4), (None, 3, 4)]) == (None, None, 4)
    assert Concatenate(axis=1).compute_output_shape([(None, None, 4), (None, 3, 4)]) == (None, None, 4)
    assert Concatenate().compute_output_shape([(None, None, 4), (None, 3, 2)]) == (None, 3, 6)


def test_merge_errors_list_every_input_shape():
    with pytest.raises(ValueError, match=r"Layer 'add' \(Add\) cannot merge inputs of shapes \(None, 3\), "
                                         r"\(None, 3\), \(None, 4\): their sizes on axis 1 are neither equal nor 1"):
        add([Input(shape=(3,)), Input(shape=(3,)), Input(shape=(4,))])
    with pytest.raises(ValueError, match=r"Layer 'subtract' \(Subtract\) needs exactly 2 inputs\. Received 3, of "
                                         r"shapes \(None, 3\), \(None, 3\), \(None, 3\)\."):
        subtract([Input(shape=(3,)) for _ in range(3)])
    with pytest.raises(ValueError, match=r"Layer 'concatenate' \(Concatenate\) needs inputs with matching shapes "
                                         r"except along axis -1 \(axis 1 differs\)\. Received shapes "
                                         r"\(None, 4, 4, 3\), \(None, 5, 5, 3\)"):
        concatenate([Input(shape=(4, 4, 3)), Input(shape=(5, 5, 3))])
    with pytest.raises(ValueError, match=r"\(all inputs need the same rank\)\. Received shapes \(None, 4\), "
                                         r"\(None, 4, 1\)"):
        Concatenate()([Input(shape=(4,)), Input(shape=(4, 1))])
    with pytest.raises(ValueError, match=r"Layer 'multiply' \(Multiply\) must be called on a list of inputs, e\.g\. "
                                         r"Multiply\(\)\(\[x1, x2\]\)\. Received a single input of shape \(None, 3\)"):
        Multiply()(Input(shape=(3,)))
    with pytest.raises(ValueError, match=r"cannot merge inputs with different batch sizes\. Received shapes "
                                         r"\(8, 3\), \(4, 3\)"):
        Add()([Input(batch_shape=(8, 3)), Input(batch_shape=(4, 3))])
    with pytest.raises(ValueError, match=r"Concatenate expects axis to be an int\. Received: axis='last'"):
        Concatenate(axis="last")
