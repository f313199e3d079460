"""Running a graph: the nodes between inputs and outputs as a flat list of steps."""
from __future__ import annotations

import torch

from .keras_tensor import KerasTensor
from .node import Node

__all__ = ["GraphPlan", "topological_nodes"]


def _format_shape(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def topological_nodes(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list[Node]:
    """The nodes that compute ``outputs`` from ``inputs``, each after the nodes it reads from."""
    input_ids = {id(t) for t in inputs}
    order: list[Node] = []
    done: set[int] = set()

    def visit(tensor, path):
        if id(tensor) in input_ids:
            return
        node = tensor.node
        if not node.call_args:   # an Input(): the graph starts here
            raise ValueError(
                f"Graph disconnected: the output depends on input '{node.layer.name}' (shape "
                f"{_format_shape(tensor.shape)}), which is not among the model's inputs. Add it to "
                f"Model(inputs=[...]). Path: {' <- '.join(path + [node.layer.name])}.")
        if id(node) in done:
            return
        for t in node.input_tensors:
            visit(t, path + [node.layer.name])
        done.add(id(node))
        order.append(node)

    for t in outputs:
        visit(t, [])
    return order


class GraphPlan:
    """The steps computing ``outputs`` (and any ``extra`` tensors) from ``inputs``, with each
    tensor in a numbered slot, so a forward pass is one tight loop.

    ``run(values, apply)`` calls ``apply(op, args, kwargs, takes_training)`` for each step
    (``op`` is a layer or an :class:`~lamina.graph.Operation`) and returns the values of the
    outputs, then of the extra tensors. ``run(values, apply, masks=True)`` also carries Keras
    masks along (``compute_mask``, ``mask=``) when some layer of the plan can make one
    (``makes_masks``); the plain loop runs otherwise.
    """

    def __init__(self, inputs: list[KerasTensor], outputs: list[KerasTensor], extra: list[KerasTensor] = ()):
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.extra = list(extra)
        self.nodes = topological_nodes(self.inputs, self.outputs + self.extra)
        slots: dict[int, int] = {}

        def slot(t):
            return slots.setdefault(id(t), len(slots))

        self.input_slots = [slot(t) for t in self.inputs]
        steps = []
        for node in self.nodes:
            args = node.call_args[0]
            if isinstance(args, KerasTensor):
                in_spec = slot(args)
            elif isinstance(args, dict):
                in_spec = {k: slot(v) for k, v in args.items()}
            else:
                in_spec = [slot(v) for v in args]
            out_slots = [slot(t) for t in node.output_tensors]
            steps.append((node.layer, in_spec, node.call_kwargs, out_slots, node.layer._call_takes_training))
        self.steps = steps
        self.output_slots = [slot(t) for t in self.outputs]
        self.extra_slots = [slot(t) for t in self.extra]
        self.n_slots = len(slots)
        # Some layer may create a mask (Embedding(mask_zero=True), Masking, ...): the forward pass
        # then carries masks; a plan without one runs the plain loop.
        self.makes_masks = any(getattr(op, "_makes_mask", False) for op, *_ in steps)

    def run(self, values: list, apply, masks: bool = False, input_masks=None) -> tuple[list, list]:
        """(output values, extra values) for the input ``values``.

        With ``masks`` (a forward pass, not a shape inference) and a plan that makes masks, each
        layer whose ``call`` takes ``mask=`` receives its input's mask, and an output tensor with
        a mask carries it as ``_keras_mask`` (what the loss and metrics read, as in Keras 3).
        ``input_masks`` (one per input, or None) are masks the inputs arrive with, as when this
        plan is a model nested in another.
        """
        if input_masks is not None and all(m is None for m in input_masks):
            input_masks = None
        if masks and (self.makes_masks or input_masks is not None):
            return self._run_masked(values, apply, input_masks)
        vals = [None] * self.n_slots
        for s, x in zip(self.input_slots, values):
            vals[s] = x
        for op, in_spec, kwargs, out_slots, takes_training in self.steps:
            if isinstance(in_spec, int):
                a = vals[in_spec]
            elif isinstance(in_spec, dict):
                a = {k: vals[v] for k, v in in_spec.items()}
            else:
                a = [vals[v] for v in in_spec]
            out = apply(op, a, kwargs, takes_training)
            if len(out_slots) == 1:
                vals[out_slots[0]] = out
            else:
                for s, o in zip(out_slots, out):
                    vals[s] = o
        return [vals[s] for s in self.output_slots], [vals[s] for s in self.extra_slots]

    def _run_masked(self, values: list, apply, input_masks=None) -> tuple[list, list]:
        vals = [None] * self.n_slots
        masks = [None] * self.n_slots
        for s, x in zip(self.input_slots, values):
            vals[s] = x
        for s, m in zip(self.input_slots, input_masks or ()):
            masks[s] = m
        for op, in_spec, kwargs, out_slots, takes_training in self.steps:
            if isinstance(in_spec, int):
                a, m = vals[in_spec], masks[in_spec]
            elif isinstance(in_spec, dict):
                a, m = {k: vals[v] for k, v in in_spec.items()}, None
            else:
                a = [vals[v] for v in in_spec]
                m = [masks[v] for v in in_spec]
                if all(x is None for x in m):
                    m = None
            takes_mask = getattr(op, "_call_takes_mask", False)
            if m is not None and takes_mask and "mask" not in kwargs:
                kwargs = {**kwargs, "mask": m}
            out = apply(op, a, kwargs, takes_training)
            if len(out_slots) == 1:
                vals[out_slots[0]] = out
            else:
                for s, o in zip(out_slots, out):
                    vals[s] = o
            if getattr(op, "_mask_from_output", False):   # a nested model: its own graph made the masks
                for s, o in zip(out_slots, [out] if len(out_slots) == 1 else out):
                    masks[s] = getattr(o, "_keras_mask", None)
            elif m is not None or getattr(op, "_makes_mask", False):
                compute = getattr(op, "compute_mask", None)
                out_mask = compute(a, m) if compute is not None else None
                if len(out_slots) == 1:
                    masks[out_slots[0]] = out_mask
                elif out_mask is not None:
                    for s, om in zip(out_slots, out_mask):
                        masks[s] = om
        for s in self.output_slots:
            if masks[s] is not None and isinstance(vals[s], torch.Tensor):
                vals[s]._keras_mask = masks[s]
        return [vals[s] for s in self.output_slots], [vals[s] for s in self.extra_slots]

    def first_consumer(self, tensor: KerasTensor):
        """The first op that reads ``tensor`` (for error messages), or None."""
        target = self.input_slots[self.inputs.index(tensor)]
        for op, in_spec, *_ in self.steps:
            ids = [in_spec] if isinstance(in_spec, int) else list(
                in_spec.values() if isinstance(in_spec, dict) else in_spec)
            if target in ids:
                return op
        return None
