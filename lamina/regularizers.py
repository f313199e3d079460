"""Weight and activity penalties added to the training loss, as in Keras.

``l2(0.0001)`` adds ``0.0001 * sum(w ** 2)`` for the weight it regularizes.
"""
from __future__ import annotations

import torch

from ._errors import unknown_name_error
from ._registry import register

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize"]


class Regularizer:
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(x)")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _coef(name, value):
    v = float(value)
    if v < 0 or v != v:
        raise ValueError(f"Regularizer factor {name} must be a non-negative float. Received: {name}={value!r}.")
    return v


@register("regularizer")
class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _coef("l1", l1)
        self.l2 = _coef("l2", l2)

    def __call__(self, x):
        out = x.new_zeros(())
        if self.l1:
            out = out + self.l1 * x.abs().sum()
        if self.l2:
            out = out + self.l2 * x.square().sum()
        return out

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@register("regularizer")
class L1(Regularizer):
    def __init__(self, l1=0.01):
        self.l1 = _coef("l1", l1)

    def __call__(self, x):
        return self.l1 * x.abs().sum()

    def get_config(self):
        return {"l1": self.l1}


@register("regularizer")
class L2(Regularizer):
    def __init__(self, l2=0.01):
        self.l2 = _coef("l2", l2)

    def __call__(self, x):
        return self.l2 * x.square().sum()

    def get_config(self):
        return {"l2": self.l2}


def l1(l1=0.01):
    return L1(l1)


def l2(l2=0.01):
    return L2(l2)


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1=l1, l2=l2)


_NAMES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}


def get(identifier):
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        cls = _NAMES.get(identifier.lower())
        if cls is None:
            raise unknown_name_error("regularizer", identifier, ["l1", "l2", "l1_l2"])
        return cls() if cls is not L1L2 else L1L2(0.01, 0.01)
    if isinstance(identifier, dict):
        from ._registry import deserialize
        return deserialize("regularizer", identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"A regularizer must be 'l1', 'l2', 'l1_l2', a Regularizer or a callable. "
                    f"Received: {identifier!r}.")


def serialize(reg):
    from ._registry import serialize as _ser
    return _ser(reg)
