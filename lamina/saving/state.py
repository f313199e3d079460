"""Optimizer state as safetensors-able tensors plus JSON metadata, with no pickle.

A torch optimizer ``state_dict()`` is a nest of dicts, lists and tuples holding
tensors, numbers, strings, booleans and ``None`` (``{"state": {0: {"step": ...,
"exp_avg": ...}}, "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params":
[0, 1]}]}``, plus whatever a lamina optimizer adds, such as ``iterations``).
:func:`optimizer_state_to_tensors` splits it into a flat ``{key: tensor}`` dict
(for ``safetensors``) and a JSON-able skeleton in which every tensor is replaced by
a reference to its key; :func:`load_optimizer_state` puts the two back together
and hands the result to ``optimizer.load_state_dict``. Round trips are exact:
dtypes, shapes, values, int dict keys and tuples come back as they were.

Example:
    >>> tensors, meta = optimizer_state_to_tensors(opt)
    >>> safetensors.torch.save_file(tensors, "opt.safetensors")
    >>> json.dump(meta, open("opt.json", "w"))
    >>> load_optimizer_state(opt, safetensors.torch.load_file("opt.safetensors"), meta)
"""
from __future__ import annotations

import math
from typing import Any

import torch

__all__ = ["optimizer_state_to_tensors", "load_optimizer_state", "state_to_tensors", "state_from_tensors"]

FORMAT = "lamina.optimizer_state"
VERSION = 1

# Markers of the JSON skeleton. A plain JSON dict never has a key starting with "__lamina_".
_TENSOR = "__lamina_tensor__"
_TUPLE = "__lamina_tuple__"
_ITEMS = "__lamina_items__"
_FLOAT = "__lamina_float__"


def _join(path: str, key) -> str:
    return f"{path}/{key}" if path else str(key)


def _encode(value: Any, path: str, tensors: dict[str, torch.Tensor], seen: dict[int, str]) -> Any:
    if isinstance(value, torch.Tensor):
        t = value.detach()
        key = seen.get(id(value))
        if key is None:
            key = path or "tensor"
            while key in tensors:  # a dict key containing '/' could repeat a path
                key += "_"
            # safetensors refuses tensors that share memory: give each its own contiguous CPU copy.
            tensors[key] = t.to("cpu", copy=True).contiguous()
            seen[id(value)] = key
        return {_TENSOR: key}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {_FLOAT: repr(value)}  # 'inf', '-inf', 'nan'
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v, _join(path, i), tensors, seen) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, _join(path, i), tensors, seen) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__lamina_") for k in value):
            return {k: _encode(v, _join(path, k), tensors, seen) for k, v in value.items()}
        items = []
        for k, v in value.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"Optimizer state key {k!r} at '{path}' is a {type(k).__name__}; only str and "
                                f"int keys can be stored without pickle.")
            items.append([k, _encode(v, _join(path, k), tensors, seen)])
        return {_ITEMS: items}
    # numpy scalars and other number types with an exact Python equivalent
    item = getattr(value, "item", None)
    if callable(item):
        return _encode(item(), path, tensors, seen)
    raise TypeError(f"Optimizer state entry '{path}' holds a {type(value).__name__} ({value!r}), which cannot be "
                    f"stored without pickle. Optimizer state may hold tensors, numbers, strings, booleans, "
                    f"None, and lists/tuples/dicts of these.")


def _decode(node: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(node, list):
        return [_decode(v, tensors) for v in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (marker, payload), = node.items()
        if marker == _TENSOR:
            if payload not in tensors:
                raise ValueError(f"Optimizer state refers to tensor '{payload}', which the tensor file lacks. "
                                 f"The optimizer files are incomplete or come from different saves.")
            return tensors[payload]
        if marker == _TUPLE:
            return tuple(_decode(v, tensors) for v in payload)
        if marker == _ITEMS:
            return {k: _decode(v, tensors) for k, v in payload}
        if marker == _FLOAT:
            return float(payload)
    return {k: _decode(v, tensors) for k, v in node.items()}


def state_to_tensors(state: Any, prefix: str = "") -> tuple[dict[str, torch.Tensor], Any]:
    """Split any nest of tensors/numbers/containers into ``({key: tensor}, JSON skeleton)``."""
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _encode(state, prefix.rstrip("/"), tensors, {})
    return tensors, skeleton


def state_from_tensors(tensors: dict[str, torch.Tensor], skeleton: Any) -> Any:
    """Inverse of :func:`state_to_tensors`."""
    return _decode(skeleton, tensors)


def _param_shapes(optimizer) -> list[list[list[int]]]:
    groups = getattr(optimizer, "param_groups", None) or []
    return [[list(p.shape) for p in g.get("params", [])] for g in groups]


def optimizer_state_to_tensors(optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """Flatten ``optimizer.state_dict()`` into safetensors-able tensors and JSON metadata.

    Args:
        optimizer: a ``torch.optim.Optimizer`` (or anything with ``state_dict()``).

    Returns:
        ``(tensors, meta)``: ``tensors`` maps keys such as ``"state/0/exp_avg"`` to
        contiguous CPU tensors; ``meta`` is a JSON-able dict holding the rest of the
        state, the optimizer class name and the shapes of the parameters it updates.
    """
    state_dict = getattr(optimizer, "state_dict", None)
    if not callable(state_dict):
        raise TypeError(f"optimizer_state_to_tensors expects a torch optimizer with state_dict(). "
                        f"Received {optimizer!r} of type {type(optimizer).__name__}.")
    tensors, skeleton = state_to_tensors(state_dict())
    meta = {"format": FORMAT, "version": VERSION, "class_name": type(optimizer).__name__,
            "param_shapes": _param_shapes(optimizer), "state_dict": skeleton}
    return tensors, meta


def load_optimizer_state(optimizer, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    """Restore what :func:`optimizer_state_to_tensors` produced into ``optimizer``.

    The optimizer must update parameters of the same shapes, in the same order, as the
    one that was saved (a model rebuilt from the same config does). Tensors are moved
    to the parameters' device by ``optimizer.load_state_dict``.

    Raises:
        ValueError: the metadata is not optimizer state, or the parameter groups or
            shapes differ from the saved optimizer's.
    """
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "state_dict" not in meta:
        raise ValueError(f"load_optimizer_state expects the metadata written by optimizer_state_to_tensors "
                         f"(a dict with format={FORMAT!r}). Received {str(meta)[:200]}.")
    if int(meta.get("version", 0)) > VERSION:
        raise ValueError(f"This optimizer state uses format version {meta['version']}; this lamina reads up to "
                         f"version {VERSION}. Upgrade lamina to load it.")
    saved, current = meta.get("param_shapes"), _param_shapes(optimizer)
    # An optimizer that is not built yet (a lamina optimizer before fit) keeps the state and applies it
    # when it is built; torch checks the group sizes then.
    if saved and current and saved != current:
        if len(saved) != len(current):
            detail = f"{len(saved)} parameter group(s) were saved; the optimizer has {len(current)}"
        else:
            detail = ""
            for g, (a, b) in enumerate(zip(saved, current)):
                if len(a) != len(b):
                    detail = f"group {g} held {len(a)} parameters when saved; it has {len(b)} now"
                    break
                for i, (sa, sb) in enumerate(zip(a, b)):
                    if sa != sb:
                        detail = (f"parameter {i} of group {g} had shape {tuple(sa)} when saved; "
                                  f"it has shape {tuple(sb)} now")
                        break
                if detail:
                    break
        raise ValueError(f"Cannot restore {meta.get('class_name', 'optimizer')} state into "
                         f"{type(optimizer).__name__}: {detail}. The optimizer must update the parameters "
                         f"of the same model architecture that was saved.")
    optimizer.load_state_dict(state_from_tensors(tensors, meta["state_dict"]))
