"""Saving and loading models: ``model.save``, ``load_model``, weights, JSON.

The ``.lamina`` format is a zip holding:

- ``metadata.json``: ``{"format": "lamina", "format_version": 1, "lamina_version", "torch_version", "created"}``
- ``config.json``: ``{"class_name": "Sequential" | "Functional" | ..., "config": model.get_config(),
  "compile_config": ..., "build_config": ...}``
- ``model.weights.safetensors``: the weights in torch layout, keyed ``"dense/kernel"``
  (see :mod:`lamina.saving.weights`)
- ``optimizer.safetensors`` + ``optimizer.json``: the optimizer state, when the model
  is compiled and ``include_optimizer=True`` (see :mod:`lamina.saving.state`)
- ``history.json``: ``model.history.history`` (the per-epoch logs of the last fit)

Loading never unpickles and never imports anything a file names: classes come from
the registry or ``custom_objects``. Files are written atomically: a crash leaves
the previous file as it was.

Formats are chosen by extension (:func:`register_format`); ``.h5``/``.hdf5``/``.keras``
are provided by lamina's Keras compatibility layer.
"""
from __future__ import annotations

import datetime
import importlib
import importlib.util
import json
import os
import warnings
import zipfile

import torch

from ..distribution import is_chief
from ._files import NOT_LAMINA, atomic_write, check_exists, read_members
from ._limits import MAX_JSON_BYTES, LoadError, guarded, parse_json, safetensors_header
from .config import layer_from_config, model_class_name, shape_from_json, shape_to_json
from .state import load_optimizer_state, optimizer_state_to_tensors
from .weights import apply_weights, weights_to_bytes

__all__ = ["SavingMixin", "save_model", "load_model", "model_from_json", "read_history", "register_format",
           "FORMAT_NAME", "FORMAT_VERSION", "LoadError"]

FORMAT_NAME = "lamina"
FORMAT_VERSION = 1

_CONFIG = "config.json"
_METADATA = "metadata.json"
_WEIGHTS = "model.weights.safetensors"
_OPT_TENSORS = "optimizer.safetensors"
_OPT_META = "optimizer.json"
_HISTORY = "history.json"

# ---------------------------------------------------------------------------- formats by extension
# extension -> {"save_model": f(model, path, overwrite, include_optimizer),
#               "load_model": f(path, custom_objects, compile, safe_mode),
#               "save_weights": f(model, path, overwrite), "load_weights": f(model, path, skip_mismatch)}
_FORMATS: dict[str, dict] = {}

# Modules that add a format by calling register_format() when imported; imported on first use
# of the extension (a lamina module, never a name taken from a file).
_PROVIDERS = {".h5": "lamina.saving.h5", ".hdf5": "lamina.saving.h5", ".keras": "lamina.saving.keras_file"}


def register_format(extension: str, *, save_model=None, load_model=None, save_weights=None,
                    load_weights=None) -> None:
    """Handle files ending in ``extension`` (e.g. ``".h5"``) with the given functions.

    Args:
        extension: lowercase, with the dot. Multi-part extensions such as
            ``".weights.h5"`` are dispatched on their last part (``".h5"``).
        save_model: ``f(model, path, overwrite, include_optimizer)``.
        load_model: ``f(path, custom_objects, compile, safe_mode) -> Model``.
        save_weights: ``f(model, path, overwrite)``.
        load_weights: ``f(model, path, skip_mismatch)``.
    """
    entry = _FORMATS.setdefault(extension.lower(), {})
    for key, fn in (("save_model", save_model), ("load_model", load_model), ("save_weights", save_weights),
                    ("load_weights", load_weights)):
        if fn is not None:
            entry[key] = fn


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _handler(path: str, action: str):
    ext = _extension(path)
    if ext not in _FORMATS and ext in _PROVIDERS and importlib.util.find_spec(_PROVIDERS[ext]) is not None:
        importlib.import_module(_PROVIDERS[ext])
    fn = _FORMATS.get(ext, {}).get(action)
    if fn is not None:
        return fn
    if ext in _PROVIDERS:
        raise ValueError(f"'{path}': {ext} files are handled by lamina's Keras compatibility layer "
                         f"({_PROVIDERS[ext]}), which is not available in this installation. Use "
                         f"{'a .lamina file' if action.endswith('model') else 'a .weights.safetensors file'}.")
    if action in ("save_weights", "load_weights"):
        hint = ("save_weights writes only the weights, to a path ending in .weights.safetensors (or .h5); "
                "model.save('model.lamina') saves the whole model" if action == "save_weights" else
                "load_weights reads .weights.safetensors, .lamina (the weights inside) or .h5 files")
    else:
        hint = (f"{action} handles .lamina files (and .h5/.keras through the Keras compatibility layer); "
                f"for weights alone use save_weights/load_weights with .weights.safetensors")
    got = f"extension {ext!r}" if ext else "no extension"
    raise ValueError(f"Cannot {action.replace('_', ' ')} '{path}': {got}. {hint}.")


# ---------------------------------------------------------------------------- .lamina writing
def _lamina_version() -> str:
    try:
        from .. import __version__
        return __version__
    except ImportError:
        return "unknown"


def _compile_config(model):
    get = getattr(model, "get_compile_config", None)
    if not callable(get) or not getattr(model, "compiled", False):
        return None
    cfg = get()
    if cfg is not None:
        try:
            json.dumps(cfg)
        except (TypeError, ValueError) as err:
            raise TypeError(f"model.get_compile_config() returned something that is not JSON ({err}); cannot "
                            f"save the compile settings. Pass include_optimizer=False to save without them.") from err
    return cfg


def model_file_config(model, include_compile: bool = True) -> dict:
    """What ``config.json`` holds: class name, model config, compile and build settings."""
    out = {"class_name": model_class_name(model), "config": model.get_config()}
    if include_compile:
        out["compile_config"] = _compile_config(model)
    if not getattr(model, "_is_graph_network", False) and model.built and model._build_shape is not None:
        out["build_config"] = {"input_shape": shape_to_json(model._build_shape)}
    return out


def _optimizer_files(model):
    opt = getattr(model, "optimizer", None)
    if not isinstance(opt, torch.optim.Optimizer) or not getattr(opt, "param_groups", None):
        return None  # not compiled, or compiled but never built (no fit yet): no state to keep
    import safetensors.torch
    tensors, meta = optimizer_state_to_tensors(opt)
    return safetensors.torch.save(tensors), json.dumps(meta).encode()


def _history_dict(model):
    hist = getattr(getattr(model, "history", None), "history", None)
    if not isinstance(hist, dict) or not hist:
        return None
    out = {}
    for key, values in hist.items():
        try:
            out[str(key)] = [float(v) for v in values]
        except (TypeError, ValueError):
            continue
    return out or None


def _save_lamina(model, path: str, overwrite: bool = True, include_optimizer: bool = True) -> None:
    # Everything is serialized in memory first: a model that cannot be saved (a Lambda layer,
    # a custom layer without get_config) fails before the existing file is touched.
    config = json.dumps(model_file_config(model, include_compile=include_optimizer), indent=1).encode()
    weights = weights_to_bytes(model)
    optimizer = _optimizer_files(model) if include_optimizer else None
    history = _history_dict(model)
    metadata = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "lamina_version": _lamina_version(),
                "torch_version": torch.__version__,
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}

    def write(f):
        with zipfile.ZipFile(f, "w") as zf:
            zf.writestr(_METADATA, json.dumps(metadata, indent=1), zipfile.ZIP_DEFLATED)
            zf.writestr(_CONFIG, config, zipfile.ZIP_DEFLATED)
            zf.writestr(_WEIGHTS, weights, zipfile.ZIP_STORED)
            if optimizer is not None:
                zf.writestr(_OPT_TENSORS, optimizer[0], zipfile.ZIP_STORED)
                zf.writestr(_OPT_META, optimizer[1], zipfile.ZIP_DEFLATED)
            if history is not None:
                zf.writestr(_HISTORY, json.dumps(history), zipfile.ZIP_DEFLATED)

    atomic_write(path, write, overwrite=overwrite)


def _save_weights_file(model, path: str, overwrite: bool = True) -> None:
    blob = weights_to_bytes(model)
    atomic_write(path, lambda f: f.write(blob), overwrite=overwrite)


# ---------------------------------------------------------------------------- .lamina reading
def _parse_json(data: bytes, path: str, member: str):
    return parse_json(data, path, member, NOT_LAMINA)


_JSON_MEMBERS = (_CONFIG, _METADATA, _OPT_META, _HISTORY)


def _read_lamina(path: str) -> dict:
    members = read_members(path, (_CONFIG, _WEIGHTS), (_METADATA, _OPT_TENSORS, _OPT_META, _HISTORY),
                           caps={m: MAX_JSON_BYTES for m in _JSON_MEMBERS},
                           optional_damage_ok=(_OPT_TENSORS, _OPT_META, _HISTORY))
    if _METADATA in members:
        meta = _parse_json(members[_METADATA], path, _METADATA)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise LoadError(f"'{path}' is {NOT_LAMINA}: metadata.json names format "
                            f"{meta.get('format') if isinstance(meta, dict) else meta!r}.", path, _METADATA)
        version = meta.get("format_version", 1)
        if isinstance(version, bool) or not isinstance(version, int):
            try:
                version = int(str(version))
            except ValueError:
                raise LoadError(f"'{path}' (metadata.json): format_version must be an integer such as "
                                f"{FORMAT_VERSION}; received {str(version)[:40]!r}. The file is damaged; save "
                                f"the model again.", path, _METADATA) from None
        if version > FORMAT_VERSION:
            raise LoadError(f"'{path}' uses .lamina format version {version} (written by lamina "
                            f"{meta.get('lamina_version', '?')}); this lamina {_lamina_version()} reads up to "
                            f"version {FORMAT_VERSION}. Upgrade lamina to load it.", path, _METADATA)
    return members


def _model_from_file_config(cfg, custom_objects, where: str):
    from ..models.functional import Model
    if not isinstance(cfg, dict) or "class_name" not in cfg or "config" not in cfg:
        raise ValueError(f"{where} must hold {{'class_name': ..., 'config': {{...}}}}; received "
                         f"{str(cfg)[:200]}.")
    try:
        model = layer_from_config({"class_name": cfg["class_name"], "config": cfg["config"]}, custom_objects)
    except TypeError as err:
        if "unexpected keyword" not in str(err) and "positional argument" not in str(err):
            raise
        raise TypeError(f"Could not rebuild {cfg['class_name']!r} from {where}: {err}. A Model subclass must "
                        f"accept its get_config() as keyword arguments (override get_config/from_config), or "
                        f"rebuild it in code and use load_weights().") from None
    if not isinstance(model, Model):
        raise ValueError(f"{where} describes a {cfg['class_name']} layer, not a model. Wrap it in a Sequential "
                         f"or Model to save and load it.")
    build = (cfg.get("build_config") or {}).get("input_shape")
    if build is not None and not model.built:
        model._build_for(shape_from_json(build))
    return model


def _restore_training(model, members: dict, cfg: dict, path: str) -> None:
    compile_config = cfg.get("compile_config")
    compile_from_config = getattr(model, "compile_from_config", None)
    if compile_config is None or not callable(compile_from_config):
        return
    compile_from_config(compile_config)
    if _OPT_TENSORS not in members or _OPT_META not in members:
        return
    import safetensors.torch
    opt = getattr(model, "optimizer", None)
    if not isinstance(opt, torch.optim.Optimizer):
        warnings.warn(f"'{path}' holds optimizer state, but the compiled model's optimizer "
                      f"({type(opt).__name__}) is not a torch optimizer; training restarts the "
                      f"optimizer from scratch.", stacklevel=3)
        return
    try:
        meta = _parse_json(members[_OPT_META], path, _OPT_META)
        build = getattr(model, "_build_optimizer", None)
        if callable(build):
            build()  # attach the parameters now, so that their shapes are checked against the saved state
        tensors = safetensors.torch.load(members[_OPT_TENSORS])
        load_optimizer_state(opt, tensors, meta)
    except Exception as err:  # a model is still usable for inference without its optimizer state
        warnings.warn(f"Could not restore the optimizer state saved in '{path}' ({err}); training restarts the "
                      f"optimizer from scratch.", stacklevel=3)


def _valid_history(members: dict, path: str):
    """The stored history, or None with a warning when history.json is damaged (it is optional)."""
    if _HISTORY not in members:
        return None
    try:
        hist = _parse_json(members[_HISTORY], path, _HISTORY)
    except LoadError as err:
        warnings.warn(f"{err} The history is optional: the model loads without it.", stacklevel=4)
        return None
    if not isinstance(hist, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in v) for k, v in hist.items()):
        warnings.warn(f"'{path}' (history.json) must map metric names to lists of numbers; received "
                      f"{str(hist)[:80]}. The history is optional: the model loads without it.", stacklevel=4)
        return None
    return hist


def _attach_history(model, members: dict, path: str) -> None:
    hist = _valid_history(members, path)
    if hist is None:
        return
    try:
        from ..callbacks import History
        cb = History()
    except (ImportError, TypeError):
        return
    cb.history = hist
    cb.epoch = list(range(len(next(iter(hist.values()), []))))
    cb.model = model
    if getattr(model, "history", None) is None:
        model.history = cb


def _load_lamina(path: str, custom_objects=None, compile=True, safe_mode=True):
    from ._precheck import build_checked
    members = _read_lamina(path)
    cfg = _parse_json(members[_CONFIG], path, _CONFIG)
    where = f"'{path}' ({_WEIGHTS})"
    header = safetensors_header(members[_WEIGHTS], where, path, _WEIGHTS)
    model = build_checked(lambda: _model_from_file_config(cfg, custom_objects, f"'{path}' (config.json)"),
                          cfg, header, where, path)
    apply_weights(model, members[_WEIGHTS], f"'{path}' ({_WEIGHTS})")
    if compile:
        _restore_training(model, members, cfg, path)
    _attach_history(model, members, path)
    return model


def _load_weights_file(model, path: str, skip_mismatch: bool = False) -> None:
    with open(path, "rb") as f:
        blob = f.read()
    safetensors_header(blob, f"'{path}'", path)
    apply_weights(model, blob, f"'{path}'", skip_mismatch=skip_mismatch)


def _load_weights_from_lamina(model, path: str, skip_mismatch: bool = False) -> None:
    members = _read_lamina(path)
    apply_weights(model, members[_WEIGHTS], f"'{path}' ({_WEIGHTS})", skip_mismatch=skip_mismatch)


register_format(".lamina", save_model=_save_lamina, load_model=_load_lamina,
                load_weights=_load_weights_from_lamina)
register_format(".safetensors", save_weights=_save_weights_file, load_weights=_load_weights_file)


# ---------------------------------------------------------------------------- public API
def save_model(model, filepath, overwrite: bool = True, include_optimizer: bool = True) -> None:
    """Save architecture, weights, compile settings, optimizer state and history to one file.

    Args:
        model: a lamina Model or Sequential.
        filepath: path ending in ``.lamina`` (``.h5``/``.keras`` through the Keras compatibility layer).
        overwrite: default True; with False an existing file raises FileExistsError.
        include_optimizer: default True: store compile settings and optimizer state.

    Example:
        >>> model.save("mnist.lamina")
        >>> model = lamina.models.load_model("mnist.lamina")
    """
    path = os.fspath(filepath)
    _handler(path, "save_model")(model, path, overwrite, include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by ``model.save``.

    Args:
        filepath: a ``.lamina`` file (``.h5``/``.keras`` through the Keras compatibility layer).
        custom_objects: ``{"ClassName": cls}`` for your own layers or models that are not
            registered with :func:`lamina.saving.register_serializable`.
        compile: default True: compile the model as it was saved and restore the optimizer state.
        safe_mode: default True; accepted for Keras compatibility and changes nothing. lamina
            never runs code from a file, with either value: a ``.lamina`` file cannot hold code
            (a Lambda layer cannot be saved), and a Keras file's Lambda layer (marshalled Python
            bytecode) is refused with a LoadError. Rebuild such a model in code and call
            ``model.load_weights(path)``.

    Raises:
        FileNotFoundError: no such file. LoadError (a ValueError): anything wrong with the file:
        not a model file, truncated, hostile sizes (zip bombs, huge layers), bad JSON, an unknown
        class, a Lambda layer, or weights that do not fit the architecture. It names the file and
        the member. Damaged optional members (history, optimizer state) only give a warning.
    """
    path = os.fspath(filepath)
    check_exists(path, "load_model")
    fn = _handler(path, "load_model")
    with guarded(path):
        return fn(path, custom_objects, compile, safe_mode)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (new, randomly initialised weights) from ``model.to_json()``."""
    try:
        cfg = json.loads(json_string)
    except RecursionError:
        raise LoadError("model_from_json received JSON nested too deeply to read.") from None
    except (TypeError, ValueError) as err:
        raise LoadError(f"model_from_json expects the string model.to_json() returns; it is not valid JSON "
                        f"({err}). Received {str(json_string)[:100]!r}.") from None
    from ._limits import check_depth
    check_depth(cfg, "The JSON given to model_from_json")
    return _model_from_file_config(cfg, custom_objects, "the JSON")


def read_history(filepath) -> dict | None:
    """The training history (``{"loss": [...], "val_loss": [...]}``) stored in a ``.lamina`` file, or None."""
    path = os.fspath(filepath)
    check_exists(path, "read_history")
    with guarded(path, "read the history of"):
        members = _read_lamina(path)
        if _HISTORY not in members:
            return None
        return _parse_json(members[_HISTORY], path, _HISTORY)


class SavingMixin:
    """``save``, ``save_weights``, ``load_weights``, ``export`` and ``to_json`` for Model."""

    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None, **kwargs):
        """Save the whole model to ``filepath`` (``.lamina``); see :func:`lamina.models.save_model`."""
        if save_format is not None and save_format not in ("lamina", "h5", "keras"):
            raise ValueError(f"save_format must be None, 'lamina', 'h5' or 'keras'. Received: "
                             f"save_format={save_format!r}. The file extension chooses the format.")
        if kwargs:
            raise TypeError(f"save() got unexpected keyword argument(s) {', '.join(map(repr, sorted(kwargs)))}. "
                            f"Valid arguments: filepath, overwrite, include_optimizer, save_format.")
        if not is_chief():   # under DataParallel, rank 0 alone writes
            return
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Save only the weights, to ``*.weights.safetensors`` (torch layout, keys ``"dense/kernel"``)."""
        path = os.fspath(filepath)
        if not is_chief():   # under DataParallel, rank 0 alone writes
            return
        _handler(path, "save_weights")(self, path, overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Load weights saved by ``save_weights`` (or from a ``.lamina`` file) into this model.

        Tensors are matched by key, or by position when the names differ (the same
        architecture built again), as Keras 2 does. ``skip_mismatch=True`` skips
        tensors whose shapes differ, with a warning, instead of raising.
        ``by_name=True`` (``.h5`` files only, as in Keras) matches layers by name and
        skips layers the file does not have.
        """
        path = os.fspath(filepath)
        if by_name:
            if os.path.splitext(path)[1].lower() not in (".h5", ".hdf5"):
                raise ValueError(f"load_weights(by_name=True) reads .h5 files, as in Keras. Received '{path}'; "
                                 f"lamina files always match weights by layer name: drop by_name.")
            from . import h5
            check_exists(path, "load_weights")
            return h5.load_weights(self, path, skip_mismatch=skip_mismatch, by_name=True)
        check_exists(path, "load_weights")
        fn = _handler(path, "load_weights")
        with guarded(path, "load weights from"):
            fn(self, path, skip_mismatch)

    def export(self, filepath, format="onnx", verbose=None, input_signature=None, **kwargs):
        """Export for inference: 'onnx' (default), 'torchscript' or 'torch_export'; the batch axis
        stays dynamic. See :func:`lamina.saving.export.export_model`."""
        from .export import export_model
        export_model(self, filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs)

    def to_json(self, **kwargs) -> str:
        """The model's architecture as JSON (no weights); rebuild with :func:`lamina.models.model_from_json`."""
        cfg = {"class_name": model_class_name(self), "config": self.get_config(),
               "lamina_version": _lamina_version(), "backend": "torch"}
        if not getattr(self, "_is_graph_network", False) and self.built and self._build_shape is not None:
            cfg["build_config"] = {"input_shape": shape_to_json(self._build_shape)}
        return json.dumps(cfg, **kwargs)
