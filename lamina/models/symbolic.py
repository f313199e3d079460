"""Symbolic tensors and graph nodes for the functional API.

Calling a layer on a ``KerasTensor`` builds the layer (it now knows its input
size), infers the output shape without computing anything, and records a
``Node`` linking input tensors to output tensors. ``Model(inputs, outputs)``
walks these nodes back from the outputs.
"""
from __future__ import annotations

from typing import Any

__all__ = ["KerasTensor", "Node", "symbolic_call", "flatten", "is_shape"]


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
