"""Pretrained networks with Keras's layer names and parameter counts: ``keras.applications`` on torch.

``VGG16``, ``VGG19``, ``ResNet50``, ``MobileNetV2``, ``InceptionV3``, ``Xception`` and
``DenseNet121``/``169``/``201`` build functional models (each a
``torch.nn.Module``) and load ImageNet weights from Keras's ``.h5`` files or, for VGG,
torchvision's state dicts. Each family's module has its ``preprocess_input`` and
``decode_predictions``: ``from lamina.applications.vgg16 import preprocess_input``.

Example (Deep Learning with Python's feature extraction):
    >>> from lamina.applications import VGG16
    >>> conv_base = VGG16(weights="imagenet", include_top=False, input_shape=(150, 150, 3))
"""
from . import densenet, imagenet_utils, inception_v3, mobilenet_v2, resnet50, vgg16, vgg19, xception
from .densenet import DenseNet121, DenseNet169, DenseNet201
from .inception_v3 import InceptionV3
from .mobilenet_v2 import MobileNetV2
from .resnet50 import ResNet50
from .vgg16 import VGG16
from .vgg19 import VGG19
from .xception import Xception

resnet = resnet50  # keras.applications.resnet holds ResNet50 too

__all__ = ["VGG16", "VGG19", "ResNet50", "MobileNetV2", "InceptionV3", "Xception", "DenseNet121", "DenseNet169",
           "DenseNet201", "vgg16", "vgg19", "resnet50", "resnet", "mobilenet_v2", "inception_v3", "xception",
           "densenet", "imagenet_utils"]
