"""``keras.optimizers`` with Keras 2's signatures and defaults.

The classes are lamina's optimizers (``isinstance(opt, lamina.optimizers.SGD)`` holds)
that also take Keras 2's positional order and defaults::

    SGD(lr=0.01, momentum=0., decay=0., nesterov=False)
    RMSprop(lr=0.001, rho=0.9, epsilon=None, decay=0.)
    Adagrad(lr=0.01, epsilon=None, decay=0.)
    Adadelta(lr=1.0, rho=0.95, epsilon=None, decay=0.)
    Adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0., amsgrad=False)
    Adamax(lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.)
    Nadam(lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None, schedule_decay=0.004)

``lr=`` and ``decay=`` (Keras 2's inverse-time decay per step, ``lr / (1 + decay * t)``)
warn once each; ``epsilon=None`` means the backend fuzz factor 1e-7. :func:`get` resolves
names with the Keras 2 default learning rates.
"""
from __future__ import annotations

from .. import optimizers as _opt
from ..compat import warn_legacy
from ..optimizers import LEGACY_LEARNING_RATES, Optimizer, deserialize, schedules, serialize

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam", "AdamW", "get",
           "serialize", "deserialize", "schedules", "sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax",
           "nadam"]


def _init(self, base, learning_rate, default, kwargs, **own):
    """Call ``base.__init__`` with Keras 2 arguments mapped; ``decay`` goes through kwargs (warns)."""
    if learning_rate is None and "lr" not in kwargs:
        learning_rate = default
    elif learning_rate is not None and "lr" in kwargs:
        raise TypeError(f"{type(self).__name__} got both a learning rate ({learning_rate!r}) and lr= (Keras 2); "
                        f"pass learning_rate= only.")
    elif learning_rate is None:
        learning_rate = default  # replaced by lr= in the base class, with its warning
    decay = own.pop("decay", 0.0)
    if decay:
        kwargs["decay"] = decay
    if own.get("epsilon", 1) is None:
        own.pop("epsilon")
    base.__init__(self, learning_rate, **own, **kwargs)


class SGD(_opt.SGD):
    """Keras 2 ``SGD(lr=0.01, momentum=0., decay=0., nesterov=False)``.

    A bool third positional argument is read as ``nesterov`` (Keras 2.3's order).
    """

    def __init__(self, learning_rate=None, momentum=0.0, decay=0.0, nesterov=False, **kwargs):
        if isinstance(decay, bool):
            decay, nesterov = 0.0, decay
        _init(self, _opt.SGD, learning_rate, 0.01, kwargs, momentum=momentum, decay=decay, nesterov=nesterov)


class RMSprop(_opt.RMSprop):
    """Keras 2 ``RMSprop(lr=0.001, rho=0.9, epsilon=None, decay=0.)``."""

    def __init__(self, learning_rate=None, rho=0.9, epsilon=None, decay=0.0, **kwargs):
        _init(self, _opt.RMSprop, learning_rate, 0.001, kwargs, rho=rho, epsilon=epsilon, decay=decay)


class Adagrad(_opt.Adagrad):
    """Keras 2 ``Adagrad(lr=0.01, epsilon=None, decay=0.)``."""

    def __init__(self, learning_rate=None, epsilon=None, decay=0.0, **kwargs):
        _init(self, _opt.Adagrad, learning_rate, LEGACY_LEARNING_RATES["adagrad"], kwargs, epsilon=epsilon,
              decay=decay)


class Adadelta(_opt.Adadelta):
    """Keras 2 ``Adadelta(lr=1.0, rho=0.95, epsilon=None, decay=0.)``."""

    def __init__(self, learning_rate=None, rho=0.95, epsilon=None, decay=0.0, **kwargs):
        _init(self, _opt.Adadelta, learning_rate, LEGACY_LEARNING_RATES["adadelta"], kwargs, rho=rho,
              epsilon=epsilon, decay=decay)


class Adam(_opt.Adam):
    """Keras 2 ``Adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0., amsgrad=False)``."""

    def __init__(self, learning_rate=None, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0, amsgrad=False,
                 **kwargs):
        _init(self, _opt.Adam, learning_rate, 0.001, kwargs, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
              decay=decay, amsgrad=amsgrad)


class Adamax(_opt.Adamax):
    """Keras 2 ``Adamax(lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.)``."""

    def __init__(self, learning_rate=None, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0, **kwargs):
        _init(self, _opt.Adamax, learning_rate, LEGACY_LEARNING_RATES["adamax"], kwargs, beta_1=beta_1,
              beta_2=beta_2, epsilon=epsilon, decay=decay)


class Nadam(_opt.Nadam):
    """Keras 2 ``Nadam(lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None, schedule_decay=0.004)``.

    lamina's Nadam uses Keras's momentum schedule with ``schedule_decay=0.004``; other
    values are refused.
    """

    def __init__(self, learning_rate=None, beta_1=0.9, beta_2=0.999, epsilon=None, schedule_decay=0.004,
                 **kwargs):
        if schedule_decay != 0.004:
            raise ValueError(f"Nadam(schedule_decay={schedule_decay!r}) (Keras 2): lamina's Nadam uses the fixed "
                             f"Keras schedule (schedule_decay=0.004). Remove the argument.")
        _init(self, _opt.Nadam, learning_rate, LEGACY_LEARNING_RATES["nadam"], kwargs, beta_1=beta_1,
              beta_2=beta_2, epsilon=epsilon)


AdamW = _opt.AdamW

# Keras 2 lowercase aliases (keras.optimizers.sgd(lr=0.1)).
sgd, rmsprop, adagrad, adadelta, adam, adamax, nadam = SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam


def get(identifier):
    """Resolve an optimizer like Keras 2: names get the Keras 2 default learning rates."""
    if isinstance(identifier, str) and identifier.lower() in LEGACY_LEARNING_RATES:
        key = identifier.lower()
        warn_legacy(f"optimizer.{key}", f"optimizer={identifier!r} uses the Keras 2 default "
                    f"learning_rate={LEGACY_LEARNING_RATES[key]} in the keras namespace (Keras 3: 0.001); pass "
                    f"an optimizer instance, e.g. {_opt.get(key).__class__.__name__}(learning_rate=...), to choose.")
    return _opt.get(identifier, legacy=True)
