"""``keras.layers.pooling`` (Keras 1/2 module path)."""
from ...layers import pooling as _pooling
from .._twins import twin_all
from ._legacy import missing_name

__all__ = list(_pooling.__all__)
globals().update(twin_all({n: getattr(_pooling, n) for n in __all__}))


def __getattr__(name):
    raise missing_name(__name__.replace("lamina.", "", 1), name)
