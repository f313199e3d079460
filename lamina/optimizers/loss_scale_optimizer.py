"""Dynamic loss scaling for float16 training, as Keras 3's ``LossScaleOptimizer``.

float16 gradients underflow to zero below about 6e-8. The training step multiplies the loss by
the current scale (``optimizer.scale_loss(loss)``) before ``backward()``, so the gradients are
that much larger; ``step()`` divides them back by the scale that was applied and then applies the
wrapped optimizer. When a gradient
is inf or NaN the step is skipped and the scale halved; after ``dynamic_growth_steps`` finite
steps in a row the scale doubles.
"""
from __future__ import annotations

import math

import torch

from .._registry import register
from .base import Optimizer

__all__ = ["LossScaleOptimizer"]


def _get_optimizer_by_name(identifier):
    from . import get   # the package's resolver (names, configs, instances)
    return get(identifier)

_INNER_ONLY = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")


@register("optimizer")
class LossScaleOptimizer(torch.optim.Optimizer):
    """Wraps an optimizer with dynamic loss scaling (Keras ``keras.mixed_precision.LossScaleOptimizer``).

    Args:
        inner_optimizer: the optimizer to wrap (an instance, or a name such as 'adam').
        initial_scale: the first loss scale (default 2**15).
        dynamic_growth_steps: double the scale after this many steps with finite gradients
            (default 2000).
        name: the optimizer's name (default 'loss_scale_optimizer').

    Attributes:
        dynamic_scale: the current loss scale (a float).
        inner_optimizer: the wrapped optimizer; ``learning_rate`` and ``iterations`` are its own.

    Example:
        >>> lamina.mixed_precision.set_global_policy("mixed_float16")
        >>> model.compile(optimizer=LossScaleOptimizer(lamina.optimizers.Adam()), loss="mse")
        >>> # a custom loop:  optimizer.scale_loss(loss).backward(); optimizer.step()
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer always scales dynamically. Received: dynamic=False. For a fixed "
                             "scale, multiply the loss yourself and divide the learning rate.")
        for key in _INNER_ONLY:
            if kwargs.get(key) is not None:
                raise ValueError(f"LossScaleOptimizer does not take {key}. Received: {key}={kwargs[key]!r}. Set "
                                 f"{key} on the inner optimizer, e.g. Adam({key}=...).")
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"LossScaleOptimizer got unexpected keyword argument(s) "
                            f"{', '.join(map(repr, sorted(kwargs)))}. Valid arguments: inner_optimizer, "
                            f"initial_scale, dynamic_growth_steps, name.")
        inner = _get_optimizer_by_name(inner_optimizer)
        if isinstance(inner, LossScaleOptimizer):
            raise ValueError("LossScaleOptimizer expects an optimizer to wrap. Received another "
                             "LossScaleOptimizer; wrap the inner optimizer once.")
        try:
            scale = float(initial_scale)
        except (TypeError, ValueError):
            scale = float("nan")
        if not (scale > 0 and math.isfinite(scale)):
            raise ValueError(f"LossScaleOptimizer expects initial_scale to be a positive finite number. "
                             f"Received: initial_scale={initial_scale!r}. The default is 2**15.")
        if isinstance(dynamic_growth_steps, bool) or not isinstance(dynamic_growth_steps, int) or \
                dynamic_growth_steps < 1:
            raise ValueError(f"LossScaleOptimizer expects dynamic_growth_steps to be a positive int. Received: "
                             f"dynamic_growth_steps={dynamic_growth_steps!r}. The default is 2000.")
        # torch.optim.Optimizer.__init__ is not called: the parameters and their state are the inner one's.
        self.inner_optimizer = inner
        self.initial_scale = scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.name = name if name is not None else "loss_scale_optimizer"
        self.dynamic_scale = scale
        self.step_counter = 0
        self.skipped_steps = 0
        self._applied_scale = 1.0  # the scale of the loss whose gradients the next step() sees

    # ------------------------------------------------------------------ what the step uses
    def build(self, params) -> None:
        """Build the inner optimizer on ``params`` (``compile``/``fit`` do it)."""
        self.inner_optimizer.build(params)

    @property
    def built(self) -> bool:
        return bool(getattr(self.inner_optimizer, "built", True))

    def scale_loss(self, loss):
        """``loss * dynamic_scale``: call ``backward()`` on this instead of on the loss.

        The next :meth:`step` divides the gradients by the scale used here; without a
        ``scale_loss`` call it leaves them as they are (and still skips non-finite steps).
        """
        self._applied_scale = self.dynamic_scale
        return loss * self.dynamic_scale

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.inner_optimizer.zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):
        """Unscale the gradients and apply the inner optimizer, or skip the step if any is inf/NaN.

        Returns:
            The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        grads = [p.grad for group in self.inner_optimizer.param_groups for p in group["params"]
                 if p.grad is not None]
        applied, self._applied_scale = self._applied_scale, 1.0
        finite = self._unscale(grads, applied)
        if not finite:
            self.dynamic_scale *= 0.5
            self.step_counter = 0
            self.skipped_steps += 1
            return loss
        self.inner_optimizer.step()
        if self.step_counter == self.dynamic_growth_steps - 1:
            self.step_counter = 0
            self.dynamic_scale *= 2.0
        else:
            self.step_counter += 1
        return loss

    def _unscale(self, grads, scale: float) -> bool:
        """Divide the gradients by ``scale`` in place; False if any of them is not finite."""
        if not grads:
            return True
        found = []
        by_key: dict = {}
        for g in grads:
            by_key.setdefault((g.device, g.dtype), []).append(g)
        for (device, _), group in by_key.items():
            found_inf = torch.zeros((), device=device, dtype=torch.float32)
            inv = torch.full((), 1.0 / scale, device=device, dtype=torch.float32)
            torch._amp_foreach_non_finite_check_and_unscale_(group, found_inf, inv)
            found.append(found_inf)
        return not any(bool(f.item()) for f in found)  # one host sync per step, as torch's GradScaler

    # ------------------------------------------------------------------ the inner optimizer's
    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self) -> int:
        return self.inner_optimizer.iterations

    @property
    def param_groups(self):
        return self.inner_optimizer.param_groups

    @property
    def state(self):
        return self.inner_optimizer.state

    @property
    def defaults(self):
        return self.inner_optimizer.defaults

    def state_dict(self) -> dict:
        """The inner optimizer's state dict plus ``dynamic_scale`` and ``step_counter``."""
        sd = dict(self.inner_optimizer.state_dict())
        sd["loss_scale"] = {"dynamic_scale": self.dynamic_scale, "step_counter": self.step_counter}
        return sd

    def load_state_dict(self, state_dict: dict) -> None:
        sd = dict(state_dict)
        own = sd.pop("loss_scale", None) or {}
        self.inner_optimizer.load_state_dict(sd)
        self.dynamic_scale = float(own.get("dynamic_scale", self.initial_scale))
        self.step_counter = int(own.get("step_counter", 0))

    def get_config(self) -> dict:
        inner = self.inner_optimizer
        inner_config = ({"class_name": type(inner).__name__, "config": inner.get_config()}
                        if isinstance(inner, Optimizer) else type(inner).__name__)
        return {"name": self.name, "inner_optimizer": inner_config, "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        return cls(_get_optimizer_by_name(config.pop("inner_optimizer")), **config)

    def __repr__(self) -> str:
        return (f"LossScaleOptimizer({self.inner_optimizer!r}, dynamic_scale={self.dynamic_scale}, "
                f"dynamic_growth_steps={self.dynamic_growth_steps})")
