"""MobileNetV2 (Sandler et al., 2018) as in Keras: inverted residual blocks of 1x1 expansion,
3x3 DepthwiseConv2D and linear 1x1 projection, ReLU(6), TensorFlow's asymmetric padding before
stride-2 steps. Layer names are Keras's (``Conv1``, ``bn_Conv1``, ``expanded_conv_depthwise``,
``block_1_expand`` ... ``Conv_1``, ``out_relu``, ``predictions``).

Pretrained weights: the Keras files (inputs scaled to [-1, 1], :func:`preprocess_input`).
torchvision's mobilenet_v2 pads differently and is refused with an explanation.
"""
from __future__ import annotations

import warnings

from .. import config as _config
from ..layers import Add, BatchNormalization, Conv2D, DepthwiseConv2D, ReLU, ZeroPadding2D
from . import _builder, imagenet_utils
from .weights import KERAS_BASE, Architecture

__all__ = ["MobileNetV2", "preprocess_input", "decode_predictions"]

ARCH = Architecture(
    "MobileNetV2", top_layers=("global_average_pooling2d", "predictions"),
    torchvision_refusal="torchvision's mobilenet_v2 pads its stride-2 convolutions by one cell on every side "
                        "and uses BatchNormalization epsilon 1e-5, while Keras's MobileNetV2 pads like TensorFlow "
                        "(0 before, 1 after on even sizes) with epsilon 1e-3; its weights would compute a "
                        "different function here. Use the Keras file "
                        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224(_no_top).h5, or weights=None.")

_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
_SIZES = (96, 128, 160, 192, 224)


def _make_divisible(v, divisor=8, min_value=None):
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _inverted_res_block(x, expansion, stride, alpha, filters, block_id, channel_axis):
    in_channels = x.shape[channel_axis]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    inputs = x
    prefix = f"block_{block_id}_"
    bn = dict(axis=channel_axis, epsilon=1e-3, momentum=0.999)
    if block_id:
        x = Conv2D(expansion * in_channels, 1, padding="same", use_bias=False, name=f"{prefix}expand")(x)
        x = BatchNormalization(name=f"{prefix}expand_BN", **bn)(x)
        x = ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x.shape, 3), name=f"{prefix}pad")(x)
    x = DepthwiseConv2D(3, strides=stride, use_bias=False, padding="same" if stride == 1 else "valid",
                        name=f"{prefix}depthwise")(x)
    x = BatchNormalization(name=f"{prefix}depthwise_BN", **bn)(x)
    x = ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = Conv2D(pointwise_filters, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = BatchNormalization(name=f"{prefix}project_BN", **bn)(x)
    if in_channels == pointwise_filters and stride == 1:
        return Add(name=f"{prefix}add")([inputs, x])
    return x


# (filters, stride, expansion) of blocks 0..16
_BLOCKS = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
           (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6),
           (320, 1, 6)]


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", name=None):
    """The MobileNetV2 network, as ``keras.applications.MobileNetV2`` (3,538,984 parameters at alpha=1).

    Args:
        input_shape: (rows, cols, 3), at least 32x32 (default 224x224 with the top).
        alpha: width multiplier (default 1.0); pretrained weights exist for 0.35, 0.5, 0.75, 1.0, 1.3, 1.4.
        include_top, weights, input_tensor, pooling, classes, classifier_activation: as in
            :func:`lamina.applications.VGG16`.
        name: default ``mobilenetv2_<alpha>_<rows>``, as in Keras.

    Its BatchNormalization layers run in inference mode when frozen (``trainable=False``), as in Keras.

    Example:
        >>> base = MobileNetV2(input_shape=(96, 96, 3), include_top=False, weights=None, pooling="avg")
    """
    arch = ARCH
    classes = _builder.check_arguments(arch, weights, include_top, pooling, classes)
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        alpha = float("nan")
    if not alpha > 0:
        raise ValueError(f"MobileNetV2 expects alpha (the width multiplier) to be a positive number. "
                         f"Received: alpha={alpha!r}. The default is 1.0.")
    if weights == "imagenet" and alpha not in _ALPHAS:
        raise ValueError(f"MobileNetV2 has imagenet weights for alpha in {_ALPHAS}. Received: alpha={alpha}.")
    last = _config.image_data_format() == "channels_last"
    given = input_shape if input_shape is not None else (None if input_tensor is None or not hasattr(
        input_tensor, "shape") else input_tensor.shape[1:])
    default_size = 224
    if given is not None and len(given) == 3:
        r, c = given[:2] if last else given[1:]
        default_size = r if r == c and r in _SIZES else 224
    x, inputs = _builder.image_input(arch, input_tensor, input_shape, include_top, weights, default_size=default_size)
    rows, cols = (x.shape[1:3] if last else x.shape[2:4])
    if weights == "imagenet" and (rows != cols or rows not in _SIZES):
        warnings.warn(f"MobileNetV2: imagenet weights exist for square inputs of {_SIZES} pixels; input "
                      f"{rows}x{cols} gets the weights for 224x224.", stacklevel=2)
        rows = 224
    channel_axis = -1 if last else 1
    bn = dict(axis=channel_axis, epsilon=1e-3, momentum=0.999)
    x = Conv2D(_make_divisible(32 * alpha, 8), 3, strides=(2, 2), padding="same", use_bias=False, name="Conv1")(x)
    x = BatchNormalization(name="bn_Conv1", **bn)(x)
    x = ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id, channel_axis)
    last_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = Conv2D(last_filters, 1, use_bias=False, name="Conv_1")(x)
    x = BatchNormalization(name="Conv_1_bn", **bn)(x)
    x = ReLU(6.0, name="out_relu")(x)
    if include_top:
        from ..layers import GlobalAveragePooling2D
        x = GlobalAveragePooling2D()(x)
    x = _builder.top_or_pooling(arch, x, include_top, pooling, classes, classifier_activation, weights)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    fname = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{rows}"
             f"{'' if include_top else '_no_top'}.h5")
    return _builder.finish(arch, inputs, x, name, weights, include_top,
                           (fname, f"{KERAS_BASE}mobilenet_v2/{fname}", None))


def preprocess_input(x, data_format=None):
    """RGB [0, 255] -> [-1, 1] ('tf' mode), as MobileNetV2 was trained."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction: ``[(class_id, name, score), ...]``."""
    return imagenet_utils.decode_predictions(preds, top=top)
