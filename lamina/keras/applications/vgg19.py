"""``keras.applications.vgg19``: lamina.applications.vgg19 (the model, preprocess_input, decode_predictions)."""
from ...applications.vgg19 import *  # noqa: F401,F403
from ...applications.vgg19 import __all__  # noqa: F401
