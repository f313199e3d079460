"""Weight constraints, applied after every optimizer step as Keras does.

A constraint sees the weight in Keras layout (Dense kernel (in, out), Conv2D
kernel (kh, kw, in, out)), so ``axis`` means what it means in Keras.
"""
from __future__ import annotations

import torch

from ._errors import unknown_name_error
from ._registry import register

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm", "min_max_norm",
           "non_neg", "unit_norm", "get", "serialize"]

_EPS = 1e-7


def _norms(w, axis):
    return torch.sqrt(torch.sum(w * w, dim=axis, keepdim=True))


class Constraint:
    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register("constraint")
class MaxNorm(Constraint):
    """Scale each slice along ``axis`` down to norm ``max_value`` when it is larger."""

    def __init__(self, max_value=2, axis=0):
        if not max_value > 0:
            raise ValueError(f"MaxNorm expects max_value > 0. Received: max_value={max_value!r}.")
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        return w * (torch.clamp(norms, 0, self.max_value) / (_EPS + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@register("constraint")
class MinMaxNorm(Constraint):
    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        if min_value > max_value:
            raise ValueError(f"MinMaxNorm expects min_value <= max_value. Received: min_value={min_value!r}, "
                             f"max_value={max_value!r}.")
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = self.rate * torch.clamp(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (_EPS + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


@register("constraint")
class NonNeg(Constraint):
    def __call__(self, w):
        return w * (w >= 0).to(w.dtype)


@register("constraint")
class UnitNorm(Constraint):
    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (_EPS + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm
_NAMES = {"max_norm": MaxNorm, "maxnorm": MaxNorm, "min_max_norm": MinMaxNorm, "non_neg": NonNeg,
          "nonneg": NonNeg, "unit_norm": UnitNorm, "unitnorm": UnitNorm}


def get(identifier):
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, str):
        cls = _NAMES.get(identifier.lower())
        if cls is None:
            raise unknown_name_error("constraint", identifier, ["max_norm", "min_max_norm", "non_neg", "unit_norm"])
        return cls()
    if isinstance(identifier, dict):
        from ._registry import deserialize
        return deserialize("constraint", identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"A constraint must be a name such as 'max_norm', a Constraint or a callable. "
                    f"Received: {identifier!r}.")


def serialize(constraint):
    from ._registry import serialize as _ser
    return _ser(constraint)
