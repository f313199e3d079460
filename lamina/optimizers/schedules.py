"""Learning-rate schedules with Keras's names, arguments and formulas.

A schedule maps the optimizer's step count (``optimizer.iterations``, the number
of updates already applied) to a learning rate. Pass one as an optimizer's
``learning_rate``::

    lr = ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
    opt = lamina.optimizers.SGD(learning_rate=lr, momentum=0.9)

Schedules compute in Python floats: the optimizer asks for the rate once per step
and never synchronises with the device to get it.
"""
from __future__ import annotations

import math

from .._errors import unknown_name_error
from .._registry import get_class, register

__all__ = [
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
    "InverseTimeDecay", "CosineDecay", "serialize", "deserialize", "get",
]

_KIND = "learning_rate_schedule"


def _step(step) -> float:
    """The step as a Python float (accepts ints, numpy scalars and 0-d tensors)."""
    return float(step)


def _positive(owner: str, arg: str, value, example: str = ""):
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not v > 0:
        fix = f" {example}" if example else ""
        raise ValueError(f"{owner} expects {arg} to be > 0. Received: {arg}={value!r}.{fix}")
    return value


class LearningRateSchedule:
    """Base class: ``schedule(step) -> float``.

    Subclasses implement ``__call__(step)`` and ``get_config()`` (exactly the
    ``__init__`` arguments) so optimizers using them can be saved and restored.

    Example:
        >>> class Halving(LearningRateSchedule):
        ...     def __init__(self, lr, every):
        ...         self.lr, self.every = lr, every
        ...     def __call__(self, step):
        ...         return self.lr * 0.5 ** (int(step) // self.every)
        ...     def get_config(self):
        ...         return {"lr": self.lr, "every": self.every}
    """

    def __call__(self, step) -> float:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override "
                                  f"__call__(self, step).")

    def get_config(self) -> dict:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override "
                                  f"get_config() to be serializable.")

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class _StepDecay(LearningRateSchedule):
    """Shared by ExponentialDecay and InverseTimeDecay: same arguments, same staircase rule."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive(type(self).__name__, "decay_steps", decay_steps)
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def _progress(self, step) -> float:
        p = _step(step) / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


@register(_KIND)
class ExponentialDecay(_StepDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Positive number of steps over which the rate is multiplied by ``decay_rate``.
        decay_rate: The multiplier per ``decay_steps`` steps.
        staircase: If True, ``step / decay_steps`` is floored (the rate drops in steps).
        name: Kept for Keras compatibility.

    Example:
        >>> ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)(20)
        0.025
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step) -> float:
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


@register(_KIND)
class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``step <= boundaries[1]``, ..., ``values[-1]`` after the last boundary.

    Args:
        boundaries: Strictly increasing steps.
        values: One more value than boundaries.
        name: Kept for Keras compatibility.

    Example:
        >>> s = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
        >>> s(100), s(101), s(500)
        (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                f"PiecewiseConstantDecay expects one more value than boundaries. Received: "
                f"boundaries={boundaries} ({len(boundaries)} entries) and values={values} "
                f"({len(values)} entries).")
        if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(f"PiecewiseConstantDecay expects strictly increasing boundaries. "
                             f"Received: boundaries={boundaries}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step) -> float:
        s = _step(step)
        for b, v in zip(self.boundaries, self.values):
            if s <= b:
                return float(v)
        return float(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@register(_KIND)
class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate`` over
    ``decay_steps`` steps: ``(init - end) * (1 - step / decay_steps) ** power + end``.

    With ``cycle=True`` the decay restarts with ``decay_steps`` multiplied by
    ``ceil(step / decay_steps)``.

    Example:
        >>> PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive(type(self).__name__, "decay_steps", decay_steps)
        self.end_learning_rate = float(end_learning_rate)
        self.power = float(power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step) -> float:
        s = _step(step)
        steps = self.decay_steps
        if self.cycle:
            steps = steps * (1.0 if s == 0 else math.ceil(s / steps))
        else:
            s = min(s, steps)
        p = s / steps
        return (self.initial_learning_rate - self.end_learning_rate) * (1 - p) ** self.power \
            + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power,
                "cycle": self.cycle, "name": self.name}


@register(_KIND)
class InverseTimeDecay(_StepDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (the division
    floored when ``staircase=True``).

    Example:
        >>> InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)(2)
        0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step) -> float:
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


@register(_KIND)
class CosineDecay(LearningRateSchedule):
    """Cosine decay with an optional linear warmup (Loshchilov & Hutter, SGDR).

    Without warmup (``warmup_target=None``) the rate goes from
    ``initial_learning_rate`` to ``initial_learning_rate * alpha`` over
    ``decay_steps`` steps::

        step = min(step, decay_steps)
        lr = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha)

    With ``warmup_target`` the rate first rises linearly from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps`` steps, then
    decays from ``warmup_target`` as above.

    Example:
        >>> CosineDecay(1.0, decay_steps=10)(5)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive(type(self).__name__, "decay_steps", decay_steps)
        self.alpha = float(alpha)
        self.name = name
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_steps = warmup_steps
        if warmup_steps < 0:
            raise ValueError(f"CosineDecay expects warmup_steps >= 0. Received: warmup_steps={warmup_steps!r}.")

    def _decay(self, s, start):
        cosine = 0.5 * (1.0 + math.cos(math.pi * s / self.decay_steps))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step) -> float:
        s = _step(step)
        if self.warmup_target is None:
            return self._decay(min(s, self.decay_steps), self.initial_learning_rate)
        s = min(s, self.decay_steps + self.warmup_steps)
        if s < self.warmup_steps:
            frac = s / self.warmup_steps
            return (self.warmup_target - self.initial_learning_rate) * frac + self.initial_learning_rate
        return self._decay(s - self.warmup_steps, self.warmup_target)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


def serialize(schedule: LearningRateSchedule) -> dict:
    """``{'class_name': ..., 'config': ...}`` for a schedule."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """Rebuild a schedule from :func:`serialize`'s output (only registered classes
    or those in ``custom_objects`` are looked up; nothing is imported)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A schedule config must be a dict with 'class_name' and 'config'. "
                         f"Received: {config!r}.")
    cls = get_class(_KIND, config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """A schedule from an instance, a config dict or a class name (with default-less
    classes a name alone is not enough, so names must come with a config)."""
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise unknown_name_error("learning rate schedule", identifier,
                             ["ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
                              "InverseTimeDecay", "CosineDecay"])
