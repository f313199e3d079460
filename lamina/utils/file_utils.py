"""``get_file``: download a file once into the lamina cache, check its hash, extract archives safely.

Files go to ``cache_dir/cache_subdir`` (default ``$LAMINA_HOME/datasets``, where
``LAMINA_HOME`` defaults to ``~/.lamina``) and are reused on later calls; a
cached file whose hash does not match is downloaded again. A download is
written to a temporary file, checked, and only then moved into place, so a
damaged or half-written file is never returned and two processes fetching the
same file do not see each other's partial bytes. With ``LAMINA_OFFLINE=1``
nothing is downloaded and a missing file raises an error that says where to put
a copy by hand. Archives are extracted without members that would land outside
the target folder (absolute paths, ``..``, links pointing out).
"""
from __future__ import annotations

import logging
import os
import tarfile
import tempfile
import urllib.error
import urllib.parse
import warnings
import zipfile

from ..datasets import download_file, hash_file, lamina_home, validate_file

__all__ = ["get_file", "download_file", "hash_file", "validate_file", "extract_archive", "cache_folder"]

_log = logging.getLogger(__name__)
def cache_folder(cache_dir=None, cache_subdir="datasets") -> str:
    """The folder ``get_file`` stores into (created): ``cache_dir`` (default ``$LAMINA_HOME``) / ``cache_subdir``.

    When ``cache_dir`` cannot be written, the system temporary folder's ``.lamina`` is used, as Keras does.
    """
    base = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else str(lamina_home())
    try:
        os.makedirs(base, exist_ok=True)
        writable = os.access(base, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        fallback = os.path.join(tempfile.gettempdir(), ".lamina")
        _log.warning("The cache folder %s cannot be written; using %s instead.", base, fallback)
        base = fallback
    folder = os.path.join(base, os.fspath(cache_subdir))
    os.makedirs(folder, exist_ok=True)
    return folder


def _inside(base: str, name: str) -> bool:
    path = os.path.realpath(os.path.join(base, name))
    return os.path.commonpath([path, base]) == base


def _safe_tar_members(tar, base):
    for member in tar.getmembers():
        ok = _inside(base, member.name)
        if ok and member.issym():
            ok = _inside(base, os.path.join(os.path.dirname(member.name), member.linkname))
        elif ok and member.islnk():
            ok = _inside(base, member.linkname)
        if ok and (member.ischr() or member.isblk() or member.isfifo()):
            ok = False
        if ok:
            yield member
        else:
            warnings.warn(f"Skipping the archive member {member.name!r}: it would be written outside "
                          f"{base!r} (or is a device file).", stacklevel=4)


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Extract a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``, ...) or zip archive into ``path``.

    Members that would land outside ``path`` (absolute names, ``..``, links pointing out)
    and device files are skipped with a warning.

    Args:
        file_path: the archive.
        path: the target folder (created).
        archive_format: 'auto' (tar, then zip), 'tar', 'zip', a list of them, or None.

    Returns:
        True when the file was one of the formats and was extracted, False otherwise.
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    unknown = [f for f in formats if f not in ("tar", "zip")]
    if unknown:
        raise ValueError(f"archive_format must be 'auto', 'tar', 'zip', a list of them, or None. Received: "
                         f"archive_format={archive_format!r}.")
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(file_path):
            os.makedirs(path, exist_ok=True)
            base = os.path.realpath(path)
            with tarfile.open(file_path) as tar:
                members = list(_safe_tar_members(tar, base))
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(path, members=members, filter="data")
                else:  # pragma: no cover - Python without the extraction filters
                    tar.extractall(path, members=members)
            return True
        if kind == "zip" and zipfile.is_zipfile(file_path):
            os.makedirs(path, exist_ok=True)
            base = os.path.realpath(path)
            with zipfile.ZipFile(file_path) as archive:
                members = []
                for info in archive.infolist():
                    if _inside(base, info.filename) and not os.path.isabs(info.filename):
                        members.append(info)
                    else:
                        warnings.warn(f"Skipping the archive member {info.filename!r}: it would be written "
                                      f"outside {base!r}.", stacklevel=2)
                archive.extractall(path, members=members)
            return True
    return False


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Download a file once into the cache and return its path, as ``keras.utils.get_file`` (Keras 3) does.

    Args:
        fname: the file's name in the cache (default: the last part of ``origin``'s path).
            With ``extract``, a name without a dot names the extraction folder.
        origin: the URL (required).
        untar: deprecated form of ``extract=True`` for tar archives.
        md5_hash: deprecated form of ``file_hash`` (an md5 digest).
        file_hash: the expected sha256 or md5 hex digest; checked after download and on
            every later use of the cached file.
        cache_subdir: the subfolder of ``cache_dir`` (default 'datasets'); an absolute
            path is used as it is.
        hash_algorithm: 'auto' (sha256 for a 64-character digest, else md5), 'sha256' or 'md5'.
        extract: extract the archive (tar or zip) and return the extraction folder.
        archive_format: 'auto', 'tar', 'zip' or None (see :func:`extract_archive`).
        cache_dir: the cache root (default ``$LAMINA_HOME``, i.e. ``~/.lamina``).
        force_download: download again even when cached.

    Returns:
        The path of the file, or of the extraction folder (``<fname>_extracted``, or
        ``<fname>`` when it has no dot) with ``extract=True``.

    Raises:
        ValueError: no ``origin``, or ``fname`` with a folder in it.
        DatasetDownloadError: the file cannot be downloaded (offline, HTTP error); the message
            says where to save a copy by hand.
        ChecksumError: the file does not have ``file_hash``.

    Example:
        >>> path = get_file(origin="https://example.com/data/words.txt",
        ...                 file_hash="a3c1...")  # doctest: +SKIP
    """
    if origin is None:
        raise ValueError("get_file needs origin=, the URL of the file to download, e.g. "
                         "get_file('words.txt', origin='https://example.com/words.txt').")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = cache_folder(cache_dir, cache_subdir)
    given = fname is not None and os.fspath(fname) != ""
    fname = os.fspath(fname) if given else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"get_file cannot take a file name from origin={origin!r}. Pass fname='name.ext'.")
    if os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(f"get_file expects fname to be a file name, not a path. Received: fname={fname!r}. Pass "
                         f"the folder as cache_dir= (or cache_subdir=) instead.")
    if extract or untar:
        if given and "." in fname:
            target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, fname[:fname.find(".")] + "_extracted")
        else:
            target = os.path.join(datadir, f"{fname}_archive")
            extraction_dir = os.path.join(datadir, fname)
    else:
        target = os.path.join(datadir, fname)
    fresh = force_download or not os.path.exists(target) or (
        file_hash is not None and not validate_file(target, file_hash, hash_algorithm))
    download_file(origin, target, file_hash, hash_algorithm, force_download)
    if extract or untar:
        if fresh or not os.path.isdir(extraction_dir):
            if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
                warnings.warn(f"get_file could not extract {target!r}: it is not a {archive_format} archive. "
                              f"Pass extract=False to get the file itself.", stacklevel=2)
        return extraction_dir
    return target
