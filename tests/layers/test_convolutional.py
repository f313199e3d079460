"""Conv1D / Conv2D / Conv2DTranspose against plain torch.nn.functional and TensorFlow's padding rule."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lamina import Sequential
from lamina.layers import Conv1D, Conv2D, Conv2DTranspose, Input


def _tf_pads(n, k, s, d=1):
    """TensorFlow 'same' padding, written out independently of the library."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def _weights(layer):
    kernel, bias = layer.get_weights()
    return torch.from_numpy(kernel), torch.from_numpy(bias)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_matches_f_conv2d_with_keras_kernel(data_format):
    layer = Conv2D(5, (3, 2), activation="relu", data_format=data_format)
    x = torch.randn(2, 6, 7, 3)
    xin = x if data_format == "channels_last" else x.permute(0, 3, 1, 2).contiguous()
    y = layer(xin)
    kernel, bias = _weights(layer)
    assert tuple(kernel.shape) == (3, 2, 3, 5)  # Keras layout (kh, kw, in, out)
    assert tuple(layer.kernel.shape) == (5, 3, 3, 2)  # stored in torch layout
    ref = torch.relu(F.conv2d(x.permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1), bias))
    if data_format == "channels_last":
        ref = ref.permute(0, 2, 3, 1)
    torch.testing.assert_close(y, ref)


def test_conv2d_channels_last_output_is_contiguous_without_copying_the_input():
    layer = Conv2D(4, 3)
    x = torch.randn(2, 8, 8, 3)
    y = layer(x)
    assert y.is_contiguous()  # the channels_last result permuted back is plain NHWC memory
    assert x.permute(0, 3, 1, 2).is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("n,k", [(8, 3), (9, 3), (8, 4), (9, 2), (5, 5)])
def test_conv2d_same_padding_stride2_matches_tensorflow_rule(n, k):
    layer = Conv2D(3, k, strides=2, padding="same")
    x = torch.randn(2, n, n + 1, 2)
    y = layer(x)
    kernel, bias = _weights(layer)
    (top, bottom), (left, right) = _tf_pads(n, k, 2), _tf_pads(n + 1, k, 2)
    ref = F.conv2d(F.pad(x.permute(0, 3, 1, 2), (left, right, top, bottom)), kernel.permute(3, 2, 0, 1), bias,
                   stride=2).permute(0, 2, 3, 1)
    assert tuple(y.shape) == (2, math.ceil(n / 2), math.ceil((n + 1) / 2), 3)
    assert layer.compute_output_shape((None, n, n + 1, 2)) == (None, math.ceil(n / 2), math.ceil((n + 1) / 2), 3)
    torch.testing.assert_close(y, ref)


def test_conv2d_same_stride2_puts_the_extra_padding_bottom_right():
    layer = Conv2D(1, 3, strides=2, padding="same", use_bias=False, kernel_initializer="ones")
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    y = layer(x)[0, :, :, 0].detach().numpy()
    img = x[0, :, :, 0]
    # total padding 1 on each axis: none on top/left, one row/column of zeros at the bottom/right
    expected = [[img[0:3, 0:3].sum(), img[0:3, 2:4].sum()], [img[2:4, 0:3].sum(), img[2:4, 2:4].sum()]]
    np.testing.assert_allclose(y, expected)


def test_conv2d_unknown_spatial_size_computes_padding_per_call():
    x_in = Input(shape=(None, None, 2))
    layer = Conv2D(3, 3, strides=2, padding="same")
    assert layer(x_in).shape == (None, None, None, 3)
    for n in (7, 8):
        x = torch.randn(1, n, n, 2)
        kernel, bias = _weights(layer)
        t, b = _tf_pads(n, 3, 2)
        ref = F.conv2d(F.pad(x.permute(0, 3, 1, 2), (t, b, t, b)), kernel.permute(3, 2, 0, 1), bias, stride=2)
        torch.testing.assert_close(layer(x), ref.permute(0, 2, 3, 1))


def test_conv1d_matches_f_conv1d_and_same_rule():
    layer = Conv1D(4, 3, strides=2, padding="same")
    x = torch.randn(2, 10, 3)
    y = layer(x)
    kernel, bias = _weights(layer)
    assert tuple(kernel.shape) == (3, 3, 4)
    before, after = _tf_pads(10, 3, 2)
    ref = F.conv1d(F.pad(x.permute(0, 2, 1), (before, after)), kernel.permute(2, 1, 0), bias, stride=2)
    torch.testing.assert_close(y, ref.permute(0, 2, 1))


def test_conv1d_causal_sees_only_the_past():
    layer = Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = torch.randn(1, 12, 2)
    y = layer(x)
    kernel, bias = _weights(layer)
    ref = F.conv1d(F.pad(x.permute(0, 2, 1), (4, 0)), kernel.permute(2, 1, 0), bias, dilation=2)
    torch.testing.assert_close(y, ref.permute(0, 2, 1))
    x2 = x.clone()
    x2[0, 6] += 10.0
    y2 = layer(x2)
    torch.testing.assert_close(y2[:, :6], y[:, :6])
    assert not torch.allclose(y2[:, 6], y[:, 6])


# Conv2DTranspose is the adjoint of Conv2D with the same Keras kernel and strides:
# <conv(u), v> == <u, conv_transpose(v)>. This pins down TensorFlow's cropping exactly.
@pytest.mark.parametrize("k,s,padding", [(3, 2, "same"), (4, 2, "same"), (5, 2, "same"), (3, 1, "same"),
                                         (3, 2, "valid"), (2, 3, "valid"), (5, 3, "same")])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(k, s, padding):
    n, c_small, c_big = 4, 3, 2
    deconv = Conv2DTranspose(c_big, k, strides=s, padding=padding, use_bias=False)
    v = torch.randn(2, n, n, c_small)
    out = deconv(v)
    size = out.shape[1]
    expected = n * s if padding == "same" else (n - 1) * s + max(k, s)
    assert tuple(out.shape) == (2, expected, expected, c_big)
    conv = Conv2D(c_small, k, strides=s, padding=padding, use_bias=False)
    u = torch.randn(2, size, size, c_big)
    conv(u)
    kernel = deconv.get_weights()[0]
    assert kernel.shape == (k, k, c_big, c_small)  # Keras layout (kh, kw, filters, in)
    conv.set_weights([kernel])
    assert conv(u).shape[1:3] == (n, n)
    torch.testing.assert_close((conv(u) * v).sum(), (u * out).sum(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("k,s,op,expected", [(3, 2, 1, 8), (4, 2, 1, 7), (3, 2, 0, 7), (3, 3, 2, 12)])
def test_conv2d_transpose_output_padding_sizes_follow_keras(k, s, op, expected):
    layer = Conv2DTranspose(2, k, strides=s, padding="same", output_padding=op)
    assert layer.compute_output_shape((None, 4, 4, 1)) == (None, expected, expected, 2)
    assert tuple(layer(torch.randn(1, 4, 4, 1)).shape) == (1, expected, expected, 2)


def test_conv2d_transpose_valid_matches_f_conv_transpose2d():
    layer = Conv2DTranspose(3, 3, strides=2, activation="tanh")
    x = torch.randn(2, 4, 5, 2)
    y = layer(x)
    kernel, bias = _weights(layer)
    ref = torch.tanh(F.conv_transpose2d(x.permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1), bias, stride=2))
    torch.testing.assert_close(y, ref.permute(0, 2, 3, 1))


# ----------------------------------------------------------------------------- errors
def test_conv2d_on_flat_input_says_how_to_reshape():
    with pytest.raises(ValueError, match=r"Layer 'conv2d' \(Conv2D\) expects 4-D input \(batch, rows, cols, "
                                         r"channels\)\. Received shape \(None, 784\)\. Add Reshape\(\(28, 28, 1\)\) "
                                         r"before it\."):
        Conv2D(8, 3)(Input(shape=(784,)))


def test_conv2d_hints_follow_data_format_and_missing_channel_axis():
    with pytest.raises(ValueError, match=r"\(batch, channels, rows, cols\).*Reshape\(\(3, 32, 32\)\)"):
        Conv2D(8, 3, data_format="channels_first")(Input(shape=(3072,)))
    with pytest.raises(ValueError, match=r"Received shape \(None, 28, 28\)\. Add Reshape\(\(28, 28, 1\)\)"):
        Sequential([Conv2D(8, 3, input_shape=(28, 28))])
    with pytest.raises(ValueError, match=r"\(Conv1D\) expects 3-D input \(batch, steps, channels\)\. Received shape "
                                         r"\(None, 100\)\. Add Reshape\(\(100, 1\)\)"):
        Conv1D(4, 3)(Input(shape=(100,)))


def test_valid_kernel_larger_than_input_raises_at_build():
    with pytest.raises(ValueError, match=r"Layer 'big' \(Conv2D\) has kernel_size \(5, 5\) and padding='valid', "
                                         r"which needs at least 5 rows; its input has rows=3 .*\(None, 3, 3, 8\).*"
                                         r"padding='same' or a smaller kernel_size"):
        Conv2D(4, 5, name="big")(Input(shape=(3, 3, 8)))
    with pytest.raises(ValueError, match=r"dilation_rate \(3,\).*at least 7 steps; its input has steps=6"):
        Conv1D(4, 3, dilation_rate=3)(torch.zeros(1, 6, 1))
    assert Conv2D(4, 5, padding="same")(Input(shape=(3, 3, 8))).shape == (None, 3, 3, 4)


def test_wrong_channel_count_after_build_names_the_axis():
    layer = Conv2D(4, 3)
    layer(torch.zeros(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"expects axis -1 of its input to have size 3.*Received shape "
                                         r"\(None, 5, 5, 4\)"):
        layer(torch.zeros(1, 5, 5, 4))


@pytest.mark.parametrize("kwargs,match", [
    ({"filters": 0, "kernel_size": 3}, r"Conv2D expects filters to be a positive int\. Received: filters=0\. "
                                       r"Pass the number of output channels"),
    ({"filters": 4, "kernel_size": (3, 3, 3)}, r"kernel_size to be an int or a tuple of 2 ints\. "
                                               r"Received: kernel_size=\(3, 3, 3\)"),
    ({"filters": 4, "kernel_size": 3, "padding": "smae"}, r"padding to be one of 'valid', 'same'\. "
                                                          r"Received: padding='smae'; did you mean 'same'\?"),
    ({"filters": 4, "kernel_size": 3, "padding": "causal"}, r"Received: padding='causal'"),
    ({"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, r"strides > 1 with dilation_rate > 1.*"
                                                                         r"Received: strides=2, dilation_rate=2"),
    ({"filters": 4, "kernel_size": 3, "groups": 3}, r"filters to be a multiple of groups\. Received: filters=4, "
                                                    r"groups=3"),
    ({"filters": 4, "kernel_size": 3, "data_format": "nhwc"}, r"Unknown data_format 'nhwc'"),
    ({"filters": 4, "kernel_size": 3, "kernel_initializer": "glorot"}, r"Unknown initializer 'glorot'"),
    ({"filters": 4, "kernel_size": 3, "kernel_size2": 3}, r"unexpected keyword argument\(s\) 'kernel_size2'"),
])
def test_conv2d_argument_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Conv2D(**kwargs)


def test_conv_build_errors():
    with pytest.raises(ValueError, match=r"groups=2, which must divide the 3 input channels"):
        Conv2D(4, 3, groups=2)(Input(shape=(5, 5, 3)))
    with pytest.raises(ValueError, match=r"needs the channel axis of its input to be known\. Received shape "
                                         r"\(None, 5, 5, None\)"):
        Conv2D(4, 3)(Input(shape=(5, 5, None)))
    with pytest.raises(ValueError, match=r"output_padding to be smaller than its stride\. Received: "
                                         r"output_padding=2, strides=\(2, 2\)"):
        Conv2DTranspose(4, 3, strides=2, output_padding=2)


def test_output_shapes_with_unknown_sizes():
    assert Conv1D(4, 3, strides=2, padding="causal").compute_output_shape((None, None, 2)) == (None, None, 4)
    assert Conv1D(4, 3).compute_output_shape((None, 10, 2)) == (None, 8, 4)
    assert Conv2DTranspose(4, 3, strides=2).compute_output_shape((None, None, 5, 2)) == (None, None, 11, 4)
    assert Conv2DTranspose(4, 3, data_format="channels_first").compute_output_shape((None, 2, 5, None)) == (
        None, 4, 7, None)
    layer = Conv2DTranspose(2, 3, strides=2, padding="same")
    layer(Input(shape=(None, None, 3)))
    assert tuple(layer(torch.zeros(1, 3, 5, 3)).shape) == (1, 6, 10, 2)
