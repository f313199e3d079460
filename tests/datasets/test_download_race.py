"""Downloads shared by several processes: a temporary file per process, a lock per cache entry, and a
failure that only ever removes its own file. Served by a local HTTP server (no internet here)."""
import functools
import hashlib
import http.server
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from lamina.datasets import _download
from lamina.datasets._download import RemoteFile
from lamina.utils.file_lock import CacheNotWritableError


class _Slow(http.server.SimpleHTTPRequestHandler):
    """Serves files slowly (in 64 KiB pieces) so that two downloads overlap."""

    def log_message(self, *args):
        pass

    def copyfile(self, source, outputfile):
        while True:
            chunk = source.read(64 << 10)
            if not chunk:
                break
            outputfile.write(chunk)
            time.sleep(0.01)


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Slow, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


_CHILD = textwrap.dedent("""
    import sys
    from lamina.datasets._download import RemoteFile, fetch
    url, sha = sys.argv[1], sys.argv[2]
    try:
        path = fetch("race", RemoteFile("data.bin", sha, (url,)))
        print("OK", path)
    except Exception as err:
        print("FAIL", type(err).__name__, err)
""")


def _run_two(urls, sha, home):
    env = {**os.environ, "LAMINA_HOME": str(home), "PYTHONPATH": os.getcwd()}
    env.pop("LAMINA_OFFLINE", None)
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, url, sha], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for url in urls]
    return [p.communicate(timeout=120)[0].strip() for p in procs]


def test_two_processes_downloading_the_same_file_both_succeed(tmp_path, server):
    root, base = server
    data = os.urandom(1 << 20)
    (root / "data.bin").write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    for round_ in range(2):
        home = tmp_path / f"home{round_}"
        outs = _run_two([base + "data.bin", base + "data.bin"], sha, home)
        assert all(o.startswith("OK") for o in outs), outs
        cached = home / "datasets" / "race" / "data.bin"
        assert cached.read_bytes() == data
        assert [p for p in os.listdir(cached.parent) if p.endswith(".part")] == []


def test_a_corrupt_mirror_never_deletes_the_good_download_of_another_process(tmp_path, server):
    root, base = server
    data = os.urandom(1 << 20)
    (root / "data.bin").write_bytes(data)
    (root / "corrupt.bin").write_bytes(data[:-1] + b"\0")
    sha = hashlib.sha256(data).hexdigest()
    home = tmp_path / "home"
    good, bad = _run_two([base + "data.bin", base + "corrupt.bin"], sha, home)
    assert good.startswith("OK"), good
    cached = home / "datasets" / "race" / "data.bin"
    assert cached.read_bytes() == data
    # the process whose mirror was corrupt either failed cleanly or found the other's good file
    assert bad.startswith("OK") or ("ChecksumError" in bad or "sha256" in bad), bad


def test_failed_download_removes_only_its_own_part_file(tmp_path, server, monkeypatch):
    root, base = server
    (root / "data.bin").write_bytes(b"wrong contents")
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    folder = tmp_path / "home" / "datasets" / "race"
    folder.mkdir(parents=True)
    other = folder / f".data.bin.{os.getpid() + 1}-00000000.part"   # another process's download in flight
    other.write_bytes(b"in flight")
    with pytest.raises(_download.DatasetDownloadError, match=r"sha256 .* it was discarded"):
        _download.fetch("race", RemoteFile("data.bin", "0" * 64, (base + "data.bin",)))
    assert other.read_bytes() == b"in flight"
    assert not (folder / "data.bin").exists()


def test_unwritable_lamina_home_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LAMINA_HOME", str(blocker))
    monkeypatch.delenv("LAMINA_OFFLINE", raising=False)
    with pytest.raises(CacheNotWritableError, match=r"Cannot use '.*a-file/datasets/race' as the race dataset "
                                                    r"cache: .*Set LAMINA_HOME to a folder you can write"):
        _download.fetch("race", RemoteFile("data.bin", "0" * 64, ("http://127.0.0.1:9/x",)))


# ---------------------------------------------------------------------------- application weights
def test_cached_application_weights_are_checked_against_their_hash(tmp_path, server, monkeypatch):
    from lamina.applications import weights as app_weights
    root, base = server
    data = os.urandom(300000)
    (root / "w.h5").write_bytes(data)
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAMINA_OFFLINE", raising=False)
    md5 = hashlib.md5(data).hexdigest()
    path = app_weights.get_file("w.h5", base + "w.h5", md5, what="Net")
    assert open(path, "rb").read() == data
    with open(path, "r+b") as f:  # the cached copy is damaged afterwards
        f.write(b"\0" * 100)
    with pytest.warns(UserWarning, match=r"failed its hash check .* downloading it again"):
        again = app_weights.get_file("w.h5", base + "w.h5", md5, what="Net")
    assert open(again, "rb").read() == data
    with open(path, "r+b") as f:
        f.write(b"\0" * 100)
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
    with pytest.raises(ValueError, match=r"cached weights file .*w\.h5' for Net is damaged: its hash is"):
        app_weights.get_file("w.h5", base + "w.h5", md5, what="Net")


def test_corrupt_cached_h5_without_hash_is_a_load_error(tmp_path):
    from lamina.applications import weights as app_weights
    from lamina.saving import LoadError
    bad = tmp_path / "vgg16.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(2000))
    arch = app_weights.Architecture(name="VGG16")
    from lamina import layers as L
    from lamina.models import Sequential
    with pytest.raises(LoadError, match=r"vgg16\.h5' cannot be read as an HDF5 weights file"):
        app_weights.load_weights(Sequential([L.Input((3,)), L.Dense(2)]), bad, arch)


def test_two_processes_fetching_application_weights(tmp_path, server):
    root, base = server
    data = os.urandom(1 << 20)
    (root / "w.h5").write_bytes(data)
    md5 = hashlib.md5(data).hexdigest()
    code = textwrap.dedent(f"""
        from lamina.applications.weights import get_file
        print("OK", get_file("w.h5", {base + 'w.h5'!r}, {md5!r}))
    """)
    env = {**os.environ, "LAMINA_HOME": str(tmp_path / "home"), "PYTHONPATH": os.getcwd()}
    env.pop("LAMINA_OFFLINE", None)
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(o[0].startswith("OK") for o in outs), outs
    assert (tmp_path / "home" / "models" / "w.h5").read_bytes() == data
