"""``keras.preprocessing.image``: ImageDataGenerator, flow/flow_from_directory iterators and image I/O."""
from ...preprocessing.image import *  # noqa: F401,F403
from ...preprocessing.image import __all__  # noqa: F401
