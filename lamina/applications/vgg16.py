"""VGG16 (Simonyan & Zisserman, 2015) with Keras's layer names: ``block1_conv1`` ... ``block5_pool``,
then ``flatten``, ``fc1``, ``fc2``, ``predictions``.

Pretrained weights: the Keras files (BGR 'caffe' inputs, :func:`preprocess_input`) or a
torchvision state dict (``vgg16-397923af.pth``; those weights expect torchvision's inputs,
``imagenet_utils.preprocess_input(x, mode='torch')``).
"""
from __future__ import annotations

from ..layers import Conv2D, Dense, Flatten, MaxPooling2D
from . import _builder, imagenet_utils
from .weights import KERAS_BASE, Architecture

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]

_FILES = {
    True: ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
    False: ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc"),
}


def vgg_torchvision_keys(model):
    """torchvision's VGG keys: each conv is ``features.<i>`` (conv, ReLU = 2 modules, a pool 1),
    the top ``classifier.0`` / ``.3`` / ``.6``."""
    mapping, i = {}, 0
    for layer in model.layers:
        if isinstance(layer, Conv2D):
            mapping[layer.name] = [(f"features.{i}.weight", "conv"), (f"features.{i}.bias", "vector")]
            i += 2
        elif isinstance(layer, MaxPooling2D):
            i += 1
    for name, idx, kind in (("fc1", 0, "dense_chw"), ("fc2", 3, "dense"), ("predictions", 6, "dense")):
        if any(layer.name == name for layer in model.layers):
            mapping[name] = [(f"classifier.{idx}.weight", kind), (f"classifier.{idx}.bias", "vector")]
    return mapping


ARCH = Architecture("VGG16", top_layers=("flatten", "fc1", "fc2", "predictions"), torchvision=vgg_torchvision_keys,
                    torchvision_top="classifier.")


def build_vgg(arch, convs_per_block, files, name, include_top, weights, input_tensor, input_shape, pooling,
              classes, classifier_activation):
    """The VGG family: blocks of 3x3 'same' convolutions + 2x2 max pooling, then two 4096 Dense layers."""
    classes = _builder.check_arguments(arch, weights, include_top, pooling, classes)
    x, inputs = _builder.image_input(arch, input_tensor, input_shape, include_top, weights)
    for block, (n, filters) in enumerate(zip(convs_per_block, (64, 128, 256, 512, 512)), start=1):
        for i in range(1, n + 1):
            x = Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
        x = MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
    x = _builder.top_or_pooling(arch, x, include_top, pooling, classes, classifier_activation, weights)
    fname, md5 = files[bool(include_top)]
    folder = arch.name.lower()
    return _builder.finish(arch, inputs, x, name, weights, include_top,
                           (fname, f"{KERAS_BASE}{folder}/{fname}", md5))


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """The VGG16 network, as ``keras.applications.VGG16``: 13 convolutions in 5 blocks (+ 3 Dense layers).

    Args:
        include_top: keep the 3 Dense layers of the classifier (default True; input 224x224 then).
        weights: None (random), 'imagenet' (default: from the cache ``$LAMINA_HOME/models``, downloaded
            once when online) or the path of a Keras ``.h5`` file or a torchvision ``.pth`` state dict.
        input_tensor: optional symbolic tensor (``lamina.Input(...)`` or a layer output) to start from.
        input_shape: (rows, cols, 3), at least 32x32; only for include_top=False unless weights=None.
        pooling: with include_top=False, None (4-D feature maps), 'avg' or 'max' (global pooling).
        classes: classes of the top (1000 with 'imagenet' weights).
        classifier_activation: activation of the top (default 'softmax'; None gives logits).
        name: the model's name (default 'vgg16').

    Returns:
        A functional ``Model`` (a ``torch.nn.Module``).

    Example:
        >>> conv_base = VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
        >>> conv_base.count_params()
        14714688
    """
    return build_vgg(ARCH, (2, 2, 3, 3, 3), _FILES, name, include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation)


def preprocess_input(x, data_format=None):
    """RGB [0, 255] -> BGR minus the ImageNet channel means ('caffe' mode), as VGG16 was trained."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction: ``[(class_id, name, score), ...]``."""
    return imagenet_utils.decode_predictions(preds, top=top)
