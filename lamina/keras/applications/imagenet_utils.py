"""``keras.applications.imagenet_utils``: lamina.applications.imagenet_utils (the model, preprocess_input, decode_predictions)."""
from ...applications.imagenet_utils import *  # noqa: F401,F403
from ...applications.imagenet_utils import __all__  # noqa: F401
