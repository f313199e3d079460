"""RMSprop with Keras's defaults (rho=0.9) and epsilon inside the square root."""
from __future__ import annotations

import torch

from .._errors import probability
from .._registry import register
from .base import Optimizer, default_epsilon, non_negative

__all__ = ["RMSprop"]


@register("optimizer")
class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square, as Keras does::

        v = rho * v + (1 - rho) * g**2
        a = rho * a + (1 - rho) * g                       # centered only
        d = sqrt(v - a**2 + epsilon) if centered else sqrt(v + epsilon)
        m = momentum * m + learning_rate * g / d          # momentum > 0
        w -= m  (or learning_rate * g / d without momentum)

    ``torch.optim.RMSprop`` defaults to alpha=0.99 and adds epsilon outside the
    square root; lamina follows Keras.

    Args:
        learning_rate: Float, schedule or callable. Defaults to 0.001.
        rho: Discount of the squared-gradient average, in [0, 1). Defaults to 0.9.
        momentum: Float in [0, 1). Defaults to 0.0.
        epsilon: Added inside the square root. Defaults to 1e-7.
        centered: Normalise by the estimated variance instead of the second
            moment. Defaults to False.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see
            :class:`~lamina.optimizers.Optimizer`.

    Example:
        >>> opt = RMSprop(learning_rate=1e-4)
    """

    _default_name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="rmsprop",
                 **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.rho = probability("RMSprop", "rho", rho)
        self.momentum = probability("RMSprop", "momentum", momentum)
        self.epsilon = non_negative("RMSprop", "epsilon", default_epsilon(epsilon))
        self.centered = bool(centered)

    def _slot_names(self):
        names = ["velocity"]
        if self.momentum > 0:
            names.append("momentum")
        if self.centered:
            names.append("average_gradient")
        return tuple(names)

    def _update(self, params, grads, slots, lr, step):
        rho = self.rho
        v = slots["velocity"]
        torch._foreach_mul_(v, rho)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - rho)
        if self.centered:
            a = slots["average_gradient"]
            torch._foreach_mul_(a, rho)
            torch._foreach_add_(a, grads, alpha=1.0 - rho)
            denom = torch._foreach_addcmul(v, a, a, value=-1.0)
            torch._foreach_add_(denom, self.epsilon)
        else:
            denom = torch._foreach_add(v, self.epsilon)
        torch._foreach_sqrt_(denom)
        if self.momentum > 0:
            m = slots["momentum"]
            torch._foreach_mul_(m, self.momentum)
            torch._foreach_addcdiv_(m, grads, denom, value=lr)
            torch._foreach_sub_(params, m)
        else:
            torch._foreach_addcdiv_(params, grads, denom, value=-lr)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}

