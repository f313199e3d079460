"""Dtype policies, as ``keras.mixed_precision``: which dtype a layer computes in and which its
weights are stored in.

``'mixed_float16'`` and ``'mixed_bfloat16'`` keep weights in float32 and compute in the low
dtype: a layer runs its ``call`` inside ``torch.autocast``, so convolutions and matrix products
run in float16/bfloat16 while the float32 weights stay the ones the optimizer updates. A plain
policy (``'float32'``, ``'bfloat16'``, ``'float64'``, ...) stores and computes in that dtype and
casts floating inputs to it.

The global policy is process-wide, as in Keras, and read only when a layer is created: a layer
keeps the policy it was created with, so changing the global policy never changes a model that
already exists.
"""
from __future__ import annotations

import contextlib

import torch
from torch import nn

from .._errors import did_you_mean

__all__ = ["Policy", "DTypePolicy", "set_global_policy", "global_policy", "get", "LayerPolicyMixin"]

_FLOATS = ("float16", "bfloat16", "float32", "float64")
_OTHERS = ("int8", "int16", "int32", "int64", "uint8", "bool")
_NAMES = tuple(f"mixed_{d}" for d in ("float16", "bfloat16")) + _FLOATS + _OTHERS

_GLOBAL: Policy | None = None  # None: the policy of config.floatx()


class Policy:
    """A dtype policy: ``compute_dtype`` for the layer's computations, ``variable_dtype`` for its weights.

    Args:
        name: 'mixed_float16' (compute float16, weights float32), 'mixed_bfloat16' (compute
            bfloat16, weights float32), or a dtype name ('float32', 'bfloat16', 'float64', ...)
            for both. Default: ``lamina.config.floatx()``.

    Example:
        >>> policy = Policy("mixed_bfloat16")
        >>> policy.compute_dtype, policy.variable_dtype
        ('bfloat16', 'float32')
    """

    def __init__(self, name=None):
        if name is None:
            from .. import config
            name = config.floatx()
        if not isinstance(name, str) or name not in _NAMES:
            hint = did_you_mean(name, _NAMES) if isinstance(name, str) else ""
            raise ValueError(f"Policy expects name to be 'mixed_float16', 'mixed_bfloat16' or a dtype name "
                             f"({', '.join(map(repr, _FLOATS + _OTHERS))}). Received: name={name!r}"
                             f"{hint or '.'}")
        self._name = name
        if name.startswith("mixed_"):
            self._compute, self._variable = name[len("mixed_"):], "float32"
        else:
            self._compute = self._variable = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's computations and outputs, e.g. 'float16'."""
        return self._compute

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights, e.g. 'float32'."""
        return self._variable

    @property
    def is_mixed(self) -> bool:
        return self._compute != self._variable

    def get_config(self) -> dict:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict) -> Policy:
        return cls(**config)

    def __eq__(self, other) -> bool:
        return isinstance(other, Policy) and other._name == self._name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f'<Policy "{self._name}">'


DTypePolicy = Policy  # the Keras 3 name


def get(identifier) -> Policy:
    """A Policy from None (the global policy), a name, a Keras 3 config dict or a Policy."""
    if identifier is None:
        return global_policy()
    if isinstance(identifier, Policy):
        return identifier
    if isinstance(identifier, torch.dtype):
        identifier = str(identifier).replace("torch.", "")
    if isinstance(identifier, dict):  # Keras 3: {"class_name": "DTypePolicy", "config": {"name": ...}}
        identifier = (identifier.get("config") or {}).get("name")
    return Policy(identifier)


def set_global_policy(policy) -> None:
    """Set the policy of the layers created from now on (Keras ``set_global_policy``).

    Layers created before keep theirs. Call it before building the model.

    Args:
        policy: 'mixed_float16', 'mixed_bfloat16', 'float32', another float dtype name, a
            :class:`Policy`, or None to go back to ``lamina.config.floatx()``.

    Example:
        >>> set_global_policy("mixed_bfloat16")
        >>> model = lamina.Sequential([...])  # convolutions and Dense layers compute in bfloat16
        >>> set_global_policy("float32")
    """
    global _GLOBAL
    if policy is None:
        _GLOBAL = None
        return
    p = get(policy)
    if p.compute_dtype not in _FLOATS:
        raise ValueError(f"set_global_policy expects a floating-point policy ('mixed_float16', 'mixed_bfloat16', "
                         f"'float32', ...). Received: policy={p.name!r}. Give integer dtypes to single layers "
                         f"with dtype=... instead.")
    _GLOBAL = p


def global_policy() -> Policy:
    """The policy new layers get when created without ``dtype`` (default: ``config.floatx()``)."""
    return _GLOBAL if _GLOBAL is not None else Policy()


def _device_type(args) -> str:
    x = args[0] if args else None
    if isinstance(x, (list, tuple)) and x:
        x = x[0]
    return x.device.type if isinstance(x, torch.Tensor) else "cpu"


def _cast(x, dtype):
    if isinstance(x, torch.Tensor):
        return x.to(dtype) if x.is_floating_point() and x.dtype != dtype else x
    if isinstance(x, (list, tuple)):
        return type(x)(_cast(v, dtype) for v in x)
    return x


class LayerPolicyMixin:
    """What :class:`lamina.layers.Layer` takes from its policy: the ``dtype_policy``,
    ``compute_dtype``, ``variable_dtype`` and ``dtype`` attributes of Keras, the dtype of new
    weights, and the call under autocast (mixed) or with its inputs cast (a plain non-default policy).

    Layers created without ``dtype`` while the global policy is ``config.floatx()`` keep lamina's
    plain path (no autocast, no casts, weights in ``config.floatx()`` at build).
    """

    _captures_global_policy = True  # InputLayer: its dtype is the input's dtype, not a policy

    def _init_dtype_policy(self, dtype) -> None:
        if isinstance(dtype, (Policy, dict, torch.dtype)):
            dtype = get(dtype).name
        if dtype is None and _GLOBAL is not None and self._captures_global_policy:
            from .. import config
            dtype = None if _GLOBAL.name == config.floatx() else _GLOBAL.name  # floatx: the plain path
        self._dtype = dtype
        self._policy = None if dtype is None else get(dtype)
        self._policy_call = None
        if self._policy is not None and self._policy.compute_dtype in _FLOATS:
            compute = getattr(torch, self._policy.compute_dtype)
            self._policy_call = _AutocastCall(compute) if self._policy.is_mixed else _CastCall(compute)

    @property
    def dtype_policy(self) -> Policy:
        """The layer's :class:`~lamina.mixed_precision.Policy`, fixed when it was created."""
        return self._policy if self._policy is not None else Policy()

    @property
    def compute_dtype(self) -> str:
        return self.dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self.dtype_policy.variable_dtype

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights (Keras's ``layer.dtype``)."""
        return self.dtype_policy.variable_dtype

    def _weight_dtype(self) -> torch.dtype:
        from .. import config
        return getattr(torch, self._policy.variable_dtype) if self._policy is not None else config.dtype()


class _AutocastCall:
    """Run a layer's call under ``torch.autocast`` to the policy's compute dtype (picklable)."""

    def __init__(self, compute: torch.dtype):
        self.compute = compute

    def __call__(self, layer, args, kwargs):
        with torch.autocast(_device_type(args), dtype=self.compute):
            return nn.Module.__call__(layer, *args, **kwargs)


class _CastCall:
    """Run a layer's call with autocast off and its floating inputs cast to the compute dtype."""

    def __init__(self, compute: torch.dtype):
        self.compute = compute

    def __call__(self, layer, args, kwargs):
        device_type = _device_type(args)
        context = (torch.autocast(device_type, enabled=False) if torch.is_autocast_enabled(device_type)
                   else contextlib.nullcontext())
        with context:
            if args:
                args = (_cast(args[0], self.compute),) + tuple(args[1:])
            elif "inputs" in kwargs:
                kwargs = dict(kwargs, inputs=_cast(kwargs["inputs"], self.compute))
            return nn.Module.__call__(layer, *args, **kwargs)
