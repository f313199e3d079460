"""Xception (Chollet, 2017) as in Keras: an entry flow of convolutions and SeparableConv2D blocks
with strided 1x1 residual shortcuts, eight middle-flow blocks of three 728-wide separable
convolutions, and an exit flow to 2048 channels. Layer names are Keras's (``block1_conv1``,
``block2_sepconv1``, ``block2_sepconv1_bn``, ``block2_pool`` ... ``block14_sepconv2_act``, ``avg_pool``,
``predictions``); the residual shortcuts and the additions keep Keras's auto-names (``conv2d``,
``batch_normalization``, ``add``).

Pretrained weights: the Keras files (inputs scaled to [-1, 1], :func:`preprocess_input`).
"""
from __future__ import annotations

from .. import config as _config
from ..layers import Activation, Add, BatchNormalization, Conv2D, MaxPooling2D, SeparableConv2D
from . import _builder, imagenet_utils
from .weights import KERAS_BASE, Architecture

__all__ = ["Xception", "preprocess_input", "decode_predictions"]

_FILES = {
    True: ("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
    False: ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97"),
}

ARCH = Architecture("Xception", top_layers=("avg_pool", "predictions"), auto_named=True,
                    torchvision_refusal="torchvision has no Xception. Use the Keras file "
                                        "xception_weights_tf_dim_ordering_tf_kernels(_notop).h5, or weights=None.")


def _sep_bn(x, filters, axis, name, relu_first):
    if relu_first:
        x = Activation("relu", name=f"{name}_act")(x)
    x = SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return BatchNormalization(axis=axis, name=f"{name}_bn")(x)


def _shortcut(x, filters, axis):
    """The strided 1x1 projection of the residual, auto-named as in Keras."""
    residual = Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return BatchNormalization(axis=axis)(residual)


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="xception"):
    """The Xception network, as ``keras.applications.Xception`` (22,910,480 parameters with the top).

    Args:
        include_top, weights, input_tensor, pooling, classes, classifier_activation: as in
            :func:`lamina.applications.InceptionV3`.
        input_shape: (rows, cols, 3), at least 71x71 (default 299x299 with the top; any size without).
        name: the model's name (default 'xception').

    Example:
        >>> base = Xception(weights=None, include_top=False, input_shape=(71, 71, 3), pooling="avg")
    """
    arch = ARCH
    classes = _builder.check_arguments(arch, weights, include_top, pooling, classes)
    x, inputs = _builder.image_input(arch, input_tensor, input_shape, include_top, weights, default_size=299,
                                     min_size=71)
    axis = 1 if _config.image_data_format() == "channels_first" else -1
    x = Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(x)
    x = BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = Activation("relu", name="block1_conv1_act")(x)
    x = Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = Activation("relu", name="block1_conv2_act")(x)
    # entry flow: the first separable convolution of block 2 has no ReLU before it
    residual = _shortcut(x, 128, axis)
    x = _sep_bn(x, 128, axis, "block2_sepconv1", False)
    x = _sep_bn(x, 128, axis, "block2_sepconv2", True)
    x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block2_pool")(x)
    x = Add()([x, residual])
    for block, filters in ((3, 256), (4, 728)):
        residual = _shortcut(x, filters, axis)
        x = _sep_bn(x, filters, axis, f"block{block}_sepconv1", True)
        x = _sep_bn(x, filters, axis, f"block{block}_sepconv2", True)
        x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
        x = Add()([x, residual])
    # middle flow
    for block in range(5, 13):
        residual = x
        for i in (1, 2, 3):
            x = _sep_bn(x, 728, axis, f"block{block}_sepconv{i}", True)
        x = Add()([x, residual])
    # exit flow
    residual = _shortcut(x, 1024, axis)
    x = _sep_bn(x, 728, axis, "block13_sepconv1", True)
    x = _sep_bn(x, 1024, axis, "block13_sepconv2", True)
    x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block13_pool")(x)
    x = Add()([x, residual])
    for i, filters in ((1, 1536), (2, 2048)):
        x = _sep_bn(x, filters, axis, f"block14_sepconv{i}", False)
        x = Activation("relu", name=f"block14_sepconv{i}_act")(x)
    if include_top:
        from ..layers import GlobalAveragePooling2D
        x = GlobalAveragePooling2D(name="avg_pool")(x)
    x = _builder.top_or_pooling(arch, x, include_top, pooling, classes, classifier_activation, weights)
    fname, md5 = _FILES[bool(include_top)]
    return _builder.finish(arch, inputs, x, name, weights, include_top,
                           (fname, f"{KERAS_BASE}xception/{fname}", md5))


def preprocess_input(x, data_format=None):
    """RGB [0, 255] -> [-1, 1] ('tf' mode), as Xception was trained."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction: ``[(class_id, name, score), ...]``."""
    return imagenet_utils.decode_predictions(preds, top=top)
