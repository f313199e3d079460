"""``keras.preprocessing``: ``image`` (ImageDataGenerator, load_img, img_to_array, ...)."""
import importlib

from ...compat import LegacyNameError

__all__ = ["image"]


def __getattr__(name):
    if name == "image":
        return importlib.import_module(".image", __name__)
    if name in ("text", "sequence"):
        raise LegacyNameError(f"keras.preprocessing.{name}: lamina covers images and has no text or sequence "
                              f"preprocessing. Tokenize with a text library and pad with numpy.")
    raise AttributeError(f"module 'keras.preprocessing' has no attribute {name!r}. It provides: image.")
