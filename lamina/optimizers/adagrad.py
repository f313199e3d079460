"""Adagrad and Adadelta with Keras's update rules and defaults."""
from __future__ import annotations

import torch

from .._errors import probability
from .._registry import register
from .base import Optimizer, default_epsilon, non_negative

__all__ = ["Adagrad", "Adadelta"]


@register("optimizer")
class Adagrad(Optimizer):
    """Per-parameter rates shrinking with the sum of squared gradients::

        acc += g**2
        w -= learning_rate * g / sqrt(acc + epsilon)

    Args:
        learning_rate: Defaults to 0.001 (Keras 3; Keras 2 used 0.01).
        initial_accumulator_value: Starting value of ``acc``, >= 0. Defaults to 0.1.
        epsilon: Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see
            :class:`~lamina.optimizers.Optimizer`.

    Example:
        >>> opt = Adagrad(learning_rate=0.01)
    """

    _default_name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="adagrad", **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.initial_accumulator_value = non_negative("Adagrad", "initial_accumulator_value",
                                                      initial_accumulator_value)
        self.epsilon = non_negative("Adagrad", "epsilon", default_epsilon(epsilon))

    def _slot_names(self):
        return ("accumulator",)

    def _init_slot(self, name, param):
        return torch.full_like(param, self.initial_accumulator_value, memory_format=torch.preserve_format)

    def _update(self, params, grads, slots, lr, step):
        acc = slots["accumulator"]
        torch._foreach_addcmul_(acc, grads, grads)
        denom = torch._foreach_add(acc, self.epsilon)
        torch._foreach_sqrt_(denom)
        torch._foreach_addcdiv_(params, grads, denom, value=-lr)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


@register("optimizer")
class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012) with a learning rate, as Keras computes it::

        acc_g = rho * acc_g + (1 - rho) * g**2
        delta = sqrt(acc_d + epsilon) * g / sqrt(acc_g + epsilon)
        acc_d = rho * acc_d + (1 - rho) * delta**2
        w -= learning_rate * delta

    Args:
        learning_rate: Defaults to 0.001 (Keras 3). Keras 1/2 defaulted to 1.0,
            the paper's form; ``lamina.optimizers.get('adadelta', legacy=True)``
            gives that.
        rho: Decay rate in [0, 1). Defaults to 0.95.
        epsilon: Defaults to 1e-7.

    Example:
        >>> opt = Adadelta(learning_rate=1.0)
    """

    _default_name = "adadelta"

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name="adadelta", **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.rho = probability("Adadelta", "rho", rho)
        self.epsilon = non_negative("Adadelta", "epsilon", default_epsilon(epsilon))

    def _slot_names(self):
        return ("accumulated_grad", "accumulated_delta_var")

    def _update(self, params, grads, slots, lr, step):
        rho, eps = self.rho, self.epsilon
        acc_g, acc_d = slots["accumulated_grad"], slots["accumulated_delta_var"]
        torch._foreach_mul_(acc_g, rho)
        torch._foreach_addcmul_(acc_g, grads, grads, value=1.0 - rho)
        std = torch._foreach_add(acc_g, eps)
        torch._foreach_sqrt_(std)
        delta = torch._foreach_add(acc_d, eps)
        torch._foreach_sqrt_(delta)
        torch._foreach_div_(delta, std)
        torch._foreach_mul_(delta, grads)
        torch._foreach_mul_(acc_d, rho)
        torch._foreach_addcmul_(acc_d, delta, delta, value=1.0 - rho)
        torch._foreach_add_(params, delta, alpha=-lr)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
