import random

import numpy as np
import pytest
import torch

import lamina
from lamina.layers import Dense
from lamina.utils import set_random_seed


def _draws():
    return (random.random(), random.randint(0, 10**9), np.random.rand(3).tolist(),
            np.random.permutation(10).tolist(), torch.rand(3).tolist(), torch.randperm(10).tolist())


def test_same_seed_same_draws_from_every_generator():
    set_random_seed(4487)
    first = _draws()
    set_random_seed(4487)
    assert _draws() == first


def test_different_seeds_differ_everywhere():
    set_random_seed(1)
    a = _draws()
    set_random_seed(2)
    b = _draws()
    assert all(x != y for x, y in zip(a, b))


def _train_once(seed):
    """Build a lamina model and train it with dropout and shuffling drawn from the global generators."""
    set_random_seed(seed)
    x = torch.randn(64, 8)
    y = torch.randint(0, 3, (64,))
    model = lamina.Sequential([Dense(16, activation="relu", input_shape=(8,)), Dense(3)])
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    for _ in range(3):
        for idx in torch.randperm(64).split(16):
            hidden = torch.nn.functional.dropout(model.layers[0](x[idx]), 0.5, training=True)
            loss = torch.nn.functional.cross_entropy(model.layers[1](hidden), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return [p.detach().clone() for p in model.parameters()]


def test_training_run_repeats_bit_for_bit():
    first, second = _train_once(4487), _train_once(4487)
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    assert not all(torch.equal(a, b) for a, b in zip(first, _train_once(4488)))


def test_fit_repeats_bit_for_bit():
    def run():
        set_random_seed(7)
        x = np.random.rand(200, 10).astype("float32")
        y = np.random.randint(0, 2, size=(200, 1)).astype("float32")
        model = lamina.Sequential([Dense(8, activation="relu", input_shape=(10,)), Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        model.fit(x, y, epochs=2, batch_size=16, validation_split=0.2, shuffle=True, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "42", None, True])
def test_bad_seed_is_refused(bad):
    with pytest.raises(ValueError, match=rf"int in \[0, 2\*\*32 - 1\]. Received: seed={bad!r}"):
        set_random_seed(bad)


def test_numpy_integer_seed_is_accepted():
    set_random_seed(np.int64(5))
    a = torch.rand(1)
    set_random_seed(5)
    assert torch.equal(a, torch.rand(1))
