"""ResNet50 (He et al., 2015), version 1 as in Keras: the stride-2 step is the first 1x1 convolution
of a stage, convolutions have biases, BatchNormalization epsilon is 1.001e-5. Layer names are
Keras's (``conv1_conv``, ``conv2_block1_0_conv`` ... ``conv5_block3_out``, ``avg_pool``, ``predictions``).

Pretrained weights: the Keras files ('caffe' inputs, :func:`preprocess_input`). torchvision's
resnet50 is another network (ResNet v1.5) and is refused with an explanation.
"""
from __future__ import annotations

from .. import config as _config
from ..layers import Activation, Add, BatchNormalization, Conv2D, MaxPooling2D, ZeroPadding2D
from . import _builder, imagenet_utils
from .weights import KERAS_BASE, Architecture

__all__ = ["ResNet50", "preprocess_input", "decode_predictions"]

_FILES = {
    True: ("resnet50_weights_tf_dim_ordering_tf_kernels.h5", "2cb95161c43110f7111970584f804107"),
    False: ("resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "4d473c1dd8becc155b73f8504c6f6626"),
}

ARCH = Architecture(
    "ResNet50", top_layers=("avg_pool", "predictions"),
    torchvision_refusal="torchvision's resnet50 is ResNet v1.5 (the stride-2 step in the 3x3 convolution, "
                        "convolutions without biases, BatchNormalization epsilon 1e-5), while Keras's ResNet50 "
                        "is v1; its weights would compute a different function here. Use the Keras file "
                        "resnet50_weights_tf_dim_ordering_tf_kernels(_notop).h5, or weights=None.")

_EPS = 1.001e-5


def _block(x, filters, bn_axis, stride=1, conv_shortcut=True, name=""):
    """A bottleneck residual block: 1x1 (stride) -> 3x3 -> 1x1 (x4 filters), plus the shortcut."""
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = BatchNormalization(axis=bn_axis, epsilon=_EPS, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=_EPS, name=f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=_EPS, name=f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=_EPS, name=f"{name}_3_bn")(x)
    x = Add(name=f"{name}_add")([shortcut, x])
    return Activation("relu", name=f"{name}_out")(x)


def _stack(x, filters, blocks, bn_axis, stride1=2, name=""):
    x = _block(x, filters, bn_axis, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = _block(x, filters, bn_axis, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet50"):
    """The ResNet50 network, as ``keras.applications.ResNet50`` (25,636,712 parameters with the top).

    Args: as :func:`lamina.applications.VGG16` (inputs at least 32x32; default name 'resnet50').
    Its BatchNormalization layers run in inference mode when frozen (``trainable=False``), as in Keras.

    Example:
        >>> base = ResNet50(weights=None, include_top=False, input_shape=(64, 64, 3), pooling="avg")
    """
    arch = ARCH
    classes = _builder.check_arguments(arch, weights, include_top, pooling, classes)
    x, inputs = _builder.image_input(arch, input_tensor, input_shape, include_top, weights)
    bn_axis = 3 if _config.image_data_format() == "channels_last" else 1
    x = ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(x)
    x = Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=_EPS, name="conv1_bn")(x)
    x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = _stack(x, 64, 3, bn_axis, stride1=1, name="conv2")
    x = _stack(x, 128, 4, bn_axis, name="conv3")
    x = _stack(x, 256, 6, bn_axis, name="conv4")
    x = _stack(x, 512, 3, bn_axis, name="conv5")
    if include_top:
        from ..layers import GlobalAveragePooling2D
        x = GlobalAveragePooling2D(name="avg_pool")(x)
    x = _builder.top_or_pooling(arch, x, include_top, pooling, classes, classifier_activation, weights,
                                pool_names=("avg_pool", "max_pool"))
    fname, md5 = _FILES[bool(include_top)]
    return _builder.finish(arch, inputs, x, name, weights, include_top,
                           (fname, f"{KERAS_BASE}resnet/{fname}", md5))


def preprocess_input(x, data_format=None):
    """RGB [0, 255] -> BGR minus the ImageNet channel means ('caffe' mode), as ResNet50 was trained."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction: ``[(class_id, name, score), ...]``."""
    return imagenet_utils.decode_predictions(preds, top=top)
