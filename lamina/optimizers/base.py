"""The Keras-style optimizer base: a real ``torch.optim.Optimizer`` created without
parameters, built later, updating with Keras's rules in multi-tensor form.

Life cycle (what the training engine does)::

    opt = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)  # no params yet
    opt.build(model.trainable_weights)                          # torch.optim.Optimizer.__init__
    opt.zero_grad(set_to_none=True); loss.backward(); opt.step()

``step()`` skips parameters whose ``.grad`` is None, clips (``clipvalue``,
``clipnorm`` or ``global_clipnorm``), applies decoupled weight decay
(``w -= w * weight_decay * lr``, before the update, as Keras 3 does), applies the
optimizer's update with ``torch._foreach_*`` ops, and increments
``opt.iterations``. Learning rates and bias corrections are Python floats, so a
step never waits for the device.
"""
from __future__ import annotations

import math
import warnings
from collections import OrderedDict

import torch

from .._errors import did_you_mean
from . import schedules as _schedules

__all__ = ["Optimizer"]

# Keras 3 base arguments lamina accepts only at their default values.
_UNSUPPORTED_DEFAULTS = {"use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                         "loss_scale_factor": None, "gradient_accumulation_steps": None}


def _warn_once(form: str, message: str) -> None:
    from ..compat import warn_legacy   # the one warn-once, which honours lamina.compat.quiet()
    warn_legacy(form, message)


def _optional_positive(owner, arg, value):
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not (v > 0 and math.isfinite(v)):
        raise ValueError(f"{owner} expects {arg} to be a positive float or None. Received: {arg}={value!r}.")
    return v


def default_epsilon(epsilon):
    """Keras 2 accepted epsilon=None for the backend's fuzz factor (1e-7)."""
    if epsilon is None:
        from ..config import epsilon as fuzz
        return fuzz()
    return epsilon


def non_negative(owner, arg, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not (v >= 0 and math.isfinite(v)):
        raise ValueError(f"{owner} expects {arg} to be a non-negative float. Received: {arg}={value!r}.")
    return v


class Optimizer(torch.optim.Optimizer):
    """Base of lamina's optimizers. Subclasses define:

    * ``_slot_names()``: names of the per-parameter state tensors (zeros at build
      unless ``_init_slot`` says otherwise);
    * ``_update(params, grads, slots, lr, step)``: the Keras update rule on lists of
      tensors, ``slots`` mapping each slot name to its list, ``lr`` the learning
      rate and ``step`` the 1-based step number, both Python numbers;
    * ``get_config()``: the base config plus the optimizer's own arguments.

    Args:
        learning_rate: A positive float, a
            :class:`~lamina.optimizers.schedules.LearningRateSchedule`, or a callable
            taking no argument and returning the rate.
        weight_decay: If set, decoupled weight decay ``w -= w * weight_decay * lr``
            before each update.
        clipnorm: If set, each gradient is rescaled so its L2 norm is at most this.
        clipvalue: If set, each gradient is clipped to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, all gradients are rescaled together so their
            global L2 norm is at most this.
        name: The optimizer's name.
    """

    _default_name = "optimizer"

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        owner = type(self).__name__
        learning_rate = self._legacy_kwargs(kwargs, learning_rate)
        self.name = name if name is not None else self._default_name
        self.weight_decay = None if weight_decay is None else non_negative(owner, "weight_decay", weight_decay)
        self.clipnorm = _optional_positive(owner, "clipnorm", clipnorm)
        self.clipvalue = _optional_positive(owner, "clipvalue", clipvalue)
        self.global_clipnorm = _optional_positive(owner, "global_clipnorm", global_clipnorm)
        set_clips = [f"{k}={v!r}" for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                                ("global_clipnorm", global_clipnorm)) if v is not None]
        if len(set_clips) > 1:
            raise ValueError(f"{owner} accepts only one of clipnorm, clipvalue and global_clipnorm. "
                             f"Received: {', '.join(set_clips)}. Keep one.")
        self._learning_rate = self._check_learning_rate(learning_rate)
        self.iterations = 0
        self.built = False
        self._exclude_ids: set[int] = set()
        self._exclude_names: tuple[str, ...] = ()
        self._cache: dict[int, tuple] = {}
        self._pending_state = None
        for attr in _HOOK_ATTRS:  # torch's hook registries, usable before build
            setattr(self, attr, OrderedDict())

    # ----------------------------------------------------------------- arguments
    def _legacy_kwargs(self, kwargs, learning_rate):
        owner = type(self).__name__
        if "lr" in kwargs:
            _warn_once(f"{owner}.lr", f"{owner}(lr=...) is the Keras 2 spelling; use learning_rate=... .")
            learning_rate = kwargs.pop("lr")
        decay = kwargs.pop("decay", 0.0)
        self.decay = non_negative(owner, "decay", decay if decay is not None else 0.0)
        if self.decay:
            _warn_once(f"{owner}.decay", f"{owner}(decay=...) is the Keras 2 per-step decay "
                       "lr / (1 + decay * iterations); prefer learning_rate=InverseTimeDecay(...).")
        for key, default in _UNSUPPORTED_DEFAULTS.items():
            value = kwargs.pop(key, default)
            if value != default:
                raise ValueError(f"{owner} does not support {key} in lamina yet. Received: {key}={value!r}. "
                                 f"Remove the argument (default {key}={default!r}).")
        if kwargs:
            bad = next(iter(kwargs))
            valid = list(self._argument_names())
            hint = did_you_mean(bad, valid) or f". Valid arguments: {', '.join(valid)}."
            raise TypeError(f"{owner} got an unexpected argument {bad!r}{hint}")
        return learning_rate

    def _argument_names(self):
        import inspect
        names = [p for p in inspect.signature(type(self).__init__).parameters if p not in ("self", "kwargs")]
        return names + ["lr", "decay"]

    def _check_learning_rate(self, value):
        if isinstance(value, _schedules.LearningRateSchedule) or (callable(value) and not _is_number(value)):
            return value
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = float("nan")
        if not (v > 0 and math.isfinite(v)):
            raise ValueError(
                f"{type(self).__name__} expects learning_rate to be a positive float, a LearningRateSchedule "
                f"or a callable. Received: learning_rate={value!r}. Typical values are 0.001 to 0.1.")
        return v

    # ------------------------------------------------------------- learning rate
    @property
    def learning_rate(self) -> float:
        """The current learning rate as a float (a schedule's value at ``iterations``).

        Assigning a float replaces it (and every param group's ``"lr"``); assigning a
        schedule switches to it.
        """
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return float(lr(self.iterations))
        if callable(lr):
            return float(lr())
        if self.built and self.param_groups:
            return float(self.param_groups[0]["lr"])
        return lr

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, _schedules.LearningRateSchedule) or (callable(value) and not _is_number(value)):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            raise TypeError(
                f"{type(self).__name__} was created with a LearningRateSchedule, so its learning rate "
                f"cannot be set to a number (received {value!r}). Create the optimizer with a float "
                f"learning_rate to change it during training (e.g. with ReduceLROnPlateau).")
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = float("nan")
        if not (v >= 0 and math.isfinite(v)):
            raise ValueError(f"{type(self).__name__} expects learning_rate to be a non-negative float. "
                             f"Received: learning_rate={value!r}.")
        self._learning_rate = v
        if self.built:
            for group in self.param_groups:
                group["lr"] = v

    lr = learning_rate

    def _group_lr(self, group) -> float:
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            value = float(lr(self.iterations))
            group["lr"] = value
        elif callable(lr):
            value = float(lr())
            group["lr"] = value
        else:
            value = group["lr"]
        if self.decay:
            value = value / (1.0 + self.decay * self.iterations)
        return value

    # --------------------------------------------------------------------- build
    def build(self, params) -> None:
        """Attach the parameters to optimize and create the optimizer's state.

        Building again with the same parameters does nothing; with different ones
        the optimizer rebuilds, keeping the state of parameters present in both and
        ``iterations``.

        Args:
            params: An iterable of ``nn.Parameter`` (or of torch param-group dicts).
        """
        params = list(params)
        groups = params if params and isinstance(params[0], dict) else [{"params": params}]
        groups = [dict(g, params=list(g["params"])) for g in groups]
        if self.built and self._same_groups(groups):
            return
        old_state = dict(self.state) if self.built else {}
        base_lr = self.learning_rate  # the current value (set by ReduceLROnPlateau, a torch scheduler, ...)
        hooks = {k: getattr(self, k) for k in _HOOK_ATTRS}
        torch.optim.Optimizer.__init__(self, groups, {"lr": base_lr})
        self.__dict__.update(hooks)
        self.built = True
        self._cache = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in old_state:
                    self.state[p] = old_state[p]
                self._ensure_slots(p)
        if self._pending_state is not None:
            pending, self._pending_state = self._pending_state, None
            self.load_state_dict(pending)

    def _same_groups(self, groups) -> bool:
        if len(groups) != len(self.param_groups):
            return False
        for new, old in zip(groups, self.param_groups):
            a, b = new["params"], old["params"]
            if len(a) != len(b) or any(x is not y for x, y in zip(a, b)):
                return False
        return True

    def _slot_names(self) -> tuple[str, ...]:
        return ()

    def _init_slot(self, name: str, param: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(param, memory_format=torch.preserve_format)

    def _ensure_slots(self, p) -> None:
        st = self.state[p]
        for name in self._slot_names():
            if name not in st:
                st[name] = self._init_slot(name, p.detach())

    def add_param_group(self, param_group) -> None:
        super().add_param_group(param_group)
        if getattr(self, "built", False):
            for p in self.param_groups[-1]["params"]:
                self._ensure_slots(p)
        self._cache = {}

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise RuntimeError(
                f"{type(self).__name__}.{what}() needs the parameters to optimize. Call "
                f"optimizer.build(model.parameters()) first (model.compile()/fit() do it for you).")

    # ----------------------------------------------------------- weight decay
    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Exclude parameters from weight decay: those in ``var_list``, and those
        whose ``name``/``path`` attribute contains one of ``var_names``."""
        self._exclude_ids = {id(v) for v in (var_list or [])}
        self._exclude_names = tuple(var_names or ())
        self._cache = {}

    def _decays(self, p) -> bool:
        if id(p) in self._exclude_ids:
            return False
        if self._exclude_names:
            label = str(getattr(p, "path", None) or getattr(p, "name", None) or "")
            return not any(n in label for n in self._exclude_names)
        return True

    # --------------------------------------------------------------------- step
    def zero_grad(self, set_to_none: bool = True) -> None:
        if self.built:
            super().zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):
        """Apply one update to every parameter that has a gradient.

        Args:
            closure: Optional callable re-evaluating the model and returning the loss
                (torch convention); called with gradients enabled.

        Returns:
            The closure's loss, or None.
        """
        self._require_built("step")
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            self._apply()
        return loss

    def apply(self, grads, trainable_variables=None) -> None:
        """Apply ``grads`` to ``trainable_variables`` (Keras 3's ``optimizer.apply``), for a custom
        ``train_step``: ``opt.apply([v.grad for v in weights], weights)``.

        The first call builds the optimizer for these variables; later calls may pass any of
        them (variables left out are not updated this time). A ``None`` gradient skips its variable.
        """
        grads = list(grads)
        if trainable_variables is None:
            self._require_built("apply")
            variables = [p for g in self.param_groups for p in g["params"]]
        else:
            variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(f"{type(self).__name__}.apply got {len(grads)} gradients for {len(variables)} "
                             f"variables. Pass one gradient per variable, in the same order.")
        if not self.built:
            self.build(variables)
        known = {id(p) for g in self.param_groups for p in g["params"]}
        unknown = [tuple(v.shape) for v in variables if id(v) not in known]
        if unknown:
            raise ValueError(f"{type(self).__name__}.apply received variables it was not built for (shapes "
                             f"{unknown[:3]}). An optimizer updates one set of variables: create one optimizer "
                             f"per set (e.g. one for the generator, one for the discriminator).")
        given = {id(v): g for v, g in zip(variables, grads)}
        for group in self.param_groups:
            for p in group["params"]:
                g = given.get(id(p))
                p.grad = None if g is None else (g if g is p.grad else g.detach())
        self.step()

    def apply_gradients(self, grads_and_vars) -> None:
        """Apply ``[(grad, variable), ...]`` (Keras 2's and 3's ``apply_gradients``)."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def _gather(self, index: int, group):
        cached = self._cache.get(index)
        if cached is None or cached[0] is not group["params"] or len(cached[1]) != len(group["params"]):
            params = group["params"]
            for p in params:
                self._ensure_slots(p)
            slots = {name: [self.state[p][name] for p in params] for name in self._slot_names()}
            decay_mask = [self._decays(p) for p in params]
            cached = (params, list(params), slots, decay_mask)
            self._cache[index] = cached
        _, params, slots, decay_mask = cached
        grads = [p.grad for p in params]
        if any(g is None for g in grads):
            keep = [i for i, g in enumerate(grads) if g is not None]
            params = [params[i] for i in keep]
            grads = [grads[i] for i in keep]
            slots = {k: [v[i] for i in keep] for k, v in slots.items()}
            decay_mask = [decay_mask[i] for i in keep]
        return params, grads, slots, decay_mask

    def _apply(self) -> None:
        work = []
        for index, group in enumerate(self.param_groups):
            params, grads, slots, decay_mask = self._gather(index, group)
            if params:
                work.append((group, params, grads, slots, decay_mask))
        if not work:
            return
        if self.global_clipnorm is not None:
            all_grads = [g for w in work for g in w[2]]
            scale = _global_scale(all_grads, self.global_clipnorm)
            work = [(grp, p, torch._foreach_mul(g, scale), s, d) for grp, p, g, s, d in work]
        elif self.clipnorm is not None:
            work = [(grp, p, _clip_each_norm(g, self.clipnorm), s, d) for grp, p, g, s, d in work]
        elif self.clipvalue is not None:
            c = self.clipvalue
            work = [(grp, p, torch._foreach_clamp_max(torch._foreach_clamp_min(g, -c), c), s, d)
                    for grp, p, g, s, d in work]
        step = self.iterations + 1
        self._before_update(step)
        for group, params, grads, slots, decay_mask in work:
            lr = self._group_lr(group)
            if self.weight_decay:
                decayed = params if all(decay_mask) else [p for p, d in zip(params, decay_mask) if d]
                if decayed:
                    torch._foreach_mul_(decayed, 1.0 - lr * self.weight_decay)
            self._update(params, grads, slots, lr, step)
        self.iterations = step

    def _before_update(self, step: int) -> None:
        """Hook for per-step scalars shared by all groups (Nadam's momentum product)."""

    def _update(self, params, grads, slots, lr: float, step: int) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _update(params, grads, slots, lr, step)")

    # -------------------------------------------------------------------- state
    def _extra_state(self) -> dict:
        return {}

    def _load_extra_state(self, state: dict) -> None:
        pass

    def state_dict(self) -> dict:
        """torch's state dict plus ``iterations`` (and optimizer-specific scalars)."""
        if not self.built:
            sd = {"state": {}, "param_groups": []}
        else:
            sd = super().state_dict()
        sd["iterations"] = int(self.iterations)
        sd.update(self._extra_state())
        return sd

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore :meth:`state_dict`'s output. Before :meth:`build`, the state is kept
        and applied when the optimizer is built."""
        if not self.built:
            self._pending_state = state_dict
            self.iterations = int(state_dict.get("iterations", 0))
            self._load_extra_state(state_dict)
            return
        extra = {k: v for k, v in state_dict.items() if k not in ("state", "param_groups")}
        core = {"state": state_dict["state"], "param_groups": state_dict["param_groups"]}
        if core["param_groups"]:
            super().load_state_dict(core)
        self.iterations = int(extra.get("iterations", 0))
        self._load_extra_state(extra)
        if isinstance(self._learning_rate, float) and self.param_groups:
            self._learning_rate = float(self.param_groups[0]["lr"])
        self._cache = {}
        for group in self.param_groups:
            for p in group["params"]:
                self._ensure_slots(p)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self.built:
            torch.optim.Optimizer.__setstate__(self, {"state": self.state, "param_groups": self.param_groups})

    # ------------------------------------------------------------------- config
    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr_config = _schedules.serialize(lr)
        elif callable(lr):
            warnings.warn(f"{type(self).__name__}.get_config() stores the callable learning_rate as its "
                          f"current value {self.learning_rate!r}; use a LearningRateSchedule to keep it.",
                          stacklevel=2)
            lr_config = self.learning_rate
        else:
            lr_config = float(self.learning_rate)
        config = {"name": self.name, "learning_rate": lr_config, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                  "clipvalue": self.clipvalue}
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = _schedules.deserialize(lr, custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = self.get_config()
        args = ", ".join(f"{k}={v!r}" for k, v in config.items() if k != "name" and v is not None)
        return f"{type(self).__name__}({args})"


_HOOK_ATTRS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
               "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
               "_optimizer_load_state_dict_post_hooks")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) or (isinstance(value, torch.Tensor) and value.ndim == 0)


def _global_scale(grads, clip: float) -> torch.Tensor:
    """Keras's global-norm scale: ``clip * min(1 / norm, 1 / clip)``, NaN when the norm is not finite."""
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    scale = clip * torch.clamp(norm.reciprocal(), max=1.0 / clip)
    return scale + (norm - norm)


def _clip_each_norm(grads, clip: float):
    """Each gradient times ``clip / max(norm, clip)`` (a gradient of norm 0 stays 0)."""
    norms = torch._foreach_maximum(torch._foreach_norm(grads), clip)
    torch._foreach_reciprocal_(norms)
    torch._foreach_mul_(norms, clip)
    return torch._foreach_mul(grads, norms)
