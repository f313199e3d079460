"""Pretrained weights for ``lamina.applications``: the cache, downloads with a hash check, and
loading the two kinds of files people have, with every tensor's name and shape checked.

- **Keras HDF5 weight files** (``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5``): one group
  per layer holding its arrays in Keras layout, listed by the group's ``weight_names``; also the
  Keras 3 ``*.weights.h5`` layout (``layers/<path>/vars/<i>``). Read with h5py, matched by layer
  name.
- **torchvision state dicts** (``vgg16-397923af.pth``: ``features.N.weight``, ``classifier.{0,3,6}``),
  read with ``torch.load(weights_only=True)``, which never runs code from the file. The first
  Dense layer of the top is re-ordered from torch's (channels, rows, cols) flattening to Keras's
  (rows, cols, channels).

Anything else (``.lamina``, ``.weights.safetensors``) goes to ``model.load_weights``.

Nothing is copied until every tensor has been checked: a file that does not fit leaves the
model as it was and names the first tensor that does not fit, with both shapes.
"""
from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..saving import LoadError, check_zip
from ..utils.file_lock import file_lock, unique_temp, writable_dir

__all__ = ["Architecture", "cache_dir", "get_file", "load_weights"]

KERAS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclass(frozen=True)
class Architecture:
    """What the loader needs to know about a network family.

    Attributes:
        name: shown in messages, e.g. 'VGG16'.
        top_layers: layers of the classifier, which a file may hold when the model has no top.
        torchvision: ``model -> {layer name: [(state-dict key, kind), ...]}`` where kind is 'conv',
            'dense', 'dense_chw' (first Dense after a Flatten) or 'vector'; None if unsupported.
        torchvision_top: prefix of the state-dict keys of torchvision's classifier, e.g. 'classifier.'.
        torchvision_refusal: why torchvision's weights cannot be used, when ``torchvision`` is None.
        auto_named: some weighted layers keep Keras's auto-names (``conv2d_7``), whose numbers depend on
            what else was built before; such layers are matched by their order of creation per class.
    """

    name: str
    top_layers: tuple = ()
    torchvision: Callable | None = None
    torchvision_top: str = ""
    torchvision_refusal: str = ""
    auto_named: bool = False


# ---------------------------------------------------------------------------------- cache + download
def cache_dir() -> Path:
    """``$LAMINA_HOME/models`` (default ``~/.lamina/models``), where weights='imagenet' looks."""
    home = os.environ.get("LAMINA_HOME") or os.path.join(os.path.expanduser("~"), ".lamina")
    return Path(home) / "models"


def get_file(fname: str, origin: str, file_hash: str | None = None, what: str = "this network") -> str:
    """The path of ``fname`` in the cache, downloading it from ``origin`` first if it is missing.

    A download is written to a temporary file of this process, checked against ``file_hash``
    (md5 or sha256 hex) and only then renamed into the cache, so the cache never holds a partial
    or corrupt file; processes fetching the same file take turns on a lock beside it. A cached
    file is checked against ``file_hash`` again before it is used (once per process), and a
    damaged one is downloaded again. Set ``LAMINA_OFFLINE=1`` to never try the network.

    Raises:
        FileNotFoundError: not cached and not downloadable (offline); says where to put the file.
        ValueError: the downloaded file, or the cached one when offline, does not have the expected hash.
        CacheNotWritableError (an OSError): the cache folder cannot be created or written.
    """
    directory = cache_dir()
    path = directory / fname
    offline = os.environ.get("LAMINA_OFFLINE", "") not in ("", "0")
    if path.is_file() and _verified(path, file_hash, offline, what):
        return str(path)
    if offline:
        reason = "LAMINA_OFFLINE is set"
    else:
        writable_dir(directory, "lamina's model cache")
        try:
            with file_lock(path):
                if path.is_file() and _verified(path, file_hash, offline, what):
                    return str(path)  # another process finished it while this one waited
                _download(origin, path, file_hash)
            return str(path)
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            reason = f"{type(err).__name__}: {getattr(err, 'reason', None) or err}"
    raise FileNotFoundError(
        f"{what} needs the weights file '{fname}', which is not in lamina's cache ({directory}) and could not "
        f"be downloaded from {origin} ({reason}). Download that file on a machine with internet access and "
        f"copy it to {path} (the cache is $LAMINA_HOME/models, default ~/.lamina/models), or pass "
        f"weights='/path/to/{fname}'.")


_VERIFIED: dict[tuple, bool] = {}  # (path, size, mtime, hash) -> checked; a file is hashed once per process


def _hash_of(path: Path, file_hash: str) -> str:
    digest = hashlib.sha256() if len(file_hash) == 64 else hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verified(path: Path, file_hash: str | None, offline: bool, what: str) -> bool:
    """True when the cached file may be used: no hash is known, or it has the hash. A damaged file is
    removed (and downloaded again) or, offline, refused with a clear error."""
    if not file_hash:
        return True
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, file_hash.lower())
    if _VERIFIED.get(key):
        return True
    got = _hash_of(path, file_hash)
    if got == file_hash.lower():
        _VERIFIED[key] = True
        return True
    if offline:
        raise ValueError(f"The cached weights file {str(path)!r} for {what} is damaged: its hash is {got}, expected "
                         f"{file_hash}. lamina will not use it. Delete it and run again with network access, or "
                         f"copy a good copy there.")
    import warnings
    warnings.warn(f"The cached weights file {str(path)!r} failed its hash check (got {got}, expected {file_hash}); "
                  f"downloading it again.", stacklevel=4)
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    return False


def _download(origin: str, path: Path, file_hash: str | None) -> None:
    digest = hashlib.sha256() if file_hash and len(file_hash) == 64 else hashlib.md5()
    tmp = unique_temp(path)
    try:
        with urllib.request.urlopen(origin, timeout=60) as response, open(tmp, "wb") as out:
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
        if file_hash and digest.hexdigest() != file_hash.lower():
            raise ValueError(f"The file downloaded from {origin} has hash {digest.hexdigest()}, expected "
                             f"{file_hash}: the download is incomplete or the file changed. Nothing was "
                             f"written to {path}; try again.")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# ---------------------------------------------------------------------------------- readers
def _fmt(shape) -> str:
    shape = tuple(shape)
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _decode(names) -> list[str]:
    return [n.decode("utf8") if isinstance(n, bytes) else str(n) for n in names]


def _read_keras_h5(path: str) -> dict[str, list]:
    """{layer name: [(tensor name, Keras-layout array, shape in the file)]} from a Keras weights file."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as err:
        raise LoadError(f"'{path}' cannot be read as an HDF5 weights file ({str(err).splitlines()[0]}): it is "
                        f"truncated or damaged. Delete it and download it again.", path) from None
    with f:
        root = f["model_weights"] if "model_weights" in f else f
        out: dict[str, list] = {}
        if "layer_names" in root.attrs:  # Keras 1/2 (and tf.keras) weight files
            for name in _decode(root.attrs["layer_names"]):
                group = root[name]
                arrays = []
                for w in _decode(group.attrs.get("weight_names", [])):
                    arr = np.asarray(group[w])
                    arrays.append((f"{name}/{w}", arr, arr.shape))
                out[name] = arrays
            return out
        if "layers" in root:  # Keras 3 *.weights.h5
            for key, group in root["layers"].items():
                vars_ = group.get("vars")
                if vars_ is None or not len(vars_):
                    continue
                name = _decode([vars_.attrs.get("name", key)])[0]
                arrays = []
                for i in range(len(vars_)):
                    arr = np.asarray(vars_[str(i)])
                    arrays.append((f"layers/{key}/vars/{i}", arr, arr.shape))
                out[name] = arrays
            return out
    raise LoadError(f"'{path}' is an HDF5 file but not a Keras weights file: it has neither the 'layer_names' "
                     f"attribute of Keras 1/2 files nor the 'layers' group of Keras 3 .weights.h5 files.")


def _is_torch_file(path: str) -> bool:
    with open(path, "rb") as f:
        head = f.read(2)
    if head[:1] == b"\x80":  # torch's legacy (pickle) format
        return True
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return any(n.endswith("data.pkl") for n in z.namelist())
    return False


def _read_state_dict(path: str) -> dict[str, torch.Tensor]:
    if zipfile.is_zipfile(path):
        check_zip(path, "not a torch state dict file (a zip written by torch.save)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, ... for unsafe or broken files
        raise LoadError(f"Cannot read '{path}' as a torch state dict with torch.load(weights_only=True): "
                         f"{str(err).splitlines()[0]}. lamina loads only plain state dicts of tensors "
                         f"(torch.save(model.state_dict(), path)), never pickled code.") from None
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise LoadError(f"'{path}' does not hold a state dict of tensors (found {type(obj).__name__}). Save one "
                         f"with torch.save(model.state_dict(), path).")
    prefix = "module."
    if obj and all(k.startswith(prefix) for k in obj):  # saved from DataParallel
        obj = {k[len(prefix):]: v for k, v in obj.items()}
    return obj


def _feature_map(model, layer_name):
    """(rows, cols, channels) entering the Flatten before ``layer_name``."""
    from ..layers.reshaping import Flatten
    layer = model.get_layer(layer_name)
    src = layer._inbound_nodes[0].input_tensors[0].node.layer
    if not isinstance(src, Flatten):
        return None
    shape = src._inbound_nodes[0].input_tensors[0].shape
    return shape[1:] if src.data_format == "channels_last" else (shape[2], shape[3], shape[1])


def _from_torchvision(model, state, arch, path):
    """Sources in Keras layout from a torchvision state dict, and the tensors nothing uses."""
    if arch.torchvision is None:
        raise ValueError(f"Cannot load '{path}' into {arch.name} '{model.name}': it is a torch state dict, and "
                         f"{arch.torchvision_refusal}")
    mapping = arch.torchvision(model)
    sources: dict[str, list] = {}
    used = set()
    for layer_name, keys in mapping.items():
        entries = []
        for key, kind in keys:
            t = state.get(key)
            if t is None:
                entries.append((key, None, None))
                continue
            used.add(key)
            arr = t.detach().to(torch.float32).cpu().numpy()
            entries.append((key, _torch_to_keras(arr, kind, model, layer_name), tuple(arr.shape)))
        sources[layer_name] = entries
    has_top = any(layer.name in arch.top_layers for layer in model.layers)
    extras = [(k, tuple(v.shape)) for k, v in state.items()
              if k not in used and not k.endswith("num_batches_tracked")
              and not (arch.torchvision_top and k.startswith(arch.torchvision_top) and not has_top)]
    return sources, extras


def _torch_to_keras(arr, kind, model, layer_name):
    if kind == "conv" and arr.ndim == 4:
        return arr.transpose(2, 3, 1, 0)  # (out, in, kh, kw) -> (kh, kw, in, out)
    if kind in ("dense", "dense_chw") and arr.ndim == 2:
        kernel = arr.T
        fmap = _feature_map(model, layer_name) if kind == "dense_chw" else None
        if fmap is not None and None not in fmap and kernel.shape[0] == int(np.prod(fmap)):
            rows, cols, ch = fmap  # torch flattened (channels, rows, cols); lamina's Flatten (rows, cols, channels)
            kernel = kernel.reshape(ch, rows, cols, -1).transpose(1, 2, 0, 3).reshape(kernel.shape)
        return np.ascontiguousarray(kernel)
    return arr


# ---------------------------------------------------------------------------------- loading
def load_weights(model, path, arch: Architecture) -> None:
    """Load a Keras .h5, a torchvision state dict or a lamina weights file into an application model.

    Raises:
        ValueError: the file does not fit the model; the message names the first tensor that does not
            fit and both shapes (or the first one missing), and the model is left unchanged.
    """
    import h5py

    path = os.fspath(path)
    keys: dict = {}
    if h5py.is_hdf5(path):
        sources = _read_keras_h5(path)
        if arch.auto_named:
            keys, sources = _creation_order_keys(model, sources)
        names = {keys.get(layer.name, layer.name) for layer in model.layers}
        extras = [(entries[0][0], entries[0][2]) for name, entries in sources.items()
                  if entries and name not in names and name not in arch.top_layers]
        kind = "Keras weights file"
    elif _is_torch_file(path):
        sources, extras = _from_torchvision(model, _read_state_dict(path), arch, path)
        kind = "torchvision state dict"
    else:
        model.load_weights(path)
        return
    plan = _check(model, sources, extras, arch, path, kind, keys)
    with torch.no_grad():
        for layer, arrays in plan:
            layer.set_weights(arrays)


def _creation_order_keys(model, sources):
    """Match auto-named layers by creation order, not by number: Keras 2 files number from 1
    (``conv2d_1`` is the first Conv2D), a fresh Keras 3 or lamina session from 0 (``conv2d``), a
    later build in the same session from wherever the counter stood. Each auto-name becomes
    ``<base>#<rank among that base's names>`` on both sides. Returns (layer name -> key, sources by key).
    """
    from .._naming import to_snake_case
    bases = {to_snake_case(type(layer).__name__) for layer in model.layers}
    pattern = re.compile(r"^(" + "|".join(re.escape(b) for b in sorted(bases)) + r")(?:_(\d+))?$")

    def renumber(names):
        groups: dict[str, list] = {}
        for name in names:
            m = pattern.match(name)
            if m:
                groups.setdefault(m.group(1), []).append((int(m.group(2) or 0), name))
        return {name: f"{base}#{rank}" for base, items in groups.items()
                for rank, (_, name) in enumerate(sorted(items))}

    ours = renumber([layer.name for layer in model.layers])
    theirs = renumber(list(sources))
    return ours, {theirs.get(name, name): entries for name, entries in sources.items()}


def _check(model, sources, extras, arch, path, kind, keys=None):
    where = f"Cannot load {kind} '{path}' into {arch.name} '{model.name}'"
    other = " The file was saved from another architecture or configuration; build the model that matches it."
    plan = []
    for layer in model.layers:
        items = layer._weight_items()
        if not items:
            continue
        want = [(f"{layer.name}/{rec.name}", layer._keras_shape(owner, rec)) for owner, rec in items]
        entries = sources.get((keys or {}).get(layer.name, layer.name))
        if entries is None:
            held = [n for n, e in sources.items() if e]
            listed = ", ".join(repr(n) for n in held[:6]) + (", ..." if len(held) > 6 else "")
            raise ValueError(f"{where}: the file has no weights for layer '{layer.name}' "
                             f"({', '.join(f'{n} {_fmt(s)}' for n, s in want)}). It holds weights for "
                             f"{len(held)} layers: {listed}.{other}")
        if len(entries) != len(want):
            raise ValueError(f"{where}: layer '{layer.name}' has {len(want)} weights "
                             f"({', '.join(f'{n} {_fmt(s)}' for n, s in want)}); the file has {len(entries)} "
                             f"({', '.join(f'{e[0]} {_fmt(e[2])}' for e in entries if e[1] is not None)}).{other}")
        for (wname, wshape), (label, arr, file_shape) in zip(want, entries):
            if arr is None:
                raise ValueError(f"{where}: tensor '{label}' (for {wname}, Keras shape {_fmt(wshape)}) is not in "
                                 f"the file.{other}")
            if tuple(arr.shape) != tuple(wshape):
                layout = "" if tuple(file_shape) == tuple(arr.shape) else f", {_fmt(arr.shape)} in Keras layout"
                raise ValueError(f"{where}: tensor '{label}' has shape {_fmt(file_shape)} in the file{layout}, but "
                                 f"the model's {wname} has shape {_fmt(wshape)}.{other}")
        plan.append((layer, [e[1] for e in entries]))
    if extras:
        label, shape = extras[0]
        more = f" (and {len(extras) - 1} more)" if len(extras) > 1 else ""
        raise ValueError(f"{where}: the file holds '{label}' (shape {_fmt(shape)}){more}, which {arch.name} "
                         f"'{model.name}' has no place for.{other}")
    return plan
