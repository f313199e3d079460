"""``keras.applications.densenet``: lamina.applications.densenet (the model, preprocess_input, decode_predictions)."""
from ...applications.densenet import *  # noqa: F401,F403
from ...applications.densenet import __all__  # noqa: F401
