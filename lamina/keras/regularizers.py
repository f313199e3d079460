"""``keras.regularizers``: l1, l2, l1_l2 (and Keras 1's ``l1l2``)."""
from ..compat import warn_legacy
from ..regularizers import *  # noqa: F401,F403
from ..regularizers import __all__ as _all
from ..regularizers import l1_l2

__all__ = [*_all, "l1l2"]


def l1l2(l1=0.01, l2=0.01):
    """Keras 1 spelling of :func:`l1_l2`."""
    warn_legacy("regularizers.l1l2", "keras.regularizers.l1l2 is the Keras 1 name; use l1_l2(l1=..., l2=...).")
    return l1_l2(l1=l1, l2=l2)
