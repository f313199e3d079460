"""``keras.losses``: lamina's losses under their Keras names (``categorical_crossentropy``, ``mse``, ...),
plus Keras 2's ``cosine_proximity`` (= ``cosine_similarity``: ``-sum(l2_normalize(y_true) * l2_normalize(y_pred))``).

The functions take real tensors (or arrays) and return one value per sample, as in Keras:
``keras.losses.binary_crossentropy(y_true, y_pred)`` inside a custom layer's ``call``.
"""
from ..losses import *  # noqa: F401,F403
from ..losses import __all__ as _all
from ..losses import cosine_similarity

cosine_proximity = cosine = cosine_similarity  # Keras 2 names

__all__ = [*_all, "cosine_proximity", "cosine"]
