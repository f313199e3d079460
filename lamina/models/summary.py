"""The Keras ``model.summary()`` table.

Columns and widths follow classic Keras: 65 characters with columns at
45% / 85% for sequential-like models, 98 characters with a "Connected to"
column for other graphs. Row parameter counts are plain; totals use thousands
separators.
"""
from __future__ import annotations

import torch

from ..layers.base import format_shape
from ..layers.core import InputLayer

__all__ = ["summary_text"]


def _row(fields, positions) -> str:
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line += str(field)
        line = line[: positions[i]]
        line += " " * (positions[i] - len(line))
    return line


def _type_name(layer) -> str:
    from .functional import Model
    from .sequential import Sequential
    if isinstance(layer, Sequential):
        return "Sequential"
    if isinstance(layer, Model) and layer._is_graph_network and type(layer).__name__ == "Model":
        return "Functional"
    return type(layer).__name__


def _is_sequential_like(model) -> bool:
    from .sequential import Sequential
    if isinstance(model, Sequential) or not model._is_graph_network:
        return True
    prev = None
    for node in model._graph_nodes:
        if len(node.input_tensors) != 1 or len(node.output_tensors) != 1:
            return False
        if prev is not None and node.input_tensors[0] is not prev:
            return False
        prev = node.output_tensors[0]
    return len(model.inputs) == 1 and len(model.outputs) == 1


def _traced_shapes(model) -> dict:
    """Output shape of each direct sublayer of a subclassed model, from one call on zeros."""
    shapes: dict[int, object] = {}
    shape = model._build_shape
    if shape is None or isinstance(shape, list) or any(d is None for d in shape[1:]):
        return shapes
    hooks = []
    for layer in model.layers:
        def hook(mod, args, out, _id=id(layer)):
            if _id in shapes:
                shapes[_id] = "multiple"
            else:
                shapes[_id] = (None,) + tuple(out.shape[1:]) if isinstance(out, torch.Tensor) else "multiple"
        hooks.append(layer.register_forward_hook(hook))
    try:
        device = next((t.device for t in model.weights), None)
        with torch.no_grad():
            model(torch.zeros((1,) + tuple(shape[1:]), device=device))
    finally:
        for h in hooks:
            h.remove()
    return shapes


def _layer_output_shape(model, layer, traced):
    if id(layer) in traced:
        s = traced[id(layer)]
        return s if isinstance(s, str) else format_shape(s)
    nodes = [n for n in layer._inbound_nodes if _node_in_model(model, n)]
    if len(nodes) != 1:
        return "multiple" if nodes else "?"
    outs = nodes[0].output_tensors
    return format_shape(outs[0].shape) if len(outs) == 1 else format_shape([t.shape for t in outs])


def _node_in_model(model, node) -> bool:
    if not model._is_graph_network:
        return False
    if isinstance(node.layer, InputLayer):
        return any(t.node is node for t in model.inputs)
    return any(n is node for n in model._graph_nodes)


def summary_text(model, line_length=None, positions=None, expand_nested=False, show_trainable=False) -> str:
    from .sequential import Sequential
    if not model.built or (isinstance(model, Sequential) and not model._is_graph_network):
        raise ValueError(
            f"Model '{model.name}' has not been built yet, so its summary is unknown. Give the first layer "
            f"input_shape=... (or start with Input(...)), call model.build((None, ...)), or fit it first.")
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    traced = {} if model._is_graph_network else _traced_shapes(model)

    lines = [f'Model: "{model.name}"', "_" * line_length, _row(header, positions), "=" * line_length]
    layers = model.layers
    for i, layer in enumerate(layers):
        name = f"{layer.name} ({_type_name(layer)})"
        shape = _layer_output_shape(model, layer, traced)
        params = layer.count_params() if layer.built else 0
        fields = [name, shape, params]
        if not sequential_like:
            conns = []
            for node in layer._inbound_nodes:
                if not _node_in_model(model, node):
                    continue
                for t in node.input_tensors:
                    src, node_index, tensor_index = t._keras_history
                    conns.append(f"{src.name}[{node_index}][{tensor_index}]")
            fields.append(conns[0] if conns else "")
            lines.append(_row(fields, positions))
            for extra in conns[1:]:
                lines.append(_row(["", "", "", extra], positions))
        else:
            lines.append(_row(fields, positions))
        lines.append(("=" if i == len(layers) - 1 else "_") * line_length)
    if not layers:
        lines.append("=" * line_length)

    seen = set()
    trainable = non_trainable = 0
    trainable_ids = {id(t) for t in model.trainable_weights}
    for t in model.weights:
        if id(t) in seen:
            continue
        seen.add(id(t))
        if id(t) in trainable_ids:
            trainable += t.numel()
        else:
            non_trainable += t.numel()
    lines += [f"Total params: {trainable + non_trainable:,}",
              f"Trainable params: {trainable:,}",
              f"Non-trainable params: {non_trainable:,}",
              "_" * line_length]
    return "\n".join(lines)
