"""Downloads without a known checksum, for ``get_file``: the caller checks the file's hash.

Kept apart from :mod:`._download` (the checksummed dataset cache) so that the two
evolve separately; both share its download loop.
"""
from __future__ import annotations

from pathlib import Path

from ._download import _download, _offline, sha256_file

__all__ = ["download_url", "offline_mode"]


def offline_mode() -> bool:
    """True when the ``LAMINA_OFFLINE`` environment variable forbids downloads."""
    return _offline()


def download_url(url: str, path, progress=None) -> str:
    """Download ``url`` to ``path`` and return the file's sha256.

    The bytes go to a temporary file beside ``path``, moved into place only when the
    download is complete. No checksum is imposed: the caller checks the returned sha256
    (or another hash of the file). Network failures raise ``urllib.error.URLError`` or
    ``OSError`` as they come.

    Example:
        >>> digest = download_url("https://example.com/data.zip", "/tmp/data.zip")  # doctest: +SKIP
    """
    path = Path(path)
    _download(url, path, None, progress)
    return sha256_file(path)
