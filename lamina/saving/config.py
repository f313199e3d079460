"""Model configs in Keras's JSON shape, and rebuilding models from them.

Sequential::

    {"name": "sequential", "layers": [{"class_name": "Dense", "config": {...}}, ...]}

The first layer's config carries ``batch_input_shape`` when the model has an
input; when the first layer is itself a model, ``build_input_shape`` does instead.

Functional (the Keras 2 layout, which the legacy ``.h5`` files hold too)::

    {"name": "model",
     "layers": [{"class_name": "InputLayer", "config": {...}, "name": "input_1", "inbound_nodes": []},
                {"class_name": "Dense", "config": {...}, "name": "dense",
                 "inbound_nodes": [[["input_1", 0, 0, {}]]]}],
     "input_layers": [["input_1", 0, 0]], "output_layers": [["dense", 0, 0]]}

Each inbound node is the structure the layer was called on, with every tensor
written as ``[layer_name, node_index, tensor_index, call_kwargs]``: a single
tensor as a one-item list, a list call (``Concatenate()([a, b])``) as a list, a
dict call as a dict. A layer used several times (shared) has several nodes; a
model used as a layer nests its own config.

Classes come only from the registry (:func:`lamina._registry.get_class`) or
``custom_objects``: a config names classes, it never imports code.
"""
from __future__ import annotations

import json
from typing import Any

from .._registry import get_class

__all__ = ["sequential_config", "sequential_from_config", "functional_config", "functional_from_config",
           "model_class_name", "layer_from_config", "shape_to_json", "shape_from_json"]


# ---------------------------------------------------------------------------- helpers
def shape_to_json(shape):
    """A Keras shape (tuple with None) or a list of shapes -> JSON lists."""
    if shape is None:
        return None
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [shape_to_json(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


def shape_from_json(value):
    """Inverse of :func:`shape_to_json`: a tuple, or a list of tuples for several inputs."""
    if value is None:
        return None
    if value and isinstance(value[0], list):
        return [shape_from_json(v) for v in value]
    return tuple(value)


def model_class_name(model) -> str:
    """'Sequential' / 'Functional' for the built-in models, else the class name (as Keras writes it)."""
    from ..models.functional import Model
    from ..models.sequential import Sequential
    if type(model) is Sequential:
        return "Sequential"
    if type(model) is Model and getattr(model, "_is_graph_network", False):
        return "Functional"
    return type(model).__name__


def _is_model(layer) -> bool:
    from ..models.functional import Model
    return isinstance(layer, Model)


def _layer_spec(layer) -> dict:
    config = layer.get_config()
    try:
        json.dumps(config)
    except (TypeError, ValueError) as err:
        raise TypeError(f"Layer '{layer.name}' ({type(layer).__name__}) returned a get_config() that is not "
                        f"JSON-serializable ({err}). get_config() must return plain values: numbers, strings, "
                        f"lists, dicts, and serialize(obj) for objects.") from err
    return {"class_name": model_class_name(layer), "config": config}


def layer_from_config(spec: dict, custom_objects: dict | None = None):
    """Create a layer (or model) from ``{"class_name": ..., "config": ...}``, using only registered classes."""
    from ..layers.base import Layer
    from ..models.functional import Model
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"A layer config must be a dict {{'class_name': ..., 'config': {{...}}}}. "
                         f"Received {str(spec)[:200]}.")
    name = spec["class_name"]
    if not isinstance(name, str):
        raise ValueError(f"A layer's class_name must be a string. Received class_name={name!r}.")
    if name == "Lambda" and not (custom_objects and name in custom_objects):
        from ._limits import LoadError
        cfg = spec.get("config") if isinstance(spec.get("config"), dict) else {}
        raise LoadError(f"The config holds Lambda layer {str(cfg.get('name', '?'))!r}, whose Python code the file "
                        f"would have to supply. lamina never runs code from a file, with safe_mode=True or "
                        f"False. Rebuild the model in code (with your Lambda function), then call "
                        f"model.load_weights() on the file.")
    if name == "Functional" and not (custom_objects and name in custom_objects):
        cls = Model
    else:
        try:
            cls = get_class("layer", name, custom_objects)
        except ValueError as err:
            raise ValueError(f"{err} If {name!r} is your own class, define it before loading and pass "
                             f"custom_objects={{{name!r}: {name}}}, or decorate it with "
                             f"@lamina.saving.register_serializable().") from None
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"custom_objects[{name!r}] must be a lamina Layer or Model subclass. Received {cls!r}.")
    config = spec.get("config") or {}
    config = list(config) if isinstance(config, list) else dict(config)
    if issubclass(cls, Model):
        return cls.from_config(config, custom_objects=custom_objects)
    return cls.from_config(config)


# ---------------------------------------------------------------------------- Sequential
def sequential_config(model) -> dict:
    """Keras's Sequential config: ``{"name": ..., "layers": [{"class_name", "config"}, ...]}``."""
    layers = []
    for layer in model.layers:
        layers.append(_layer_spec(layer))
    config: dict[str, Any] = {"name": model.name, "layers": layers}
    if not model.trainable:
        config["trainable"] = False
    input_tensor = getattr(model, "_input_tensor", None)
    shape = input_tensor.shape if input_tensor is not None else None
    if shape is None and model.built and model._build_shape is not None:
        shape = model._build_shape
    if shape is not None:
        if layers and not _is_model(model.layers[0]) and type(model.layers[0]).__name__ != "InputLayer":
            layers[0]["config"]["batch_input_shape"] = shape_to_json(shape)
        else:
            config["build_input_shape"] = shape_to_json(shape)
    return config


def sequential_from_config(cls, config, custom_objects=None):
    """Rebuild a Sequential from :func:`sequential_config` output (or Keras 2's list of layer configs)."""
    if isinstance(config, list):  # Keras 2.0/2.1 wrote the bare list of layers
        config = {"layers": config}
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(f"A Sequential config must be a dict with a 'layers' list. Received {str(config)[:200]}.")
    kwargs = {"name": config.get("name")}
    model = cls(**kwargs)
    for spec in config["layers"]:
        model.add(layer_from_config(spec, custom_objects))
    shape = shape_from_json(config.get("build_input_shape"))
    if shape is not None and not model.built:
        model.build(shape)
    if config.get("trainable") is False:
        model.trainable = False
    return model


# ---------------------------------------------------------------------------- Functional
def _node_indices(model) -> dict[int, int]:
    """id(node) -> index of that node among the nodes of its layer that belong to ``model``."""
    own = {id(t.node) for t in model.inputs} | {id(n) for n in model._graph_nodes}
    mapping = {}
    for layer in model._graph_layers:
        k = 0
        for node in layer._inbound_nodes:
            if id(node) in own:
                mapping[id(node)] = k
                k += 1
    return mapping


def _tensor_ref(t, node_index: dict[int, int]) -> list:
    layer, _, tensor_index = t._keras_history
    return [layer.name, node_index[id(t.node)], tensor_index]


def _node_data(node, node_index):
    from ..graph import KerasTensor
    kwargs = dict(node.call_kwargs)
    try:
        json.dumps(kwargs)
    except (TypeError, ValueError):
        raise TypeError(f"Layer '{node.layer.name}' was called with keyword arguments {sorted(kwargs)} that are "
                        f"not JSON-serializable (symbolic tensors or objects), so the model config cannot "
                        f"record the call. Pass tensors in the first argument.") from None
    first = node.call_args[0] if node.call_args else None

    def leaf(t):
        return _tensor_ref(t, node_index) + [kwargs]

    if isinstance(first, KerasTensor):
        return [leaf(first)]
    if isinstance(first, dict) and all(isinstance(v, KerasTensor) for v in first.values()):
        return {k: leaf(v) for k, v in first.items()}
    if isinstance(first, (list, tuple)) and all(isinstance(v, KerasTensor) for v in first):
        return [leaf(v) for v in first]
    raise TypeError(f"Layer '{node.layer.name}' was called on {first!r}; a model config can record a call on a "
                    f"tensor, a list of tensors or a dict of tensors.")


def _io_refs(structure, node_index):
    from ..graph import KerasTensor
    if isinstance(structure, KerasTensor):
        return [_tensor_ref(structure, node_index)]
    if isinstance(structure, dict):
        return {k: _tensor_ref(v, node_index) for k, v in structure.items()}
    return [_tensor_ref(v, node_index) for v in structure]


def functional_config(model) -> dict:
    """Keras's functional config (Keras 2 layout); see the module docstring."""
    from ..layers.base import Layer
    for node in model._graph_nodes:
        if not isinstance(node.layer, Layer):
            node.layer.get_config()   # an operation on symbolic tensors: raises, saying what to do
    node_index = _node_indices(model)
    own_nodes = {id(n) for n in model._graph_nodes}
    layers = []
    for layer in model._graph_layers:
        spec = _layer_spec(layer)
        spec["name"] = layer.name
        spec["inbound_nodes"] = [_node_data(n, node_index) for n in layer._inbound_nodes if id(n) in own_nodes]
        layers.append(spec)
    config = {"name": model.name, "layers": layers,
              "input_layers": _io_refs(model._nested_inputs, node_index),
              "output_layers": _io_refs(model._nested_outputs, node_index)}
    if not model.trainable:
        config["trainable"] = False
    return config


def _is_ref(value) -> bool:
    return (isinstance(value, list) and len(value) in (3, 4) and isinstance(value[0], str)
            and isinstance(value[1], int) and isinstance(value[2], int) and not isinstance(value[1], bool)
            and not isinstance(value[2], bool) and value[1] >= 0 and value[2] >= 0)


# Call keywords a config may record, with the values they may take (tensors are never recorded).
_CALL_KWARGS = {"training": (bool, type(None)), "mask": (type(None),)}


def _call_kwargs(value, where: str) -> dict:
    """The recorded keyword arguments of one call, checked: a dict of known keywords with plain values."""
    if not isinstance(value, dict):
        raise ValueError(f"{where}: the call keywords of an inbound node must be a dict; received "
                         f"{str(value)[:100]}.")
    for key, v in value.items():
        allowed = _CALL_KWARGS.get(key)
        if allowed is not None and not isinstance(v, allowed):
            raise ValueError(f"{where}: call keyword {key}={v!r} is not valid; a saved config may record "
                             f"{key}= only as {' or '.join(t.__name__ for t in allowed)}. The file is damaged.")
        if isinstance(v, (dict, list)) and key in _CALL_KWARGS:
            raise ValueError(f"{where}: call keyword {key}={str(v)[:60]} is not valid.")
    return dict(value)


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a functional model from :func:`functional_config` output: same graph, names and weights shapes."""
    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise ValueError(f"A functional model config needs {key!r}; it has {sorted(config)}.")
    created: dict[str, Any] = {}
    pending: dict[str, list] = {}
    order = []
    for spec in config["layers"]:
        layer = layer_from_config(spec, custom_objects)
        name = spec.get("name", layer.name)
        if name in created:
            raise ValueError(f"The model config lists layer {name!r} twice; layer names must be unique.")
        created[name] = layer
        pending[name] = list(spec.get("inbound_nodes") or [])
        order.append(name)

    def lookup(ref, where):
        lname, ni, ti = ref[0], ref[1], ref[2]
        if lname not in created:
            raise ValueError(f"{where} refers to layer {lname!r}, which the config does not define. "
                             f"Defined layers: {', '.join(order)}.")
        nodes = created[lname]._inbound_nodes
        if ni >= len(nodes):
            return None
        outs = nodes[ni].output_tensors
        if ti >= len(outs):
            raise ValueError(f"{where} refers to output {ti} of layer {lname!r} (node {ni}), which has "
                             f"{len(outs)} output(s).")
        return outs[ti]

    def resolve(data, where):
        """(inputs structure, kwargs) for one node, or None while an inbound tensor does not exist yet."""
        if isinstance(data, dict):
            items = list(data.items())
        elif isinstance(data, list) and all(_is_ref(v) for v in data):
            items = list(enumerate(data))
        else:
            raise ValueError(f"{where}: cannot read inbound node {str(data)[:200]}; expected a list or dict of "
                             f"[layer_name, node_index, tensor_index, kwargs].")
        tensors, kwargs = {}, {}
        for k, ref in items:
            t = lookup(ref, where)
            if t is None:
                return None
            tensors[k] = t
            if len(ref) == 4 and ref[3]:
                kwargs = _call_kwargs(ref[3], where)
        if isinstance(data, dict):
            return tensors, kwargs
        seq = [tensors[i] for i in range(len(items))]
        return (seq[0] if len(seq) == 1 else seq), kwargs

    while any(pending.values()):
        progress = False
        for name in order:
            nodes = pending[name]
            while nodes:
                got = resolve(nodes[0], f"Layer {name!r}")
                if got is None:
                    break
                inputs, kwargs = got
                created[name](inputs, **kwargs)
                nodes.pop(0)
                progress = True
        if not progress:
            stuck = next(n for n in order if pending[n])
            raise ValueError(f"Cannot rebuild the model graph: layer {stuck!r} waits for inputs "
                             f"{str(pending[stuck][0])[:200]} that no layer in the config produces.")

    def io(structure, what):
        if _is_ref(structure):
            structure = [structure]
        if isinstance(structure, dict):
            out = {k: lookup(v, what) for k, v in structure.items()}
        else:
            out = [lookup(v, what) for v in structure]
            if len(out) == 1:
                out = out[0]
        missing = [v for v in (out.values() if isinstance(out, dict) else out if isinstance(out, list) else [out])
                   if v is None]
        if missing:
            raise ValueError(f"{what} of the config refers to a layer call that the config does not contain.")
        return out

    inputs = io(config["input_layers"], "input_layers")
    outputs = io(config["output_layers"], "output_layers")
    model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
    if config.get("trainable") is False:
        model.trainable = False
    return model
