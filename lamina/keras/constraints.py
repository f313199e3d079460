"""``keras.constraints``: max_norm, non_neg, unit_norm, min_max_norm (and their classes)."""
from ..constraints import *  # noqa: F401,F403
from ..constraints import __all__ as _all
from ..constraints import MaxNorm, MinMaxNorm, NonNeg, UnitNorm

# Keras 2 lowercase class aliases.
maxnorm = MaxNorm
nonneg = NonNeg
unitnorm = UnitNorm

__all__ = [*_all, "maxnorm", "nonneg", "unitnorm", "MinMaxNorm"]
