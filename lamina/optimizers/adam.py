"""Adam and its relatives (AdamW, Adamax, Nadam) with Keras's update rules."""
from __future__ import annotations

import math

import torch

from .._errors import probability
from .._registry import register
from .base import Optimizer, default_epsilon, non_negative

__all__ = ["Adam", "AdamW", "Adamax", "Nadam"]


def _betas(owner, beta_1, beta_2):
    return probability(owner, "beta_1", beta_1), probability(owner, "beta_2", beta_2)


@register("optimizer")
class Adam(Optimizer):
    """Adam as Keras computes it: epsilon is added to ``sqrt(v)`` and both bias
    corrections are folded into the step size::

        m += (g - m) * (1 - beta_1);  v += (g**2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v)                       # amsgrad only, used instead of v
        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w -= alpha * m / (sqrt(v) + epsilon)

    (``torch.optim.Adam`` adds epsilon to ``sqrt(v / (1 - beta_2**t))``, so the two
    differ early in training.)

    Args:
        learning_rate: Float, schedule or callable. Defaults to 0.001.
        beta_1: Decay of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: Decay of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: Defaults to 1e-7.
        amsgrad: Use the AMSGrad variant. Defaults to False.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see
            :class:`~lamina.optimizers.Optimizer`.

    Example:
        >>> opt = Adam(learning_rate=3e-4)
    """

    _default_name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="adam",
                 **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1, self.beta_2 = _betas(owner, beta_1, beta_2)
        self.epsilon = non_negative(owner, "epsilon", default_epsilon(epsilon))
        self.amsgrad = bool(amsgrad)

    def _slot_names(self):
        return ("momentum", "velocity", "velocity_hat") if self.amsgrad else ("momentum", "velocity")

    def _update(self, params, grads, slots, lr, step):
        b1, b2 = self.beta_1, self.beta_2
        alpha = lr * math.sqrt(1.0 - b2 ** step) / (1.0 - b1 ** step)
        m, v = slots["momentum"], slots["velocity"]
        torch._foreach_lerp_(m, grads, 1.0 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - b2)
        if self.amsgrad:
            v_hat = slots["velocity_hat"]
            torch._foreach_maximum_(v_hat, v)
            v = v_hat
        denom = torch._foreach_sqrt(v)
        torch._foreach_add_(denom, self.epsilon)
        torch._foreach_addcdiv_(params, m, denom, value=-alpha)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


@register("optimizer")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): before each update
    ``w -= w * weight_decay * learning_rate``, then the :class:`Adam` step.

    Args:
        learning_rate: Defaults to 0.001.
        weight_decay: Required float. Defaults to 0.004.
        beta_1, beta_2, epsilon, amsgrad: as in :class:`Adam`.

    Example:
        >>> opt = AdamW(learning_rate=1e-3, weight_decay=0.01)
    """

    _default_name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, name="adamw", **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW expects weight_decay to be a float. Received: weight_decay=None. "
                             "Use Adam for no weight decay.")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)


@register("optimizer")
class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm), as Keras computes it::

        m += (g - m) * (1 - beta_1);  u = max(beta_2 * u, |g|)
        w -= learning_rate * m / ((1 - beta_1**t) * (u + epsilon))

    Args:
        learning_rate: Defaults to 0.001.
        beta_1: Defaults to 0.9.  beta_2: Defaults to 0.999.  epsilon: Defaults to 1e-7.

    Example:
        >>> opt = Adamax(learning_rate=0.002)
    """

    _default_name = "adamax"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="adamax", **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1, self.beta_2 = _betas("Adamax", beta_1, beta_2)
        self.epsilon = non_negative("Adamax", "epsilon", default_epsilon(epsilon))

    def _slot_names(self):
        return ("momentum", "norm")

    def _update(self, params, grads, slots, lr, step):
        m, u = slots["momentum"], slots["norm"]
        torch._foreach_lerp_(m, grads, 1.0 - self.beta_1)
        torch._foreach_mul_(u, self.beta_2)
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        denom = torch._foreach_add(u, self.epsilon)
        torch._foreach_addcdiv_(params, m, denom, value=-lr / (1.0 - self.beta_1 ** step))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


@register("optimizer")
class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat 2015), with Keras's momentum schedule
    ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``::

        m += (g - m) * (1 - beta_1);  v += (g**2 - v) * (1 - beta_2)
        m_hat = u_{t+1} * m / (1 - prod_{s<=t+1} u_s) + (1 - u_t) * g / (1 - prod_{s<=t} u_s)
        w -= learning_rate * m_hat / (sqrt(v / (1 - beta_2**t)) + epsilon)

    Args:
        learning_rate: Defaults to 0.001.
        beta_1: Defaults to 0.9.  beta_2: Defaults to 0.999.  epsilon: Defaults to 1e-7.

    Example:
        >>> opt = Nadam(learning_rate=0.002)
    """

    _default_name = "nadam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="nadam", **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1, self.beta_2 = _betas("Nadam", beta_1, beta_2)
        self.epsilon = non_negative("Nadam", "epsilon", default_epsilon(epsilon))
        self._u_product = 1.0

    def _slot_names(self):
        return ("momentum", "velocity")

    def _u(self, t):
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** t)

    def _before_update(self, step):
        self._u_product *= self._u(step)

    def _update(self, params, grads, slots, lr, step):
        u_t, u_next = self._u(step), self._u(step + 1)
        prod_t = self._u_product
        prod_next = prod_t * u_next
        b1, b2 = self.beta_1, self.beta_2
        m, v = slots["momentum"], slots["velocity"]
        torch._foreach_lerp_(m, grads, 1.0 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - b2)
        m_hat = torch._foreach_mul(m, u_next / (1.0 - prod_next))
        torch._foreach_add_(m_hat, grads, alpha=(1.0 - u_t) / (1.0 - prod_t))
        denom = torch._foreach_div(v, 1.0 - b2 ** step)
        torch._foreach_sqrt_(denom)
        torch._foreach_add_(denom, self.epsilon)
        torch._foreach_addcdiv_(params, m_hat, denom, value=-lr)

    def _extra_state(self):
        return {"u_product": float(self._u_product)}

    def _load_extra_state(self, state):
        self._u_product = float(state.get("u_product", 1.0))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
