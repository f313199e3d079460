"""Read and write IDX files, the format MNIST is distributed in.

An IDX file is a 4-byte magic number -- two zero bytes, a type code and the
number of dimensions -- then one big-endian uint32 per dimension, then the
values in C order, big-endian. Files are often gzipped; :func:`read_idx`
recognises gzip by its magic bytes, whatever the file is called.
"""
from __future__ import annotations

import math
import os
import zlib

import numpy as np

__all__ = ["read_idx", "write_idx", "parse_idx", "IDX_DTYPES"]

#: type code -> big-endian numpy dtype, as in the IDX specification.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_TYPE_LIST = ", ".join(f"0x{c:02X} {dt.newbyteorder('=').name}" for c, dt in IDX_DTYPES.items())


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a numpy array.

    Args:
        path: str or path-like. Gzip is detected from the file's first bytes,
            so ``train-images-idx3-ubyte`` and ``train-images-idx3-ubyte.gz``
            both work whatever their names say.

    Returns:
        A writable array in native byte order with the file's shape and dtype
        (uint8, int8, int16, int32, float32 or float64).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not IDX (bad magic number), is truncated, has
            bytes past its data, or is damaged gzip. The message names the path.

    Example:
        >>> images = read_idx("train-images-idx3-ubyte.gz")   # doctest: +SKIP
        >>> images.shape, images.dtype                        # doctest: +SKIP
        ((60000, 28, 28), dtype('uint8'))
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"read_idx found no file at {path!r} (absolute: {os.path.abspath(path)!r}). "
            f"Check the path and the current directory ({os.getcwd()!r}).") from None
    return parse_idx(raw, source=path)


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an IDX file (gzipped or not), as :func:`read_idx` does.

    Args:
        data: the file's bytes.
        source: a name for the data, used in error messages (default '<bytes>').
    """
    data = bytes(data)
    stream_ended_early = False
    if data[:2] == _GZIP_MAGIC:
        data, stream_ended_early = _gunzip(data, source)
    dtype, shape, offset = _parse_header(data, source, stream_ended_early)
    count = math.prod(shape)
    expected = offset + count * dtype.itemsize
    if len(data) < expected:
        where = " after gunzip; the gzip stream also ends early" if stream_ended_early else ""
        raise ValueError(
            f"IDX file {source!r} is truncated: its header promises shape {shape} of "
            f"{dtype.newbyteorder('=').name}, so {expected} bytes were expected but {len(data)} "
            f"were found{where}. The download or copy was probably cut short; fetch the file again.")
    if len(data) > expected:
        raise ValueError(
            f"IDX file {source!r} has {len(data) - expected} bytes past its data: its header promises "
            f"shape {shape} of {dtype.newbyteorder('=').name}, so {expected} bytes were expected but "
            f"{len(data)} were found. The file is damaged or was concatenated with another.")
    if stream_ended_early:
        raise ValueError(
            f"IDX file {source!r} is a damaged gzip file: the data is complete but the gzip stream "
            f"ends before its checksum, so it cannot be verified. Fetch the file again.")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return flat.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def write_idx(path, array, compress: bool | None = None) -> None:
    """Write an array as an IDX file.

    Args:
        path: str or path-like destination. Written through a temporary file
            and renamed, so a crash never leaves a half-written file.
        array: array-like of dtype uint8, int8, int16, int32, float32 or float64,
            with 0 to 255 axes each shorter than 2**32.
        compress: gzip the file (default None: gzip when the name ends in '.gz').
            Gzipped output is reproducible (no timestamp is stored).

    Example:
        >>> write_idx("labels-idx1-ubyte.gz", np.array([5, 0, 4], dtype=np.uint8))  # doctest: +SKIP
    """
    path = os.fspath(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise ValueError(
            f"write_idx cannot store dtype {array.dtype.name!r}; IDX holds {_TYPE_LIST}. "
            f"Received: array of dtype {array.dtype.name} and shape {array.shape}. Convert first, "
            f"e.g. array.astype('int32') or array.astype('float32').")
    if array.ndim > 255 or any(d >= 2**32 for d in array.shape):
        raise ValueError(f"write_idx needs at most 255 axes, each shorter than 2**32. "
                         f"Received: array of shape {array.shape}.")
    header = bytes([0, 0, _CODES[native], array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    body = np.ascontiguousarray(array, dtype=native.newbyteorder(">")).tobytes()
    if compress is None:
        compress = path.endswith(".gz")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"write_idx cannot write {path!r}: the folder {parent!r} does not exist. "
                                f"Create it first, e.g. os.makedirs({parent!r}).")
    payload = header + body
    if compress:
        import gzip
        payload = gzip.compress(payload, mtime=0)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _gunzip(data: bytes, source: str) -> tuple[bytes, bool]:
    """Decompress every gzip member; return (bytes, whether the stream ended early)."""
    parts = []
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            parts.append(d.decompress(data))
        except zlib.error as e:
            raise ValueError(f"IDX file {source!r} is a damaged gzip file ({e}). "
                             f"Fetch the file again.") from None
        if not d.eof:
            return b"".join(parts), True
        data = d.unused_data.lstrip(b"\x00")  # gzip allows zero padding between members
    return b"".join(parts), False


def _parse_header(data: bytes, source: str, stream_ended_early: bool) -> tuple[np.dtype, tuple, int]:
    if len(data) >= 4 and (data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES):
        raise ValueError(
            f"{source!r} is not an IDX file: its magic number is 0x{data[:4].hex().upper()}. "
            f"An IDX file starts with two zero bytes, a type code ({_TYPE_LIST}) and the number "
            f"of axes, e.g. 0x00000803 for uint8 images.{_looks_like(data)}")
    ndim = data[3] if len(data) >= 4 else 0
    offset = 4 + 4 * ndim
    if len(data) < offset:
        gz = " after gunzip" if stream_ended_early else ""
        raise ValueError(
            f"IDX file {source!r} is truncated: its header alone needs {max(offset, 4)} bytes but "
            f"{len(data)} were found{gz}. Fetch the file again.")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    return IDX_DTYPES[data[2]], shape, offset


def _looks_like(data: bytes) -> str:
    head = data[:64].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml")):
        return " It looks like a web page: the download probably failed or hit a login page."
    if head.startswith(b"pk\x03\x04"):
        return " It looks like a zip archive: extract it first."
    return ""
