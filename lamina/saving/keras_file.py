"""Keras 3 ``.keras`` files: a zip of ``config.json``, ``metadata.json`` and ``model.weights.h5``.

lamina reads them (``load_model('model.keras')``, ``model.load_weights('model.keras')``)
for the layers it has: the config is converted to lamina's form, the weights come from
the ``layers/<name>/vars/<i>`` groups of ``model.weights.h5``, and the model is compiled
from ``compile_config`` when it can be. Loading never unpickles and never imports code
named by the file. lamina writes its own format (``.lamina``) or Keras 2 ``.h5``;
saving to ``.keras`` says so.
"""
from __future__ import annotations

import io
import warnings

from ._limits import MAX_JSON_BYTES, LoadError, parse_json, read_zip
from .api import register_format

__all__ = ["load_model", "load_weights"]

_CONFIG = "config.json"
_WEIGHTS = "model.weights.h5"


_KIND = "not a Keras .keras file (a zip with config.json and model.weights.h5)"


def _members(path):
    members = read_zip(path, {_CONFIG: MAX_JSON_BYTES, _WEIGHTS: None}, _KIND)
    missing = [m for m in (_CONFIG, _WEIGHTS) if m not in members]
    if missing:
        raise LoadError(f"'{path}' is not a complete .keras file: it lacks {', '.join(missing)}.", path, missing[0])
    return members


def _config(members, path):
    cfg = parse_json(members[_CONFIG], path, _CONFIG, _KIND)
    if not isinstance(cfg, dict) or not isinstance(cfg.get("class_name"), str) or not isinstance(
            cfg.get("config"), (dict, list)):
        raise LoadError(f"'{path}' ({_CONFIG}) must be a JSON object with 'class_name' and 'config'; received "
                        f"{str(cfg)[:120]}. The file is damaged or not a Keras 3 model.", path, _CONFIG)
    return cfg


def _weights_file(blob, path):
    from .h5 import _open
    return _open(io.BytesIO(blob), f"'{path}' ({_WEIGHTS})", path)


def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    """A lamina model from a ``.keras`` file written by Keras 3."""
    from ._keras_config import compile_args, convert_model_config
    from .api import _model_from_file_config
    from .h5 import load_vars_group
    from ._precheck import build_within
    from .h5 import data_size
    where = f"'{path}'"
    members = _members(path)
    cfg = _config(members, path)
    model_cfg = convert_model_config({"class_name": cfg["class_name"], "config": cfg["config"]}, where)
    build = cfg.get("build_config")
    if isinstance(build, dict) and build.get("input_shape") is not None and cfg["class_name"] not in (
            "Sequential", "Functional"):
        model_cfg["build_config"] = {"input_shape": build["input_shape"]}
    with _weights_file(members[_WEIGHTS], path) as f:
        elements, nbytes = data_size(f, f"{where} ({_WEIGHTS})", path)
        model = build_within(lambda: _model_from_file_config(model_cfg, custom_objects, where), model_cfg,
                             elements, nbytes, where, path)
        load_vars_group(model, f, where, config=cfg["config"] if isinstance(cfg["config"], dict) else None)
    compile_cfg = cfg.get("compile_config") if compile else None
    if isinstance(compile_cfg, dict) and compile_cfg.get("loss") is not None:
        try:
            model.compile(**compile_args(compile_cfg.get("loss"), compile_cfg.get("metrics"),
                                         compile_cfg.get("optimizer") or "rmsprop", compile_cfg.get("loss_weights")))
        except Exception as err:  # the compile settings are optional: never stop the load
            warnings.warn(f"{where}: could not compile the loaded model from its compile_config ({err}); it is "
                          f"returned uncompiled. Call model.compile(...) before fit().", stacklevel=3)
    return model


def load_weights(model, path, skip_mismatch=False):
    """The weights of a ``.keras`` file into an existing model (matched by layer name)."""
    from .h5 import load_vars_group
    members = _members(path)
    config = _config(members, path).get("config")
    with _weights_file(members[_WEIGHTS], path) as f:
        load_vars_group(model, f, f"'{path}'", skip_mismatch, config=config if isinstance(config, dict) else None)


def _save_model(model, path, overwrite=True, include_optimizer=True):
    raise ValueError(f"Cannot save '{path}': lamina reads Keras 3 .keras files but writes its own format. Save to "
                     f"'{path[:-len('.keras')]}.lamina' (everything, no pickle) or '.h5' (Keras 2 layout, which "
                     f"Keras 3 loads too).")


register_format(".keras", save_model=_save_model, load_model=load_model, load_weights=load_weights)
