"""``keras.layers.merge``: the Keras 2 merge layers, and, called as a function, Keras 1's
``merge(inputs, mode='sum'|'mul'|'ave'|'max'|'concat', concat_axis=-1)``.

In Keras 1 ``from keras.layers import merge`` gave a function; in Keras 2 the same import
gives this module. The module is callable so both kinds of code run.
"""
import sys
import types

from . import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add,  # noqa: F401
                       average, concatenate, maximum, minimum, multiply, subtract)
from ._legacy import legacy_merge, missing_name

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "add", "subtract",
           "multiply", "average", "maximum", "minimum"]


def __getattr__(name):
    raise missing_name(__name__.replace("lamina.", "", 1), name)


class _CallableModule(types.ModuleType):
    def __call__(self, inputs, mode="sum", concat_axis=-1, **kwargs):
        return legacy_merge(inputs, mode=mode, concat_axis=concat_axis, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
