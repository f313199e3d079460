"""Sequence models train (lamina.layers, Keras 3 semantics): MNIST read row by row by an LSTM, a
TimeDistributed + LSTM hierarchical model, and Embedding + LSTM on a synthetic task the test makes."""
import numpy as np
import pytest

import lamina
from lamina import layers as L
from lamina.datasets import mnist_sample
from lamina.utils import set_random_seed


@pytest.mark.slow
def test_lstm_reading_mnist_rows_reaches_095():
    """28 steps of 28 pixels; the fused LSTM path; a few epochs on the 6,000 bundled digits."""
    (x, y), (xt, yt) = mnist_sample.load_data()
    x = (x / 255.0).astype(np.float32).reshape(-1, 28, 28)
    xt = (xt / 255.0).astype(np.float32).reshape(-1, 28, 28)
    set_random_seed(7)
    model = lamina.Sequential([L.LSTM(128, input_shape=(28, 28)), L.Dense(10, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=lamina.optimizers.Adam(2e-3),
                  metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=64, verbose=0)
    acc = np.mean(model.predict(xt, verbose=0).argmax(1) == yt)
    assert acc >= 0.95, acc


def test_time_distributed_lstm_hierarchical_model_trains():
    """Row LSTM per image (TimeDistributed), then an LSTM over 3 images: is the digit sum > 13?"""
    (x, y), _ = mnist_sample.load_data()
    x = (x[:1200] / 255.0).astype(np.float32).reshape(-1, 3, 28, 28)
    target = (y[:1200].reshape(-1, 3).sum(1) > 13).astype(np.float32)
    set_random_seed(3)
    inp = L.Input((3, 28, 28))
    h = L.TimeDistributed(L.LSTM(32))(inp)
    out = L.Dense(1, activation="sigmoid")(L.LSTM(16)(h))
    model = lamina.Model(inp, out)
    assert model.output_shape == (None, 1)
    model.compile(loss="binary_crossentropy", optimizer=lamina.optimizers.Adam(3e-3), metrics=["accuracy"])
    hist = model.fit(x, target, epochs=6, batch_size=40, verbose=0)
    losses = hist.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses


def test_embedding_lstm_learns_a_synthetic_sequence_task():
    """Variable-length sequences (zero padded, masked): does token 7 occur before token 3?"""
    rng = np.random.default_rng(0)
    n, steps = 1200, 12
    ids = np.zeros((n, steps), dtype=np.int64)
    target = np.zeros(n, dtype=np.float32)
    for i in range(n):
        length = rng.integers(4, steps + 1)
        seq = rng.integers(1, 10, size=length)
        ids[i, :length] = seq
        first7 = np.flatnonzero(seq == 7)
        first3 = np.flatnonzero(seq == 3)
        target[i] = float(len(first7) > 0 and (len(first3) == 0 or first7[0] < first3[0]))
    set_random_seed(1)
    model = lamina.Sequential([L.Embedding(10, 16, mask_zero=True, input_shape=(steps,)), L.LSTM(32),
                               L.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=lamina.optimizers.Adam(5e-3), metrics=["accuracy"])
    model.fit(ids[:1000], target[:1000], epochs=12, batch_size=32, verbose=0)
    acc = np.mean((model.predict(ids[1000:], verbose=0)[:, 0] > 0.5) == target[1000:])
    assert acc >= 0.9, acc
