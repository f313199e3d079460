"""``keras.applications.resnet50``: lamina.applications.resnet50 (the model, preprocess_input, decode_predictions)."""
from ...applications.resnet50 import *  # noqa: F401,F403
from ...applications.resnet50 import __all__  # noqa: F401
