"""Resolve what compile() was given into per-output losses, weights and metrics.

Resolution waits for the first batch, because Keras picks the accuracy variant
(categorical, sparse or binary) from the shapes of targets and predictions.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field


from .. import activations as _activations

__all__ = ["OutputSpec", "resolve_outputs", "output_names"]


@dataclass
class OutputSpec:
    """Everything the step functions need for one model output."""

    name: str
    loss: object                      # a lamina.losses.Loss
    weight: float
    metrics: list = field(default_factory=list)          # lamina.metrics.Metric instances
    fused_layer: object = None        # layer whose softmax/sigmoid is folded into the loss
    fused_activation: object = None   # the activation to apply for metrics when fused
    target_dtype: object = None


def output_names(model) -> list[str]:
    if getattr(model, "_is_graph_network", False):
        return [t._keras_history[0].name for t in model.outputs]
    return ["output"]


def _per_output(spec, names, what):
    """Spread a loss/metric spec over outputs: one value for all, a list in order, or a dict by name."""
    n = len(names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(f"compile({what}=...) names unknown outputs {unknown}. The model's outputs are "
                             f"{names}.")
        return [spec.get(name) for name in names]
    if isinstance(spec, (list, tuple)) and what == "loss":
        if len(spec) != n:
            raise ValueError(f"compile(loss=[...]) has {len(spec)} losses for a model with {n} outputs "
                             f"{names}. Pass one loss per output, or a single loss for all.")
        return list(spec)
    return [spec] * n


def _fusable_layer(model, index):
    """The layer whose activation produces output ``index``, if it can hand the loss logits instead."""
    from ..models.functional import Model
    if not getattr(model, "_is_graph_network", False):
        return None
    layer = model.outputs[index]._keras_history[0]
    owner = model
    while isinstance(layer, Model) and layer._is_graph_network and len(layer.outputs) == 1:
        owner, layer = layer, layer.outputs[0]._keras_history[0]
    # Only if this layer runs once in its model: swapping its activation must not touch other uses.
    if sum(1 for step in owner._steps if step[0] is layer) != 1:
        return None
    return layer if getattr(layer, "activation", None) in (_activations.softmax, _activations.sigmoid) else None


def resolve_outputs(model, loss_spec, loss_weights, metrics_spec, y_shapes, out_shapes) -> list[OutputSpec]:
    from .. import losses as _losses
    from .. import metrics as _metrics

    names = output_names(model)
    if len(out_shapes) != len(names):
        names = [f"output_{i}" for i in range(len(out_shapes))] if len(out_shapes) > 1 else ["output"]
    if y_shapes is not None and len(y_shapes) != len(out_shapes):
        raise ValueError(f"The model has {len(out_shapes)} outputs {names} but received {len(y_shapes)} target "
                         f"arrays. Pass y as a list (or dict by output name) with one array per output.")
    losses = _per_output(loss_spec, names, "loss")
    if loss_weights is None:
        weights = [1.0] * len(names)
    elif isinstance(loss_weights, dict):
        weights = [float(loss_weights.get(n, 1.0)) for n in names]
    else:
        weights = [float(w) for w in loss_weights]
        if len(weights) != len(names):
            raise ValueError(f"compile(loss_weights=...) has {len(weights)} values for {len(names)} outputs.")
    if isinstance(metrics_spec, (list, tuple)) and metrics_spec and all(
            isinstance(m, (list, tuple)) for m in metrics_spec):
        per_metrics = list(metrics_spec)
        if len(per_metrics) != len(names):
            raise ValueError(f"compile(metrics=[[...], ...]) has {len(per_metrics)} lists for {len(names)} "
                             f"outputs {names}.")
    elif isinstance(metrics_spec, dict):
        per_metrics = _per_output(metrics_spec, names, "metrics")
    else:
        if metrics_spec is not None and not isinstance(metrics_spec, (list, tuple)):
            metrics_spec = [metrics_spec]
        per_metrics = [list(metrics_spec or [])] * len(names)

    specs = []
    for i, name in enumerate(names):
        if losses[i] is None:
            raise ValueError(f"No loss for output '{name}'. Pass loss=... to compile().")
        loss = _losses.get(losses[i])
        y_shape = y_shapes[i] if y_shapes is not None else None
        if y_shape is not None and hasattr(loss, "check_targets"):
            loss.check_targets(tuple(y_shape), tuple(out_shapes[i]))
        mlist = per_metrics[i] or []
        if not isinstance(mlist, (list, tuple)):
            mlist = [mlist]
        resolved = []
        for m in mlist:
            if len(names) > 1 and not isinstance(m, str):
                m = copy.deepcopy(m)
            metric = _metrics.get(m, y_true_shape=y_shape, y_pred_shape=tuple(out_shapes[i]), loss=loss)
            resolved.append(metric)
        spec = OutputSpec(name=name, loss=loss, weight=weights[i], metrics=resolved,
                          target_dtype=getattr(loss, "target_dtype", None))
        layer = _fusable_layer(model, i)
        kind = getattr(loss, "fused_kind", None)
        if layer is not None and (
                kind in ("categorical", "sparse_categorical") and layer.activation is _activations.softmax
                or kind == "binary" and layer.activation is _activations.sigmoid):
            spec.fused_layer = layer
            spec.fused_activation = layer.activation
        specs.append(spec)
    return specs


def unique_log_names(specs: list[OutputSpec]) -> list[list[str]]:
    """Keras log keys: 'accuracy' for one output, '<output>_accuracy' for several."""
    if len(specs) == 1:
        return [[m.name for m in specs[0].metrics]]
    return [[f"{s.name}_{m.name}" for m in s.metrics] for s in specs]


