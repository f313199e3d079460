"""File plumbing: atomic writes and reading the members of a ``.lamina`` zip."""
from __future__ import annotations

import os
import re
import secrets
import time

from ._limits import LoadError, read_zip

__all__ = ["atomic_write", "read_members", "NOT_LAMINA", "check_exists", "temp_path", "remove_stale_temps"]

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
    remove_stale_temps(path)
    tmp = temp_path(path)
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


def temp_path(path: str) -> str:
    """A fresh temporary name beside ``path`` that records the writing process:
    ``.<name>.<pid>-<random>.tmp``, so the next save can tell a dead writer's leftover."""
    directory = os.path.dirname(os.path.abspath(path))
    return os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


_STALE_AGE_S = 3600  # a temporary file without a pid (older lamina) is stale after an hour


def remove_stale_temps(path: str) -> list[str]:
    """Delete temporary files that killed saves to ``path`` left behind; returns their paths.

    A temporary file is stale when the process named in it no longer runs (or, for names
    from older versions without a process id, when it is over an hour old). Files of
    saves still running are never touched.
    """
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    pattern = re.compile(r"^\." + re.escape(base) + r"\.(?:(\d+)-)?[0-9a-f]{8}\.tmp$|^" + re.escape(base)
                         + r"\.tmp(\d+)$")
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        m = pattern.match(name)
        if not m:
            continue
        full = os.path.join(directory, name)
        pid = m.group(1) or m.group(2)
        try:
            stale = (not _alive(int(pid))) if pid else time.time() - os.path.getmtime(full) > _STALE_AGE_S
            if stale and (pid is None or int(pid) != os.getpid()):
                os.unlink(full)
                removed.append(full)
        except OSError:
            continue
    return removed


def read_members(path: str, required: tuple[str, ...], optional: tuple[str, ...] = (),
                 caps: dict | None = None, optional_damage_ok: tuple[str, ...] = ()) -> dict[str, bytes]:
    """The named members of the zip at ``path``, each size-checked before it is read.

    Raises:
        LoadError: not a zip, a required member missing, or a member over its limit.
    """
    caps = caps or {}
    members = read_zip(path, {m: caps.get(m) for m in (*required, *optional)}, NOT_LAMINA, optional_damage_ok)
    missing = [m for m in required if m not in members]
    if missing:
        import zipfile
        with zipfile.ZipFile(path) as zf:
            names = sorted(set(zf.namelist()))
        raise LoadError(f"'{path}' is {NOT_LAMINA}: it lacks {', '.join(missing)}. It holds "
                        f"{', '.join(names) or 'nothing'}.", path, missing[0])
    return members
