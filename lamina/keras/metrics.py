"""``keras.metrics``: lamina's metrics under their Keras names; ``'acc'`` works as in Keras 2.

As in Keras 2, the module also holds the function forms of the losses (``keras.metrics.mse``,
``binary_crossentropy``, ``categorical_crossentropy``, ``cosine_proximity``, ...), so classic code
such as ``original_dim * metrics.binary_crossentropy(x, x_decoded)`` in a VAE runs on real tensors.
"""
from ..metrics import *  # noqa: F401,F403
from ..metrics import __all__ as _all
from ..losses import (MAE, MAPE, MSE, MSLE, KLD, binary_crossentropy, categorical_crossentropy,  # noqa: F401
                      hinge, kld, kullback_leibler_divergence, logcosh, mae, mape,
                     mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                     mean_squared_logarithmic_error, mse, msle, poisson, sparse_categorical_crossentropy,
                     squared_hinge)
from .losses import cosine, cosine_proximity  # noqa: F401 - Keras 2 names

__all__ = [*_all, "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "hinge", "squared_hinge", "logcosh", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "binary_crossentropy", "kullback_leibler_divergence", "poisson",
           "cosine_proximity", "cosine", "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD"]
