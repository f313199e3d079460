"""``keras.activations``: lamina's activation functions under their Keras names."""
from ..activations import *  # noqa: F401,F403
from ..activations import __all__  # noqa: F401
