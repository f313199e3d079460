"""``keras.preprocessing`` on torch: ``lamina.preprocessing.image`` (ImageDataGenerator and image files)."""
from . import image
from .image import ImageDataGenerator

__all__ = ["image", "ImageDataGenerator"]
