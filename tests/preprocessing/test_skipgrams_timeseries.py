"""skipgrams, make_sampling_table and TimeseriesGenerator against Keras 3's legacy copies, and in fit."""
import os
import random

import numpy as np
import pytest

from lamina.preprocessing.sequence import TimeseriesGenerator, make_sampling_table, skipgrams

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def ks():
    return pytest.importorskip("keras.src.legacy.preprocessing.sequence",
                               reason="keras (the parity extra) is not installed")


def test_sampling_table_equals_keras_bit_for_bit(ks):
    for size, factor in ((1, 1e-5), (10, 1e-5), (5000, 1e-3), (300, 0.1)):
        np.testing.assert_array_equal(make_sampling_table(size, factor), ks.make_sampling_table(size, factor))


def test_sampling_table_formula_by_hand():
    table = make_sampling_table(3, sampling_factor=1e-5)
    f = 1e-5 * (2 * (np.log(2) + 0.577) + 0.5 - 1 / 24)  # rank 2
    assert table[2] == pytest.approx(np.sqrt(f)) and table[0] == table[1]


def test_skipgrams_equal_keras_after_seeding_its_global_random(ks):
    """With seed=s lamina's draws come from random.Random(s): Keras's after random.seed(s)."""
    rng = np.random.default_rng(0)
    table = make_sampling_table(30, sampling_factor=0.05)
    for trial in range(60):
        seq = rng.integers(0, 30, size=int(rng.integers(0, 25))).tolist()
        kw = dict(vocabulary_size=30, window_size=int(rng.integers(1, 5)),
                  negative_samples=[0.0, 1.0, 0.5, 2.0][trial % 4], shuffle=trial % 3 != 0,
                  categorical=trial % 2 == 0, sampling_table=table if trial % 5 == 0 else None, seed=trial)
        state = random.getstate()
        ours = skipgrams(seq, **kw)
        assert random.getstate() == state  # the global generator is left alone
        random.seed(trial)
        theirs = ks.skipgrams(seq, **kw)
        random.setstate(state)
        assert ours == theirs


def test_skipgrams_by_hand_and_without_seed():
    couples, labels = skipgrams([0, 1, 2, 3], vocabulary_size=4, window_size=1, negative_samples=0, shuffle=False)
    assert couples == [[1, 2], [2, 1], [2, 3], [3, 2]] and labels == [1, 1, 1, 1]  # index 0 is skipped
    couples, labels = skipgrams([1, 2, 3], 10, window_size=2, negative_samples=2.0, seed=3, categorical=True)
    assert len(couples) == 6 * 3 and labels.count([0, 1]) == 6 and labels.count([1, 0]) == 12
    negatives = [c for c, lab in zip(couples, labels) if lab == [1, 0]]
    assert all(c[0] in (1, 2, 3) and 1 <= c[1] <= 9 for c in negatives)
    random.seed(5)
    first = skipgrams([1, 2, 3, 4], 10)
    random.seed(5)
    assert skipgrams([1, 2, 3, 4], 10) == first  # seed=None draws its seed from the global generator


def series(n=50, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)), rng.normal(size=(n, 2))


def test_timeseries_generator_batches_equal_keras(ks):
    data, targets = series()
    grid = [dict(length=5), dict(length=4, sampling_rate=2, stride=3, batch_size=4),
            dict(length=3, start_index=10, end_index=40, batch_size=7, reverse=True),
            dict(length=10, stride=2, batch_size=1), dict(length=49, batch_size=3)]
    for kw in grid:
        ours, theirs = TimeseriesGenerator(data, targets, **kw), ks.TimeseriesGenerator(data, targets, **kw)
        assert len(ours) == len(theirs)
        for i in range(len(theirs)):
            (xo, yo), (xt, yt) = ours[i], theirs[i]
            np.testing.assert_array_equal(xo, xt)
            np.testing.assert_array_equal(yo, yt)
    listed = list(range(20))
    ours, theirs = TimeseriesGenerator(listed, listed, length=3, batch_size=4), ks.TimeseriesGenerator(
        listed, listed, length=3, batch_size=4)
    np.testing.assert_array_equal(ours[2][0], theirs[2][0])


def test_timeseries_shuffle_uses_numpys_global_generator_like_keras(ks):
    data, targets = series()
    np.random.seed(4)
    xo, yo = TimeseriesGenerator(data, targets, length=6, shuffle=True, batch_size=8)[0]
    np.random.seed(4)
    xt, yt = ks.TimeseriesGenerator(data, targets, length=6, shuffle=True, batch_size=8)[0]
    np.testing.assert_array_equal(xo, xt)
    np.testing.assert_array_equal(yo, yt)


def test_timeseries_windows_by_hand():
    gen = TimeseriesGenerator(np.arange(10), np.arange(10) * 10, length=3, sampling_rate=1, batch_size=2)
    assert len(gen) == 4
    x, y = gen[0]
    assert x.tolist() == [[0, 1, 2], [1, 2, 3]] and y.tolist() == [30, 40]
    x, y = gen[3]
    assert x.tolist() == [[6, 7, 8]] and y.tolist() == [90]
    with pytest.raises(IndexError, match=r"has 4 batches; batch 4 does not exist"):
        gen[4]


def test_timeseries_errors():
    with pytest.raises(ValueError, match=r"same length\. Received len\(data\)=5 and len\(targets\)=4"):
        TimeseriesGenerator(np.zeros(5), np.zeros(4), length=2)
    with pytest.raises(ValueError, match=r"start_index \+ length = 6 > end_index = 4 \(data has 5 rows\)"):
        TimeseriesGenerator(np.zeros(5), np.zeros(5), length=6)
    with pytest.raises(ValueError, match=r"length to be a positive int\. Received: length=0"):
        TimeseriesGenerator(np.zeros(5), np.zeros(5), length=0)


def test_timeseries_generator_feeds_fit():
    from lamina import Sequential
    from lamina.layers import Dense, Flatten
    t = np.arange(400, dtype="float32")
    data = np.stack([np.sin(t / 5), np.cos(t / 5)], axis=1).astype("float32")
    gen = TimeseriesGenerator(data, data[:, :1], length=8, batch_size=32)
    model = Sequential([Flatten(input_shape=(8, 2)), Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(gen, epochs=40, verbose=0)
    assert len(history.history["loss"]) == 40
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    assert model.predict(gen, verbose=0).shape == (len(data) - 8, 1)
