"""Keras 1 layer arguments -> Keras 2/3 arguments: the constructor hook of the classic
namespace's classes (``keras.layers.Dense`` and friends, see ``_twins.py``).

The translator runs before every layer constructor binds its arguments. It renames a
legacy argument only when the class accepts the modern name and not the legacy one,
so a custom layer with its own ``output_dim`` argument (the Keras 2 custom-layer
example) keeps it. Each legacy form warns once, naming the modern form::

    Dense(output_dim=10, init='normal', W_regularizer=l2(0.01))
        -> Dense(units=10, kernel_initializer='normal', kernel_regularizer=l2(0.01))
    Convolution2D(32, 3, 3, border_mode='same', subsample=(2, 2), dim_ordering='th')
        -> Conv2D(32, (3, 3), padding='same', strides=(2, 2), data_format='channels_first')
    MaxPooling1D(pool_length=2, stride=1) -> MaxPooling1D(pool_size=2, strides=1)
    Dropout(p=0.5) -> Dropout(rate=0.5)
    Model(input=x, output=y) -> Model(inputs=x, outputs=y)

Three positional ints to a 2-D convolution, ``Conv2D(32, 3, 3)``, are read as Keras 1's
``(nb_filter, nb_row, nb_col)``, as Keras 2 read them, unless a Keras 2 keyword
(``kernel_size``, ``strides``, ``padding``, ``data_format``) is also given. Only the classic
namespace's classes read them so: ``lamina.layers.Conv2D(32, 3, 3)`` keeps Keras 3's meaning
(strides 3), whether or not :mod:`lamina.keras` was imported.
"""
from __future__ import annotations

import inspect

from ..compat import warn_legacy

__all__ = ["translate"]

# legacy name -> modern name (renamed only where the class takes the modern name)
_RENAMES = {
    "output_dim": "units",
    "init": "kernel_initializer",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
    "nb_filter": "filters",
    "filter_length": "kernel_size",
    "border_mode": "padding",
    "subsample": "strides",
    "subsample_length": "strides",
    "atrous_rate": "dilation_rate",
    "dim_ordering": "data_format",
    "pool_length": "pool_size",
    "stride": "strides",
    "p": "rate",
    "sigma": "stddev",
    "beta_init": "beta_initializer",
    "gamma_init": "gamma_initializer",
    "input_dtype": "dtype",
    "input": "inputs",
    "output": "outputs",
}
_DIM_ORDERING = {"th": "channels_first", "tf": "channels_last", "default": None}
_BASE_ARGS = frozenset({"trainable", "name", "dtype", "input_shape", "batch_input_shape", "input_dim",
                        "batch_size", "activity_regularizer"})
_KERAS2_CONV_KEYWORDS = ("kernel_size", "strides", "padding", "data_format")
_accepted_cache: dict[type, frozenset] = {}


def _accepted(cls) -> frozenset:
    names = _accepted_cache.get(cls)
    if names is None:
        params = inspect.signature(cls.__init__).parameters
        names = frozenset(p for p, v in params.items() if v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)) \
            | _BASE_ARGS
        from ..models.functional import Model
        if issubclass(cls, Model) and "__init__" not in {k for c in cls.__mro__[:cls.__mro__.index(Model)]
                                                         for k in vars(c)}:
            names |= {"inputs", "outputs"}  # Model(*args, **kwargs) takes them through **kwargs
        _accepted_cache[cls] = names
    return names


def _is_conv(cls, rank: int) -> bool:
    from ..layers.convolutional import _Conv
    return issubclass(cls, _Conv) and getattr(cls, "rank", None) == rank


def translate(cls, args, kwargs):
    """``(cls, args, kwargs) -> (args, kwargs)`` with Keras 1 arguments in their modern form."""
    name = cls.__name__
    if name.startswith("_"):
        return args, kwargs
    accepted = _accepted(cls)
    kwargs = dict(kwargs)
    args = tuple(args)
    if _is_conv(cls, 2):
        args, kwargs = _conv2d_kernel(cls, args, kwargs)
    if "weights" in kwargs and "weights" not in accepted and kwargs["weights"] is None:
        del kwargs["weights"]  # the Keras 1/2 default
    if "weights" in kwargs and "weights" not in accepted:
        raise TypeError(f"{name}(weights=[...]) (initial weights, Keras 1/2) is not supported by lamina. "
                        f"Build the model, then call layer.set_weights([...]) with the same arrays.")
    if "mode" in kwargs and "mode" not in accepted and name == "BatchNormalization":
        mode = kwargs.pop("mode")
        if mode != 0:
            raise ValueError(f"BatchNormalization(mode={mode!r}) (Keras 1) is not supported: Keras 2 kept only "
                             f"mode=0, feature-wise normalization. Remove mode= (and set axis= if needed).")
        warn_legacy("BatchNormalization.mode", "BatchNormalization(mode=0) is the Keras 1 form; remove mode=.")
    if "input_length" in kwargs and "input_length" not in accepted:
        length = kwargs.pop("input_length")
        dim = kwargs.pop("input_dim", None)
        if "input_shape" not in kwargs:
            kwargs["input_shape"] = (length, dim)
            warn_legacy(f"{name}.input_length", f"{name}(input_length=..., input_dim=...) is the Keras 1 form; "
                        f"use input_shape=(input_length, input_dim).")
    for old in [k for k in kwargs if k in _RENAMES]:
        new = _RENAMES[old]
        if old in accepted or new not in accepted:
            continue
        if new in kwargs:
            raise TypeError(f"{name} got both {old}= (Keras 1) and {new}=; pass only {new}=.")
        value = kwargs.pop(old)
        if old == "dim_ordering":
            if value not in _DIM_ORDERING:
                raise ValueError(f"{name}(dim_ordering={value!r}): expected 'th', 'tf' or 'default'. Use "
                                 f"data_format='channels_first' or 'channels_last'.")
            value = _DIM_ORDERING[value]
            shown = "None (the global image_data_format)" if value is None else repr(value)
            warn_legacy(f"dim_ordering.{value}",
                        f"dim_ordering= is the Keras 1 form; use data_format={shown}.")
        elif old == "border_mode" and value == "full":
            raise ValueError(f"{name}(border_mode='full') (Keras 1) has no Keras 2 equivalent. Use "
                             f"ZeroPadding2D(kernel_size - 1) before a padding='valid' convolution.")
        elif old in ("input", "output"):
            warn_legacy(f"{name}.{old}", f"{name}(input=..., output=...) is the Keras 1 form; use "
                        f"{name}(inputs=..., outputs=...).")
        else:
            warn_legacy(f"arg.{old}", f"{name}({old}=...) is the Keras 1 form; use {new}=... .")
        kwargs[new] = value
    return args, kwargs


def _conv2d_kernel(cls, args, kwargs):
    """Keras 1 ``Convolution2D(nb_filter, nb_row, nb_col)`` and ``nb_row=``/``nb_col=`` -> kernel_size."""
    name = cls.__name__
    if "nb_row" in kwargs or "nb_col" in kwargs:
        rest = list(args)
        row = kwargs.pop("nb_row", None)
        col = kwargs.pop("nb_col", None)
        if row is None and len(rest) >= 2:
            row = rest.pop(1)
        if col is None and len(rest) >= 2:
            col = rest.pop(1)
        if row is None or col is None:
            raise TypeError(f"{name} got nb_row={row!r}, nb_col={col!r} (Keras 1); pass both, or use "
                            f"kernel_size=(rows, cols).")
        kwargs["kernel_size"] = (row, col)
        warn_legacy(f"{name}.nb_row", f"{name}(nb_filter, nb_row=..., nb_col=...) is the Keras 1 form; use "
                    f"{name}(filters, kernel_size=(rows, cols)).")
        return tuple(rest), kwargs
    ints = [a for a in args[:3] if isinstance(a, int) and not isinstance(a, bool)]
    if len(args) == 3 and len(ints) == 3 and not any(k in kwargs for k in _KERAS2_CONV_KEYWORDS):
        filters, rows, cols = args
        warn_legacy(f"{name}.positional", f"{name}({filters}, {rows}, {cols}) (nb_filter, nb_row, nb_col) is the "
                    f"Keras 1 form; use {name}({filters}, ({rows}, {cols})).")
        return (filters, (rows, cols)), kwargs
    return args, kwargs
