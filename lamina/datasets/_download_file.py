"""Downloading one file into a given path with a hash check (sha256 or md5), for the word-index
files of the text datasets and for ``lamina.utils.get_file``.

A download goes to a temporary file of its own beside the target and replaces the target only
once its hash is right, so a failed or corrupt download never leaves a damaged file in place.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import tempfile
import urllib.error
import warnings

from ._download import ChecksumError, DatasetDownloadError
from ._download_url import download_url, offline_mode

__all__ = ["download_file", "hash_file", "validate_file"]

_log = logging.getLogger("lamina.utils.file_utils")   # the logger users of get_file already configure
_ALGORITHMS = ("auto", "sha256", "md5")


def _hasher(algorithm: str, file_hash=None):
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"hash_algorithm must be one of 'auto', 'sha256', 'md5'. Received: "
                         f"hash_algorithm={algorithm!r}.")
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(str(file_hash)) == 64):
        return hashlib.sha256()
    if algorithm == "auto" and file_hash is None:
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535) -> str:
    """The hex digest of a file: ``algorithm`` is 'sha256' (default), 'md5' or 'auto' (sha256).

    Example:
        >>> hash_file(path)  # doctest: +SKIP
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    h = _hasher(algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535) -> bool:
    """True when the file has hash ``file_hash``; 'auto' takes a 64-character hash for sha256, else md5."""
    h = _hasher(algorithm, file_hash)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest() == str(file_hash)


def _by_hand(origin, target) -> str:
    return (f"To install it by hand, download {origin} on a machine with network access and save it as "
            f"{target!r}; set LAMINA_HOME (or pass cache_dir=) to use another cache folder.")


def download_file(origin, target, file_hash=None, hash_algorithm="auto", force_download=False) -> str:
    """``target`` holding the file at URL ``origin``, downloaded only when missing, damaged or forced.

    Args:
        origin: the URL.
        target: the local path.
        file_hash: the expected sha256 or md5 hex digest (None: not checked).
        hash_algorithm: 'auto' (by the digest's length), 'sha256' or 'md5'.
        force_download: download even when a good copy is cached.

    Returns:
        ``target`` as a str.

    Raises:
        DatasetDownloadError: the file is needed and cannot be downloaded (no network, HTTP
            error, or ``LAMINA_OFFLINE`` set); the message says where to put a copy by hand.
        ChecksumError: the downloaded file (or, offline, the cached one) has another hash.
    """
    target = os.fspath(target)
    _hasher(hash_algorithm, file_hash)  # a bad algorithm name fails before any download
    if os.path.exists(target) and not force_download:
        if file_hash is None or validate_file(target, file_hash, hash_algorithm):
            return target
        if offline_mode():
            raise ChecksumError(f"The cached file {target!r} does not have the expected hash {file_hash}, and "
                                f"LAMINA_OFFLINE is set, so lamina does not download it again. "
                                f"{_by_hand(origin, target)}")
        warnings.warn(f"The cached file {target!r} does not have the expected hash {file_hash} (incomplete or "
                      f"outdated); downloading it again from {origin}.", stacklevel=3)
    if offline_mode():
        raise DatasetDownloadError(f"The file {os.path.basename(target)!r} is not in the cache ({target!r}) and "
                                   f"LAMINA_OFFLINE is set, so lamina does not download it. "
                                   f"{_by_hand(origin, target)}")
    folder = os.path.dirname(os.path.abspath(target))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=os.path.basename(target) + ".", suffix=".download")
    os.close(fd)
    _log.info("Downloading data from %s", origin)
    try:
        try:
            download_url(origin, tmp)
        except urllib.error.HTTPError as err:
            raise DatasetDownloadError(f"Cannot download {origin}: HTTP {err.code} {err.reason}. Check the URL. "
                                       f"{_by_hand(origin, target)}") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, ValueError, OSError) as err:
            reason = getattr(err, "reason", None) or err
            raise DatasetDownloadError(f"Cannot download {origin}: {reason}. Check the network connection. "
                                       f"{_by_hand(origin, target)}") from None
        if file_hash is not None and not validate_file(tmp, file_hash, hash_algorithm):
            got = hash_file(tmp, "md5" if _hasher(hash_algorithm, file_hash).name == "md5" else "sha256")
            raise ChecksumError(f"The file downloaded from {origin} has hash {got}, expected {file_hash}: it is "
                                f"incomplete or not the expected file, and was discarded.")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target
