"""Weight initializers with Keras's names, defaults and fan computation.

An initializer is called with a *Keras-layout* shape (Dense kernel (in, out),
Conv2D kernel (kh, kw, in, out)) so fans match Keras; layers then move the
values into torch layout.
"""
from __future__ import annotations

import math

import torch

from ._errors import unknown_name_error
from ._registry import register

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",
    "LecunUniform", "Orthogonal", "Identity", "get", "serialize", "compute_fans",
]


def compute_fans(shape) -> tuple[int, int]:
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``init(shape, dtype=None) -> torch.Tensor``."""

    def __init__(self, seed=None):
        self.seed = seed

    def _generator(self):
        if self.seed is None:
            return None
        g = torch.Generator()
        g.manual_seed(int(self.seed))
        return g

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype)")

    def get_config(self):
        return {"seed": self.seed} if self.seed is not None else {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _dtype(dtype):
    if dtype is None:
        from .config import dtype as default
        return default()
    return getattr(torch, dtype) if isinstance(dtype, str) else dtype


@register("initializer")
class Zeros(Initializer):
    def __init__(self):
        super().__init__(None)

    def __call__(self, shape, dtype=None):
        return torch.zeros(tuple(shape), dtype=_dtype(dtype))


@register("initializer")
class Ones(Initializer):
    def __init__(self):
        super().__init__(None)

    def __call__(self, shape, dtype=None):
        return torch.ones(tuple(shape), dtype=_dtype(dtype))


@register("initializer")
class Constant(Initializer):
    def __init__(self, value=0.0):
        super().__init__(None)
        self.value = value

    def __call__(self, shape, dtype=None):
        return torch.full(tuple(shape), float(self.value), dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


@register("initializer")
class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        t = torch.empty(tuple(shape), dtype=_dtype(dtype))
        return t.normal_(self.mean, self.stddev, generator=self._generator())

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@register("initializer")
class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        t = torch.empty(tuple(shape), dtype=_dtype(dtype))
        return t.uniform_(self.minval, self.maxval, generator=self._generator())

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


def _truncated_normal(shape, mean, stddev, dtype, generator):
    # Keras truncates at two standard deviations, redrawing values outside.
    t = torch.empty(tuple(shape), dtype=torch.float32)
    torch.nn.init.trunc_normal_(t, 0.0, 1.0, -2.0, 2.0, generator=generator)
    return (t * stddev + mean).to(_dtype(dtype))


@register("initializer")
class TruncatedNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return _truncated_normal(shape, self.mean, self.stddev, dtype, self._generator())

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@register("initializer")
class VarianceScaling(Initializer):
    """Keras VarianceScaling: scale / fan, as truncated normal, untruncated normal or uniform."""

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTS = ("truncated_normal", "untruncated_normal", "uniform", "normal")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"VarianceScaling expects scale > 0. Received: scale={scale!r}.")
        if mode not in self._MODES:
            raise unknown_name_error("VarianceScaling mode", mode, self._MODES)
        if distribution not in self._DISTS:
            raise unknown_name_error("VarianceScaling distribution", distribution, self._DISTS)
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        g = self._generator()
        if self.distribution == "truncated_normal":
            # 0.8796... is the stddev of a unit normal truncated at +-2.
            return _truncated_normal(shape, 0.0, math.sqrt(scale) / 0.87962566103423978, dtype, g)
        if self.distribution in ("untruncated_normal", "normal"):
            return torch.empty(tuple(shape), dtype=_dtype(dtype)).normal_(0.0, math.sqrt(scale), generator=g)
        limit = math.sqrt(3.0 * scale)
        return torch.empty(tuple(shape), dtype=_dtype(dtype)).uniform_(-limit, limit, generator=g)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


def _scaling(name, scale, mode, distribution):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return Initializer.get_config(self)

    cls = type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                          "__doc__": f"VarianceScaling({scale}, {mode!r}, {distribution!r})."})
    cls.__module__ = __name__
    return register("initializer")(cls)


GlorotUniform = _scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeNormal = _scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
HeUniform = _scaling("HeUniform", 2.0, "fan_in", "uniform")
LecunNormal = _scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")
LecunUniform = _scaling("LecunUniform", 1.0, "fan_in", "uniform")


@register("initializer")
class Orthogonal(Initializer):
    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        rows = math.prod(shape[:-1])
        flat = torch.empty(rows, shape[-1])
        gen = self._generator()
        if gen is not None:
            flat.normal_(generator=gen)
            q, r = torch.linalg.qr(flat if rows >= shape[-1] else flat.T)
            q = q * torch.sign(torch.diagonal(r))
            flat = q if rows >= shape[-1] else q.T
        else:
            torch.nn.init.orthogonal_(flat)
        return (self.gain * flat).reshape(shape).to(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


@register("initializer")
class Identity(Initializer):
    def __init__(self, gain=1.0):
        super().__init__(None)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape. Received: shape={tuple(shape)}.")
        return self.gain * torch.eye(*shape, dtype=_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


_ALIASES = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "random_normal": RandomNormal, "normal": RandomNormal, "random_uniform": RandomUniform,
    "uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_normal": HeNormal, "he_uniform": HeUniform,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform, "orthogonal": Orthogonal,
    "identity": Identity,
}


def get(identifier) -> Initializer:
    """Resolve a name ('glorot_uniform'), a config dict, an Initializer or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        key = identifier if identifier in _ALIASES else identifier.lower()
        if key not in _ALIASES:
            from ._naming import to_snake_case
            key = to_snake_case(identifier)
        if key not in _ALIASES:
            raise unknown_name_error("initializer", identifier, _ALIASES)
        return _ALIASES[key]()
    if isinstance(identifier, dict):
        from ._registry import deserialize
        return deserialize("initializer", identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"An initializer must be a name such as 'glorot_uniform', an Initializer or a "
                    f"callable(shape, dtype). Received: {identifier!r}.")


def serialize(init):
    from ._registry import serialize as _ser
    return _ser(init)
