"""``keras.applications.xception``: lamina.applications.xception (the model, preprocess_input, decode_predictions)."""
from ...applications.xception import *  # noqa: F401,F403
from ...applications.xception import __all__  # noqa: F401
