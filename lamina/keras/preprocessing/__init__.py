"""``keras.preprocessing``: ``image`` (ImageDataGenerator, load_img, img_to_array, ...), ``sequence``
(pad_sequences, TimeseriesGenerator, ...) and ``text`` (Tokenizer, ...)."""
import importlib

__all__ = ["image", "sequence", "text"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'keras.preprocessing' has no attribute {name!r}. It provides: "
                         f"{', '.join(__all__)}.")
