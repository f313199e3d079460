"""Nodes: one call of a layer or operation on symbolic tensors."""
from __future__ import annotations

from typing import Any

from . import nest
from .keras_tensor import KerasTensor

__all__ = ["Node", "symbolic_call", "flatten", "is_shape"]


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


def is_shape(x) -> bool:
    return isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x)


def flatten(structure) -> list[KerasTensor]:
    """The KerasTensors in a nested structure, in order."""
    return [t for t in nest.flatten(structure) if isinstance(t, KerasTensor)]


def _shapes(structure):
    """Shapes in place of KerasTensors; lists and tuples of tensors become lists of shapes (a tuple
    of ints is itself a shape)."""
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
