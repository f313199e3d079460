"""Stochastic gradient descent with Keras's momentum and Nesterov rules."""
from __future__ import annotations

import torch

from .._errors import probability
from .._registry import register
from .base import Optimizer

__all__ = ["SGD"]


@register("optimizer")
class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum, as Keras defines it.

    Without momentum: ``w -= learning_rate * g``. With momentum the velocity
    holds the learning rate (unlike ``torch.optim.SGD``, which applies the current
    rate to the buffer, so the two differ as soon as the rate changes)::

        v = momentum * v - learning_rate * g
        w = w + v                                   # nesterov=False
        w = w + momentum * v - learning_rate * g    # nesterov=True

    Args:
        learning_rate: Float, schedule or callable. Defaults to 0.01.
        momentum: Float in [0, 1). Defaults to 0.0 (plain gradient descent).
        nesterov: Whether to use Nesterov momentum. Defaults to False.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see
            :class:`~lamina.optimizers.Optimizer`.

    Example:
        >>> opt = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
        >>> opt.build(model.parameters())   # compile()/fit() do this
    """

    _default_name = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="SGD", **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.momentum = probability("SGD", "momentum", momentum)
        self.nesterov = bool(nesterov)

    def _slot_names(self):
        return ("momentum",) if self.momentum else ()

    def _update(self, params, grads, slots, lr, step):
        if not self.momentum:
            torch._foreach_add_(params, grads, alpha=-lr)
            return
        m = slots["momentum"]
        torch._foreach_mul_(m, self.momentum)
        torch._foreach_add_(m, grads, alpha=-lr)
        if self.nesterov:
            torch._foreach_add_(params, m, alpha=self.momentum)
            torch._foreach_add_(params, grads, alpha=-lr)
        else:
            torch._foreach_add_(params, m)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
