"""Model weights <-> safetensors, keyed ``"<layer name>/<weight name>"``.

Tensors are stored in torch layout, exactly as the layers hold them (a Dense
kernel is ``(out, in)``), so the file is a plain safetensors file for torch users.
The safetensors metadata records the key order and, per key, the permutation
that turns the stored tensor into Keras layout (``get_weights()``), so that a
``.h5`` exporter can convert without knowing the layer types.

Layers of nested models are keyed by their path: ``"sequential/dense/kernel"``.
Tensors a layer holds outside its Keras weight records (plain torch submodules)
are stored under ``"_torch/<state_dict key>"`` so nothing is lost.
"""
from __future__ import annotations

import json
import warnings

import torch

__all__ = ["weight_entries", "weights_to_bytes", "read_header", "apply_weights", "plan_from_header", "WEIGHTS_FORMAT"]

WEIGHTS_FORMAT = "lamina.weights"
_VERSION = "1"


def _children(layer):
    from ..models.functional import Model
    if isinstance(layer, Model):
        return layer.layers
    return layer._sublayers()


def weight_entries(model) -> list[tuple[str, torch.Tensor, tuple | None]]:
    """``(key, tensor, to_keras permutation)`` for every weight of ``model``, each tensor once, in a fixed order."""
    entries: list[tuple[str, torch.Tensor, tuple | None]] = []
    seen: set[int] = set()
    keys: set[str] = set()

    def add(key, tensor, perm):
        if id(tensor) in seen:
            return
        if key in keys:
            raise ValueError(f"Two weights of model '{model.name}' would be stored under the same key {key!r}. "
                             f"Give the layers distinct names.")
        seen.add(id(tensor))
        keys.add(key)
        entries.append((key, tensor, perm))

    def visit(layer, prefix):
        for rec in layer._weight_records:
            add(prefix + rec.name, layer._tensor(rec), rec.to_keras)
        for child in _children(layer):
            visit(child, f"{prefix}{child.name}/")

    visit(model, "")
    for name, tensor in model.state_dict(keep_vars=True).items():
        if id(tensor) not in seen:
            add(f"_torch/{name}", tensor, None)
    return entries


def weights_to_bytes(model, extra_metadata: dict | None = None) -> bytes:
    """The model's weights as the bytes of a safetensors file (torch layout, Keras permutations in metadata)."""
    import safetensors.torch

    entries = weight_entries(model)
    tensors, ptrs = {}, set()
    for key, t, _ in entries:
        t = t.detach().to("cpu")
        if not t.is_contiguous() or (t.numel() and t.data_ptr() in ptrs):
            t = t.contiguous().clone()
        if t.numel():
            ptrs.add(t.data_ptr())
        tensors[key] = t
    perms = {key: list(perm) for key, _, perm in entries if perm is not None}
    metadata = {"format": WEIGHTS_FORMAT, "format_version": _VERSION, "layout": "torch",
                "order": json.dumps([k for k, _, _ in entries]), "keras_permutations": json.dumps(perms),
                "model": str(model.name)}
    metadata.update({k: str(v) for k, v in (extra_metadata or {}).items()})
    return safetensors.torch.save(tensors, metadata=metadata)


def read_header(blob: bytes, where: str) -> tuple[list[str], dict[str, tuple], dict]:
    """``(keys in saved order, {key: torch-layout shape}, metadata)`` from safetensors bytes, without loading data.

    The header is checked against the bytes that follow it before it is trusted.

    Raises:
        LoadError: the header is truncated, malformed, or points outside the data.
    """
    from ._limits import safetensors_header
    tensors, metadata, _ = safetensors_header(blob, where)
    shapes = {k: s for k, (_, s) in tensors.items()}
    return _saved_order(list(shapes), metadata), shapes, metadata


def _saved_order(order: list[str], metadata: dict) -> list[str]:
    if "order" in metadata:
        try:
            saved = json.loads(metadata["order"])
            if isinstance(saved, list) and sorted(map(str, saved)) == sorted(order):
                return [str(k) for k in saved]
        except (ValueError, RecursionError):
            pass
    return order


def _file_perms(metadata: dict) -> dict:
    try:
        perms = json.loads(metadata.get("keras_permutations", "{}"))
    except (ValueError, RecursionError):
        return {}
    if not isinstance(perms, dict):
        return {}
    return {k: p for k, p in perms.items() if isinstance(p, list) and all(isinstance(i, int) for i in p)}


def _keras_shape(shape, perm) -> tuple:
    return tuple(shape) if not perm else tuple(shape[i] for i in perm)


def _fmt(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _describe_mismatch(entries, order, shapes, file_perms) -> str:
    mshape = {k: tuple(t.shape) for k, t, _ in entries}
    mperm = {k: p for k, _, p in entries}
    mkeys = [k for k, _, _ in entries]

    def m(k):
        return _fmt(_keras_shape(mshape[k], mperm[k]))

    def f(k):
        return _fmt(_keras_shape(shapes[k], file_perms.get(k)))

    common = set(mkeys) & set(order)
    if common:
        for k in mkeys:
            if k in common and mshape[k] != shapes[k]:
                return f"weight {k!r} has shape {f(k)} in the file but {m(k)} in the model"
        missing = [k for k in mkeys if k not in common]
        if missing:
            return (f"the model's weight {missing[0]!r} (shape {m(missing[0])}) is not in the file"
                    f"{' (nor are ' + str(len(missing) - 1) + ' more)' if len(missing) > 1 else ''}")
        extra = [k for k in order if k not in common]
        return (f"the file holds {extra[0]!r} (shape {f(extra[0])}), which the model does not have"
                f"{' (and ' + str(len(extra) - 1) + ' more)' if len(extra) > 1 else ''}")
    for i, (mk, fk) in enumerate(zip(mkeys, order)):
        if mshape[mk] != shapes[fk]:
            return (f"tensor {i}: the model's {mk!r} has shape {m(mk)}; the file's {fk!r} has shape {f(fk)}")
    return f"the model has {len(mkeys)} weight tensors; the file has {len(order)}"


def _plan(entries, order, shapes, file_perms):
    """``(pairs of (model tensor, file key), problem or None)``: by key, else by position."""
    mkeys = [k for k, _, _ in entries]
    by_name = set(mkeys) & set(order)
    problem = None
    if set(mkeys) == set(order):
        pairs = [(t, k) for k, t, _ in entries]
    elif not by_name and len(mkeys) == len(order) and all(
            tuple(t.shape) == shapes[fk] for (_, t, _), fk in zip(entries, order)):
        pairs = [(t, fk) for (_, t, _), fk in zip(entries, order)]
    else:
        problem = _describe_mismatch(entries, order, shapes, file_perms)
        if by_name:
            pairs = [(t, k) for k, t, _ in entries if k in by_name]
        else:
            pairs = [(t, fk) for (_, t, _), fk in zip(entries, order)]
    bad = [(t, k) for t, k in pairs if tuple(t.shape) != shapes[k]]
    if problem is None and bad:
        problem = _describe_mismatch(entries, order, shapes, file_perms)
    return pairs, problem


def plan_from_header(model, tensors: dict, metadata: dict) -> str | None:
    """Why ``model``'s weights do not fit a file with these header ``tensors``, or None if they fit."""
    shapes = {k: s for k, (_, s) in tensors.items()}
    order = _saved_order(list(shapes), metadata)
    entries = weight_entries(model)
    _, problem = _plan(entries, order, shapes, _file_perms(metadata))
    return problem


def apply_weights(model, blob: bytes, where: str, skip_mismatch: bool = False) -> None:
    """Copy the weights in safetensors ``blob`` into ``model``.

    Tensors are matched by key; when no key matches (the same architecture built
    again gets new auto-names such as ``dense_2``) they are matched by position, as
    Keras 2 does, provided every shape agrees.

    Raises:
        ValueError: keys or shapes do not match; names the first mismatched tensor and
            both shapes. With ``skip_mismatch=True`` those tensors are skipped with a warning.
    """
    import safetensors.torch

    order, shapes, metadata = read_header(blob, where)
    file_perms = _file_perms(metadata)
    entries = weight_entries(model)
    pairs, problem = _plan(entries, order, shapes, file_perms)
    if problem is not None:
        msg = f"Cannot load weights from {where} into model '{model.name}': {problem}."
        if not skip_mismatch:
            if not entries and order:
                msg += (" The model has no weights yet: it is not built. Build it first (give the first layer "
                        "input_shape=..., call model.build(shape), or call it on data).")
            else:
                msg += (" The file was saved from a different architecture: rebuild the same model, or pass "
                        "skip_mismatch=True to load only the tensors that fit.")
            raise ValueError(msg)
        warnings.warn(msg + " Skipping the tensors that do not fit (skip_mismatch=True).", stacklevel=3)
        pairs = [(t, k) for t, k in pairs if tuple(t.shape) == shapes[k]]
    try:
        loaded = safetensors.torch.load(blob)
    except Exception as err:  # safetensors raises its own error type for corrupt data
        raise ValueError(f"{where} is not a valid safetensors file ({err}). The file is truncated or "
                         f"corrupt.") from None
    with torch.no_grad():
        for t, k in pairs:
            t.copy_(loaded[k])
