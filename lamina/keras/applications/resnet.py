"""``keras.applications.resnet``: ResNet50 with its preprocess_input and decode_predictions."""
from ...applications.resnet50 import *  # noqa: F401,F403
from ...applications.resnet50 import __all__  # noqa: F401
