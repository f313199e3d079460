"""``keras.losses``: lamina's losses under their Keras names (``categorical_crossentropy``, ``mse``, ...)."""
from ..losses import *  # noqa: F401,F403
from ..losses import __all__  # noqa: F401
