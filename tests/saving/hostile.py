"""Helpers for the hostile-file tests: small valid files and a zip writer that can lie."""
import json
import struct
import zipfile
import zlib

from lamina import layers as L
from lamina.models import Sequential


def small_model():
    model = Sequential([L.Input((6,)), L.Dense(4, activation="relu", name="dense"),
                        L.Dense(3, activation="softmax", name="dense_1")], name="small")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def members_of(path):
    with zipfile.ZipFile(path) as zf:
        return [(info.filename, zf.read(info.filename)) for info in zf.infolist()]


def write_members(path, members, method=zipfile.ZIP_DEFLATED):
    """A zip of (name, bytes) in order; duplicate names allowed (zipfile only warns)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in members:
                zf.writestr(name, data, method)


def rewrite(path, member, fn, out=None):
    """Copy of the zip at ``path`` with ``member``'s bytes replaced by ``fn(bytes)``."""
    write_members(out or path, [(n, fn(d) if n == member else d) for n, d in members_of(path)])


def config_of(path):
    return json.loads(dict(members_of(path))["config.json"])


def deflate_bomb(inflated: int, chunk: int = 1 << 20) -> tuple[bytes, int]:
    """Raw deflate data that inflates to ``inflated`` zero bytes, built without inflating anything:
    one fully flushed block of ``chunk`` zeros repeated (each such block is identical)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(b"\0" * chunk) + c.flush(zlib.Z_FULL_FLUSH)
    c2 = zlib.compressobj(9, zlib.DEFLATED, -15)
    c2.compress(b"")
    tail = c2.flush(zlib.Z_FINISH)
    return block * (inflated // chunk) + tail, (inflated // chunk) * chunk


def write_raw_zip(path, entries):
    """A zip written by hand: entries are (name, data, method, declared size, crc). With method 8,
    ``data`` is raw deflate; the declared size and crc are written as given (they may lie; crc None:
    computed)."""
    out, central = bytearray(), bytearray()
    for name, data, method, size, crc in entries:
        if crc is None:
            crc = zlib.crc32(data)
        name_b = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), size, len(name_b), 0)
        out += name_b + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(data), size,
                               len(name_b), 0, 0, 0, 0, 0, offset)
        central += name_b
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0)
    with open(path, "wb") as f:
        f.write(bytes(out) + bytes(central) + end)
