"""Download-once dataset files: sha256-checked, cached under ``LAMINA_HOME`` (default ``~/.lamina``).

A file is looked up at ``$LAMINA_HOME/datasets/<dataset>/<file>``. If it is
there and its sha256 matches, it is used without touching the network. If it
is missing (or fails the check) it is downloaded from the listed URLs in turn,
written to a temporary file of this process while its sha256 is computed, and
moved into place only when the sum matches; a damaged cached file is never used.
Processes downloading the same file take turns on a lock beside it
(``<file>.lock``): the second finds the first one's file instead of downloading
it again, and a failed download only ever removes its own temporary file. With
``LAMINA_OFFLINE=1`` nothing is downloaded and a missing file raises an error
that names the file, its URL and where to put a copy by hand.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..utils.file_lock import CacheNotWritableError, file_lock, unique_temp, writable_dir

__all__ = ["RemoteFile", "DatasetDownloadError", "ChecksumError", "CacheNotWritableError", "lamina_home",
           "dataset_dir", "fetch", "sha256_file", "is_cached"]

_TIMEOUT_S = 60
_CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: its name in the cache, its sha256, and where to download it (in order)."""

    name: str
    sha256: str
    urls: tuple
    size: int | None = None


class DatasetDownloadError(OSError):
    """A dataset file is not in the cache and could not be downloaded."""


class ChecksumError(ValueError):
    """A dataset file does not have the sha256 it must have."""


def lamina_home() -> Path:
    """The folder lamina caches downloads in: ``$LAMINA_HOME``, else ``~/.lamina``."""
    return Path(os.environ.get("LAMINA_HOME") or Path.home() / ".lamina").expanduser()


def dataset_dir(dataset: str) -> Path:
    return lamina_home() / "datasets" / dataset


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def is_cached(dataset: str, remote: RemoteFile) -> bool:
    """True when the file is in the cache (its checksum is verified when it is read)."""
    return (dataset_dir(dataset) / remote.name).is_file()


def _offline() -> bool:
    return os.environ.get("LAMINA_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def _by_hand(path: Path, remote: RemoteFile) -> str:
    return (f"To install it by hand, download {remote.urls[0]} on a machine with network access and save it as "
            f"{str(path)!r} (sha256 {remote.sha256}); set LAMINA_HOME to use another cache folder.")


def fetch(dataset: str, remote: RemoteFile, offline: bool | None = None, progress=None) -> Path:
    """The cached path of ``remote``, downloading it first if needed.

    Args:
        dataset: the cache subfolder, e.g. 'mnist'.
        remote: the file.
        offline: never download (default: the LAMINA_OFFLINE environment variable).
        progress: optional callable(bytes_done, bytes_total_or_None) for download progress.

    Raises:
        DatasetDownloadError: the file is not cached and cannot be downloaded; the message names
            the file, the URLs tried with their errors, and where to put a copy by hand.
        ChecksumError: offline, and the cached file fails its sha256 check.
    """
    offline = _offline() if offline is None else offline
    path = dataset_dir(dataset) / remote.name
    if path.is_file() and sha256_file(path) == remote.sha256:
        return path
    if offline:
        return _offline_answer(dataset, remote, path)
    writable_dir(path.parent, f"the {dataset} dataset cache")
    with file_lock(path):
        if path.is_file():  # another process may have finished it while this one waited for the lock
            digest = sha256_file(path)
            if digest == remote.sha256:
                return path
            warnings.warn(f"The cached {dataset} file {str(path)!r} failed its sha256 check (got {digest}, "
                          f"expected {remote.sha256}); downloading it again.", stacklevel=3)
            path.unlink()
        failures = []
        for url in remote.urls:
            try:
                _download(url, path, remote.sha256, progress)
                return path
            except ChecksumError as err:
                failures.append(f"{url}: {err}")
            except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as err:
                reason = getattr(err, "reason", None) or err
                failures.append(f"{url}: {reason}")
    tried = "; ".join(failures)
    raise DatasetDownloadError(f"Cannot download the {dataset} file {remote.name!r}. Tried {tried}. "
                               f"{_by_hand(path, remote)}")


def _offline_answer(dataset: str, remote: RemoteFile, path: Path) -> Path:
    if path.is_file():
        digest = sha256_file(path)
        raise ChecksumError(f"The cached {dataset} file {str(path)!r} is damaged or not the expected file: its "
                            f"sha256 is {digest}, expected {remote.sha256}. lamina will not use it. Delete it and "
                            f"run again with network access, or replace it: {_by_hand(path, remote)}")
    raise DatasetDownloadError(f"The {dataset} file {remote.name!r} is not in the cache ({str(path)!r}) and "
                               f"LAMINA_OFFLINE is set, so lamina does not download it. {_by_hand(path, remote)}")


def _download(url: str, path: Path, sha256: str, progress=None) -> None:
    part = unique_temp(path)  # this process's own file: a failure here never touches another's
    h = hashlib.sha256()
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "lamina"})
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response, open(part, "wb") as out:
            total = response.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            done = 0
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                h.update(chunk)
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        digest = h.hexdigest()
        if sha256 is not None and digest != sha256:
            raise ChecksumError(f"the downloaded file has sha256 {digest}, expected {sha256}; it was discarded")
        os.replace(part, path)
    finally:
        if part.exists():
            part.unlink()


def copy_into_cache(dataset: str, remote: RemoteFile, source) -> Path:
    """Put a file obtained by hand into the cache, after checking its sha256."""
    digest = sha256_file(source)
    if digest != remote.sha256:
        raise ChecksumError(f"{str(source)!r} is not the {dataset} file {remote.name!r}: its sha256 is {digest}, "
                            f"expected {remote.sha256}.")
    path = dataset_dir(dataset) / remote.name
    writable_dir(path.parent, f"the {dataset} dataset cache")
    with file_lock(path):
        part = unique_temp(path)
        try:
            shutil.copyfile(source, part)
            os.replace(part, path)
        finally:
            if part.exists():
                part.unlink()
    return path
