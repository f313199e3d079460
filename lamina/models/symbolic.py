"""Symbolic tensors and graph nodes for the functional API.

Calling a layer on a ``KerasTensor`` builds the layer (it now knows its input
size), infers the output shape without computing anything, and records a
``Node`` linking input tensors to output tensors. ``Model(inputs, outputs)``
walks these nodes back from the outputs.

Arithmetic, comparisons and slicing of symbolic tensors (``out[:, :, :, 3] * 2``)
and :func:`symbolic_op` (used by ``keras.backend``: ``K.mean(x)``) record op nodes
too: a private layer that applies one torch function, so such tensors work in
``Model(inputs, outputs)`` and in ``K.function``. :func:`symbolic_gradients`
records the gradients of one tensor with respect to others (``K.gradients``);
those are computed only by ``K.function``, which runs the graph with autograd on.
"""
from __future__ import annotations

import operator
from typing import Any

import torch

__all__ = ["KerasTensor", "Node", "symbolic_call", "flatten", "is_shape", "symbolic_op", "symbolic_gradients",
           "is_gradient_layer"]


class KerasTensor:
    """A placeholder with a shape (``None`` for unknown sizes) and a dtype."""

    __slots__ = ("shape", "dtype", "name", "_keras_history", "__weakref__")

    def __init__(self, shape, dtype: str = "float32", name: str | None = None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name
        self._keras_history = history  # (layer, node_index, tensor_index)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def node(self):
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __len__(self):
        raise TypeError(f"A symbolic tensor has no length: {self!r}. Its shape[1:] is known; its batch size "
                        f"is not until real data arrives.")

    def __bool__(self):
        raise TypeError(f"A symbolic tensor has no truth value: {self!r}. Build the model first, then call "
                        f"it on real data.")

    def __array__(self, *args, **kwargs):
        raise TypeError(f"A symbolic tensor cannot become a numpy array: {self!r}. Call model.predict(x) "
                        f"on real data instead.")

    def __iter__(self):
        raise TypeError(f"A symbolic tensor is not iterable: {self!r}. Index it instead, e.g. x[:, 0].")

    # numpy defers to the reflected operators below (array * tensor -> tensor.__rmul__).
    __array_ufunc__ = None

    def get_shape(self):
        """The shape as a tuple (TensorFlow's spelling, used by classic Keras code)."""
        return self.shape

    # ------------------------------------------------------------------ operators (op nodes)
    def __getitem__(self, index):
        return symbolic_op(operator.getitem, (self, index), name="getitem")

    def __neg__(self):
        return symbolic_op(torch.neg, (self,), name="neg")

    def __pos__(self):
        return self

    def __abs__(self):
        return symbolic_op(torch.abs, (self,), name="abs")

    def __add__(self, other):
        return symbolic_op(operator.add, (self, other), name="add")

    def __radd__(self, other):
        return symbolic_op(operator.add, (other, self), name="add")

    def __sub__(self, other):
        return symbolic_op(operator.sub, (self, other), name="subtract")

    def __rsub__(self, other):
        return symbolic_op(operator.sub, (other, self), name="subtract")

    def __mul__(self, other):
        return symbolic_op(operator.mul, (self, other), name="multiply")

    def __rmul__(self, other):
        return symbolic_op(operator.mul, (other, self), name="multiply")

    def __truediv__(self, other):
        return symbolic_op(operator.truediv, (self, other), name="divide")

    def __rtruediv__(self, other):
        return symbolic_op(operator.truediv, (other, self), name="divide")

    def __floordiv__(self, other):
        return symbolic_op(operator.floordiv, (self, other), name="floor_divide")

    def __pow__(self, other):
        return symbolic_op(operator.pow, (self, other), name="power")

    def __rpow__(self, other):
        return symbolic_op(operator.pow, (other, self), name="power")

    def __matmul__(self, other):
        return symbolic_op(operator.matmul, (self, other), name="matmul")

    def __rmatmul__(self, other):
        return symbolic_op(operator.matmul, (other, self), name="matmul")

    def __lt__(self, other):
        return symbolic_op(operator.lt, (self, other), name="less")

    def __le__(self, other):
        return symbolic_op(operator.le, (self, other), name="less_equal")

    def __gt__(self, other):
        return symbolic_op(operator.gt, (self, other), name="greater")

    def __ge__(self, other):
        return symbolic_op(operator.ge, (self, other), name="greater_equal")


class Node:
    """One call of a layer on symbolic tensors."""

    def __init__(self, layer, call_args: tuple, call_kwargs: dict, outputs: list[KerasTensor]):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.input_tensors = flatten(call_args)
        self.output_tensors = list(outputs)
        index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = (layer, index, i)

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors]


def flatten(structure) -> list[KerasTensor]:
    if isinstance(structure, KerasTensor):
        return [structure]
    if isinstance(structure, (list, tuple)):
        return [t for item in structure for t in flatten(item)]
    if isinstance(structure, dict):
        return [t for v in structure.values() for t in flatten(v)]
    return []


def is_shape(x) -> bool:
    return isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x)


def _shapes(structure):
    if isinstance(structure, KerasTensor):
        return structure.shape
    if isinstance(structure, (list, tuple)):
        return [_shapes(s) for s in structure]
    if isinstance(structure, dict):
        return {k: _shapes(v) for k, v in structure.items()}
    return structure


def symbolic_call(layer, args: tuple, kwargs: dict) -> Any:
    """Run ``layer`` on symbolic inputs: build it, infer output shapes, record a Node."""
    kwargs = dict(kwargs)
    inputs = args[0] if args else kwargs.pop("inputs")
    kwargs.pop("training", None)
    extra_args = tuple(args[1:])
    in_shape = _shapes(inputs)
    if not layer.built:
        layer._build_for(in_shape)
    else:
        layer._check_input_spec(in_shape)
    out_shape = layer.compute_output_shape(in_shape)
    dtype = getattr(layer, "_dtype", None) or "float32"
    if isinstance(out_shape, (list, tuple)) and not is_shape(out_shape):
        outputs = [KerasTensor(s, dtype, name=f"{layer.name}/output_{i}") for i, s in enumerate(out_shape)]
        result: Any = list(outputs)
    else:
        outputs = [KerasTensor(out_shape, dtype, name=f"{layer.name}/output")]
        result = outputs[0]
    Node(layer, (inputs,) + extra_args, kwargs, outputs)
    return result


# ---------------------------------------------------------------------------- op nodes
_TORCH_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
                 "float64": torch.float64, "int8": torch.int8, "int16": torch.int16, "int32": torch.int32,
                 "int64": torch.int64, "uint8": torch.uint8, "bool": torch.bool}
_SENTINELS = (5, 7)  # sizes standing in for unknown (None) axes while inferring an op's output shape


class _Slot:
    """Where the i-th symbolic input goes in an op's argument template."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


def _strip(value, found: list):
    """Replace KerasTensors in (nested) arguments by _Slots, collecting them in ``found``."""
    if isinstance(value, KerasTensor):
        found.append(value)
        return _Slot(len(found) - 1)
    if isinstance(value, slice):
        return slice(_strip(value.start, found), _strip(value.stop, found), _strip(value.step, found))
    if isinstance(value, (list, tuple)):
        return type(value)(_strip(v, found) for v in value)
    if isinstance(value, dict):
        return {k: _strip(v, found) for k, v in value.items()}
    return value


def _fill(template, values: list, like):
    """The inverse of _strip, with real tensors; numpy constants become tensors beside ``like``."""
    if isinstance(template, _Slot):
        return values[template.index]
    if isinstance(template, slice):
        return slice(_fill(template.start, values, like), _fill(template.stop, values, like),
                     _fill(template.step, values, like))
    if isinstance(template, (list, tuple)):
        return type(template)(_fill(v, values, like) for v in template)
    if isinstance(template, dict):
        return {k: _fill(v, values, like) for k, v in template.items()}
    if type(template).__module__ == "numpy" and hasattr(template, "shape") and template.shape != ():
        t = torch.as_tensor(template)
        return t.to(device=like.device, dtype=like.dtype if t.is_floating_point() else t.dtype)
    return template


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def _infer_outputs(fn, template, kw_template, shapes, dtypes, name):
    """[(shape, dtype)] of ``fn``'s outputs, from two runs on empty tensors (meta, else CPU) in which
    the unknown sizes take two different values: axes that differ between the runs are unknown."""
    runs = []
    for size in _SENTINELS:
        dims = [tuple(size if d is None else d for d in s) for s in shapes]
        err = None
        for device in ("meta", "cpu"):
            vals = [torch.zeros(d, dtype=_TORCH_DTYPES.get(t, torch.float32), device=device)
                    for d, t in zip(dims, dtypes)]
            try:
                with torch.no_grad():
                    out = fn(*_fill(template, vals, vals[0]), **_fill(kw_template, vals, vals[0]))
                break
            except Exception as e:  # noqa: BLE001 - reported below with the shapes
                err = e
        else:
            from ..layers.base import format_shape
            raise ValueError(f"Cannot apply {name} to symbolic tensors of shape "
                             f"{', '.join(format_shape(s) for s in shapes)}: {err}") from err
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        runs.append([(tuple(o.shape), _dtype_name(o.dtype)) if isinstance(o, torch.Tensor) else None for o in outs])
    result = []
    for a, b in zip(*runs):
        if a is None or b is None or len(a[0]) != len(b[0]):
            raise ValueError(f"{name} on symbolic tensors must return tensors of a fixed rank; it returned "
                             f"{a} and {b} for two batch sizes.")
        result.append((tuple(x if x == y else None for x, y in zip(a[0], b[0])), a[1]))
    return result, isinstance(out, (list, tuple))


def _op_layer_class():
    global _OpLayer, _GradientLayer
    if _OpLayer is not None:
        return _OpLayer, _GradientLayer
    from ..layers.base import Layer

    class _OpLayerImpl(Layer):
        """One torch function applied to symbolic tensors (``x[:, 0]``, ``x * 2``, ``K.mean(x)``)."""

        def __init__(self, fn, template, kw_template, op_name, **kwargs):
            super().__init__(**kwargs)
            self._fn = fn
            self._template = template
            self._kw_template = kw_template
            self._op_name = op_name
            self.built = True

        def call(self, inputs):
            vals = inputs if isinstance(inputs, list) else [inputs]
            return self._fn(*_fill(self._template, vals, vals[0]), **_fill(self._kw_template, vals, vals[0]))

        def compute_output_shape(self, input_shape):
            shapes = input_shape if isinstance(input_shape, list) and not is_shape(input_shape) else [input_shape]
            node = self._inbound_nodes[0]
            outs, multi = _infer_outputs(self._fn, self._template, self._kw_template, shapes,
                                         [t.dtype for t in node.input_tensors], self._op_name)
            return [s for s, _ in outs] if multi else outs[0][0]

        def get_config(self):
            raise TypeError(f"Layer '{self.name}' is the operation {self._op_name} on symbolic tensors; a model "
                            f"that contains it cannot be saved as a config. Wrap the computation in a "
                            f"Lambda layer, or save the weights only (save_weights).")

        def extra_repr(self):
            return f"name={self.name!r}, op={self._op_name}"

    class _GradientLayerImpl(_OpLayerImpl):
        """Gradients of a tensor with respect to others (``K.gradients``); evaluated by K.function."""

        def __init__(self, **kwargs):
            super().__init__(None, None, None, "gradients", **kwargs)

        def call(self, inputs):
            loss, wrt = inputs[0], list(inputs[1:])
            if not torch.is_grad_enabled() or torch.is_inference_mode_enabled():
                raise RuntimeError(f"Layer '{self.name}' computes K.gradients, which needs autograd: evaluate it "
                                   f"with K.function([model.input], [...]), not with predict().")
            target = loss if loss.dim() == 0 else loss.sum()
            needed = [w for w in wrt if w.requires_grad]
            grads = iter(torch.autograd.grad(target, needed, retain_graph=True, allow_unused=True)
                         if needed and target.requires_grad else [None] * len(needed))
            out = [(next(grads) if w.requires_grad else None) for w in wrt]
            out = [torch.zeros_like(w) if g is None else g for g, w in zip(out, wrt)]
            return out if len(out) > 1 else out[0]

        def compute_output_shape(self, input_shape):
            shapes = list(input_shape[1:])
            return shapes if len(shapes) > 1 else shapes[0]

    _OpLayer, _GradientLayer = _OpLayerImpl, _GradientLayerImpl
    return _OpLayer, _GradientLayer


_OpLayer = None
_GradientLayer = None


def _op_name(name: str) -> str:
    from .._naming import unique_name
    return unique_name(f"op_{name}")


def symbolic_op(fn, args: tuple, kwargs: dict | None = None, name: str = "op"):
    """Record ``fn(*args, **kwargs)`` on symbolic tensors as an op node and return its output
    KerasTensor(s). ``fn`` takes torch tensors where ``args`` hold KerasTensors."""
    found: list[KerasTensor] = []
    template = _strip(tuple(args), found)
    kw_template = _strip(dict(kwargs or {}), found)
    if not found:
        raise TypeError(f"symbolic_op({name}) needs at least one symbolic tensor among its arguments.")
    outs, multi = _infer_outputs(fn, template, kw_template, [t.shape for t in found], [t.dtype for t in found],
                                 name)
    op_cls, _ = _op_layer_class()
    layer = op_cls(fn, template, kw_template, name, name=_op_name(name))
    tensors = [KerasTensor(shape, dtype, name=f"{layer.name}/output_{i}" if multi else f"{layer.name}/output")
               for i, (shape, dtype) in enumerate(outs)]
    Node(layer, (list(found),), {}, tensors)
    return list(tensors) if multi else tensors[0]


def symbolic_gradients(loss: KerasTensor, variables) -> list[KerasTensor]:
    """Symbolic gradients of ``sum(loss)`` with respect to each of ``variables`` (KerasTensors)."""
    variables = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    bad = [v for v in [loss, *variables] if not isinstance(v, KerasTensor)]
    if bad:
        raise TypeError(f"K.gradients(loss, variables) takes symbolic tensors (layer outputs, model.input); "
                        f"received {type(bad[0]).__name__}. For gradients of real tensors use "
                        f"torch.autograd.grad(loss, [x]) or loss.backward().")
    _, grad_cls = _op_layer_class()
    layer = grad_cls(name=_op_name("gradients"))
    tensors = [KerasTensor(v.shape, v.dtype, name=f"{layer.name}/output_{i}") for i, v in enumerate(variables)]
    Node(layer, ([loss, *variables],), {}, tensors)
    return tensors


def is_gradient_layer(layer) -> bool:
    return _GradientLayer is not None and isinstance(layer, _GradientLayer)
