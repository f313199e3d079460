"""Pooling layers against a direct NumPy implementation of TensorFlow's window rule."""
import numpy as np
import pytest
import torch

from lamina.layers import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D, GlobalAveragePooling1D,
                           GlobalAveragePooling2D, GlobalAvgPool2D, GlobalMaxPooling1D, GlobalMaxPooling2D, Input,
                           MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D)


def _windows(n, k, s, padding):
    """Start/stop of each TensorFlow pooling window along one axis, clipped to the real cells."""
    if padding == "valid":
        return [(i * s, i * s + k) for i in range((n - k) // s + 1)]
    out = -(-n // s)
    before = max((out - 1) * s + k - n, 0) // 2
    return [(max(i * s - before, 0), min(i * s - before + k, n)) for i in range(out)]


def _pool_ref(x, k, s, padding, mode):
    """x: (batch, rows, cols, channels) numpy array."""
    reduce = np.max if mode == "max" else np.mean
    rows = _windows(x.shape[1], k[0], s[0], padding)
    cols = _windows(x.shape[2], k[1], s[1], padding)
    out = np.zeros((x.shape[0], len(rows), len(cols), x.shape[3]), dtype=x.dtype)
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            out[:, i, j] = reduce(x[:, r0:r1, c0:c1], axis=(1, 2))
    return out


@pytest.mark.parametrize("cls,mode", [(MaxPooling2D, "max"), (AveragePooling2D, "avg")])
@pytest.mark.parametrize("n,k,s", [(5, 2, 2), (6, 3, 2), (7, 3, 3), (4, 3, 1), (6, 2, 1)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling2d_matches_tensorflow_windows(cls, mode, n, k, s, padding):
    x = np.random.randn(2, n, n + 1, 3).astype(np.float32)
    layer = cls(pool_size=k, strides=s, padding=padding)
    y = layer(x).numpy()
    expected = _pool_ref(x, (k, k), (s, s), padding, mode)
    assert layer.compute_output_shape((None, n, n + 1, 3)) == (None,) + expected.shape[1:]
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)


def test_same_max_pooling_ignores_padding_even_for_negative_inputs():
    x = -np.ones((1, 3, 3, 1), dtype=np.float32) - np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    y = MaxPooling2D(2, padding="same")(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, [[-1, -3], [-7, -9]])  # never the 0 of a padded cell


def test_same_average_pooling_does_not_count_padded_cells():
    y = AveragePooling2D(3, strides=2, padding="same")(np.ones((1, 6, 6, 1), np.float32)).numpy()
    np.testing.assert_array_equal(y, np.ones((1, 3, 3, 1)))


@pytest.mark.parametrize("cls,mode", [(MaxPooling1D, "max"), (AveragePooling1D, "avg")])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling1d_matches_tensorflow_windows(cls, mode, padding):
    x = np.random.randn(2, 9, 3).astype(np.float32)
    y = cls(pool_size=2, strides=2, padding=padding)(x).numpy()
    expected = _pool_ref(x[:, :, None, :], (2, 1), (2, 1), padding, mode)[:, :, 0, :]
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls,mode", [(MaxPooling2D, "max"), (AveragePooling2D, "avg")])
def test_pooling2d_channels_first_matches_channels_last(cls, mode):
    x = np.random.randn(2, 7, 6, 3).astype(np.float32)
    last = cls(3, strides=2, padding="same")(x).numpy()
    first = cls(3, strides=2, padding="same", data_format="channels_first")(x.transpose(0, 3, 1, 2)).numpy()
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), last, rtol=1e-6)


def test_pooling_defaults_and_aliases():
    assert MaxPool2D().name == "max_pooling2d"
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert MaxPooling1D().pool_size == (2,)
    assert AveragePooling2D((3, 3), strides=1).get_config()["strides"] == (1, 1)
    assert (MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D) == (MaxPooling1D, MaxPooling2D, AveragePooling1D,
                                                            AveragePooling2D)
    assert GlobalAvgPool2D is GlobalAveragePooling2D


def test_pooling_with_unknown_sizes():
    assert MaxPooling2D(2)(Input(shape=(None, None, 4))).shape == (None, None, None, 4)
    layer = AveragePooling2D(2, padding="same")
    layer(Input(shape=(None, 5, 4)))
    assert tuple(layer(torch.ones(1, 3, 5, 4)).shape) == (1, 2, 3, 4)


def test_global_pooling_values():
    x = torch.randn(2, 4, 5, 3)
    torch.testing.assert_close(GlobalAveragePooling2D()(x), x.mean(dim=(1, 2)))
    torch.testing.assert_close(GlobalMaxPooling2D()(x), x.amax(dim=(1, 2)))
    torch.testing.assert_close(GlobalMaxPooling2D(data_format="channels_first", keepdims=True)(x),
                               x.amax(dim=(2, 3), keepdim=True))
    seq = torch.randn(2, 6, 3)
    torch.testing.assert_close(GlobalAveragePooling1D()(seq), seq.mean(dim=1))
    torch.testing.assert_close(GlobalMaxPooling1D(data_format="channels_first")(seq), seq.amax(dim=2))
    assert GlobalAveragePooling2D(keepdims=True).compute_output_shape((None, None, None, 3)) == (None, 1, 1, 3)


def test_pool_larger_than_input_raises():
    with pytest.raises(ValueError, match=r"Layer 'max_pooling2d' \(MaxPooling2D\) has pool_size \(3, 3\) and "
                                         r"padding='valid', which needs at least 3 rows; its input has rows=2 .*"
                                         r"Use padding='same' or a smaller pool_size\."):
        MaxPooling2D(3)(Input(shape=(2, 2, 8)))


def test_pooling_input_errors():
    with pytest.raises(ValueError, match=r"\(MaxPooling2D\) expects 4-D input \(batch, rows, cols, channels\)\. "
                                         r"Received shape \(None, 784\)\. Add Reshape\(\(28, 28, 1\)\) before it\."):
        MaxPooling2D()(Input(shape=(784,)))
    with pytest.raises(ValueError, match=r"MaxPooling2D expects pool_size to be an int or a tuple of 2 ints\. "
                                         r"Received: pool_size=\(2, 2, 2\)"):
        MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match=r"AveragePooling1D expects padding to be one of 'valid', 'same'\. "
                                         r"Received: padding='full'"):
        AveragePooling1D(padding="full")
    with pytest.raises(ValueError, match=r"\(GlobalAveragePooling2D\) expects 4-D input.*Received shape \(None, 10\)"):
        GlobalAveragePooling2D()(Input(shape=(10,)))
