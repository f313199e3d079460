import numpy as np
import pytest
import torch

from lamina.utils import normalize, np_utils, to_categorical


def _one_hot_by_hand(labels, n):
    out = np.zeros((len(labels), n), dtype=np.float32)
    for row, label in enumerate(labels):
        out[row, label] = 1.0
    return out


def test_to_categorical_infers_num_classes_from_max_label():
    y = np.array([3, 0, 1, 3, 2])
    out = to_categorical(y)
    assert out.dtype == np.float32 and out.shape == (5, 4)
    np.testing.assert_array_equal(out, _one_hot_by_hand(y, 4))


def test_to_categorical_accepts_column_vectors_and_lists():
    y = np.array([[2], [0], [1]])
    np.testing.assert_array_equal(to_categorical(y, num_classes=5), _one_hot_by_hand([2, 0, 1], 5))
    np.testing.assert_array_equal(to_categorical([2, 0, 1], 5), _one_hot_by_hand([2, 0, 1], 5))


def test_to_categorical_keeps_leading_axes_like_keras():
    y = np.array([[0, 1, 2], [2, 2, 0]])
    out = to_categorical(y)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.argmax(-1), y)
    assert to_categorical(4, num_classes=6).tolist() == [0, 0, 0, 0, 1, 0]


def test_to_categorical_dtype_and_integral_floats():
    out = to_categorical(np.array([1.0, 0.0]), dtype="uint8")
    assert out.dtype == np.uint8 and out.tolist() == [[0, 1], [1, 0]]
    assert to_categorical(np.array([1, 0], dtype=np.uint8), dtype="int64").dtype == np.int64


def test_to_categorical_of_the_course_labels():
    from lamina.datasets import mnist_sample
    (_, y_train), _ = mnist_sample.load_data()
    out = to_categorical(y_train)
    assert out.shape == (6000, 10)
    np.testing.assert_array_equal(out.sum(axis=1), 1.0)
    np.testing.assert_array_equal(out.argmax(axis=1), y_train)


def test_to_categorical_torch_in_torch_out():
    out = to_categorical(torch.tensor([2, 0]), 3)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    assert out.tolist() == [[0, 0, 1], [1, 0, 0]]


def test_to_categorical_empty_labels_need_num_classes():
    assert to_categorical(np.array([], dtype=int), num_classes=3).shape == (0, 3)
    with pytest.raises(ValueError, match="cannot infer num_classes from empty labels"):
        to_categorical(np.array([], dtype=int))


def test_to_categorical_negative_label_names_the_value():
    with pytest.raises(ValueError, match=r"labels >= 0. Received: y\[2\]=-1\. Class labels start at 0"):
        to_categorical([0, 1, -1, 2])


def test_to_categorical_label_too_large_names_the_value():
    with pytest.raises(ValueError, match=r"below num_classes=10. Received: y\[1\]=10 \(2 such labels in all\)\. "
                                         r"Pass num_classes=12"):
        to_categorical([0, 10, 11], num_classes=10)


def test_to_categorical_non_integer_labels():
    with pytest.raises(ValueError, match=r"integer class labels. Received: y\[1\]=2.5"):
        to_categorical([1.0, 2.5])
    with pytest.raises(ValueError, match=r"integer class labels. Received: y of dtype str"):
        to_categorical(["cat", "dog"])


@pytest.mark.parametrize("bad", [0, -3, 2.5, "ten"])
def test_to_categorical_bad_num_classes(bad):
    with pytest.raises(ValueError, match=rf"num_classes to be a positive int. Received: num_classes={bad!r}"):
        to_categorical([0, 1], num_classes=bad)


def test_to_categorical_bad_dtype():
    with pytest.raises(ValueError, match=r"dtype such as 'float32'.*Received: dtype='flaot32'"):
        to_categorical([0, 1], dtype="flaot32")


def test_normalize_l2_rows_against_hand_computation():
    x = np.array([[3.0, 4.0, 0.0], [1.0, 2.0, 2.0], [0.0, 0.0, 0.0]])
    expected = np.array([[0.6, 0.8, 0.0], [1 / 3, 2 / 3, 2 / 3], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(normalize(x), expected, rtol=1e-15)


def test_normalize_other_axis_and_order():
    x = np.array([[1.0, -3.0], [3.0, 1.0]])
    np.testing.assert_allclose(normalize(x, axis=0, order=1), [[0.25, -0.75], [0.75, 0.25]])
    np.testing.assert_allclose(normalize(x, order=np.inf), [[1 / 3, -1.0], [1.0, 1 / 3]])


def test_normalize_keeps_float32_and_promotes_ints():
    assert normalize(np.ones((2, 3), dtype=np.float32)).dtype == np.float32
    out = normalize(np.array([[0, 5]]))
    assert out.dtype == np.float64 and out.tolist() == [[0.0, 1.0]]


def test_normalize_1d_and_3d():
    np.testing.assert_array_equal(normalize(np.array([0.0, 2.0])), [0.0, 1.0])  # shape kept
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    np.testing.assert_allclose(normalize(x, axis=1), x / np.sqrt((x ** 2).sum(axis=1, keepdims=True)))


def test_normalize_torch_matches_numpy():
    x = np.random.default_rng(1).normal(size=(5, 7)).astype(np.float32)
    x[2] = 0
    out = normalize(torch.from_numpy(x))
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), normalize(x), rtol=1e-6)
    assert (out[2] == 0).all()


def test_normalize_bad_axis():
    with pytest.raises(ValueError, match=r"normalize got axis=2 for an input with 2 axes"):
        normalize(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match=r"axis to be an int. Received: axis=\(0, 1\)"):
        normalize(np.ones((2, 3)), axis=(0, 1))
    with pytest.raises(ValueError, match=r"array of vectors. Received: a scalar"):
        normalize(5.0)


def test_np_utils_path_of_classic_keras_code():
    assert np_utils.to_categorical is to_categorical and np_utils.normalize is normalize
