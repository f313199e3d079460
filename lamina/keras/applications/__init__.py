"""``keras.applications``: VGG16, VGG19, ResNet50, MobileNetV2, InceptionV3, Xception, DenseNet121/169/201
(from :mod:`lamina.applications`), and the ``keras.applications.vgg16`` style submodules with
``preprocess_input`` / ``decode_predictions``."""
import importlib
import importlib.util

from ...compat import LegacyNameError

_SUBMODULES = ("vgg16", "vgg19", "resnet50", "resnet", "mobilenet_v2", "inception_v3", "xception", "densenet",
               "imagenet_utils")


def _lamina_applications():
    if importlib.util.find_spec("lamina.applications") is None:
        raise LegacyNameError("keras.applications: lamina.applications is not part of this installation.")
    return importlib.import_module("lamina.applications")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    apps = _lamina_applications()
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    if hasattr(apps, name):
        value = getattr(apps, name)
        globals()[name] = value
        return value
    raise LegacyNameError(f"keras.applications.{name}: lamina provides "
                          f"{', '.join(getattr(apps, '__all__', _SUBMODULES))}.")


def __dir__():
    try:
        return sorted(set(getattr(_lamina_applications(), "__all__", ())) | set(_SUBMODULES))
    except ImportError:
        return list(_SUBMODULES)
