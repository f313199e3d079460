"""``keras.applications.inception_v3``: lamina.applications.inception_v3 (the model, preprocess_input, decode_predictions)."""
from ...applications.inception_v3 import *  # noqa: F401,F403
from ...applications.inception_v3 import __all__  # noqa: F401
