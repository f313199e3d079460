"""File plumbing: atomic writes and reading the members of a ``.lamina`` zip."""
from __future__ import annotations

import os
import secrets
import zipfile
import zlib

__all__ = ["atomic_write", "read_members", "NOT_LAMINA", "check_exists"]

NOT_LAMINA = "not a .lamina file (a zip with config.json and model.weights.safetensors)"


def check_exists(path: str, what: str) -> None:
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: '{path}'. {what} needs an existing file; check the path "
                                f"(current directory: '{os.getcwd()}').")
    if os.path.isdir(path):
        raise IsADirectoryError(f"'{path}' is a directory; {what} needs a file path.")


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str, write, overwrite: bool = True) -> None:
    """Write ``path`` all at once: ``write(fileobj)`` fills a temporary file in the same
    directory, which is flushed, fsynced and then renamed over ``path``.

    A failure at any point leaves an existing ``path`` untouched and removes the
    temporary file.

    Raises:
        FileExistsError: ``overwrite=False`` and ``path`` exists.
        FileNotFoundError: the directory does not exist.
    """
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' already exists and overwrite=False. Pass overwrite=True to replace it, "
                              f"or choose another path.")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot save to '{path}': directory '{directory}' does not exist. Create it "
                                f"first, e.g. os.makedirs({directory!r}, exist_ok=True).")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    # os.open with mode 0o666 gives the file the permissions the user's umask allows, like open().
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(directory)


def read_members(path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, bytes]:
    """The named members of the zip at ``path``; a clear ValueError if it is not a complete ``.lamina`` zip."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            missing = [m for m in required if m not in names]
            if missing:
                raise ValueError(f"'{path}' is {NOT_LAMINA}: it lacks {', '.join(missing)}. It holds "
                                 f"{', '.join(sorted(names)) or 'nothing'}.")
            return {m: zf.read(m) for m in (*required, *optional) if m in names}
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as err:
        size = os.path.getsize(path)
        raise ValueError(f"'{path}' is {NOT_LAMINA}; it cannot be read as a zip ({err}; {size} bytes). The file "
                         f"may be truncated (an interrupted copy or download) or be another kind of file.") from None
