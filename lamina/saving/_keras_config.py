"""Model configs written by real Keras (2.x ``.h5``, 3.x ``.h5``/``.keras``) -> configs lamina rebuilds.

Keras configs carry keys lamina's constructors do not take (``dtype`` policies,
``quantization_config``, ``sparse``, an initializer's ``input_axes``, ...), Keras 3
writes functional graphs with ``{"args": [...], "kwargs": {...}}`` inbound nodes, and
Keras 2 optimizers say ``lr``. :func:`convert_model_config` rewrites all of that into
lamina's Keras 2 layout; an argument dropped while holding a non-default value is
reported with one warning per model.
"""
from __future__ import annotations

import inspect
import warnings

from .._registry import _CLASSES

__all__ = ["convert_model_config", "convert_optimizer_config", "compile_args"]

_NESTED_KINDS = ("initializer", "regularizer", "constraint", "learning_rate_schedule")
# Layer-config renames Keras made between versions (old -> lamina's name), per class.
_LAYER_RENAMES = {"LeakyReLU": {"alpha": "negative_slope"}}
_BASE_ARGS = {"name", "trainable", "dtype", "input_shape", "batch_input_shape", "input_dim", "batch_size",
              "activity_regularizer"}


def _accepted(cls):
    params = inspect.signature(cls.__init__).parameters
    names = {p for p, v in params.items() if v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)} - {"self"}
    takes_kwargs = any(v.kind is v.VAR_KEYWORD for v in params.values())
    return names, takes_kwargs


class _Dropped:
    def __init__(self):
        self.items: list[str] = []

    def note(self, where, key, value):
        harmless = value is None or value is False or (isinstance(value, (list, dict)) and not value) or (
            isinstance(value, str) and value == "float32")
        if not harmless:
            self.items.append(f"{where}.{key}={value!r}")


def _dtype(value):
    if isinstance(value, dict):  # Keras 3 DTypePolicy
        value = (value.get("config") or {}).get("name")
    return value if value not in (None, "float32") else None


def _convert_object(spec, dropped, where):
    """A nested ``{"class_name", "config"}`` (initializer, regularizer, ...) with only the keys lamina takes."""
    if not isinstance(spec, dict) or "class_name" not in spec:
        return spec
    name = spec["class_name"]
    cfg = dict(spec.get("config") or {})
    cls = None
    for kind in _NESTED_KINDS:
        cls = _CLASSES.get(kind, {}).get(name)
        if cls is not None:
            break
    if cls is not None:
        names, takes_kwargs = _accepted(cls)
        if not takes_kwargs:
            for key in [k for k in cfg if k not in names]:
                dropped.note(f"{where}({name})", key, cfg.pop(key))
    return {"class_name": name, "config": cfg}


def _convert_inbound(nodes, where):
    """Keras 3 inbound nodes ({"args": [...], "kwargs": {...}}) -> Keras 2 lists of [layer, node, tensor, {}]."""
    out = []
    for node in nodes or []:
        if not isinstance(node, dict):
            out.append(node)  # already Keras 2 layout
            continue
        args = node.get("args") or []
        first = args[0] if args else None

        def ref(t):
            if isinstance(t, dict) and t.get("class_name") == "__keras_tensor__":
                layer, ni, ti = t["config"]["keras_history"]
                return [layer, ni, ti, {}]
            raise ValueError(f"{where}: cannot read an inbound node argument {str(t)[:120]}; lamina reads graphs "
                             f"whose layers are called on tensors or lists of tensors.")

        if isinstance(first, list):
            out.append([ref(t) for t in first])
        else:
            out.append([ref(first)])
    return out


def _convert_layer(spec, dropped, where="model"):
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"{where}: a layer entry must be {{'class_name': ..., 'config': ...}}; received "
                         f"{str(spec)[:200]}.")
    name = spec["class_name"]
    cfg = dict(spec.get("config") or {})
    if name in ("Sequential", "Functional", "Model") and isinstance(cfg, dict) and "layers" in cfg:
        out = {"class_name": name, "config": _convert_model_body(name, cfg, dropped)}
    else:
        out = {"class_name": name, "config": _convert_layer_config(name, cfg, dropped)}
    if "name" in spec:
        out["name"] = spec["name"]
    if "inbound_nodes" in spec:
        out["inbound_nodes"] = _convert_inbound(spec["inbound_nodes"], f"layer {spec.get('name', name)!r}")
    return out


def _convert_layer_config(name, cfg, dropped):
    layer_name = cfg.get("name", name)
    if name == "BatchNormalization" and not cfg.get("renorm"):
        for key in ("renorm", "renorm_clipping", "renorm_momentum"):
            cfg.pop(key, None)
    for old, new in _LAYER_RENAMES.get(name, {}).items():
        if old in cfg and new not in cfg:
            cfg[new] = cfg.pop(old)
    if "dtype" in cfg:
        dt = _dtype(cfg.pop("dtype"))
        if dt is not None:
            cfg["dtype"] = dt
    for key, value in list(cfg.items()):
        if key.endswith(("_initializer", "_regularizer", "_constraint")) and isinstance(value, dict):
            cfg[key] = _convert_object(value, dropped, f"{layer_name}.{key}")
    for key in ("layer", "backward_layer", "cell"):  # wrapped layers and cells (Bidirectional, RNN, ...)
        value = cfg.get(key)
        if isinstance(value, dict) and "class_name" in value:
            cfg[key] = _convert_layer(value, dropped, f"{layer_name}.{key}")
        elif key == "cell" and isinstance(value, list):
            cfg[key] = [_convert_layer(v, dropped, f"{layer_name}.{key}") for v in value]
    if name == "StackedRNNCells" and isinstance(cfg.get("cells"), list):
        cfg["cells"] = [_convert_layer(v, dropped, f"{layer_name}.cells") for v in cfg["cells"]]
    if name == "InputLayer" and "batch_input_shape" not in cfg and "batch_shape" not in cfg and "shape" in cfg:
        cfg["batch_shape"] = [None, *cfg.pop("shape")]
    cls = _CLASSES.get("layer", {}).get(name)
    if cls is not None:
        names, _ = _accepted(cls)
        allowed = names | _BASE_ARGS
        for key in [k for k in cfg if k not in allowed]:
            dropped.note(layer_name, key, cfg.pop(key))
    return cfg


def _convert_model_body(name, cfg, dropped):
    out = {"name": cfg.get("name"), "layers": [_convert_layer(s, dropped, f"model {cfg.get('name')!r}")
                                               for s in cfg["layers"]]}
    for key in ("input_layers", "output_layers", "build_input_shape"):
        if key in cfg:
            out[key] = cfg[key]
    if cfg.get("trainable") is False:
        out["trainable"] = False
    return out


def convert_model_config(model_config: dict, where: str) -> dict:
    """``{"class_name", "config"}`` of a model written by Keras -> the form lamina's loaders take."""
    if isinstance(model_config.get("config"), list):  # Keras 2.0/2.1 Sequential: the bare list of layers
        model_config = {"class_name": model_config["class_name"], "config": {"layers": model_config["config"]}}
    dropped = _Dropped()
    out = _convert_layer(model_config, dropped, where)
    if dropped.items:
        warnings.warn(f"{where}: lamina ignores these Keras arguments it does not support: "
                      f"{', '.join(dropped.items[:8])}{' ...' if len(dropped.items) > 8 else ''}.", stacklevel=4)
    return out


def convert_optimizer_config(spec: dict):
    """A Keras optimizer config -> a lamina optimizer (``lr`` -> ``learning_rate``, unsupported keys dropped)."""
    from .. import optimizers
    if isinstance(spec, str):
        return optimizers.get(spec)
    name = spec.get("class_name")
    cfg = dict(spec.get("config") or {})
    if "lr" in cfg and "learning_rate" not in cfg:
        cfg["learning_rate"] = cfg.pop("lr")
    cls = optimizers._BY_NAME.get(str(name).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer {name!r}.")
    names, _ = _accepted(cls)
    keep = names | {"decay"}
    defaults = {"use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
                "gradient_accumulation_steps": None, "decay": 0.0}
    for key in [k for k in cfg if k not in keep or (k in defaults and cfg[k] == defaults[k])]:
        cfg.pop(key)
    if isinstance(cfg.get("learning_rate"), dict):
        cfg["learning_rate"] = _convert_object(cfg["learning_rate"], _Dropped(), "learning_rate")
    return cls.from_config(cfg)


def compile_args(loss, metrics, optimizer_spec, loss_weights=None) -> dict:
    """Keyword arguments for ``model.compile`` from a Keras training/compile config."""
    def clean(obj):
        if isinstance(obj, dict) and "class_name" in obj:
            return {"class_name": obj["class_name"], "config": obj.get("config") or {}}
        if isinstance(obj, list):
            return [clean(o) for o in obj]
        if isinstance(obj, dict):
            return {k: clean(v) for k, v in obj.items()}
        return obj

    def metric(m):
        if isinstance(m, dict) and "class_name" in m:
            from .. import metrics as _metrics
            return _metrics.get(clean(m))
        if isinstance(m, list):
            return [metric(x) for x in m]
        return m

    from .. import losses as _losses
    loss = clean(loss)
    if isinstance(loss, dict) and "class_name" in loss:
        loss = _losses.get(loss)
    metrics = clean(metrics)
    if isinstance(metrics, list):
        metrics = [metric(m) for m in metrics]
    return {"optimizer": convert_optimizer_config(optimizer_spec), "loss": loss, "metrics": metrics,
            "loss_weights": loss_weights}
