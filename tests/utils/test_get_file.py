"""get_file (lamina.utils, Keras 3 layout) and keras.utils.get_file (Keras 2 layout) against a local HTTP server."""
import functools
import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from lamina.datasets import ChecksumError, DatasetDownloadError
from lamina.utils import get_file
from lamina.utils.file_utils import extract_archive, hash_file, validate_file


class _Counting(http.server.SimpleHTTPRequestHandler):
    hits: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).hits.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = type("Handler", (_Counting,), {"hits": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/", handler.hits
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAMINA_OFFLINE", raising=False)
    return tmp_path / "home"


def make_tar(path, members, compress="gz"):
    with tarfile.open(path, f"w:{compress}") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_downloads_once_checks_sha256_and_md5(server, home):
    root, url, hits = server
    (root / "words.txt").write_bytes(b"alpha beta\n")
    sha = hashlib.sha256(b"alpha beta\n").hexdigest()
    md5 = hashlib.md5(b"alpha beta\n").hexdigest()
    path = get_file("words.txt", origin=url + "words.txt", file_hash=sha)
    assert path == str(home / "datasets" / "words.txt") and open(path, "rb").read() == b"alpha beta\n"
    assert get_file("words.txt", url + "words.txt", md5_hash=md5) == path
    assert get_file(origin=url + "words.txt") == path  # the name comes from the URL
    assert hits == ["/words.txt"]  # one download, then the cache
    assert not [f for f in os.listdir(home / "datasets") if f != "words.txt"]  # no temporary files left
    assert hash_file(path) == sha and hash_file(path, "md5") == md5
    assert validate_file(path, sha) and validate_file(path, md5) and not validate_file(path, "0" * 64)


def test_wrong_hash_is_discarded_and_a_damaged_cache_downloaded_again(server, home):
    root, url, hits = server
    (root / "a.bin").write_bytes(b"the real bytes")
    with pytest.raises(ChecksumError, match=r"has hash [0-9a-f]{64}, expected 0{64}: it is incomplete or not the "
                                            r"expected file, and was discarded"):
        get_file("a.bin", url + "a.bin", file_hash="0" * 64)
    assert not os.listdir(home / "datasets")
    good = hashlib.sha256(b"the real bytes").hexdigest()
    path = get_file("a.bin", url + "a.bin", file_hash=good, cache_subdir="mine")
    open(path, "wb").write(b"damaged")
    with pytest.warns(UserWarning, match=r"does not have the expected hash.*downloading it again"):
        assert open(get_file("a.bin", url + "a.bin", file_hash=good, cache_subdir="mine"), "rb").read() == \
            b"the real bytes"
    get_file("a.bin", url + "a.bin", cache_subdir="mine", force_download=True)
    assert len(hits) == 4


def test_offline_and_unreachable_errors_say_where_to_put_the_file(monkeypatch, home):
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
    target = str(home / "datasets" / "data.csv")
    with pytest.raises(DatasetDownloadError, match=r"'data\.csv' is not in the cache .*LAMINA_OFFLINE is set.*"
                                                   r"download http://127\.0\.0\.1:9/data\.csv on a machine with "
                                                   r"network access and save it as '" + target.replace(".", r"\.")):
        get_file("data.csv", "http://127.0.0.1:9/data.csv")
    monkeypatch.delenv("LAMINA_OFFLINE")
    with pytest.raises(DatasetDownloadError, match=r"Cannot download http://127\.0\.0\.1:9/data\.csv: .*Check the "
                                                   r"network connection\. To install it by hand"):
        get_file("data.csv", "http://127.0.0.1:9/data.csv")
    assert not os.listdir(home / "datasets")


def test_http_error_and_bad_arguments(server):
    _, url, _ = server
    with pytest.raises(DatasetDownloadError, match=r"Cannot download .*missing\.txt: HTTP 404"):
        get_file("missing.txt", url + "missing.txt")
    with pytest.raises(ValueError, match=r"get_file needs origin="):
        get_file("x.txt")
    with pytest.raises(ValueError, match=r"fname to be a file name, not a path\. Received: fname='a/b\.txt'"):
        get_file("a/b.txt", url + "b.txt")
    with pytest.raises(ValueError, match=r"cannot take a file name from origin='http://h/'\. Pass fname="):
        get_file(origin="http://h/")
    with pytest.raises(ValueError, match=r"hash_algorithm must be one of 'auto', 'sha256', 'md5'\. Received: "
                                         r"hash_algorithm='sha1'"):
        get_file("x.txt", url + "x.txt", file_hash="ab", hash_algorithm="sha1")


def test_extract_tar_and_zip_with_keras3_folder_names(server, home):
    root, url, _ = server
    make_tar(root / "flowers.tgz", {"flowers/a.txt": b"A", "flowers/sub/b.txt": b"B"})
    folder = get_file(origin=url + "flowers.tgz", extract=True)
    assert folder == str(home / "datasets" / "flowers.tgz")
    assert open(os.path.join(folder, "flowers", "sub", "b.txt"), "rb").read() == b"B"
    assert os.path.isfile(home / "datasets" / "flowers.tgz_archive")
    folder = get_file("flowers.tar.gz", origin=url + "flowers.tgz", extract=True)
    assert folder == str(home / "datasets" / "flowers_extracted")
    with zipfile.ZipFile(root / "pack.zip", "w") as z:
        z.writestr("pack/x.txt", "X")
    folder = get_file("pack", origin=url + "pack.zip", extract=True)
    assert folder == str(home / "datasets" / "pack")
    assert open(os.path.join(folder, "pack", "x.txt")).read() == "X"
    folder = get_file("tarred", origin=url + "flowers.tgz", untar=True)
    assert os.path.isfile(os.path.join(folder, "flowers", "a.txt"))


def test_extraction_skips_members_that_escape_the_folder(tmp_path):
    archive = tmp_path / "evil.tar"
    make_tar(archive, {"ok.txt": b"fine", "../outside.txt": b"bad", "/abs.txt": b"bad"}, compress="")
    with tarfile.open(archive, "a") as tar:
        link = tarfile.TarInfo("link")
        link.type, link.linkname = tarfile.SYMTYPE, "../../etc/passwd"
        tar.addfile(link)
    out = tmp_path / "out"
    with pytest.warns(UserWarning, match=r"Skipping the archive member '\.\./outside\.txt'"):
        assert extract_archive(archive, out)
    assert sorted(os.listdir(out)) == ["ok.txt"] and not (tmp_path / "outside.txt").exists()
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("good.txt", "g")
        z.writestr("../../zipout.txt", "bad")
    with pytest.warns(UserWarning, match=r"Skipping the archive member '\.\./\.\./zipout\.txt'"):
        assert extract_archive(zpath, tmp_path / "zout")
    assert os.listdir(tmp_path / "zout") == ["good.txt"] and not (tmp_path.parent / "zipout.txt").exists()
    plain = tmp_path / "plain.txt"
    plain.write_text("not an archive")
    assert extract_archive(plain, tmp_path / "p") is False
    with pytest.raises(ValueError, match=r"archive_format must be 'auto', 'tar', 'zip'.*Received: "
                                         r"archive_format='rar'"):
        extract_archive(plain, tmp_path / "p", archive_format="rar")


def test_keras2_get_file_layout(server, home):
    """keras.utils.get_file follows Keras 2.2.4: fname first, untar -> fname + '.tar.gz', extract next to it."""
    from lamina.keras.utils import data_utils, get_file as keras_get_file
    assert keras_get_file is data_utils.get_file
    root, url, _ = server
    make_tar(root / "glove.tar.gz", {"glove/vectors.txt": b"v"})
    folder = keras_get_file("glove", origin=url + "glove.tar.gz", untar=True)
    assert folder == str(home / "datasets" / "glove")
    assert os.path.isfile(home / "datasets" / "glove.tar.gz")
    assert open(os.path.join(folder, "vectors.txt"), "rb").read() == b"v"
    path = keras_get_file("g2.tar.gz", url + "glove.tar.gz", extract=True, cache_subdir="models")
    assert path == str(home / "models" / "g2.tar.gz") and os.path.isfile(home / "models" / "glove" / "vectors.txt")
    absolute = str(home / "elsewhere" / "file.tgz")
    assert keras_get_file(absolute, url + "glove.tar.gz") == absolute
