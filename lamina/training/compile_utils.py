"""Resolve what compile() was given into per-output losses, weights and metrics.

Resolution waits for the first batch, because Keras picks the accuracy variant
(categorical, sparse or binary) from the shapes of targets and predictions.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field



__all__ = ["OutputSpec", "resolve_outputs", "output_names"]


@dataclass
class OutputSpec:
    """Everything the step functions need for one model output."""

    name: str
    loss: object                      # a lamina.losses.Loss
    weight: float
    metrics: list = field(default_factory=list)          # lamina.metrics.Metric instances
    weighted_metrics: list = field(default_factory=list)  # the same, updated with sample weights
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


def resolve_outputs(model, loss_spec, loss_weights, metrics_spec, y_shapes, out_shapes,
                    weighted_spec=None) -> list[OutputSpec]:
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
    per_metrics = _metrics_per_output(metrics_spec, names, "metrics")
    per_weighted = _metrics_per_output(weighted_spec, names, "weighted_metrics")

    specs = []
    for i, name in enumerate(names):
        if losses[i] is None:
            raise ValueError(f"No loss for output '{name}'. Pass loss=... to compile().")
        loss = _losses.get(losses[i])
        y_shape = y_shapes[i] if y_shapes is not None else None
        if y_shape is not None and hasattr(loss, "check_targets"):
            loss.check_targets(tuple(y_shape), tuple(out_shapes[i]))
        shapes = (y_shape, tuple(out_shapes[i]))
        spec = OutputSpec(name=name, loss=loss, weight=weights[i],
                          metrics=_resolve_metrics(per_metrics[i], len(names), shapes, loss),
                          weighted_metrics=_resolve_metrics(per_weighted[i], len(names), shapes, loss),
                          target_dtype=getattr(loss, "target_dtype", None))
        specs.append(spec)
    return specs


def _metrics_per_output(spec, names, what) -> list:
    """One list of metric identifiers per output, from a list (for all outputs), a list of
    lists (one per output) or a dict by output name."""
    if isinstance(spec, (list, tuple)) and spec and all(isinstance(m, (list, tuple)) for m in spec):
        if len(spec) != len(names):
            raise ValueError(f"compile({what}=[[...], ...]) has {len(spec)} lists for {len(names)} "
                             f"outputs {names}.")
        return [list(m) for m in spec]
    if isinstance(spec, dict):
        return [m if isinstance(m, (list, tuple)) else ([] if m is None else [m])
                for m in _per_output(spec, names, what)]
    if spec is not None and not isinstance(spec, (list, tuple)):
        spec = [spec]
    return [list(spec or [])] * len(names)


def _resolve_metrics(identifiers, n_outputs, shapes, loss) -> list:
    from .. import metrics as _metrics
    resolved = []
    for m in identifiers or []:
        if n_outputs > 1 and not isinstance(m, str):
            m = copy.deepcopy(m)
        resolved.append(_metrics.get(m, y_true_shape=shapes[0], y_pred_shape=shapes[1], loss=loss))
    return resolved


def unique_log_names(specs: list[OutputSpec]) -> list[list[str]]:
    """Keras 3 log keys, per output: the metrics then the weighted metrics; '<output>_<name>' when
    there are several outputs, 'weighted_<name>' for a weighted metric whose name is taken, and a
    numeric suffix for any other repeat."""
    taken: dict[str, int] = {}
    groups = []
    for s in specs:
        prefix = f"{s.name}_" if len(specs) > 1 else ""
        group = []
        for m in s.metrics:
            group.append(_unique(prefix + m.name, taken))
        for m in s.weighted_metrics:
            name = prefix + m.name
            group.append(_unique(prefix + "weighted_" + m.name if name in taken else name, taken))
        groups.append(group)
    return groups


def _unique(name: str, taken: dict) -> str:
    if name not in taken:
        taken[name] = 1
        return name
    index = taken[name]
    taken[name] += 1
    return f"{name}_{index}"
