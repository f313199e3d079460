"""``.h5`` files in Keras's layouts, read and written with h5py.

Whole models (``model.save('x.h5')``, ``load_model('x.h5')``), Keras 2 layout::

    attrs:  keras_version, backend, model_config (JSON), training_config (JSON)
    model_weights/            attrs: layer_names, backend, keras_version
        <layer>/              attrs: weight_names = ['<layer>/kernel:0', '<layer>/bias:0']
            <layer>/kernel:0  dataset in Keras layout (Dense (in, out), Conv2D (kh, kw, in, out))

Weights only (``save_weights('x.h5')``) put the ``model_weights`` content at the root.
Reading also accepts the files real Keras writes: Keras 2 and Keras 3 legacy ``.h5``
(weight paths like ``sequential/dense/kernel``) and Keras 3 ``.weights.h5``
(``layers/<name>/vars/0``). A layer's weights are matched by their names when the
file's names fit the layer, else by position in Keras's order (trainable first).
"""
from __future__ import annotations

import json
import os
import warnings

import numpy as np

from ._files import remove_stale_temps, temp_path
from ._limits import MAX_RATIO, LoadError, parse_json
from .api import register_format

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "load_weights_from_group",
           "load_vars_group", "KERAS_VERSION"]

KERAS_VERSION = "2.2.4"  # the layout written (Keras 2's); recorded in the file's keras_version
_ATTR_LIMIT = 64000      # HDF5 object-header limit: longer attributes are split as Keras does


def _h5py():
    import h5py
    return h5py


# ---------------------------------------------------------------------------- attributes
def _decode(value):
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf-8")
    return str(value)


def _read_list_attr(group, name):
    """A list attribute, joined from Keras's chunks (name0, name1, ...) when it was split."""
    if name in group.attrs:
        values = group.attrs[name]
        return [_decode(v) for v in np.atleast_1d(values)] if len(np.shape(values)) or values.size else []
    out, i = [], 0
    while f"{name}{i}" in group.attrs:
        out.extend(_decode(v) for v in group.attrs[f"{name}{i}"])
        i += 1
    return out


def _write_list_attr(group, name, values):
    data = np.array([v.encode("utf-8") for v in values], dtype=bytes) if values else np.array([], dtype="S1")
    if data.nbytes <= _ATTR_LIMIT:
        group.attrs[name] = data
        return
    chunks = int(np.ceil(data.nbytes / _ATTR_LIMIT))
    for i, part in enumerate(np.array_split(data, chunks)):
        group.attrs[f"{name}{i}"] = part


def _json_attr(f, name, path=None):
    value = f.attrs.get(name)
    if value is None:
        return None
    return parse_json(_decode(value), path if path is not None else f.filename, f"attribute {name}",
                      "not a Keras .h5 model file")


def _open(source, where, path):
    """An h5py File for reading; a LoadError when the file is not HDF5 (random bytes, truncated)."""
    try:
        return _h5py().File(source, "r")
    except (OSError, ValueError) as err:
        raise LoadError(f"{where} is not a readable HDF5 file ({str(err).splitlines()[0]}). It is truncated, "
                        f"damaged, or another kind of file; Keras .h5 files start with the HDF5 signature.",
                        path) from None


def data_size(root, where, path) -> tuple[int, int]:
    """``(values, bytes)`` declared by every dataset under ``root``; a LoadError for a dataset whose
    declared size is out of proportion with what it stores (a compression bomb)."""
    h5py = _h5py()
    totals = [0, 0]

    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset):
            return
        nbytes = int(obj.size) * int(obj.dtype.itemsize)
        stored = obj.id.get_storage_size()
        if nbytes > (1 << 20) and nbytes > MAX_RATIO * max(stored, 1):
            raise LoadError(f"{where}: dataset {name!r} declares {nbytes:,} bytes but stores {stored:,} (ratio over "
                            f"{MAX_RATIO}:1). This is a compression bomb, not weights; it was not read.", path, name)
        totals[0] += int(obj.size)
        totals[1] += nbytes
    root.visititems(visit)
    return totals[0], totals[1]


def _group(parent, key, where, path, what):
    try:
        g = parent[key]
    except (KeyError, ValueError, OSError):
        held = ", ".join(list(parent.keys())[:8]) or "nothing"
        raise LoadError(f"{where}: {what} {key!r} is missing (the group holds {held}). The file is truncated or "
                        f"was not written by Keras/lamina.", path, str(key)) from None
    return g


# ---------------------------------------------------------------------------- writing
def _keras_order(layer):
    """(owner layer, record) pairs in Keras 2's order for ``layer.weights``: trainable, then non-trainable."""
    items = layer._weight_items()
    train = [(l, r) for l, r in items if layer._is_trainable_weight(l, r)]
    rest = [(l, r) for l, r in items if not layer._is_trainable_weight(l, r)]
    return train + rest


def _layer_weights(layer):
    out = []
    for owner, rec in _keras_order(layer):
        t = owner._tensor(rec).detach()
        if rec.to_keras is not None:
            t = t.permute(*rec.to_keras)
        out.append((f"{owner.name}/{rec.name}:0", t.cpu().numpy()))
    return out


def _write_weights(group, layers):
    _write_list_attr(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = b"torch"
    group.attrs["keras_version"] = KERAS_VERSION.encode()
    for layer in layers:
        g = group.create_group(layer.name)
        weights = _layer_weights(layer)
        _write_list_attr(g, "weight_names", [n for n, _ in weights])
        for name, value in weights:
            g.create_dataset(name, data=value)


def _model_layers(model):
    return list(model.layers)


def _training_config(model):
    args = getattr(model, "_compile_args", None)
    if not getattr(model, "compiled", False) or args is None:
        return None
    from .. import losses as _losses
    from .._registry import serialize

    def name_or_config(obj, kind):
        if obj is None or isinstance(obj, str):
            return obj
        if isinstance(obj, (list, tuple)):
            return [name_or_config(o, kind) for o in obj]
        if isinstance(obj, dict) and "class_name" not in obj:
            return {k: name_or_config(v, kind) for k, v in obj.items()}
        if callable(obj) and getattr(obj, "__name__", None) and not hasattr(obj, "get_config"):
            return obj.__name__
        return _losses.serialize(obj) if kind == "loss" else serialize(obj)

    return {"optimizer_config": {"class_name": type(model.optimizer).__name__,
                                 "config": model.optimizer.get_config()},
            "loss": name_or_config(args["loss"], "loss"), "metrics": name_or_config(args["metrics"], "metric"),
            "loss_weights": args["loss_weights"], "sample_weight_mode": None}


def _explicit_input_layer(model, config):
    """A Sequential config that starts with its InputLayer, as tf.keras 2 wrote it (and Keras 3 reads it),
    instead of a ``batch_input_shape`` on the first layer."""
    layers = [dict(spec, config=dict(spec["config"])) for spec in config["layers"]]
    if not layers or layers[0]["class_name"] == "InputLayer":
        return config
    shape = layers[0]["config"].pop("batch_input_shape", None)
    if shape is None:
        shape = config.get("build_input_shape")
    if shape is None:
        return config
    tensor = getattr(model, "_input_tensor", None)
    name = tensor._keras_history[0].name if tensor is not None else "input_layer"
    layers.insert(0, {"class_name": "InputLayer", "config": {"batch_input_shape": list(shape), "dtype": "float32",
                                                              "name": name}})
    out = {k: v for k, v in config.items() if k != "build_input_shape"}
    out["layers"] = layers
    return out


def save_model(model, path, overwrite=True, include_optimizer=True):
    """Write ``model`` to ``path`` in Keras 2's HDF5 layout (architecture, weights, compile settings)."""
    from ..models.sequential import Sequential
    from .api import model_file_config
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' already exists and overwrite=False. Pass overwrite=True to replace it.")
    cfg = model_file_config(model, include_compile=False)
    class_name = {"Functional": "Model"}.get(cfg["class_name"], cfg["class_name"])
    config = cfg["config"]
    if type(model) is Sequential:
        config = _explicit_input_layer(model, config)
    model_config = json.dumps({"class_name": class_name, "config": config})
    training = _training_config(model) if include_optimizer else None
    from .. import __version__ as lamina_version
    remove_stale_temps(path)
    tmp = temp_path(path)
    try:
        with _h5py().File(tmp, "w") as f:
            f.attrs["keras_version"] = KERAS_VERSION.encode()
            f.attrs["backend"] = b"torch"
            f.attrs["lamina_version"] = lamina_version.encode()
            f.attrs["model_config"] = model_config.encode("utf-8")
            if "build_config" in cfg:
                f.attrs["lamina_build_config"] = json.dumps(cfg["build_config"]).encode()
            if training is not None:
                f.attrs["training_config"] = json.dumps(training).encode("utf-8")
            _write_weights(f.create_group("model_weights"), _model_layers(model))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_weights(model, path, overwrite=True):
    """Write the weights in Keras 2's ``save_weights`` layout (layer groups at the root)."""
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' already exists and overwrite=False. Pass overwrite=True to replace it.")
    remove_stale_temps(path)
    tmp = temp_path(path)
    try:
        with _h5py().File(tmp, "w") as f:
            _write_weights(f, _model_layers(model))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# ---------------------------------------------------------------------------- reading weights
def _short(name):
    """'dense_1/kernel:0' -> ('dense_1', 'kernel'); 'sequential/dense/kernel' -> ('dense', 'kernel')."""
    parts = name.split("/")
    leaf = parts[-1].split(":")[0]
    return (parts[-2] if len(parts) > 1 else None), leaf


def _assign(layer, names, values, where, skip_mismatch):
    """Set ``layer``'s weights from the file's (names, values): by name when the names fit, else by order."""
    items = _keras_order(layer)
    if len(items) != len(values):
        msg = (f"{where}: layer '{layer.name}' has {len(items)} weights in the model and {len(values)} in the "
               f"file ({', '.join(names) or 'none'}).")
        if skip_mismatch:
            warnings.warn(msg + " Skipping it (skip_mismatch=True).", stacklevel=4)
            return
        raise ValueError(msg + " The architectures differ.")
    keys = [(owner.name, rec.name) for owner, rec in items]
    short = [_short(n) for n in names]
    leaves = [leaf for _, leaf in short]
    if len(set(short)) == len(short) and set(keys) <= set(short):
        found = dict(zip(short, values))                      # (sublayer, weight) names match
        values = [found[k] for k in keys]
    elif len(set(leaves)) == len(leaves) and set(leaves) == {k[1] for k in keys} and len(set(k[1] for k in keys)) \
            == len(keys):
        found = dict(zip(leaves, values))                     # one layer saved under another name
        values = [found[k[1]] for k in keys]
    for (owner, rec), value in zip(items, values):           # else: Keras's order, trainable first
        t = owner._tensor(rec)
        want = tuple(t.shape) if rec.to_keras is None else tuple(t.shape[i] for i in rec.to_keras)
        if tuple(getattr(value, "shape", np.shape(value))) != want:
            msg = (f"{where}: weight '{rec.name}' of layer '{owner.name}' has Keras shape {want}; the file holds "
                   f"shape {tuple(value.shape)}.")
            if skip_mismatch:
                warnings.warn(msg + " Skipping it (skip_mismatch=True).", stacklevel=4)
                continue
            raise ValueError(msg + " The architectures differ.")
        import torch
        value = np.asarray(value)  # read only now that its shape is known to fit
        if value.dtype.kind not in "biuf":
            raise LoadError(f"{where}: weight '{rec.name}' of layer '{owner.name}' is stored as {value.dtype}, "
                            f"not numbers.")
        v = torch.as_tensor(value, dtype=t.dtype)
        if rec.to_keras is not None:
            v = v.permute(*np.argsort(rec.to_keras).tolist())
        with torch.no_grad():
            t.copy_(v)


def _has_weights(layer):
    return bool(layer._weight_items())


def load_weights_from_group(model, group, where, skip_mismatch=False, by_name=False):
    """Keras 2 layout (``layer_names`` + ``weight_names``) -> the model's layers."""
    names = _read_list_attr(group, "layer_names")
    stored = []
    path = getattr(getattr(group, "file", None), "filename", None)
    for name in names:
        g = _group(group, name, where, path, "the weights group of layer")
        weight_names = _read_list_attr(g, "weight_names")
        stored.append((name, weight_names, [_group(g, w, where, path, f"layer {name!r}'s weight") for w in
                                            weight_names]))
    layers = _model_layers(model)
    if by_name:
        index = {layer.name: layer for layer in layers}
        for name, wnames, values in stored:
            if name in index and values:
                _assign(index[name], wnames, values, where, skip_mismatch)
        return
    stored = [s for s in stored if s[2]]
    with_weights = [layer for layer in layers if _has_weights(layer)]
    if len(stored) != len(with_weights):
        raise ValueError(f"{where} holds weights for {len(stored)} layers ({', '.join(s[0] for s in stored)}); the "
                         f"model has {len(with_weights)} layers with weights "
                         f"({', '.join(l.name for l in with_weights)}). Load into the same architecture, or pass "
                         f"by_name=True to match layers by name.")
    for layer, (name, wnames, values) in zip(with_weights, stored):
        _assign(layer, wnames, values, where, skip_mismatch)


def _snake(name: str) -> str:
    import re
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _keras_class(layer) -> str:
    from ..models.functional import Model
    from ..models.sequential import Sequential
    if isinstance(layer, Sequential) and type(layer) is Sequential:
        return "Sequential"
    if isinstance(layer, Model) and type(layer) is Model:
        return "Functional"
    return type(layer).__name__


def _vars_keys(entries):
    """Keras 3 keys of a container's layers: snake_case(class name), deduplicated in order (dense, dense_1)."""
    used: dict[str, int] = {}
    keys = {}
    for layer_name, class_name in entries:
        base = _snake(class_name)
        if base in used:
            used[base] += 1
            keys[layer_name] = f"{base}_{used[base]}"
        else:
            used[base] = 0
            keys[layer_name] = base
    return keys


def load_vars_group(layer, group, where, skip_mismatch=False, config=None):
    """Keras 3 ``.weights.h5`` layout: ``vars/0..n`` per layer, ``layers/<key>`` for the layers of a model.

    Keras names the groups of a model's layers by class (``dense``, ``dense_1``, ...) in the order of
    ``model.layers``; ``config`` (the Keras model config from a ``.keras`` file) gives that order
    exactly, otherwise lamina's layer order is used. Groups named after the layers are read too.
    """
    from ..models.functional import Model
    from ..models.sequential import Sequential
    if "vars" in group and len(group["vars"]):
        values = [group["vars"][str(i)] for i in range(len(group["vars"]))]
        _assign(_OwnWeights(layer), [f"{layer.name}/{r.name}" for r in layer._weight_records], values, where,
                skip_mismatch)
    children = layer.layers if isinstance(layer, Model) else layer._sublayers()
    if not any(_has_weights(c) for c in children):
        return
    specs = {}
    if config is not None and isinstance(config.get("layers"), list):
        entries = []
        for spec in config["layers"]:
            name = (spec.get("config") or {}).get("name", spec.get("name"))
            if isinstance(layer, Sequential) and spec.get("class_name") == "InputLayer":
                continue
            entries.append((name, spec.get("class_name")))
            specs[name] = spec.get("config")
        keys = _vars_keys(entries)
    else:
        keys = _vars_keys([(c.name, _keras_class(c)) for c in children])
    sub = group.get("layers")
    for child in children:
        if not _has_weights(child):
            continue
        key = keys.get(child.name)
        g = None
        if sub is not None:
            g = sub.get(key) if key is not None and key in sub else sub.get(child.name)
        if g is None and not isinstance(layer, Model):  # a wrapped layer or cell: stored under its attribute
            attr = next((k for k, m in layer._modules.items() if m is child), None)  # (cell, forward_layer, layer)
            g = group.get(attr) if attr is not None else None
        if g is None:
            msg = (f"{where}: no weights stored for layer '{child.name}' (looked for layers/{key}); the file has "
                   f"{', '.join(sub) if sub is not None else 'no layers group'}.")
            if skip_mismatch:
                warnings.warn(msg + " Skipping it.", stacklevel=3)
                continue
            raise ValueError(msg)
        load_vars_group(child, g, where, skip_mismatch, specs.get(child.name))


class _OwnWeights:
    """A layer seen with only its own weight records (not its sublayers'), for _assign."""

    def __init__(self, layer):
        self.layer = layer
        self.name = layer.name

    def _weight_items(self):
        return [(self.layer, r) for r in self.layer._weight_records]

    def _is_trainable_weight(self, owner, rec):
        return True  # Keras 3 stores a layer's variables in creation order


def load_weights(model, path, skip_mismatch=False, by_name=False):
    """Load the weights of a Keras 2/3 or lamina ``.h5`` file into ``model``."""
    where = f"'{path}'"
    with _open(path, where, path) as f:
        if "layer_names" in f.attrs or "layer_names0" in f.attrs:
            load_weights_from_group(model, f, where, skip_mismatch, by_name)
        elif "model_weights" in f:
            load_weights_from_group(model, f["model_weights"], where, skip_mismatch, by_name)
        elif "layers" in f or "vars" in f:
            if by_name:
                raise ValueError(f"{where} is a Keras 3 weights file, which always matches layers by name; "
                                 f"call load_weights without by_name=True.")
            load_vars_group(model, f, where, skip_mismatch)
        else:
            raise ValueError(f"{where} is not a Keras weights file: it has neither layer_names, model_weights nor "
                             f"layers/. It holds {', '.join(f) or 'nothing'}.")


# ---------------------------------------------------------------------------- reading models
def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    """A model from a ``.h5`` file written by lamina or by Keras 2/3 (``model.save('x.h5')``)."""
    from ._keras_config import compile_args, convert_model_config
    from .api import _model_from_file_config
    from ._precheck import build_within
    where = f"'{path}'"
    with _open(path, where, path) as f:
        model_config = _json_attr(f, "model_config", path)
        if model_config is None:
            hint = (" It holds weights only (save_weights): build the model in code, then model.load_weights()."
                    if "layer_names" in f.attrs or "layers" in f else "")
            raise LoadError(f"{where} has no model_config attribute, so it holds no architecture.{hint}", path)
        if not isinstance(model_config, dict) or not isinstance(model_config.get("class_name"), str):
            raise LoadError(f"{where} (attribute model_config) must be a JSON object with a 'class_name'; received "
                            f"{str(model_config)[:120]}. The file is damaged.", path, "model_config")
        lamina_file = "lamina_version" in f.attrs
        if not lamina_file:
            model_config = convert_model_config(model_config, where)
        elif model_config.get("class_name") == "Model":
            model_config = dict(model_config, class_name="Functional")
        build = _json_attr(f, "lamina_build_config", path)
        if isinstance(build, dict):
            model_config["build_config"] = build
        weights = _group(f, "model_weights", where, path, "group")
        elements, nbytes = data_size(weights, where, path)
        model = build_within(lambda: _model_from_file_config(model_config, custom_objects, where), model_config,
                             elements, nbytes, where, path)
        load_weights_from_group(model, weights, where)
        try:
            training = _json_attr(f, "training_config", path) if compile else None
        except LoadError as err:
            warnings.warn(f"{err} The training settings are optional; the model is returned uncompiled.",
                          stacklevel=3)
            training = None
    if not isinstance(training, dict):
        training = None
    if training and training.get("optimizer_config"):
        try:
            model.compile(**compile_args(training.get("loss"), training.get("metrics"),
                                         training["optimizer_config"], training.get("loss_weights")))
        except Exception as err:  # the training settings are optional: never stop the load
            warnings.warn(f"{where}: could not compile the loaded model from its training_config ({err}); it is "
                          f"returned uncompiled. Call model.compile(...) before fit().", stacklevel=3)
    return model


register_format(".h5", save_model=save_model, load_model=load_model, save_weights=save_weights,
                load_weights=lambda model, path, skip_mismatch=False: load_weights(model, path, skip_mismatch))
register_format(".hdf5", save_model=save_model, load_model=load_model, save_weights=save_weights,
                load_weights=lambda model, path, skip_mismatch=False: load_weights(model, path, skip_mismatch))
