"""``keras.backend`` (``import keras.backend as K``) on torch.

Configuration: ``image_data_format``, ``set_image_data_format``, ``image_dim_ordering``
('tf'/'th', Keras 1), ``set_image_dim_ordering``, ``floatx``, ``epsilon``, ``clear_session``,
``learning_phase``, ``int_shape``, ``count_params``, ...

Math functions (``K.mean``, ``K.square``, ``K.sqrt``, ``K.abs``, ``K.sum``, ``K.max``, ...)
work on torch tensors (inside a custom loss, metric or Lambda layer) and on symbolic tensors
(``layer.output``), where they record op nodes; ``K.gradients(loss, model.input)`` and
``K.function([model.input], [loss, grads])`` then evaluate them, as the filter-visualisation
and class-activation-map code of Keras 2 courses does::

    loss = K.mean(layer_output[:, :, :, filter_index])
    grads = K.gradients(loss, model.input)[0]
    grads /= K.sqrt(K.mean(K.square(grads))) + 1e-5
    iterate = K.function([model.input], [loss, grads])
    loss_value, grads_value = iterate([input_img_data])
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F

from .. import config as _config
from .._naming import clear_session as _clear_names
from ..compat import warn_legacy
from ..graph import KerasTensor, symbolic_gradients, symbolic_op
from ._function import LEARNING_PHASE, Function, LearningPhase

_DIM_ORDERINGS = {"tf": "channels_last", "th": "channels_first"}


# ---------------------------------------------------------------------------- configuration
def backend() -> str:
    """The name of the engine: ``'torch'``."""
    return "torch"


floatx = _config.floatx
set_floatx = _config.set_floatx
epsilon = _config.epsilon
set_epsilon = _config.set_epsilon
image_data_format = _config.image_data_format
set_image_data_format = _config.set_image_data_format


def image_dim_ordering() -> str:
    """Keras 1: 'tf' (channels_last) or 'th' (channels_first)."""
    warn_legacy("K.image_dim_ordering", "K.image_dim_ordering() is the Keras 1 form; use K.image_data_format() "
                "('channels_last' / 'channels_first').")
    return "tf" if _config.image_data_format() == "channels_last" else "th"


def set_image_dim_ordering(dim_ordering: str) -> None:
    """Keras 1: ``set_image_dim_ordering('th')`` = ``set_image_data_format('channels_first')``."""
    if dim_ordering not in _DIM_ORDERINGS:
        raise ValueError(f"set_image_dim_ordering expects 'tf' or 'th'. Received: {dim_ordering!r}. Or use "
                         f"set_image_data_format('channels_last' / 'channels_first').")
    warn_legacy("K.set_image_dim_ordering", "K.set_image_dim_ordering() is the Keras 1 form; use "
                f"K.set_image_data_format({_DIM_ORDERINGS[dim_ordering]!r}).")
    _config.set_image_data_format(_DIM_ORDERINGS[dim_ordering])


def clear_session() -> None:
    """Reset the layer auto-names (``dense``, ``dense_1``, ...); existing models stay usable."""
    _clear_names()
    LearningPhase.value = None


def reset_uids() -> None:
    _clear_names()


def learning_phase():
    """The training-flag placeholder, for ``K.function([model.input, K.learning_phase()], ...)``."""
    return LEARNING_PHASE


def set_learning_phase(value) -> None:
    """0 (test) or 1 (train): the flag K.function runs layers with (Dropout, BatchNormalization)."""
    if value not in (0, 1):
        raise ValueError(f"set_learning_phase expects 0 or 1. Received: {value!r}.")
    LearningPhase.value = int(value)


def get_session(*args, **kwargs):
    raise NotImplementedError("K.get_session() returns a TensorFlow session; lamina runs on torch and has none. "
                              "Models run eagerly: call model.predict(x), or K.function(...) for symbolic outputs.")


set_session = get_session


@contextlib.contextmanager
def name_scope(name):
    """Accepted for compatibility; names are not scoped."""
    yield


# ---------------------------------------------------------------------------- tensors
def is_keras_tensor(x) -> bool:
    return isinstance(x, KerasTensor)


def is_tensor(x) -> bool:
    return isinstance(x, (torch.Tensor, KerasTensor))


def int_shape(x):
    """The shape as a tuple of ints (None for unknown sizes)."""
    if isinstance(x, KerasTensor):
        return x.shape
    if hasattr(x, "shape"):
        return tuple(int(d) for d in x.shape)
    raise TypeError(f"int_shape expects a tensor or array. Received {type(x).__name__}.")


def ndim(x) -> int:
    return len(int_shape(x))


def dtype(x) -> str:
    if isinstance(x, KerasTensor):
        return x.dtype
    return str(getattr(x, "dtype", "")).replace("torch.", "")


def count_params(x) -> int:
    """Number of scalars in a weight (or ``layer.count_params()`` for a layer)."""
    if hasattr(x, "count_params") and callable(x.count_params):
        return int(x.count_params())
    return int(np.prod(int_shape(x)))


def _torch_dtype(name):
    if name is None:
        return _config.dtype()
    if isinstance(name, torch.dtype):
        return name
    return getattr(torch, str(np.dtype(name)) if name != "bool" else "bool")


def variable(value, dtype=None, name=None, constraint=None):
    """A torch tensor holding ``value`` (a Keras variable)."""
    return torch.tensor(np.asarray(value), dtype=_torch_dtype(dtype or _config.floatx()))


def constant(value, dtype=None, shape=None, name=None):
    arr = np.asarray(value)
    if shape is not None:
        arr = np.broadcast_to(arr, shape)
    return torch.tensor(arr, dtype=_torch_dtype(dtype or _config.floatx()))


def zeros(shape, dtype=None, name=None):
    return torch.zeros(tuple(shape), dtype=_torch_dtype(dtype))


def ones(shape, dtype=None, name=None):
    return torch.ones(tuple(shape), dtype=_torch_dtype(dtype))


def eye(size, dtype=None, name=None):
    return torch.eye(size, dtype=_torch_dtype(dtype))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    g = torch.Generator().manual_seed(seed) if seed is not None else None
    return torch.randn(tuple(shape), generator=g, dtype=_torch_dtype(dtype)) * stddev + mean


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    g = torch.Generator().manual_seed(seed) if seed is not None else None
    return torch.rand(tuple(shape), generator=g, dtype=_torch_dtype(dtype)) * (maxval - minval) + minval


def placeholder(shape=None, ndim=None, dtype=None, name=None, sparse=False):
    """A symbolic input (``Input(batch_shape=shape)``) for ``K.function``."""
    from ..layers import Input
    if shape is None:
        if ndim is None:
            raise ValueError("K.placeholder needs shape=... or ndim=... .")
        shape = (None,) * ndim
    return Input(batch_shape=tuple(shape), dtype=dtype, name=name)


def get_value(x):
    """A tensor (or number) as a numpy value."""
    if isinstance(x, KerasTensor):
        raise TypeError(f"K.get_value needs a real tensor; {x!r} is symbolic. Evaluate it with "
                        f"K.function([model.input], [x])([data]).")
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x) if not isinstance(x, (int, float)) else x


eval = get_value  # noqa: A001 - Keras's name


def batch_get_value(xs):
    return [get_value(x) for x in xs]


def set_value(x, value) -> None:
    """Copy ``value`` into the tensor ``x`` in place."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"K.set_value needs a tensor to change in place; received {type(x).__name__} {x!r}. For a "
                        f"learning rate write model.optimizer.learning_rate = value.")
    with torch.no_grad():
        x.copy_(torch.as_tensor(np.asarray(value), dtype=x.dtype))


def batch_set_value(pairs) -> None:
    for x, v in pairs:
        set_value(x, v)


# ---------------------------------------------------------------------------- math (torch or symbolic)
def _is_symbolic(values) -> bool:
    for v in values:
        if isinstance(v, KerasTensor):
            return True
        if isinstance(v, (list, tuple)) and _is_symbolic(v):
            return True
    return False


def _t(x):
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray) or isinstance(x, (list, tuple)) and not _is_symbolic(x):
        arr = np.asarray(x)
        t = torch.from_numpy(np.ascontiguousarray(arr))
        return t.to(_config.dtype()) if t.is_floating_point() else t
    return x


def _apply(name, fn, *args, **kwargs):
    if _is_symbolic(args) or _is_symbolic(kwargs.values()):
        return symbolic_op(fn, args, kwargs, name=name)
    return fn(*[_t(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs)


def _axes(axis):
    if axis is None:
        return None
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _float(x):
    return x if x.is_floating_point() else x.to(_config.dtype())


def _reduce(torch_fn, float_only=True):
    def run(x, axis=None, keepdims=False):
        x = _float(x) if float_only else x
        dims = _axes(axis)
        if dims is None:
            dims = tuple(range(x.dim()))
        if dims == ():
            return x
        return torch_fn(x, dim=dims, keepdim=keepdims)
    return run


_mean = _reduce(torch.mean)
_sum = _reduce(torch.sum, float_only=False)
_max = _reduce(torch.amax, float_only=False)
_min = _reduce(torch.amin, float_only=False)


def _var_fn(x, dim, keepdim):
    return torch.var(x, dim=dim, keepdim=keepdim, unbiased=False)


def _std_fn(x, dim, keepdim):
    return torch.std(x, dim=dim, keepdim=keepdim, unbiased=False)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (an int, a tuple, or None for all axes)."""
    return _apply("mean", _mean, x, axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _apply("sum", _sum, x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return _apply("max", _max, x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return _apply("min", _min, x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return _apply("var", _reduce(_var_fn), x, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return _apply("std", _reduce(_std_fn), x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    def run(t, axis=None, keepdims=False):
        dims = _axes(axis)
        dims = tuple(range(t.dim())) if dims is None else (dims if isinstance(dims, tuple) else (dims,))
        for d in sorted((d % t.dim() for d in dims), reverse=True):
            t = torch.prod(t, dim=d, keepdim=keepdims)
        return t
    return _apply("prod", run, x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return _apply("any", lambda t, **k: _reduce(torch.amax, False)(t.bool(), **k), x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return _apply("all", lambda t, **k: _reduce(torch.amin, False)(t.bool(), **k), x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return _apply("argmax", torch.argmax, x, dim=axis)


def argmin(x, axis=-1):
    return _apply("argmin", torch.argmin, x, dim=axis)


def square(x):
    return _apply("square", torch.square, x)


def sqrt(x):
    """Square root of ``max(x, 0)`` (as Keras clips before the root)."""
    return _apply("sqrt", lambda t: torch.sqrt(torch.clamp(t, min=0.0)), x)


def abs(x):  # noqa: A001
    return _apply("abs", torch.abs, x)


def exp(x):
    return _apply("exp", torch.exp, x)


def log(x):
    return _apply("log", torch.log, x)


def pow(x, a):  # noqa: A001
    return _apply("pow", torch.pow, x, a)


def sign(x):
    return _apply("sign", torch.sign, x)


def round(x):  # noqa: A001
    return _apply("round", torch.round, x)


def clip(x, min_value, max_value):
    return _apply("clip", lambda t, lo, hi: torch.clamp(t, lo, hi), x, min_value, max_value)


def maximum(x, y):
    return _apply("maximum", lambda a, b: torch.maximum(a, torch.as_tensor(b, dtype=a.dtype, device=a.device)), x, y)


def minimum(x, y):
    return _apply("minimum", lambda a, b: torch.minimum(a, torch.as_tensor(b, dtype=a.dtype, device=a.device)), x, y)


def cast(x, dtype):
    return _apply("cast", lambda t: t.to(_torch_dtype(dtype)), x)


def equal(x, y):
    return _apply("equal", torch.eq, x, y)


def not_equal(x, y):
    return _apply("not_equal", torch.ne, x, y)


def greater(x, y):
    return _apply("greater", torch.gt, x, y)


def greater_equal(x, y):
    return _apply("greater_equal", torch.ge, x, y)


def less(x, y):
    return _apply("less", torch.lt, x, y)


def less_equal(x, y):
    return _apply("less_equal", torch.le, x, y)


def dot(x, y):
    return _apply("dot", torch.matmul, x, y)


def batch_dot(x, y, axes=None):
    if axes is not None and tuple(np.atleast_1d(axes)) not in ((1, 1), (2, 1), (1,), (2,)):
        raise NotImplementedError(f"K.batch_dot(axes={axes!r}) is not supported; use torch.einsum in a Lambda.")
    return _apply("batch_dot", torch.matmul, x, y)


def transpose(x):
    return _apply("transpose", lambda t: t.permute(*reversed(range(t.dim()))), x)


def permute_dimensions(x, pattern):
    return _apply("permute_dimensions", lambda t: t.permute(*pattern), x)


def reshape(x, shape):
    return _apply("reshape", lambda t: t.reshape(tuple(-1 if d is None else d for d in shape)), x)


def flatten(x):
    return _apply("flatten", lambda t: t.reshape(-1), x)


def batch_flatten(x):
    return _apply("batch_flatten", lambda t: t.reshape(t.shape[0], -1), x)


def expand_dims(x, axis=-1):
    return _apply("expand_dims", torch.unsqueeze, x, axis)


def squeeze(x, axis):
    return _apply("squeeze", torch.squeeze, x, axis)


def concatenate(tensors, axis=-1):
    return _apply("concatenate", lambda ts: torch.cat([_t(t) for t in ts], dim=axis), list(tensors))


def stack(x, axis=0):
    return _apply("stack", lambda ts: torch.stack([_t(t) for t in ts], dim=axis), list(x))


def tile(x, n):
    return _apply("tile", lambda t: t.repeat(*(n if isinstance(n, (list, tuple)) else [n])), x)


def repeat_elements(x, rep, axis):
    return _apply("repeat_elements", lambda t: torch.repeat_interleave(t, rep, dim=axis), x)


def gather(reference, indices):
    return _apply("gather", lambda r, i: r[torch.as_tensor(i, device=r.device).long()], reference, indices)


def cumsum(x, axis=0):
    return _apply("cumsum", torch.cumsum, x, axis)


def shape(x):
    return _apply("shape", lambda t: torch.tensor(tuple(t.shape)), x)


def stop_gradient(x):
    return _apply("stop_gradient", torch.Tensor.detach, x)


def zeros_like(x, dtype=None, name=None):
    return _apply("zeros_like", lambda t: torch.zeros_like(t, dtype=_torch_dtype(dtype) if dtype else None), x)


def ones_like(x, dtype=None, name=None):
    return _apply("ones_like", lambda t: torch.ones_like(t, dtype=_torch_dtype(dtype) if dtype else None), x)


# ---------------------------------------------------------------------------- activations and losses
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    def run(t):
        out = torch.where(t >= threshold, t, alpha * (t - threshold)) if alpha or threshold else F.relu(t)
        return torch.clamp(out, max=max_value) if max_value is not None else out
    return _apply("relu", run, x)


def softmax(x, axis=-1):
    return _apply("softmax", lambda t: torch.softmax(t, dim=axis), x)


def sigmoid(x):
    return _apply("sigmoid", torch.sigmoid, x)


def hard_sigmoid(x):
    return _apply("hard_sigmoid", lambda t: torch.clamp(0.2 * t + 0.5, 0.0, 1.0), x)


def tanh(x):
    return _apply("tanh", torch.tanh, x)


def softplus(x):
    return _apply("softplus", F.softplus, x)


def softsign(x):
    return _apply("softsign", F.softsign, x)


def elu(x, alpha=1.0):
    return _apply("elu", lambda t: F.elu(t, alpha=alpha), x)


def l2_normalize(x, axis=None):
    def run(t):
        dims = tuple(range(t.dim())) if axis is None else _axes(axis)
        sq = torch.sum(torch.square(t), dim=dims, keepdim=True)
        return t * torch.rsqrt(torch.clamp(sq, min=1e-12))
    return _apply("l2_normalize", run, x)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Keras 2 backend form: ``-sum(target * log(output), axis)`` (probabilities are renormalised and clipped)."""
    def run(t, o):
        if from_logits:
            return -torch.sum(t * torch.log_softmax(o, dim=axis), dim=axis)
        o = o / torch.sum(o, dim=axis, keepdim=True)
        o = torch.clamp(o, _config.epsilon(), 1.0 - _config.epsilon())
        return -torch.sum(t * torch.log(o), dim=axis)
    return _apply("categorical_crossentropy", run, target, output)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    def run(t, o):
        logp = torch.log_softmax(o, dim=axis) if from_logits else torch.log(
            torch.clamp(o, _config.epsilon(), 1.0 - _config.epsilon()))
        return -torch.gather(logp, axis, t.long().reshape(logp.shape[:-1] + (1,))).squeeze(axis)
    return _apply("sparse_categorical_crossentropy", run, target, output)


def binary_crossentropy(target, output, from_logits=False):
    """Keras 2 backend form: elementwise (no mean over the last axis)."""
    def run(t, o):
        if from_logits:
            return F.binary_cross_entropy_with_logits(o, t.to(o.dtype), reduction="none")
        o = torch.clamp(o, _config.epsilon(), 1.0 - _config.epsilon())
        return -(t * torch.log(o) + (1 - t) * torch.log(1 - o))
    return _apply("binary_crossentropy", run, target, output)


# ---------------------------------------------------------------------------- graph functions
def gradients(loss, variables):
    """Symbolic gradients of ``loss`` (summed) with respect to ``variables`` (symbolic tensors such as
    ``model.input`` or ``layer.output``); evaluate them with :func:`function`."""
    return symbolic_gradients(loss, variables)


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable evaluating ``outputs`` for input values: ``K.function([model.input], [y])([x])``."""
    return Function(inputs, outputs, updates=updates, name=name, **kwargs)


def in_train_phase(x, alt, training=None):
    if training is None:
        training = LearningPhase.value
    value = x if training else alt
    return value() if callable(value) else value


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)


__all__ = sorted(n for n, v in list(globals().items())
                 if not n.startswith("_") and callable(v) and getattr(v, "__module__", "") in (__name__, _config.__name__)
                 and not isinstance(v, type))
