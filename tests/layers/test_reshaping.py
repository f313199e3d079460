"""Flatten, Reshape, Permute, ZeroPadding2D, UpSampling2D."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lamina import Sequential, config
from lamina.layers import Conv2D, Flatten, Input, Permute, Reshape, UpSampling2D, ZeroPadding2D


def test_flatten_channels_last_is_a_free_view():
    x = torch.randn(2, 3, 4, 5)
    y = Flatten()(x)
    assert tuple(y.shape) == (2, 60)
    assert y.data_ptr() == x.data_ptr() and y._base is x
    torch.testing.assert_close(y, x.reshape(2, -1))


def test_flatten_edge_shapes():
    assert tuple(Flatten()(torch.zeros(0, 3, 4)).shape) == (0, 12)
    assert tuple(Flatten()(torch.arange(3.0)).shape) == (3, 1)
    assert Flatten().compute_output_shape((None,)) == (None, 1)


def test_flatten_after_channels_last_conv_costs_no_copy():
    conv = Conv2D(4, 3)
    out = conv(torch.randn(2, 6, 6, 3))
    assert Flatten()(out).data_ptr() == out.data_ptr()


def test_flatten_channels_first_uses_channels_last_order():
    x = torch.randn(2, 3, 4, 5)  # (batch, channels, rows, cols)
    y = Flatten(data_format="channels_first")(x)
    torch.testing.assert_close(y, x.permute(0, 2, 3, 1).reshape(2, -1))
    assert not torch.equal(y, x.reshape(2, -1))


def test_flatten_follows_the_global_data_format(monkeypatch):
    monkeypatch.setattr(config, "_IMAGE_DATA_FORMAT", "channels_first")
    assert Flatten().data_format == "channels_first"
    assert Flatten().compute_output_shape((None, 3, None, 5)) == (None, None)


def test_reshape_infers_minus_one_and_handles_unknown_sizes():
    layer = Reshape((-1, 2))
    assert layer.compute_output_shape((None, 12)) == (None, 6, 2)
    assert layer.compute_output_shape((None, None, 4)) == (None, None, 2)
    x = torch.arange(24.).reshape(2, 12)
    torch.testing.assert_close(layer(x), x.reshape(2, 6, 2))
    assert Reshape(5).compute_output_shape((None, 5)) == (None, 5)


def test_reshape_size_mismatch_is_explained():
    with pytest.raises(ValueError, match=r"Layer 'reshape' \(Reshape\) cannot reshape input of shape \(None, 10\) "
                                         r"\(10 values per sample\) to target_shape \(3, 3\) \(9 values\)\. "
                                         r"Pick a target_shape whose sizes multiply to 10\."):
        Reshape((3, 3))(Input(shape=(10,)))
    with pytest.raises(ValueError, match=r"to target_shape \(-1, 4\) \(4 x n values\)"):
        Reshape((-1, 4))(Input(shape=(10,)))
    layer = Sequential([Reshape((28, 28, 1), input_shape=(784,))])
    with pytest.raises(ValueError, match=r"cannot reshape input of shape \(None, 100\) \(100 values per sample\) "
                                         r"to target_shape \(28, 28, 1\)"):
        layer.layers[0](torch.zeros(2, 100))


@pytest.mark.parametrize("bad", [(-1, -1), (0, 3), (-2, 4), "abc", None])
def test_reshape_rejects_bad_target_shapes(bad):
    with pytest.raises(ValueError, match=r"Reshape expects target_shape to be a tuple of positive ints, with at "
                                         r"most one -1.*Received: target_shape="):
        Reshape(bad)


def test_permute_uses_one_based_dims():
    x = torch.randn(2, 3, 4, 5)
    layer = Permute((2, 3, 1))
    torch.testing.assert_close(layer(x), x.permute(0, 2, 3, 1))
    assert layer.compute_output_shape((None, 3, None, 5)) == (None, None, 5, 3)
    with pytest.raises(ValueError, match=r"Permute expects dims to be a permutation of 1\.\.n.*"
                                         r"Received: dims=\(0, 1\)"):
        Permute((0, 1))
    with pytest.raises(ValueError, match=r"\(Permute\) expects 3-D input\. Received shape \(None, 5\)"):
        Permute((2, 1))(Input(shape=(5,)))


@pytest.mark.parametrize("padding,expected", [(1, ((1, 1), (1, 1))), ((1, 2), ((1, 1), (2, 2))),
                                              (((1, 0), (2, 3)), ((1, 0), (2, 3)))])
def test_zero_padding2d_forms(padding, expected):
    x = torch.randn(2, 4, 5, 3)
    layer = ZeroPadding2D(padding)
    y = layer(x)
    (top, bottom), (left, right) = expected
    assert layer.padding == expected
    assert tuple(y.shape) == (2, 4 + top + bottom, 5 + left + right, 3)
    torch.testing.assert_close(y[:, top:top + 4, left:left + 5], x)
    assert y.abs().sum() == pytest.approx(x.abs().sum().item(), rel=1e-5)  # everything else is zero


def test_zero_padding2d_channels_first_and_errors():
    x = torch.randn(1, 3, 4, 4)
    y = ZeroPadding2D(((1, 0), (0, 2)), data_format="channels_first")(x)
    torch.testing.assert_close(y, F.pad(x, (0, 2, 1, 0)))
    assert ZeroPadding2D(2).compute_output_shape((None, None, 4, 3)) == (None, None, 8, 3)
    with pytest.raises(ValueError, match=r"ZeroPadding2D expects padding as an int, \(rows, cols\) or "
                                         r"\(\(top, bottom\), \(left, right\)\) of non-negative ints\. "
                                         r"Received: padding=-1"):
        ZeroPadding2D(-1)
    with pytest.raises(ValueError, match=r"Received: padding=\(1, 2, 3\)"):
        ZeroPadding2D((1, 2, 3))


def test_up_sampling2d_nearest_repeats():
    x = torch.randn(2, 3, 4, 5)
    y = UpSampling2D((2, 3))(x)
    torch.testing.assert_close(y, x.repeat_interleave(2, dim=1).repeat_interleave(3, dim=2))
    yf = UpSampling2D(2, data_format="channels_first")(x)
    torch.testing.assert_close(yf, x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3))


def test_up_sampling2d_bilinear_uses_half_pixel_centres():
    x = np.array([0.0, 1.0], dtype=np.float32).reshape(1, 1, 2, 1)
    y = UpSampling2D((1, 2), interpolation="bilinear")(x).numpy().ravel()
    np.testing.assert_allclose(y, [0.0, 0.25, 0.75, 1.0])
    with pytest.raises(ValueError, match=r"UpSampling2D expects interpolation to be one of 'nearest', "
                                         r"'bilinear'\. Received: interpolation='bicubic'"):
        UpSampling2D(interpolation="bicubic")


def test_up_sampling2d_unknown_sizes():
    assert UpSampling2D((2, 3)).compute_output_shape((None, None, 4, 3)) == (None, None, 12, 3)
    assert UpSampling2D(2, data_format="channels_first").compute_output_shape((None, 3, None, 4)) == (None, 3, None, 8)
