"""Read ``.npz`` files whose members may be NumPy object arrays (ragged lists), without running their pickles.

Keras's ``imdb.npz`` and ``reuters.npz`` store each split as a 1-D object array
of Python lists of word indices. NumPy can save such an array only as a pickle
stream inside the ``.npy`` member, and ``np.load(allow_pickle=True)`` would run
whatever that stream names, so a tampered download could execute code.

This reader never lets a pickle reach a real callable:

* numeric members are read by ``np.lib.format.read_array(allow_pickle=False)``;
* for an object member, the pickle *parser* (``pickle.Unpickler``) reads the
  stream, but every global name it asks for is answered by ``find_class``, which
  knows exactly the three names a NumPy array pickle uses (``ndarray``,
  ``dtype``, ``multiarray._reconstruct``) and maps them to inert lamina stubs
  that only record their arguments; any other name (``os.system``,
  ``builtins.eval``, ...) is refused. Lists, tuples, numbers and strings are
  built by the parser itself; they run no code. Afterwards the recorded array
  is rebuilt with ``np.frombuffer``/``np.empty``.

Reading is bounded: each member's uncompressed size is checked before it is
read, and the items an object array refers to may not add up to more than the
member's bytes (a stream that repeats one big list by reference is refused).
"""
from __future__ import annotations

import io
import pickle
import re
import zipfile

import numpy as np

__all__ = ["load_npz", "UnsafeFileError"]

MAX_MEMBER_BYTES = 1 << 30
_ARRAY_MODULES = ("numpy.core.multiarray", "numpy._core.multiarray")
_NUMERIC_MODULES = ("numpy.core.numeric", "numpy._core.numeric")
_TYPESTR = re.compile(r"^([biufcO?])(\d*)$")


class UnsafeFileError(ValueError):
    """A file asked for something a plain array file never needs (it may have been tampered with)."""


class _DTypeStub:
    """Records ``numpy.dtype(typestr, align, copy)`` and its state; builds the dtype from a checked typestr."""

    __slots__ = ("typestr", "byteorder")

    def __init__(self, typestr=None, *rest):
        self.typestr = typestr.decode("latin1") if isinstance(typestr, bytes) else typestr
        self.byteorder = "|"

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) > 1:
            order = state[1].decode("latin1") if isinstance(state[1], bytes) else state[1]
            if order in ("<", ">", "|", "="):
                self.byteorder = order

    def build(self) -> np.dtype:
        match = _TYPESTR.match(str(self.typestr))
        if match is None:
            raise UnsafeFileError(f"unsupported array dtype {self.typestr!r} in the file")
        if match.group(1) == "O":
            return np.dtype(object)
        return np.dtype(self.typestr).newbyteorder(self.byteorder if self.byteorder in "<>" else "=")


class _ArrayStub:
    """Records ``_reconstruct(ndarray, ...)`` followed by ``__setstate__((version, shape, dtype, fortran, data))``."""

    __slots__ = ("state",)

    def __init__(self):
        self.state = None

    def __setstate__(self, state):
        self.state = state


class _Global:
    """What ``find_class`` hands the parser for one of the three allowed names: a fresh, inert token.

    Calling the ``dtype`` token records a :class:`_DTypeStub`; calling the ``_reconstruct``
    token with the ``ndarray`` token records an :class:`_ArrayStub`. Nothing else can be
    done with a token.
    """

    __slots__ = ("kind",)

    def __init__(self, kind):
        self.kind = kind

    def __call__(self, *args):
        if self.kind == "dtype":
            return _DTypeStub(*args)
        if self.kind == "reconstruct" and args and isinstance(args[0], _Global) and args[0].kind == "ndarray":
            return _ArrayStub()
        if self.kind == "frombuffer" and len(args) == 4:  # protocol 5: (buffer, dtype, shape, order)
            return _numeric(args[1], args[2], args[3] == "F", args[0])
        if self.kind == "encode" and len(args) == 2 and args[1] == "latin1" and isinstance(args[0], str):
            return args[0].encode("latin1")  # how protocol 2 spells bytes
        raise UnsafeFileError(f"the file calls numpy's {self.kind} in a way an array file never does")

    def __setstate__(self, state):
        raise UnsafeFileError(f"the file modifies numpy's {self.kind}, which an array file never does")


class _StubUnpickler(pickle.Unpickler):
    """The pickle parser with every global answered by a lamina stub, or refused."""

    def find_class(self, module, name):
        if (module, name) == ("numpy", "ndarray"):
            return _Global("ndarray")
        if (module, name) == ("numpy", "dtype"):
            return _Global("dtype")
        if module in _ARRAY_MODULES and name == "_reconstruct":
            return _Global("reconstruct")
        if module in _NUMERIC_MODULES and name == "_frombuffer":
            return _Global("frombuffer")
        if (module, name) == ("_codecs", "encode"):
            return _Global("encode")
        raise UnsafeFileError(f"the file asks for {module}.{name}, which a NumPy array file never needs; "
                              f"lamina refuses to read it (the file may have been tampered with)")

    def persistent_load(self, pid):
        raise UnsafeFileError("the file uses pickle persistent ids, which a NumPy array file never needs")


class _Budget:
    def __init__(self, limit):
        self.left = limit

    def spend(self, n):
        self.left -= n
        if self.left < 0:
            raise UnsafeFileError("the object array refers to more items than its bytes can hold (repeated "
                                  "references); refusing it")


def _numeric(dtype_stub, shape, fortran, data) -> np.ndarray:
    """A numeric array from its raw bytes, after checking dtype, shape and length agree."""
    if not isinstance(dtype_stub, _DTypeStub) or not isinstance(shape, tuple) or not all(
            isinstance(s, int) and s >= 0 for s in shape):
        raise UnsafeFileError("the pickled array has an invalid shape or dtype")
    dtype = dtype_stub.build()
    if isinstance(data, str):  # a Python 2 pickle read with a text encoding
        data = data.encode("latin1")
    count = int(np.prod(shape, dtype=np.int64))
    if dtype.hasobject or not isinstance(data, (bytes, bytearray)) or len(data) != count * dtype.itemsize:
        raise UnsafeFileError("the pickled numeric array's data does not match its shape and dtype")
    return np.frombuffer(bytes(data), dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()


def _build(stub, budget: _Budget):
    if not isinstance(stub, _ArrayStub) or not isinstance(stub.state, tuple):
        raise UnsafeFileError("the pickle stream does not hold a NumPy array")
    state = stub.state if len(stub.state) == 5 else (1,) + stub.state
    if len(state) != 5:
        raise UnsafeFileError("the pickled array has an unexpected state layout")
    _, shape, dtype_stub, fortran, data = state
    if not isinstance(dtype_stub, _DTypeStub) or not isinstance(shape, tuple) or not all(
            isinstance(s, int) and s >= 0 for s in shape):
        raise UnsafeFileError("the pickled array has an invalid shape or dtype")
    dtype = dtype_stub.build()
    order = "F" if fortran else "C"
    count = int(np.prod(shape, dtype=np.int64))
    if dtype.hasobject:
        if not isinstance(data, list) or len(data) != count:
            raise UnsafeFileError("the pickled object array does not hold one item per element")
        items = np.empty(count, dtype=object)
        for i, item in enumerate(data):
            if isinstance(item, _ArrayStub):
                item = _build(item, budget)  # spends its own items
            elif isinstance(item, np.ndarray):  # built by the protocol 5 path, numeric only
                budget.spend(item.size)
            elif isinstance(item, (list, tuple, str, bytes)):
                budget.spend(len(item))
            elif isinstance(item, _DTypeStub) or not isinstance(item, (int, float, complex, bool, type(None))):
                raise UnsafeFileError(f"the object array holds a {type(item).__name__}")
            items[i] = item
        return items.reshape(shape, order=order)
    budget.spend(count)
    return _numeric(dtype_stub, shape, fortran, data)


def _read_npy(raw: bytes, source: str):
    fp = io.BytesIO(raw)
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
    else:
        raise ValueError(f"{source}: unsupported .npy format version {version}")
    if not dtype.hasobject:
        fp.seek(0)
        return np.lib.format.read_array(fp, allow_pickle=False)
    payload = fp.read()
    try:
        stub = _StubUnpickler(io.BytesIO(payload), encoding="bytes").load()
    except UnsafeFileError:
        raise
    except Exception as err:  # the parser's own errors on a damaged stream
        raise ValueError(f"{source}: the object array cannot be read ({type(err).__name__}: {err})") from None
    try:
        array = _build(stub, _Budget(len(payload)))
    except RecursionError:
        raise UnsafeFileError(f"{source}: the arrays are nested too deeply") from None
    if array.shape != tuple(shape):
        raise UnsafeFileError(f"{source}: the array's shape {array.shape} differs from its header's {shape}")
    return array


def load_npz(path) -> dict:
    """``{member name: array}`` of an ``.npz`` file, object arrays included, without running code from it.

    Raises:
        UnsafeFileError: the file names a Python object other than NumPy's array pieces,
            or refers to more data than it holds.
        ValueError: the file is not a readable .npz archive, or a member is too large.
    """
    source = str(path)
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    raise ValueError(f"{source}: the member {info.filename!r} unpacks to {info.file_size} bytes, "
                                     f"more than the {MAX_MEMBER_BYTES} lamina reads from one member.")
                name = f"{source}:{info.filename}"
                try:
                    arrays[info.filename[:-4]] = _read_npy(archive.read(info), name)
                except UnsafeFileError as err:
                    raise UnsafeFileError(f"{name}: {err}. Delete the file and download it again.") from None
    except zipfile.BadZipFile as err:
        raise ValueError(f"{source} is not a readable .npz (zip) file ({err}). Delete it so lamina downloads it "
                         f"again.") from None
    return arrays
