"""``keras.applications.mobilenet_v2``: lamina.applications.mobilenet_v2 (the model, preprocess_input, decode_predictions)."""
from ...applications.mobilenet_v2 import *  # noqa: F401,F403
from ...applications.mobilenet_v2 import __all__  # noqa: F401
