"""``keras.utils.data_utils``: Sequence and get_file (Keras 2.2.4's layout of the cache)."""
import os

from ...utils.file_utils import cache_folder, download_file, extract_archive

__all__ = ["Sequence", "get_file"]


class Sequence:
    """Keras 2 ``keras.utils.Sequence``: subclass it with ``__len__`` (batches per epoch) and
    ``__getitem__(index)`` (one batch); ``on_epoch_end()`` runs after each epoch. fit() and
    fit_generator() accept it without steps_per_epoch."""

    def __getitem__(self, index):
        raise NotImplementedError("A keras.utils.Sequence must define __getitem__(index) returning one batch.")

    def __len__(self):
        raise NotImplementedError("A keras.utils.Sequence must define __len__() (the number of batches).")

    def on_epoch_end(self):
        pass

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def get_file(fname, origin, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None):
    """Keras 2 ``get_file``: download ``origin`` once to ``cache_dir/cache_subdir/fname`` and return its path.

    As in Keras 2.2.4: ``fname`` may be an absolute path; ``untar=True`` stores
    ``fname + '.tar.gz'``, extracts it next to itself (once) and returns ``.../fname``;
    ``extract=True`` extracts the archive next to itself and returns the archive's path.
    The cache root is ``$LAMINA_HOME`` (default ``~/.lamina``) instead of ``~/.keras``, and
    the hash (sha256 or md5) is also checked right after a download, where Keras 2 only
    checked cached files. lamina.utils.get_file is the Keras 3 version.

    Example:
        >>> path = get_file("glove.6B.zip", origin="https://example.com/glove.6B.zip",
        ...                 extract=True)  # doctest: +SKIP
    """
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = cache_folder(cache_dir, cache_subdir)
    if untar:
        untar_path = os.path.join(datadir, os.fspath(fname))
        target = untar_path + ".tar.gz"
    else:
        target = os.path.join(datadir, os.fspath(fname))
    download_file(origin, target, file_hash, hash_algorithm)
    if untar:
        if not os.path.exists(untar_path):
            extract_archive(target, datadir, archive_format="tar")
        return untar_path
    if extract:
        extract_archive(target, datadir, archive_format)
    return target
