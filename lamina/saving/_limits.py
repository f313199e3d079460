"""Bounded, validated reading of model files: one :class:`LoadError` for every failure.

Every zip member is size-checked before it is read (a cap per kind of member, a
compression-ratio check, no duplicate names); JSON is parsed with a depth bound;
a safetensors header is checked against the bytes that follow it before it is
trusted. :func:`guarded` turns whatever else a loader raises into a LoadError that
names the file.
"""
from __future__ import annotations

import contextlib
import json
import os
import struct
import warnings
import zipfile
import zlib

__all__ = ["LoadError", "MAX_JSON_BYTES", "MAX_RATIO", "MAX_DEPTH", "read_zip", "check_zip", "parse_json", "check_depth",
           "safetensors_header", "guarded"]

MAX_JSON_BYTES = 64 << 20   # a config of 64 MiB is ~100x the largest real one; history/optimizer JSON alike
MAX_RATIO = 200             # deflate rarely passes 20:1 on real members; zip bombs reach 1000:1
_RATIO_FLOOR = 1 << 20      # members under 1 MiB are never refused for their ratio
MAX_DEPTH = 128             # JSON nesting; a functional model nested 10 deep uses ~90
_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
                "U16": 2, "U32": 4, "U64": 8, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


class LoadError(ValueError):
    """A model or weights file that cannot be loaded: it names the file, the member and the problem.

    Raised by ``load_model``, ``load_weights`` and ``read_history`` for every kind of damage
    (truncated, not a model file, hostile sizes, bad JSON, weights that do not fit the
    architecture) in ``.lamina``, ``.h5``, ``.keras``, ``.pth`` and ``.safetensors`` files. It is a
    ``ValueError``, so ``except ValueError`` keeps working.

    Attributes:
        path: the file. member: the part of it (e.g. ``'config.json'``), or None.

    Example:
        >>> try:                                                  # doctest: +SKIP
        ...     model = lamina.models.load_model("maybe-broken.lamina")
        ... except lamina.saving.LoadError as err:
        ...     print(err)
    """

    def __init__(self, message: str, path=None, member: str | None = None):
        super().__init__(message)
        self.path = None if path is None else os.fspath(path)
        self.member = member


def _where(path, member=None) -> str:
    return f"'{path}'" + (f" ({member})" if member else "")


def read_zip(path, wanted: dict[str, int | None], kind: str, optional=()) -> dict[str, bytes]:
    """The members named in ``wanted`` (name -> cap in bytes, None: bounded by the ratio check only)
    that the zip at ``path`` holds, each size-checked before it is read. A member named in
    ``optional`` that fails its checks is left out with a warning instead.

    Raises:
        LoadError: not a zip, duplicate member names, a member over its cap or with a
            zip-bomb compression ratio, or a member whose data is corrupt.
    """
    size = os.path.getsize(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, ValueError) as err:
        raise LoadError(f"{_where(path)} is {kind}; it cannot be read as a zip ({err}; {size} bytes). The "
                        f"file may be truncated (an interrupted copy or download) or be another kind of file.",
                        path) from None
    out: dict[str, bytes] = {}
    with zf:
        infos = zf.infolist()
        seen: set[str] = set()
        for info in infos:
            if info.filename in seen:
                raise LoadError(f"{_where(path, info.filename)}: the zip holds two members named "
                                f"{info.filename!r}, so which one is meant is ambiguous. lamina never writes "
                                f"such files; the file was altered. Save the model again.", path, info.filename)
            seen.add(info.filename)
        for info in infos:
            if info.filename not in wanted:
                continue
            try:
                out[info.filename] = _read_member(zf, info, wanted[info.filename], path, size)
            except LoadError as err:
                if info.filename not in optional:
                    raise
                warnings.warn(f"{err} This optional member is ignored; the model loads without it.",
                              stacklevel=4)
    return out


def check_zip(path, kind: str) -> None:
    """Size and ratio checks on every member of the zip at ``path``, without reading any."""
    size = os.path.getsize(path)
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                _check_declared(info, None, path, size)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, ValueError) as err:
        if isinstance(err, LoadError):
            raise
        raise LoadError(f"{_where(path)} is {kind}; it cannot be read as a zip ({err}).", path) from None


def _check_declared(info, cap, path, size) -> int:
    declared = info.file_size
    if cap is not None and declared > cap:
        raise LoadError(f"{_where(path, info.filename)} declares {declared:,} bytes uncompressed; lamina "
                        f"reads at most {cap:,} bytes for this member. The file is damaged or hostile "
                        f"(a zip bomb); it was not read.", path, info.filename)
    if declared > _RATIO_FLOOR and declared > MAX_RATIO * max(info.compress_size, 1):
        raise LoadError(f"{_where(path, info.filename)} inflates {info.compress_size:,} bytes to "
                        f"{declared:,} (ratio {declared // max(info.compress_size, 1):,}:1, limit "
                        f"{MAX_RATIO}:1). This is a zip bomb, not a saved model; it was not read.",
                        path, info.filename)
    if declared > _RATIO_FLOOR and declared > max(size, 1) * MAX_RATIO:
        raise LoadError(f"{_where(path, info.filename)} declares {declared:,} bytes in a file of "
                        f"{size:,} bytes; it was not read.", path, info.filename)
    return declared


def _read_member(zf, info, cap, path, size) -> bytes:
    declared = _check_declared(info, cap, path, size)
    try:
        with zf.open(info) as f:
            data = f.read(declared + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, ValueError,
            RuntimeError) as err:
        raise LoadError(f"{_where(path, info.filename)} is corrupt ({err}); the file is truncated or "
                        f"damaged. Save the model again or copy it again.", path, info.filename) from None
    if len(data) != declared:
        raise LoadError(f"{_where(path, info.filename)} holds {len(data):,} bytes, not the {declared:,} "
                        f"its zip entry declares; the file is damaged.", path, info.filename)
    return data


def check_depth(obj, where: str, path=None, member=None, limit: int = MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than ``limit`` (checked without recursion)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            raise LoadError(f"{where} is nested more than {limit} levels deep; no saved model needs that. The "
                            f"file is damaged or hostile.", path, member)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def parse_json(data: bytes | str, path, member: str, kind: str = "not a .lamina file"):
    """``json.loads`` with a size and depth bound; a LoadError naming the member otherwise."""
    where = _where(path, member)
    if len(data) > MAX_JSON_BYTES:
        raise LoadError(f"{where} is {len(data):,} bytes of JSON; lamina reads at most {MAX_JSON_BYTES:,}.",
                        path, member)
    try:
        value = json.loads(data)
    except RecursionError:
        raise LoadError(f"{where} is JSON nested too deeply to read; the file is damaged or hostile.",
                        path, member) from None
    except (UnicodeDecodeError, ValueError, TypeError) as err:
        raise LoadError(f"{where} is not valid JSON ({err}); {_where(path)} is {kind}, or is damaged.",
                        path, member) from None
    check_depth(value, where, path, member)
    return value


def safetensors_header(blob: bytes, where: str, path=None, member=None) -> tuple[dict, dict, int]:
    """``({key: (dtype, shape)}, metadata, total data bytes)`` of safetensors bytes, checked before trust:
    the header length fits the blob, every tensor's offsets lie inside the data and match its
    dtype and shape."""
    def bad(why):
        return LoadError(f"{where} is not a valid safetensors file: {why}. The file is truncated or is not a "
                         f"weights file.", path, member)
    if len(blob) < 8:
        raise bad(f"it has {len(blob)} bytes, fewer than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8 or n > MAX_JSON_BYTES:
        raise bad(f"its header claims {n:,} bytes but the file has {len(blob) - 8:,} after the length")
    try:
        header = json.loads(blob[8:8 + n])
    except RecursionError:
        raise bad("its header is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise bad(f"its header is not JSON ({err})") from None
    if not isinstance(header, dict):
        raise bad("its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad("its __metadata__ is not a mapping of strings")
    data_len = len(blob) - 8 - n
    tensors, total = {}, 0
    for key, entry in header.items():
        ok = isinstance(entry, dict) and entry.get("dtype") in _DTYPE_BYTES and isinstance(entry.get("shape"), list)
        ok = ok and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 1 << 48 for d in entry["shape"])
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        ok = ok and isinstance(offsets, list) and len(offsets) == 2 and all(
            isinstance(o, int) and not isinstance(o, bool) for o in offsets)
        if not ok:
            raise bad(f"tensor {key!r} has a malformed entry {str(entry)[:120]}")
        count = 1
        for d in entry["shape"]:
            count *= d
        nbytes = count * _DTYPE_BYTES[entry["dtype"]]
        start, stop = offsets
        if not 0 <= start <= stop <= data_len or stop - start != nbytes:
            raise bad(f"tensor {key!r} ({entry['dtype']} {tuple(entry['shape'])}, {nbytes:,} bytes) has data "
                      f"offsets {offsets} outside the {data_len:,} bytes of data")
        tensors[key] = (entry["dtype"], tuple(entry["shape"]))
        total += nbytes
    return tensors, metadata, total


_WRAPPED = (ValueError, TypeError, KeyError, IndexError, AttributeError, OSError, RecursionError, MemoryError,
            struct.error, zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError, RuntimeError,
            OverflowError, NotImplementedError)


@contextlib.contextmanager
def guarded(path, action: str = "load"):
    """Turn any failure inside the block into a LoadError naming ``path`` (LoadErrors pass through)."""
    try:
        yield
    except LoadError:
        raise
    except _WRAPPED as err:
        text = str(err).strip() or type(err).__name__
        if isinstance(err, (KeyError, RecursionError, MemoryError, struct.error, EOFError, IndexError,
                            AttributeError, zlib.error)) or not isinstance(err, ValueError):
            text = f"{type(err).__name__}: {text}"
        if os.fspath(path) not in text:
            text = f"Cannot {action} '{path}': {text}"
        raise LoadError(text, path) from err
