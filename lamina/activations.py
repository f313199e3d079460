"""Activation functions by Keras name.

Each is a plain function of a tensor. ``get`` resolves a name, a callable or None;
``serialize`` gives back the name for configs.
"""
from __future__ import annotations


import torch
import torch.nn.functional as F

from ._errors import unknown_name_error

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu", "softplus", "softsign",
    "gelu", "swish", "silu", "hard_sigmoid", "hard_swish", "exponential", "linear", "leaky_relu",
    "relu6", "mish", "get", "serialize",
]


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0), with Keras's optional slope below threshold and cap at max_value."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return torch.relu(x)
    if threshold != 0.0:
        neg = negative_slope * (x - threshold)
        out = torch.where(x >= threshold, x, neg)
    else:
        out = F.leaky_relu(x, negative_slope) if negative_slope else torch.relu(x)
    if max_value is not None:
        out = torch.clamp(out, max=max_value)
    return out


def sigmoid(x):
    out = torch.sigmoid(x)
    # The logits ride along so crossentropy can work in log space (Keras does the same);
    # the tensor is this call's own, so no other caller sees it.
    out._keras_logits = x
    out._keras_activation = "sigmoid"
    return out


def tanh(x):
    return torch.tanh(x)


def softmax(x, axis=-1):
    out = torch.softmax(x, dim=axis)
    if axis == -1 or axis == x.dim() - 1:
        out._keras_logits = x
        out._keras_activation = "softmax"
    return out


def log_softmax(x, axis=-1):
    return torch.log_softmax(x, dim=axis)


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def selu(x):
    return F.selu(x)


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return F.softsign(x)


def gelu(x, approximate=False):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x):
    return F.silu(x)


swish = silu


def hard_sigmoid(x):
    """relu6(x + 3) / 6, today's Keras definition (Keras 2 used clip(0.2 x + 0.5, 0, 1))."""
    return F.hardsigmoid(x)


def hard_sigmoid_keras2(x):
    """Keras 2's hard sigmoid, ``clip(0.2 x + 0.5, 0, 1)``: the gate activation of the classic
    namespace's LSTM/GRU (``lamina.keras.layers``), saved under this name so such models load
    in any process. ``'hard_sigmoid'`` is today's (Keras 3) formula."""
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


def hard_swish(x):
    return F.hardswish(x)


def exponential(x):
    return torch.exp(x)


def linear(x):
    return x


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope)


def relu6(x):
    return F.relu6(x)


def mish(x):
    return F.mish(x)


_BY_NAME = {
    "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax, "log_softmax": log_softmax,
    "elu": elu, "selu": selu, "softplus": softplus, "softsign": softsign, "gelu": gelu,
    "swish": swish, "silu": silu, "hard_sigmoid": hard_sigmoid, "hard_silu": hard_swish,
    "hard_swish": hard_swish, "exponential": exponential, "linear": linear,
    "leaky_relu": leaky_relu, "relu6": relu6, "mish": mish,
    "hard_sigmoid_keras2": hard_sigmoid_keras2,   # the classic LSTM/GRU gates' name in saved files
}


def apply_to_fresh(fn, y):
    """``fn(y)`` for a tensor ``y`` that nothing else holds (a layer's own fresh output).

    ReLU then runs in place: one less allocation and memory pass per layer. It is safe under
    autograd because the ops that produce such outputs (convolution, matmul) do not keep them
    for their backward pass.
    """
    if fn is relu:
        return torch.relu_(y)
    return fn(y)


def get(identifier):
    """Resolve an activation: None or 'linear' -> identity, a name, or any callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier.lower())
        if fn is None:
            raise unknown_name_error("activation", identifier, _BY_NAME)
        return fn
    if isinstance(identifier, dict) and "class_name" in identifier:  # serialized form
        return get(identifier["class_name"] if identifier["class_name"] != "function"
                   else identifier["config"])
    if callable(identifier):
        return identifier
    raise TypeError(f"An activation must be a name such as 'relu' or a callable. Received: {identifier!r}.")


def serialize(fn) -> str:
    for name, f in _BY_NAME.items():
        if f is fn:
            return name
    name = getattr(fn, "__name__", None)
    if name in _BY_NAME:
        return name
    raise ValueError(
        f"Cannot save the custom activation {fn!r} by name. Register it with "
        f"lamina.activations.register('{name}', fn) or wrap it in a Lambda layer.")


def register(name: str, fn) -> None:
    """Make a custom activation usable by name (and savable in configs)."""
    _BY_NAME[name] = fn


# Used by the training engine to compute softmax/sigmoid + crossentropy in log space.
_SOFTMAX_LIKE = (softmax,)
_SIGMOID_LIKE = (sigmoid,)
