"""timeseries_dataset_from_array: Keras 3's windows and targets (checked against explicit loops), in fit."""
import numpy as np
import pytest

from lamina.utils import timeseries_dataset_from_array


def expected_windows(data, targets, length, stride, rate, start, end):
    """Keras 3's definition, one window at a time."""
    start = start or 0
    end = len(data) if end is None else end
    count = end - start - (length - 1) * rate
    if targets is not None:
        count = min(count, len(targets))
    xs = [data[start + p:start + p + length * rate:rate] for p in range(0, count, stride)]
    ys = None if targets is None else [targets[start + p] for p in range(0, count, stride)]
    return xs, ys


@pytest.mark.parametrize("kw", [dict(sequence_length=5), dict(sequence_length=3, sequence_stride=4, batch_size=3),
                                dict(sequence_length=4, sampling_rate=3, start_index=5, end_index=40, batch_size=7),
                                dict(sequence_length=6, batch_size=None), dict(sequence_length=2, start_index=47)])
def test_windows_and_targets_follow_keras_definition(kw):
    rng = np.random.default_rng(0)
    data, targets = rng.normal(size=(50, 3)), rng.integers(0, 9, 50)
    ds = timeseries_dataset_from_array(data, targets, **kw)
    xs, ys = [], []
    for item in ds:
        x, y = item
        if kw.get("batch_size", 128) is None:
            x, y = x[None], np.asarray(y)[None]
        xs.extend(x)
        ys.extend(y)
    ex, ey = expected_windows(data, targets, kw["sequence_length"], kw.get("sequence_stride", 1),
                              kw.get("sampling_rate", 1), kw.get("start_index"), kw.get("end_index"))
    assert len(xs) == len(ex) and len(ds) == (len(ex) if kw.get("batch_size", 128) is None else
                                               -(-len(ex) // kw.get("batch_size", 128)))
    np.testing.assert_array_equal(np.array(xs), np.array(ex))
    np.testing.assert_array_equal(np.array(ys), np.array(ey))


def test_shuffle_permutes_start_positions_with_randomstate_and_no_targets():
    data = np.arange(30)
    ds = timeseries_dataset_from_array(data, None, sequence_length=4, batch_size=100, shuffle=True, seed=3)
    positions = np.arange(0, 27)
    np.random.RandomState(3).shuffle(positions)
    np.testing.assert_array_equal(ds[0][:, 0], positions)
    np.testing.assert_array_equal(ds[0][:, 3], positions + 3)


def test_docstring_example_and_errors():
    x, y = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10, sequence_length=3, batch_size=4)[0]
    assert x.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]] and y.tolist() == [0, 10, 20, 30]
    with pytest.raises(ValueError, match=r"sampling_rate to be lower than the length of the data \(10\)\. "
                                         r"Received: sampling_rate=10"):
        timeseries_dataset_from_array(np.arange(10), None, 3, sampling_rate=10)
    with pytest.raises(ValueError, match=r"end_index to be higher than start_index\. Received: start_index=5, "
                                         r"end_index=3"):
        timeseries_dataset_from_array(np.arange(10), None, 3, start_index=5, end_index=3)
    with pytest.raises(ValueError, match=r"sequence_length to be an int >= 1\. Received: sequence_length=0"):
        timeseries_dataset_from_array(np.arange(10), None, 0)
    with pytest.raises(IndexError, match=r"has 1 batches; batch 1 does not exist"):
        timeseries_dataset_from_array(np.arange(10), None, 3)[1]


def test_feeds_fit_and_predict():
    from lamina import Sequential
    from lamina.layers import Dense, Flatten
    from lamina.optimizers import Adam
    t = np.arange(300, dtype="float32")
    series = np.sin(t / 4).astype("float32")[:, None]
    ds = timeseries_dataset_from_array(series[:-6], series[6:], sequence_length=6, batch_size=32)
    model = Sequential([Flatten(input_shape=(6, 1)), Dense(1)])
    model.compile(Adam(learning_rate=0.02), "mse")
    history = model.fit(ds, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    assert model.predict(ds, verbose=0).shape == (289, 1)
