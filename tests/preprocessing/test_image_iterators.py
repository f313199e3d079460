"""The iterators flow / flow_from_directory / flow_from_dataframe behave like Keras's, and fit reads them."""
import math
import os

import numpy as np
import pytest
import torch

import lamina
from lamina import layers
from lamina.preprocessing.image import DirectoryIterator, ImageDataGenerator, NumpyArrayIterator, load_img


def small_x(n=10, h=6, w=5, c=1):
    return np.arange(n * h * w * c, dtype=np.float32).reshape(n, h, w, c)


# ---------------------------------------------------------------------- flow
def test_flow_is_a_sequence_and_an_endless_iterator():
    x, y = small_x(), np.arange(10)
    it = ImageDataGenerator().flow(x, y, batch_size=4, shuffle=False)
    assert isinstance(it, NumpyArrayIterator) and len(it) == 3 and it.n == 10
    assert [len(it[i][0]) for i in range(3)] == [4, 4, 2]
    seen = [next(it)[1].tolist() for _ in range(4)]
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3]]  # wraps round for ever
    assert it.next()[1].tolist() == [4, 5, 6, 7]
    with pytest.raises(IndexError, match="3 batches per epoch; received index 3"):
        it[3]
    np.testing.assert_array_equal(it[0][0], x[:4])  # no transform: the images unchanged, as float32
    assert it[0][0].dtype == np.float32 and it.x.dtype == np.float32


def test_flow_shuffles_each_epoch_and_seed_repeats_exactly():
    x, y = small_x(20), np.arange(20)
    gen = ImageDataGenerator(rotation_range=20)

    def epoch(it):
        return np.concatenate([it[i][1] for i in range(len(it))])
    a, b = gen.flow(x, y, batch_size=8, seed=3), gen.flow(x, y, batch_size=8, seed=3)
    first_a, first_b = epoch(a), epoch(b)
    np.testing.assert_array_equal(first_a, first_b)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    assert sorted(first_a.tolist()) == list(range(20)) and first_a.tolist() != list(range(20))
    a.on_epoch_end()
    assert epoch(a).tolist() != first_a.tolist()
    torch.manual_seed(11)
    c1 = gen.flow(x, y, batch_size=8)[0][0]
    torch.manual_seed(11)
    c2 = gen.flow(x, y, batch_size=8)[0][0]
    np.testing.assert_array_equal(c1, c2)  # unseeded iterators follow torch's global seed


def test_flow_sample_weight_subset_and_extra_inputs():
    x, y, w = small_x(10), np.array([0, 1] * 5), np.linspace(0, 1, 10)
    gen = ImageDataGenerator(validation_split=0.3)
    xb, yb, wb = gen.flow(x, y, batch_size=10, shuffle=False, sample_weight=w)[0]
    np.testing.assert_array_equal(wb, w)
    val = gen.flow(x, y, batch_size=10, shuffle=False, subset="validation")
    train = gen.flow(x, y, batch_size=10, shuffle=False, subset="training")
    assert val.n == 3 and train.n == 7  # Keras: validation is the first fraction
    np.testing.assert_array_equal(val[0][1], y[:3])
    extra = np.arange(10) * 10
    (xb, eb), yb = gen.flow((x, extra), y, batch_size=4, shuffle=False)[1]
    np.testing.assert_array_equal(eb, extra[4:8])


def test_flow_channels_first_as_in_the_course():
    x = small_x(6, 8, 8, 1).transpose(0, 3, 1, 2)
    gen = ImageDataGenerator(rotation_range=10, width_shift_range=0.2, data_format="channels_first")
    assert gen.flow(x, np.arange(6), batch_size=3)[0][0].shape == (3, 1, 8, 8)


def test_flow_save_to_dir(tmp_path):
    ImageDataGenerator(rotation_range=5).flow(small_x(3, 8, 8, 3), batch_size=3, save_to_dir=str(tmp_path),
                                              save_prefix="aug", save_format="png")[0]
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 3 and all(f.startswith("aug_") and f.endswith(".png") for f in files)
    assert load_img(tmp_path / files[0]).size == (8, 8)


@pytest.mark.parametrize("kwargs,match", [
    ({"x": np.zeros((4, 28, 28))}, r"rank 4.*\(4, 28, 28\).*x\[\.\.\., None\]"),
    ({"x": np.zeros((4, 5, 5, 1)), "y": np.zeros(3)}, r"same length.*x.shape=\(4, 5, 5, 1\), y.shape=\(3,\)"),
    ({"x": np.zeros((4, 5, 5, 1)), "subset": "test"}, r"subset to be 'training', 'validation' or None.*'test'"),
    ({"x": np.zeros((4, 5, 5, 1)), "batch_size": 0}, r"batch_size to be a positive int.*0"),
])
def test_flow_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ImageDataGenerator().flow(**kwargs)


def test_flow_warns_on_unusual_channel_count():
    with pytest.warns(UserWarning, match=r"1, 3 or 4 channels.*\(2, 5, 5, 7\)"):
        ImageDataGenerator().flow(np.zeros((2, 5, 5, 7)))


# ---------------------------------------------------------------------- fit / evaluate / predict
def tiny_model():
    model = lamina.Sequential([layers.Flatten(input_shape=(8, 8, 1)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_evaluate_predict_read_the_iterator():
    rng = np.random.default_rng(0)
    x = rng.random((40, 8, 8, 1)).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 40)]
    gen = ImageDataGenerator(width_shift_range=0.1)
    model = tiny_model()
    it = gen.flow(x, y, batch_size=10, seed=0)
    history = model.fit(it, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    model.fit(it, steps_per_epoch=len(x) / 10, epochs=1, verbose=0)  # Keras 2 passed a float
    loss, acc = model.evaluate(gen.flow(x, y, batch_size=10, shuffle=False), steps=3, verbose=0)
    assert 0 <= acc <= 1 and np.isfinite(loss)
    pred = model.predict(ImageDataGenerator().flow(x, batch_size=16, shuffle=False), steps=2, verbose=0)
    assert pred.shape == (32, 2)
    np.testing.assert_allclose(pred, model.predict(x[:32], verbose=0), atol=1e-6)


# ---------------------------------------------------------------------- flow_from_directory
def test_flow_from_directory_attributes(digit_folder):
    it = ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(
        digit_folder, target_size=(14, 16), color_mode="grayscale", batch_size=5, shuffle=False)
    assert isinstance(it, DirectoryIterator)
    assert it.samples == it.n == 36 and len(it) == math.ceil(36 / 5)
    assert it.class_indices == {"0": 0, "1": 1, "2": 2} and it.num_classes == 3
    assert it.filenames[:2] == [os.path.join("0", "00000.png"), os.path.join("0", "00001.png")]
    assert it.filepaths[0] == os.path.join(digit_folder, "0", "00000.png")
    np.testing.assert_array_equal(it.classes, np.repeat([0, 1, 2], 12))
    assert it.image_shape == (14, 16, 1)
    xb, yb = it[0]
    assert xb.shape == (5, 14, 16, 1) and xb.dtype == np.float32 and 0 <= xb.min() and xb.max() <= 1
    np.testing.assert_array_equal(yb, np.eye(3, dtype=np.float32)[[0] * 5])
    expected = np.asarray(load_img(it.filepaths[1], color_mode="grayscale", target_size=(14, 16)),
                          dtype=np.float32)[..., None] / 255.0
    np.testing.assert_allclose(xb[1], expected, rtol=1e-6)


@pytest.mark.parametrize("class_mode,check", [
    ("binary", lambda y: y.dtype == np.float32 and set(y.tolist()) <= {0.0, 1.0}),
    ("sparse", lambda y: y.dtype == np.float32 and y.shape == (4,)),
    ("categorical", lambda y: y.shape == (4, 2)),
])
def test_class_modes(digit_folder, class_mode, check):
    it = ImageDataGenerator().flow_from_directory(digit_folder, target_size=(28, 28), classes=["1", "2"],
                                                  class_mode=class_mode, batch_size=4, seed=0)
    assert it.samples == 24 and it.class_indices == {"1": 0, "2": 1}
    xb, yb = it[0]
    assert xb.shape == (4, 28, 28, 3) and check(yb)


def test_input_and_none_class_modes(digit_folder):
    gen = ImageDataGenerator()
    xb, yb = gen.flow_from_directory(digit_folder, target_size=(10, 10), class_mode="input", batch_size=3)[0]
    np.testing.assert_array_equal(xb, yb)
    only = gen.flow_from_directory(digit_folder, target_size=(10, 10), class_mode=None, batch_size=3)[0]
    assert isinstance(only, np.ndarray) and only.shape == (3, 10, 10, 3)


def test_directory_validation_split_is_per_class(digit_folder):
    gen = ImageDataGenerator(validation_split=0.25)
    val = gen.flow_from_directory(digit_folder, target_size=(8, 8), subset="validation", shuffle=False)
    train = gen.flow_from_directory(digit_folder, target_size=(8, 8), subset="training", shuffle=False)
    assert val.samples == 9 and train.samples == 27
    assert val.filenames[:3] == [os.path.join("0", f"{i:05d}.png") for i in range(3)]
    assert not set(val.filenames) & set(train.filenames)


def test_directory_augmentation_is_seeded_and_cache_gives_the_same_batches(digit_folder):
    gen = ImageDataGenerator(rotation_range=30, zoom_range=0.2)
    plain = gen.flow_from_directory(digit_folder, target_size=(20, 20), batch_size=6, seed=4)
    cached = gen.flow_from_directory(digit_folder, target_size=(20, 20), batch_size=6, seed=4, cache=True,
                                     workers=1)
    for i in range(len(plain)):
        np.testing.assert_array_equal(plain[i][0], cached[i][0])
    assert len(cached._cache) == 36
    cached.on_epoch_end()
    assert cached[0][0].shape == (6, 20, 20, 3)


def test_interpolation_is_used_for_resizing(digit_folder):
    gen = ImageDataGenerator()
    near = gen.flow_from_directory(digit_folder, target_size=(50, 50), batch_size=2, shuffle=False,
                                   color_mode="grayscale")[0][0]
    bil = gen.flow_from_directory(digit_folder, target_size=(50, 50), batch_size=2, shuffle=False,
                                  color_mode="grayscale", interpolation="bilinear")[0][0]
    assert len(np.unique(near)) < len(np.unique(bil))


def test_fit_reads_a_directory_iterator(digit_folder):
    model = lamina.Sequential([layers.Flatten(input_shape=(8, 8, 1)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    it = ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(digit_folder, target_size=(8, 8),
                                                                   color_mode="grayscale", batch_size=8)
    model.fit(it, epochs=2, verbose=0)
    assert model.evaluate(it, verbose=0)[1] >= 0
    assert model.predict(it, steps=2, verbose=0).shape == (16, 3)


# ---------------------------------------------------------------------- flow_from_dataframe
def test_flow_from_dataframe(digit_folder):
    pd = pytest.importorskip("pandas", reason="flow_from_dataframe reads a pandas DataFrame")
    files = [os.path.join(c, f"{i:05d}.png") for c, i in (("0", 0), ("1", 12), ("2", 24), ("0", 1))]
    df = pd.DataFrame({"filename": files + ["missing.png"], "class": ["zero", "one", "two", "zero", "one"],
                       "w": [1.0, 2.0, 3.0, 4.0, 5.0]})
    gen = ImageDataGenerator()
    with pytest.warns(UserWarning, match="1 file name"):
        it = gen.flow_from_dataframe(df, digit_folder, weight_col="w", target_size=(8, 8), batch_size=4,
                                     shuffle=False)
    assert it.samples == 4 and it.class_indices == {"one": 0, "two": 1, "zero": 2}
    xb, yb, wb = it[0]
    np.testing.assert_array_equal(yb.argmax(1), [2, 0, 1, 2])
    np.testing.assert_array_equal(wb, [1.0, 2.0, 3.0, 4.0])
    with pytest.warns(UserWarning, match="are not image files on disk"):
        raw = gen.flow_from_dataframe(df.assign(v=np.arange(5.0)), digit_folder, y_col="v", class_mode="raw",
                                      target_size=(8, 8), batch_size=4, shuffle=False)
    np.testing.assert_array_equal(raw[0][1], [0.0, 1.0, 2.0, 3.0])


def test_reading_ahead_gives_the_same_batches_as_one_warp_per_batch():
    """Sequential reads augment several batches in one warp; each batch keeps its own generator."""
    x, y = small_x(64, 12, 12, 1), np.arange(64)
    gen = ImageDataGenerator(rotation_range=30, zoom_range=0.2, horizontal_flip=True)
    ahead = gen.flow(x, y, batch_size=8, seed=5)
    plain = gen.flow(x, y, batch_size=8, seed=5)
    plain.lookahead_images = 0
    for _ in range(2):
        for i in range(len(ahead)):
            a, b = ahead[i], plain[i]
            np.testing.assert_array_equal(a[0], b[0])
            np.testing.assert_array_equal(a[1], b[1])
        ahead.on_epoch_end()
        plain.on_epoch_end()
    np.testing.assert_array_equal(ahead[5][0], plain[5][0])  # random access after sequential reads
