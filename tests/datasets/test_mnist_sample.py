import hashlib
import re
import shutil
import types
from importlib import resources

import numpy as np
import pytest

from lamina.datasets import mnist_sample

TRAIN_COUNTS = [595, 674, 573, 628, 605, 514, 605, 646, 575, 585]
TEST_COUNTS = [406, 453, 418, 404, 375, 349, 409, 424, 369, 393]
DATA = resources.files("lamina.datasets") / "_data"


@pytest.fixture
def fresh_cache(monkeypatch):
    monkeypatch.setattr(mnist_sample, "_cache", None)


def test_shapes_and_dtypes_match_keras_mnist():
    (x_train, y_train), (x_test, y_test) = mnist_sample.load_data()
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == \
        ((6000, 28, 28), (6000,), (4000, 28, 28), (4000,))
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype("uint8")}


def test_labels_and_class_counts_match_the_readme_table():
    (_, y_train), (_, y_test) = mnist_sample.load_data()
    assert y_train.min() == 0 and y_train.max() == 9 and y_test.min() == 0 and y_test.max() == 9
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS


def test_images_are_digits_with_full_grey_range():
    (x_train, _), (x_test, _) = mnist_sample.load_data()
    for x in (x_train, x_test):
        assert x.min() == 0 and x.max() == 255
        assert (x[:, 0, :] == 0).mean() > 0.99  # MNIST digits sit in the centre; borders are blank
        assert 0.1 < (x > 0).mean() < 0.3      # ink covers about a fifth of each image


def test_train_and_test_share_no_image():
    (x_train, _), (x_test, _) = mnist_sample.load_data()
    train = {img.tobytes() for img in x_train}
    assert not any(img.tobytes() in train for img in x_test)


def test_checksums_in_code_equal_the_readme_and_the_files():
    listed = dict((name, digest) for digest, name in
                  re.findall(r"^([0-9a-f]{64})\s+(\S+\.gz)$", (DATA / "README.md").read_text(), re.M))
    assert listed == mnist_sample._SHA256
    for name, digest in listed.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest


def test_callers_cannot_corrupt_the_cache():
    (x_train, y_train), (x_test, _) = mnist_sample.load_data()
    first = x_train[0].copy()
    x_train[:] = 7
    y_train[:] = 3
    x_test //= 2
    (x_train2, y_train2), (x_test2, _) = mnist_sample.load_data()
    np.testing.assert_array_equal(x_train2[0], first)
    assert x_test2.max() == 255
    assert np.bincount(y_train2).tolist() == TRAIN_COUNTS


def test_second_call_does_not_read_the_files(fresh_cache, monkeypatch):
    first = mnist_sample.load_data()
    monkeypatch.setattr(mnist_sample, "_load", lambda name: pytest.fail(f"re-read {name}"))
    second = mnist_sample.load_data()
    np.testing.assert_array_equal(first[0][0], second[0][0])


def _copy_data(tmp_path, monkeypatch):
    shutil.copytree(DATA, tmp_path / "_data")
    for f in (tmp_path / "_data").iterdir():
        f.chmod(0o644)
    monkeypatch.setattr(mnist_sample, "resources", types.SimpleNamespace(files=lambda package: tmp_path))
    return tmp_path / "_data"


def test_damaged_file_is_refused(fresh_cache, tmp_path, monkeypatch):
    data = _copy_data(tmp_path, monkeypatch)
    raw = bytearray((data / "test-labels-idx1-ubyte.gz").read_bytes())
    raw[100] ^= 1
    (data / "test-labels-idx1-ubyte.gz").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"test-labels-idx1-ubyte.gz' is damaged: its sha256 is [0-9a-f]{64}, "
                                         r"expected e9b3dbc3.*Reinstall lamina"):
        mnist_sample.load_data()
    assert mnist_sample._cache is None


def test_missing_file_is_reported(fresh_cache, tmp_path, monkeypatch):
    data = _copy_data(tmp_path, monkeypatch)
    (data / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"'train-images-idx3-ubyte.gz' is missing .*reinstall lamina"):
        mnist_sample.load_data()
