"""Advanced activation layers: ReLU, LeakyReLU, Softmax, ELU, PReLU."""
from __future__ import annotations


import torch
import torch.nn.functional as F

from .. import activations as _activations
from . import _utils
from .base import InputSpec, Layer, format_shape

__all__ = ["ReLU", "LeakyReLU", "Softmax", "ELU", "PReLU"]



def _non_negative(owner, arg, value, allow_none=False):
    if value is None and allow_none:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not v >= 0:
        none = " or None" if allow_none else ""
        raise ValueError(f"{owner} expects {arg} to be a non-negative float{none}. Received: {arg}={value!r}.")
    return v


class ReLU(Layer):
    """Rectified linear unit with Keras's options.

    ``f(x) = max_value if x >= max_value; x if threshold <= x < max_value;
    negative_slope * (x - threshold) otherwise``.

    Args:
        max_value: non-negative float or None (default: no cap).
        negative_slope: non-negative float (default 0.0), the slope below threshold.
        threshold: non-negative float (default 0.0).

    Input shape: any. Output shape: same as input.

    Example:
        >>> layer = ReLU(max_value=6.0)
    """

    _elementwise = True

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative("ReLU", "max_value", max_value, allow_none=True)
        self.negative_slope = _non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = _non_negative("ReLU", "threshold", threshold)

    def call(self, inputs):
        return _activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                 threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(Layer):
    """``f(x) = x if x >= 0 else negative_slope * x``.

    Args:
        negative_slope: non-negative float (default 0.3, the Keras default). The Keras 2 name
            ``alpha`` is accepted with a deprecation warning.

    Input shape: any. Output shape: same as input.

    Example:
        >>> layer = LeakyReLU(negative_slope=0.1)
    """

    _elementwise = True

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            from ..compat import warn_legacy
            warn_legacy("LeakyReLU.alpha", "LeakyReLU(alpha=...) is the Keras 2 name; use negative_slope=... .")
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _non_negative("LeakyReLU", "negative_slope", negative_slope)

    def call(self, inputs):
        return F.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class Softmax(Layer):
    """Softmax along ``axis``; an optional boolean ``mask`` (True = keep) removes entries.

    Args:
        axis: int or tuple of ints (default -1).

    Input shape: any. Output shape: same as input.

    Example:
        >>> layer = Softmax(axis=-1)
    """

    _elementwise = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and axis and all(isinstance(a, int) for a in axis):
            axis = tuple(axis)
        elif not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"Softmax expects axis to be an int or a tuple of ints. Received: axis={axis!r}.")
        self.axis = axis

    def call(self, inputs, mask=None):
        x = inputs
        if mask is not None:
            # Keras adds a large negative number where the mask is False.
            x = x.masked_fill(~mask.bool(), -3e4 if x.dtype == torch.float16 else -1e9)
        if isinstance(self.axis, tuple):
            return torch.exp(x - torch.logsumexp(x, dim=self.axis, keepdim=True))
        return torch.softmax(x, dim=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class ELU(Layer):
    """Exponential linear unit: ``x if x > 0 else alpha * (exp(x) - 1)``.

    Args:
        alpha: float (default 1.0), the value the negative side tends to is -alpha.

    Input shape: any. Output shape: same as input.

    Example:
        >>> layer = ELU(alpha=1.0)
    """

    _elementwise = True

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        try:
            self.alpha = float(alpha)
        except (TypeError, ValueError):
            raise ValueError(f"ELU expects alpha to be a float. Received: alpha={alpha!r}.") from None

    def call(self, inputs):
        return F.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Leaky ReLU with a learned slope: ``x if x >= 0 else alpha * x``.

    ``alpha`` has one value per input element (the input shape without the batch axis),
    shared along ``shared_axes``.

    Args:
        alpha_initializer: default 'zeros'.
        alpha_regularizer: optional penalty.
        shared_axes: None (default) or int/tuple of axes (1 = first axis after the batch) along which
            one alpha is shared; ``shared_axes=[1, 2]`` gives one alpha per channel of an image.

    Input shape: any. Output shape: same as input.

    Example:
        >>> layer = PReLU(shared_axes=[1, 2])
    """

    _elementwise = True

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        _utils.check_names((alpha_initializer,), (alpha_regularizer,))
        self.alpha_initializer = alpha_initializer
        self.alpha_regularizer = alpha_regularizer
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, int) else shared_axes
            try:
                axes = tuple(int(a) for a in axes)
            except (TypeError, ValueError):
                axes = (0,)
            if not axes or any(a < 1 for a in axes):
                raise ValueError(f"PReLU expects shared_axes to be None or axis numbers >= 1 (axis 0 is the "
                                 f"batch). Received: shared_axes={shared_axes!r}. E.g. shared_axes=[1, 2].")
            self.shared_axes = axes

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for a in self.shared_axes or ():
            if a > len(shape):
                raise ValueError(f"Layer '{self.name}' (PReLU) has shared_axes={self.shared_axes}, but its input "
                                 f"shape {format_shape(input_shape)} has axes 1..{len(shape)} only.")
            shape[a - 1] = 1
        if None in shape:
            raise ValueError(f"Layer '{self.name}' (PReLU) needs every non-shared axis of its input to be known. "
                             f"Received shape {format_shape(input_shape)}; share the unknown axes with "
                             f"shared_axes=... .")
        self.alpha = self._add_weight("alpha", tuple(shape), self.alpha_initializer, self.alpha_regularizer)
        shared = set(self.shared_axes or ())
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={i: input_shape[i] for i in range(1, len(input_shape)) if i not in shared})

    def call(self, inputs):
        return torch.where(inputs >= 0, inputs, inputs * self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": _utils.serialize_arg(self.alpha_initializer),
                "alpha_regularizer": _utils.serialize_arg(self.alpha_regularizer),
                "shared_axes": None if self.shared_axes is None else list(self.shared_axes)}
