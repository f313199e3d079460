"""``keras.metrics``: lamina's metrics under their Keras names; ``'acc'`` works as in Keras 2."""
from ..metrics import *  # noqa: F401,F403
from ..metrics import __all__  # noqa: F401
