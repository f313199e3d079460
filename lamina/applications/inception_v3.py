"""InceptionV3 (Szegedy et al., 2015) as in Keras: a stem of 3x3 convolutions, then the inception
modules ``mixed0`` ... ``mixed10`` of parallel 1x1, 3x3, 5x5 (as two 3x3), factorised 1x7/7x1 and
pooled branches joined by Concatenate. Every convolution has no bias and is followed by a
BatchNormalization without scale (``scale=False``) and a ReLU. Layer names are Keras's auto-names
(``conv2d``, ``batch_normalization``, ``activation``, ``average_pooling2d``, ...), the module outputs
``mixed0`` ... ``mixed10`` (``mixed9_0``, ``mixed9_1`` inside the last two), ``avg_pool``, ``predictions``.

Pretrained weights: the Keras files (inputs scaled to [-1, 1], :func:`preprocess_input`).
"""
from __future__ import annotations

from .. import config as _config
from ..layers import Activation, AveragePooling2D, BatchNormalization, Concatenate, Conv2D, MaxPooling2D
from . import _builder, imagenet_utils
from .weights import KERAS_BASE, Architecture

__all__ = ["InceptionV3", "preprocess_input", "decode_predictions"]

_FILES = {
    True: ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
    False: ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63"),
}

ARCH = Architecture("InceptionV3", top_layers=("avg_pool", "predictions"), auto_named=True,
                    torchvision_refusal="torchvision's inception_v3 has BatchNormalization layers with a "
                                        "learned scale (Keras's have scale=False), an auxiliary classifier and "
                                        "its own layer names; lamina does not map it. Use the Keras file "
                                        "inception_v3_weights_tf_dim_ordering_tf_kernels(_notop).h5, or "
                                        "weights=None.")


def _conv_bn(x, filters, rows, cols, bn_axis, padding="same", strides=(1, 1)):
    """Conv2D without bias -> BatchNormalization(scale=False) -> ReLU, all auto-named as in Keras."""
    x = Conv2D(filters, (rows, cols), strides=strides, padding=padding, use_bias=False)(x)
    x = BatchNormalization(axis=bn_axis, scale=False)(x)
    return Activation("relu")(x)


def _pool_branch(x, filters, bn_axis):
    x = AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return _conv_bn(x, filters, 1, 1, bn_axis)


def _module_a(x, pool_filters, bn_axis, name):
    """35x35 module: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg pool -> 1x1."""
    b1 = _conv_bn(x, 64, 1, 1, bn_axis)
    b5 = _conv_bn(_conv_bn(x, 48, 1, 1, bn_axis), 64, 5, 5, bn_axis)
    b3 = _conv_bn(_conv_bn(_conv_bn(x, 64, 1, 1, bn_axis), 96, 3, 3, bn_axis), 96, 3, 3, bn_axis)
    bp = _pool_branch(x, pool_filters, bn_axis)
    return Concatenate(axis=bn_axis, name=name)([b1, b5, b3, bp])


def _module_c(x, width, bn_axis, name):
    """17x17 module with factorised 7x7 convolutions (1x7 then 7x1) of ``width`` filters."""
    b1 = _conv_bn(x, 192, 1, 1, bn_axis)
    b7 = _conv_bn(x, width, 1, 1, bn_axis)
    b7 = _conv_bn(b7, width, 1, 7, bn_axis)
    b7 = _conv_bn(b7, 192, 7, 1, bn_axis)
    bd = _conv_bn(x, width, 1, 1, bn_axis)
    for filters, rows, cols in ((width, 7, 1), (width, 1, 7), (width, 7, 1), (192, 1, 7)):
        bd = _conv_bn(bd, filters, rows, cols, bn_axis)
    bp = _pool_branch(x, 192, bn_axis)
    return Concatenate(axis=bn_axis, name=name)([b1, b7, bd, bp])


def _module_e(x, bn_axis, i):
    """8x8 module whose 3x3 branches split into parallel 1x3 and 3x1 convolutions."""
    b1 = _conv_bn(x, 320, 1, 1, bn_axis)
    b3 = _conv_bn(x, 384, 1, 1, bn_axis)
    b3 = Concatenate(axis=bn_axis, name=f"mixed9_{i}")(
        [_conv_bn(b3, 384, 1, 3, bn_axis), _conv_bn(b3, 384, 3, 1, bn_axis)])
    bd = _conv_bn(_conv_bn(x, 448, 1, 1, bn_axis), 384, 3, 3, bn_axis)
    bd = Concatenate(axis=bn_axis)([_conv_bn(bd, 384, 1, 3, bn_axis), _conv_bn(bd, 384, 3, 1, bn_axis)])
    bp = _pool_branch(x, 192, bn_axis)
    return Concatenate(axis=bn_axis, name=f"mixed{9 + i}")([b1, b3, bd, bp])


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="inception_v3"):
    """The InceptionV3 network, as ``keras.applications.InceptionV3`` (23,851,784 parameters with the top).

    Args:
        include_top: whether to add the classifier (global average pooling + Dense) (default True).
        weights: None (random initialization), 'imagenet' (default: the Keras file, from lamina's cache
            or downloaded once) or the path of a Keras ``.h5`` weights file.
        input_tensor: optional symbolic tensor to build the network on.
        input_shape: (rows, cols, 3), at least 75x75 (default 299x299 with the top; any size without).
        pooling: None (the 4-D feature map), 'avg' or 'max', when include_top is False.
        classes: width of the top (default 1000; only 1000 with the imagenet top).
        classifier_activation: activation of the top (default 'softmax'; None gives logits).
        name: the model's name (default 'inception_v3').

    Example:
        >>> base = InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3), pooling="avg")
    """
    arch = ARCH
    classes = _builder.check_arguments(arch, weights, include_top, pooling, classes)
    x, inputs = _builder.image_input(arch, input_tensor, input_shape, include_top, weights, default_size=299,
                                     min_size=75)
    bn_axis = 3 if _config.image_data_format() == "channels_last" else 1
    x = _conv_bn(x, 32, 3, 3, bn_axis, strides=(2, 2), padding="valid")
    x = _conv_bn(x, 32, 3, 3, bn_axis, padding="valid")
    x = _conv_bn(x, 64, 3, 3, bn_axis)
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _conv_bn(x, 80, 1, 1, bn_axis, padding="valid")
    x = _conv_bn(x, 192, 3, 3, bn_axis, padding="valid")
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _module_a(x, 32, bn_axis, "mixed0")
    x = _module_a(x, 64, bn_axis, "mixed1")
    x = _module_a(x, 64, bn_axis, "mixed2")
    # 35x35 -> 17x17
    b3 = _conv_bn(x, 384, 3, 3, bn_axis, strides=(2, 2), padding="valid")
    bd = _conv_bn(_conv_bn(x, 64, 1, 1, bn_axis), 96, 3, 3, bn_axis)
    bd = _conv_bn(bd, 96, 3, 3, bn_axis, strides=(2, 2), padding="valid")
    bp = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = Concatenate(axis=bn_axis, name="mixed3")([b3, bd, bp])
    for i, width in enumerate((128, 160, 160, 192)):
        x = _module_c(x, width, bn_axis, f"mixed{4 + i}")
    # 17x17 -> 8x8
    b3 = _conv_bn(_conv_bn(x, 192, 1, 1, bn_axis), 320, 3, 3, bn_axis, strides=(2, 2), padding="valid")
    b7 = _conv_bn(x, 192, 1, 1, bn_axis)
    b7 = _conv_bn(b7, 192, 1, 7, bn_axis)
    b7 = _conv_bn(b7, 192, 7, 1, bn_axis)
    b7 = _conv_bn(b7, 192, 3, 3, bn_axis, strides=(2, 2), padding="valid")
    bp = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = Concatenate(axis=bn_axis, name="mixed8")([b3, b7, bp])
    for i in range(2):
        x = _module_e(x, bn_axis, i)
    if include_top:
        from ..layers import GlobalAveragePooling2D
        x = GlobalAveragePooling2D(name="avg_pool")(x)
    x = _builder.top_or_pooling(arch, x, include_top, pooling, classes, classifier_activation, weights)
    fname, md5 = _FILES[bool(include_top)]
    return _builder.finish(arch, inputs, x, name, weights, include_top,
                           (fname, f"{KERAS_BASE}inception_v3/{fname}", md5))


def preprocess_input(x, data_format=None):
    """RGB [0, 255] -> [-1, 1] ('tf' mode), as InceptionV3 was trained."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction: ``[(class_id, name, score), ...]``."""
    return imagenet_utils.decode_predictions(preds, top=top)
