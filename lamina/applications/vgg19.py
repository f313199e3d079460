"""VGG19 with Keras's layer names (``block1_conv1`` ... ``block5_conv4``, ``fc1``, ``fc2``, ``predictions``).

Pretrained weights: the Keras files or a torchvision state dict (``vgg19-dcbb9e9d.pth``), as for VGG16.
"""
from __future__ import annotations

from . import imagenet_utils
from .vgg16 import build_vgg, vgg_torchvision_keys
from .weights import Architecture

__all__ = ["VGG19", "preprocess_input", "decode_predictions"]

_FILES = {
    True: ("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
    False: ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6"),
}

ARCH = Architecture("VGG19", top_layers=("flatten", "fc1", "fc2", "predictions"), torchvision=vgg_torchvision_keys,
                    torchvision_top="classifier.")


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    """The VGG19 network, as ``keras.applications.VGG19``: 16 convolutions in 5 blocks (+ 3 Dense layers).

    Args: as :func:`lamina.applications.VGG16` (default name 'vgg19').

    Example:
        >>> model = VGG19(weights=None, include_top=False, input_shape=(64, 64, 3), pooling="avg")
    """
    return build_vgg(ARCH, (2, 2, 4, 4, 4), _FILES, name, include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation)


def preprocess_input(x, data_format=None):
    """RGB [0, 255] -> BGR minus the ImageNet channel means ('caffe' mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction: ``[(class_id, name, score), ...]``."""
    return imagenet_utils.decode_predictions(preds, top=top)
