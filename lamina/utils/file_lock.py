"""Safe writes into a shared cache: an inter-process lock per entry and a temporary name per process.

Two processes (or two notebooks) that download the same file each write to their own
temporary file and take turns on a lock beside the entry (``<file>.lock``, ``fcntl.flock``),
so neither can clobber or delete the other's work, and the second one finds the
file the first one finished instead of downloading it again.

Example:
    >>> with file_lock(path):                       # doctest: +SKIP
    ...     if not path.is_file():
    ...         tmp = unique_temp(path)
    ...         ...                                  # write tmp, check it
    ...         os.replace(tmp, path)
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; the per-process temporary names still keep writers apart
    fcntl = None

__all__ = ["file_lock", "unique_temp", "writable_dir", "CacheNotWritableError"]


class CacheNotWritableError(OSError):
    """The cache folder cannot be created or written; the message names it and says how to choose another."""


def writable_dir(directory, what: str = "lamina's cache") -> Path:
    """Create ``directory`` if needed; a CacheNotWritableError naming it when that is impossible."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(f"no write permission on {str(directory)!r}")
    except (OSError, ValueError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise CacheNotWritableError(
            f"Cannot use {str(directory)!r} as {what}: {reason}. Set LAMINA_HOME to a folder you can write "
            f"(e.g. export LAMINA_HOME=$HOME/.lamina), or fix the permissions.") from None
    return directory


def unique_temp(path) -> Path:
    """A temporary name beside ``path`` that no other process or call uses: ``.<name>.<pid>-<random>.part``."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.part")


@contextlib.contextmanager
def file_lock(path):
    """Hold an exclusive inter-process lock on ``<path>.lock`` for the duration of the block."""
    lock_path = f"{os.fspath(path)}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
