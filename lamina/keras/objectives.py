"""``keras.objectives`` (Keras 1): the old name of ``keras.losses``, with the same functions."""
from .losses import *  # noqa: F401,F403
from .losses import __all__  # noqa: F401
