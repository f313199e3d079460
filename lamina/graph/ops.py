"""Operations on symbolic tensors that are not layers: ``x[:, 0]``, ``x * 2``, ``K.mean(x)``
and ``K.gradients(loss, [x])``.

An :class:`Operation` is what a graph node calls when it is not a layer: it has a name,
records nodes, infers its output shape from two runs on empty tensors, and applies one
torch function to real tensors. It holds no weights, so models do not list it among
their layers (as in Keras 3).
"""
from __future__ import annotations

import torch

from .._naming import unique_name
from .keras_tensor import KerasTensor
from .node import Node, is_shape

__all__ = ["Operation", "FunctionOp", "GradientOp", "symbolic_op", "symbolic_gradients", "is_gradient_op"]


def _format_shape(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


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
            raise ValueError(f"Cannot apply {name} to symbolic tensors of shape "
                             f"{', '.join(_format_shape(s) for s in shapes)}: {err}") from err
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        runs.append([(tuple(o.shape), _dtype_name(o.dtype)) if isinstance(o, torch.Tensor) else None for o in outs])
    result = []
    for a, b in zip(*runs):
        if a is None or b is None or len(a[0]) != len(b[0]):
            raise ValueError(f"{name} on symbolic tensors must return tensors of a fixed rank; it returned "
                             f"{a} and {b} for two batch sizes.")
        result.append((tuple(x if x == y else None for x, y in zip(a[0], b[0])), a[1]))
    return result, isinstance(out, (list, tuple))


class Operation:
    """A graph step that is not a layer. Subclasses implement ``compute(inputs)`` and
    ``compute_output_shape(input_shape)``."""

    built = True
    _call_takes_training = False

    def __init__(self, name: str):
        self.name = name
        self._inbound_nodes: list = []

    def __call__(self, inputs, **kwargs):
        return self.compute(inputs)

    def compute(self, inputs):
        raise NotImplementedError(f"{type(self).__name__} must implement compute(inputs).")

    def parameters(self):
        return iter(())

    def get_config(self):
        raise TypeError(f"'{self.name}' is the operation {self._op_name} on symbolic tensors; a model that "
                        f"contains it cannot be saved as a config. Wrap the computation in a Lambda layer, or "
                        f"save the weights only (save_weights).")

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


class FunctionOp(Operation):
    """One torch function applied to symbolic tensors (``x[:, 0]``, ``x * 2``, ``K.mean(x)``)."""

    def __init__(self, fn, template, kw_template, op_name, name):
        super().__init__(name)
        self._fn = fn
        self._template = template
        self._kw_template = kw_template
        self._op_name = op_name

    def compute(self, inputs):
        vals = inputs if isinstance(inputs, list) else [inputs]
        return self._fn(*_fill(self._template, vals, vals[0]), **_fill(self._kw_template, vals, vals[0]))

    def compute_output_shape(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) and not is_shape(input_shape) else [input_shape]
        node = self._inbound_nodes[0]
        outs, multi = _infer_outputs(self._fn, self._template, self._kw_template, shapes,
                                     [t.dtype for t in node.input_tensors], self._op_name)
        return [s for s, _ in outs] if multi else outs[0][0]


class GradientOp(Operation):
    """Gradients of a tensor with respect to others (``K.gradients``); evaluated by K.function."""

    _op_name = "gradients"

    def compute(self, inputs):
        loss, wrt = inputs[0], list(inputs[1:])
        if not torch.is_grad_enabled() or torch.is_inference_mode_enabled():
            raise RuntimeError(f"'{self.name}' computes K.gradients, which needs autograd: evaluate it with "
                               f"K.function([model.input], [...]), not with predict().")
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


def _op_name(name: str) -> str:
    return unique_name(f"op_{name}")


def symbolic_op(fn, args: tuple, kwargs: dict | None = None, name: str = "op"):
    """Record ``fn(*args, **kwargs)`` on symbolic tensors as an operation node and return its output
    KerasTensor(s). ``fn`` takes torch tensors where ``args`` hold KerasTensors."""
    found: list[KerasTensor] = []
    template = _strip(tuple(args), found)
    kw_template = _strip(dict(kwargs or {}), found)
    if not found:
        raise TypeError(f"symbolic_op({name}) needs at least one symbolic tensor among its arguments.")
    outs, multi = _infer_outputs(fn, template, kw_template, [t.shape for t in found], [t.dtype for t in found],
                                 name)
    op = FunctionOp(fn, template, kw_template, name, name=_op_name(name))
    tensors = [KerasTensor(shape, dtype, name=f"{op.name}/output_{i}" if multi else f"{op.name}/output")
               for i, (shape, dtype) in enumerate(outs)]
    Node(op, (list(found),), {}, tensors)
    return list(tensors) if multi else tensors[0]


def symbolic_gradients(loss: KerasTensor, variables) -> list[KerasTensor]:
    """Symbolic gradients of ``sum(loss)`` with respect to each of ``variables`` (KerasTensors)."""
    variables = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    bad = [v for v in [loss, *variables] if not isinstance(v, KerasTensor)]
    if bad:
        raise TypeError(f"K.gradients(loss, variables) takes symbolic tensors (layer outputs, model.input); "
                        f"received {type(bad[0]).__name__}. For gradients of real tensors use "
                        f"torch.autograd.grad(loss, [x]) or loss.backward().")
    op = GradientOp(name=_op_name("gradients"))
    tensors = [KerasTensor(v.shape, v.dtype, name=f"{op.name}/output_{i}") for i, v in enumerate(variables)]
    Node(op, ([loss, *variables],), {}, tensors)
    return tensors


def is_gradient_op(op) -> bool:
    return isinstance(op, GradientOp)
