"""DepthwiseConv2D / SeparableConv2D: the layer contract, plain torch.nn.functional, TensorFlow's
'same' rule and (when installed) Keras itself given the same weights."""
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from contract import run_layer_test
from lamina import Sequential
from lamina import layers as L


def _tf_pads(n, k, s, d=1):
    """TensorFlow 'same' padding, written out independently of the library."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def _ref_depthwise(x_nhwc, kernel, bias, stride=1, pads=((0, 0), (0, 0)), dilation=1):
    """Depthwise convolution from the Keras-layout kernel (kh, kw, in, dm), one channel at a time."""
    kh, kw, cin, dm = kernel.shape
    x = F.pad(x_nhwc.permute(0, 3, 1, 2), (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
    outs = []
    for c in range(cin):
        for m in range(dm):
            w = torch.as_tensor(kernel[:, :, c, m]).reshape(1, 1, kh, kw)
            outs.append(F.conv2d(x[:, c:c + 1], w, stride=stride, dilation=dilation))
    y = torch.cat(outs, 1)
    if bias is not None:
        y = y + torch.as_tensor(bias).reshape(1, -1, 1, 1)
    return y.permute(0, 2, 3, 1)


CASES = [
    ("depthwise", lambda: L.DepthwiseConv2D(3), (2, 6, 6, 3), (None, 4, 4, 3), 30, (2, 0)),
    ("depthwise_multiplier_same_stride", lambda: L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2,
                                                                   use_bias=False),
     (2, 7, 8, 3), (None, 4, 4, 6), 54, (1, 0)),
    ("depthwise_cf_dilated", lambda: L.DepthwiseConv2D(2, dilation_rate=2, data_format="channels_first",
                                                       depthwise_regularizer="l2", activation="relu"),
     (2, 3, 6, 6), (None, 3, 4, 4), 15, (2, 0)),
    ("separable", lambda: L.SeparableConv2D(4, 3, padding="same"), (2, 5, 5, 3), (None, 5, 5, 4), 27 + 12 + 4,
     (3, 0)),
    ("separable_multiplier_stride_cf", lambda: L.SeparableConv2D(5, (3, 2), strides=2, depth_multiplier=2,
                                                                 data_format="channels_first", use_bias=False,
                                                                 pointwise_regularizer="l1"),
     (2, 2, 7, 7), (None, 5, 3, 3), 24 + 20, (2, 0)),
]


@pytest.mark.parametrize("factory,input_shape,out_shape,params,counts", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_depthwise_layer_contract(factory, input_shape, out_shape, params, counts):
    run_layer_test(factory, input_shape, expected_output_shape=out_shape, expected_num_params=params,
                   expected_num_trainable_weights=counts[0], expected_num_non_trainable_weights=counts[1])


def test_depthwise_kernel_layout_and_values_match_per_channel_convolution():
    layer = L.DepthwiseConv2D(3, depth_multiplier=2, bias_initializer="glorot_uniform")
    x = torch.randn(2, 6, 7, 3)
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 3, 2) and bias.shape == (6,)  # Keras layout (kh, kw, in, depth_multiplier)
    torch.testing.assert_close(y, _ref_depthwise(x, kernel, bias))


@pytest.mark.parametrize("n,k", [(8, 3), (9, 3), (8, 4), (7, 2)])
def test_depthwise_same_padding_stride2_matches_tensorflow_rule(n, k):
    layer = L.DepthwiseConv2D(k, strides=2, padding="same")
    x = torch.randn(1, n, n + 1, 2)
    y = layer(x)
    kernel, bias = layer.get_weights()
    ref = _ref_depthwise(x, kernel, bias, stride=2, pads=(_tf_pads(n, k, 2), _tf_pads(n + 1, k, 2)))
    assert y.shape == ref.shape == (1, -(-n // 2), -(-(n + 1) // 2), 2)
    torch.testing.assert_close(y, ref)


def test_separable_is_depthwise_then_pointwise():
    layer = L.SeparableConv2D(4, 3, padding="same", depth_multiplier=2, activation="relu",
                              bias_initializer="ones")
    x = torch.randn(2, 5, 6, 3)
    y = layer(x)
    dw, pw, b = layer.get_weights()
    assert dw.shape == (3, 3, 3, 2) and pw.shape == (1, 1, 6, 4) and b.shape == (4,)
    mid = _ref_depthwise(x, dw, None, pads=((1, 1), (1, 1)))
    ref = torch.relu(mid @ torch.as_tensor(pw[0, 0]) + torch.as_tensor(b))
    torch.testing.assert_close(y, ref, rtol=1e-5, atol=1e-5)


def test_depthwise_in_a_model_trains_and_reports_params():
    model = Sequential([L.DepthwiseConv2D(3, input_shape=(8, 8, 4)), L.SeparableConv2D(6, 3),
                        L.GlobalAveragePooling2D(), L.Dense(2)])
    assert [layer.count_params() for layer in model.layers] == [3 * 3 * 4 + 4, 36 + 24 + 6, 0, 14]
    model.compile("sgd", "mse")
    x, y = np.random.rand(8, 8, 8, 4).astype("float32"), np.random.rand(8, 2).astype("float32")
    before = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_depthwise_argument_and_shape_errors():
    with pytest.raises(ValueError, match=r"DepthwiseConv2D expects depth_multiplier to be a positive int\. "
                                         r"Received: depth_multiplier=0"):
        L.DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match=r"SeparableConv2D expects filters to be a positive int"):
        L.SeparableConv2D(0, 3)
    with pytest.raises(ValueError, match=r"expects padding to be one of 'valid', 'same'"):
        L.DepthwiseConv2D(3, padding="causal")
    with pytest.raises(ValueError, match=r"Layer 'dw' \(DepthwiseConv2D\) has kernel_size \(5, 5\) and "
                                         r"padding='valid', which needs at least 5 rows; its input has rows=4"):
        L.DepthwiseConv2D(5, name="dw")(torch.zeros(1, 4, 4, 2))
    with pytest.raises(ValueError, match=r"\(DepthwiseConv2D\) expects 4-D input \(batch, rows, cols, channels\)"):
        L.DepthwiseConv2D(3)(torch.zeros(2, 16))


@pytest.mark.parametrize("kind", ["depthwise", "separable"])
def test_matches_keras_given_the_same_weights(kind):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("needs keras on the torch backend")
    if kind == "depthwise":
        args = dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2)
        ours, theirs = L.DepthwiseConv2D(**args), keras.layers.DepthwiseConv2D(**args)
    else:
        args = dict(filters=5, kernel_size=3, strides=2, padding="same", depth_multiplier=2)
        ours, theirs = L.SeparableConv2D(**args), keras.layers.SeparableConv2D(**args)
    x = np.random.rand(2, 8, 9, 3).astype("float32")
    y = ours(x)
    theirs.build(x.shape)
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in ours.get_weights()]
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(y.detach().numpy(), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-5)
