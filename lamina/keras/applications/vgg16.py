"""``keras.applications.vgg16``: lamina.applications.vgg16 (the model, preprocess_input, decode_predictions)."""
from ...applications.vgg16 import *  # noqa: F401,F403
from ...applications.vgg16 import __all__  # noqa: F401
