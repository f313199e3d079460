"""DenseNet (Huang et al., 2017) as in Keras: DenseNet121, DenseNet169 and DenseNet201. Each dense
block concatenates every layer's 32 new channels to its input; transition blocks halve the channels
(1x1 convolution) and the size (2x2 average pooling). Convolutions have no bias, BatchNormalization
epsilon is 1.001e-5. Layer names are Keras's (``conv1_conv``, ``conv2_block1_0_bn`` ...
``conv2_block1_concat``, ``pool2_conv``, ``pool2_pool`` ... ``bn``, ``relu``, ``avg_pool``, ``predictions``).

Pretrained weights: the Keras files (inputs scaled to [0, 1] and normalised per channel with the
ImageNet mean and standard deviation, 'torch' mode: :func:`preprocess_input`). As in Keras, only
channels_last data is supported.
"""
from __future__ import annotations

from .. import config as _config
from ..layers import (Activation, AveragePooling2D, BatchNormalization, Concatenate, Conv2D, MaxPooling2D,
                      ZeroPadding2D)
from . import _builder, imagenet_utils
from .weights import KERAS_BASE, Architecture

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input", "decode_predictions"]

_EPS = 1.001e-5
_HASHES = {  # (blocks, include_top) -> md5 of Keras's files
    (121, True): "9d60b8095a5708f2dcce2bca79d332c7", (121, False): "30ee3e1110167f948a6b9946edeeb738",
    (169, True): "d699b8f76981ab1b30698df4c175e90b", (169, False): "b8c4d4c20dd625c148057b9ff1c1176b",
    (201, True): "1ceb130c1ea1b78c3bf6114dbdfd8807", (201, False): "c13680b51ded0fb44dff2d8f86ac8bb1",
}
_BLOCKS = {121: (6, 12, 24, 16), 169: (6, 12, 32, 32), 201: (6, 12, 48, 32)}


def _arch(depth):
    return Architecture(f"DenseNet{depth}", top_layers=("avg_pool", "predictions"),
                        torchvision_refusal=f"torchvision's densenet{depth} names its layers differently "
                                            f"(features.denseblock1.denselayer1.norm1, ...) and uses "
                                            f"BatchNormalization epsilon 1e-5; lamina does not map it. Use the "
                                            f"Keras file densenet{depth}_weights_tf_dim_ordering_tf_kernels"
                                            f"(_notop).h5, or weights=None.")


def _conv_block(x, growth_rate, name):
    """BN -> ReLU -> 1x1 conv (4 x growth) -> BN -> ReLU -> 3x3 conv (growth), concatenated to the input."""
    x1 = BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_0_bn")(x)
    x1 = Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_1_bn")(x1)
    x1 = Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def _transition_block(x, reduction, name):
    x = BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_bn")(x)
    x = Activation("relu", name=f"{name}_relu")(x)
    x = Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def _densenet(depth, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation,
              name):
    arch = _arch(depth)
    if _config.image_data_format() == "channels_first":
        raise ValueError(f"{arch.name} supports only channels_last data, as in Keras. Received: "
                         f"lamina.config.image_data_format()='channels_first'. Call "
                         f"lamina.config.set_image_data_format('channels_last') before building it.")
    classes = _builder.check_arguments(arch, weights, include_top, pooling, classes)
    x, inputs = _builder.image_input(arch, input_tensor, input_shape, include_top, weights)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)))(x)
    x = Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = BatchNormalization(axis=3, epsilon=_EPS, name="conv1_bn")(x)
    x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    blocks = _BLOCKS[depth]
    for stage, n in enumerate(blocks, start=2):
        for i in range(1, n + 1):
            x = _conv_block(x, 32, name=f"conv{stage}_block{i}")
        if stage < 5:
            x = _transition_block(x, 0.5, name=f"pool{stage}")
    x = BatchNormalization(axis=3, epsilon=_EPS, name="bn")(x)
    x = Activation("relu", name="relu")(x)
    if include_top:
        from ..layers import GlobalAveragePooling2D
        x = GlobalAveragePooling2D(name="avg_pool")(x)
    x = _builder.top_or_pooling(arch, x, include_top, pooling, classes, classifier_activation, weights,
                                pool_names=("avg_pool", "max_pool"))
    fname = f"densenet{depth}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return _builder.finish(arch, inputs, x, name, weights, include_top,
                           (fname, f"{KERAS_BASE}densenet/{fname}", _HASHES[depth, bool(include_top)]))


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet121"):
    """The DenseNet121 network, as ``keras.applications.DenseNet121`` (8,062,504 parameters with the top).

    Args:
        include_top: whether to add the classifier (global average pooling + Dense) (default True).
        weights: None (random initialization), 'imagenet' (default: the Keras file, from lamina's cache
            or downloaded once) or the path of a Keras ``.h5`` weights file.
        input_tensor: optional symbolic tensor to build the network on.
        input_shape: (rows, cols, 3), at least 32x32 (default 224x224 with the top; any size without).
        pooling: None (the 4-D feature map), 'avg' or 'max', when include_top is False.
        classes: width of the top (default 1000; only 1000 with the imagenet top).
        classifier_activation: activation of the top (default 'softmax'; None gives logits).
        name: the model's name (default 'densenet121').

    Example:
        >>> base = DenseNet121(weights=None, include_top=False, input_shape=(64, 64, 3), pooling="avg")
    """
    return _densenet(121, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation,
                     name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet169"):
    """The DenseNet169 network, as ``keras.applications.DenseNet169`` (14,307,880 parameters with the top).

    Args: as :func:`DenseNet121` (default name 'densenet169').

    Example:
        >>> base = DenseNet169(weights=None, include_top=False, input_shape=(64, 64, 3), pooling="avg")
    """
    return _densenet(169, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation,
                     name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet201"):
    """The DenseNet201 network, as ``keras.applications.DenseNet201`` (20,242,984 parameters with the top).

    Args: as :func:`DenseNet121` (default name 'densenet201').

    Example:
        >>> base = DenseNet201(weights=None, include_top=False, input_shape=(64, 64, 3), pooling="avg")
    """
    return _densenet(201, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation,
                     name)


def preprocess_input(x, data_format=None):
    """RGB [0, 255] -> [0, 1], minus the ImageNet mean, over its standard deviation ('torch' mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction: ``[(class_id, name, score), ...]``."""
    return imagenet_utils.decode_predictions(preds, top=top)
