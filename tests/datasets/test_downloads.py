"""mnist, fashion_mnist, cifar10, cifar100: download once, sha256 check, cache, offline errors.

No internet here: the tests write small files in each dataset's real format
(gzipped IDX; CIFAR binary records in a .tar.gz with the real member names),
serve them from a local HTTP server, and point the dataset's file list at it.
"""
import functools
import hashlib
import http.server
import io
import os
import re
import tarfile
import threading

import numpy as np
import pytest

from lamina.data.idx import write_idx
from lamina.datasets import _download, cifar10, cifar100, fashion_mnist, mnist
from lamina.datasets._download import ChecksumError, DatasetDownloadError, RemoteFile


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """A local HTTP server over tmp_path/www; yields (folder, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAMINA_OFFLINE", raising=False)
    return tmp_path / "home"


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def idx_files(folder, n_train=12, n_test=5, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train, dtype=np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test, dtype=np.uint8)}
    for name, arr in arrays.items():
        write_idx(os.path.join(folder, name), arr, compress=True)
    return arrays


def point_at(monkeypatch, module, folder, urls):
    """Replace module.FILES by the files in ``folder`` (same names, their real sha256), served at ``urls``."""
    files = tuple(RemoteFile(f.name, sha(os.path.join(folder, f.name)), tuple(u + f.name for u in urls))
                  for f in module.FILES)
    monkeypatch.setattr(module, "FILES", files)
    return files


@pytest.mark.parametrize("module", [mnist, fashion_mnist])
def test_idx_dataset_downloads_once_then_reads_the_cache_offline(server, monkeypatch, home, module):
    root, url = server
    arrays = idx_files(root)
    point_at(monkeypatch, module, root, [url])
    (x, y), (xt, yt) = module.load_data()
    np.testing.assert_array_equal(x, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(yt, arrays["t10k-labels-idx1-ubyte.gz"])
    assert x.dtype == np.uint8 and x.shape == (12, 28, 28) and yt.shape == (5,)
    cached = home / "datasets" / module.NAME / "train-images-idx3-ubyte.gz"
    assert cached.is_file() and not list(cached.parent.glob("*.part"))
    for f in os.listdir(root):
        os.remove(root / f)  # the server has nothing any more
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
    (x2, _), _ = module.load_data()
    np.testing.assert_array_equal(x2, x)


def test_offline_with_an_empty_cache_names_file_url_and_place(monkeypatch, home):
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
    expected = re.escape(str(home / "datasets" / "mnist" / "train-images-idx3-ubyte.gz"))
    with pytest.raises(DatasetDownloadError, match=r"'train-images-idx3-ubyte\.gz' is not in the cache.*download "
                                                   r"https://ossci-datasets\.s3\.amazonaws\.com/mnist/train-images-"
                                                   r"idx3-ubyte\.gz.*save it as '" + expected):
        mnist.load_data()


def test_no_network_error_lists_what_was_tried(monkeypatch, tmp_path):
    idx_files(tmp_path)
    dead = "http://127.0.0.1:9/"  # the discard port: nothing listens
    point_at(monkeypatch, mnist, tmp_path, [dead])
    with pytest.raises(DatasetDownloadError, match=r"Cannot download the mnist file 'train-images-idx3-ubyte.gz'\. "
                                                   r"Tried http://127\.0\.0\.1:9/train-images.*To install it by hand"):
        mnist.load_data()


def test_damaged_cache_file_is_downloaded_again_never_used(server, monkeypatch, home):
    root, url = server
    arrays = idx_files(root)
    point_at(monkeypatch, mnist, root, [url])
    mnist.load_data()
    cached = home / "datasets" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    cached.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match=r"t10k-labels-idx1-ubyte\.gz' failed its sha256 check.*downloading it "
                                         r"again"):
        _, (_, yt) = mnist.load_data()
    np.testing.assert_array_equal(yt, arrays["t10k-labels-idx1-ubyte.gz"])
    cached.write_bytes(b"garbage")
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
    with pytest.raises(ChecksumError, match=r"t10k-labels-idx1-ubyte\.gz' is damaged or not the expected file: "
                                            r"its sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}\. lamina will not "
                                            r"use it"):
        mnist.load_data()


def test_a_mirror_with_wrong_bytes_is_skipped(server, monkeypatch, home, tmp_path):
    root, url = server
    good = tmp_path / "good"
    good.mkdir()
    arrays = idx_files(good)
    bad_root = root / "bad"
    bad_root.mkdir()
    idx_files(bad_root, seed=1)  # same names, other content
    for name in arrays:
        os.replace(good / name, root / name)
    files = point_at(monkeypatch, mnist, root, [url + "bad/", url])
    (x, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x, arrays["train-images-idx3-ubyte.gz"])
    monkeypatch.setattr(mnist, "FILES", tuple(RemoteFile(f.name, f.sha256, f.urls[:1]) for f in files))
    for f in files:
        os.remove(home / "datasets" / "mnist" / f.name)
    with pytest.raises(DatasetDownloadError, match=r"has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}; it was "
                                                   r"discarded"):
        mnist.load_data()
    # nothing wrong was kept (the .lock files are the per-entry inter-process locks, kept on purpose)
    assert not [p for p in (home / "datasets" / "mnist").iterdir() if p.suffix != ".lock"]


# ---------------------------------------------------------------------- CIFAR
def cifar_archive(path, top, members, label_bytes, n_per_member, seed=0):
    """A .tar.gz of CIFAR binary record files; returns {member: (labels (n, label_bytes), images (n,3,32,32))}."""
    rng = np.random.default_rng(seed)
    content = {}
    with tarfile.open(path, "w:gz") as tar:
        for name in members:
            labels = rng.integers(0, 100 if label_bytes == 2 else 10, (n_per_member, label_bytes), dtype=np.uint8)
            images = rng.integers(0, 256, (n_per_member, 3, 32, 32), dtype=np.uint8)
            data = np.concatenate([labels, images.reshape(n_per_member, -1)], axis=1).tobytes()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            content[name] = (labels, images)
        readme = b"meta"
        info = tarfile.TarInfo(f"{top}/readme.html")
        info.size = len(readme)
        tar.addfile(info, io.BytesIO(readme))
    return content


def test_cifar10_reads_binary_records_channels_last(server, monkeypatch):
    root, url = server
    content = cifar_archive(root / "cifar-10-binary.tar.gz", "cifar-10-batches-bin",
                            cifar10.TRAIN_MEMBERS + cifar10.TEST_MEMBERS, 1, 3)
    point_at(monkeypatch, cifar10, root, [url])
    (x, y), (xt, yt) = cifar10.load_data()
    assert x.shape == (15, 32, 32, 3) and xt.shape == (3, 32, 32, 3) and y.shape == (15, 1)
    assert x.dtype == y.dtype == np.uint8
    labels, images = content["cifar-10-batches-bin/data_batch_2.bin"]
    np.testing.assert_array_equal(x[3:6], images.transpose(0, 2, 3, 1))  # records in member order
    np.testing.assert_array_equal(y[3:6, 0], labels[:, 0])
    np.testing.assert_array_equal(xt[1, 0, 0], content["cifar-10-batches-bin/test_batch.bin"][1][1, :, 0, 0])


@pytest.mark.parametrize("label_mode,column", [("fine", 1), ("coarse", 0)])
def test_cifar100_label_modes(server, monkeypatch, label_mode, column):
    root, url = server
    content = cifar_archive(root / "cifar-100-binary.tar.gz", "cifar-100-binary",
                            cifar100.TRAIN_MEMBERS + cifar100.TEST_MEMBERS, 2, 4)
    point_at(monkeypatch, cifar100, root, [url])
    (x, y), (xt, yt) = cifar100.load_data(label_mode=label_mode)
    assert x.shape == (4, 32, 32, 3) and y.shape == (4, 1) and y.dtype == np.int64
    np.testing.assert_array_equal(yt[:, 0], content["cifar-100-binary/test.bin"][0][:, column])
    with pytest.raises(ValueError, match=r"label_mode 'fine' or 'coarse'.*'medium'"):
        cifar100.load_data(label_mode="medium")


def test_cifar_archive_problems_are_named(tmp_path):
    archive = tmp_path / "cifar-10-binary.tar.gz"
    cifar_archive(archive, "cifar-10-batches-bin", cifar10.TRAIN_MEMBERS[:2], 1, 1)
    with pytest.raises(ValueError, match=r"lacks \['cifar-10-batches-bin/data_batch_3\.bin'"):
        cifar10.read_members(archive, cifar10.TRAIN_MEMBERS)
    with pytest.raises(ValueError, match=r"holds 3000 bytes, not a whole number of 3073-byte CIFAR records"):
        cifar10.read_records(b"\0" * 3000, 1, "x.bin")
    (tmp_path / "broken.tar.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ValueError, match=r"broken\.tar\.gz' is not a readable \.tar\.gz archive"):
        cifar10.read_members(tmp_path / "broken.tar.gz", ["a"])


def test_cifar_reader_never_unpickles(tmp_path):
    """The binary format is parsed with numpy.frombuffer; a pickle in the archive is just bytes."""
    import pickle
    archive = tmp_path / "a.tar.gz"
    payload = pickle.dumps({"data": np.zeros(3073, np.uint8)})
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-bin/data_batch_1.bin")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    data = cifar10.read_members(archive, ["cifar-10-batches-bin/data_batch_1.bin"])
    with pytest.raises(ValueError, match="not a whole number"):
        cifar10.read_records(data["cifar-10-batches-bin/data_batch_1.bin"], 1)


def test_real_file_lists_have_canonical_urls_and_sha256():
    for module, count in ((mnist, 4), (fashion_mnist, 4), (cifar10, 1), (cifar100, 1)):
        assert len(module.FILES) == count
        for f in module.FILES:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256)
            assert all(u.startswith(("https://", "http://")) and u.endswith(f.name) for u in f.urls)
    assert cifar10.FILES[0].urls == ("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",)
    assert mnist.FILES[0].sha256 == "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"


def test_lamina_home_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("LAMINA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _download.lamina_home() == tmp_path / ".lamina"
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "elsewhere"))
    assert _download.dataset_dir("mnist") == tmp_path / "elsewhere" / "datasets" / "mnist"


def test_copy_into_cache_checks_the_sum(tmp_path):
    source = tmp_path / "file.gz"
    source.write_bytes(b"abc")
    remote = RemoteFile("file.gz", hashlib.sha256(b"abc").hexdigest(), ("http://x/file.gz",))
    assert _download.copy_into_cache("demo", remote, source).read_bytes() == b"abc"
    wrong = RemoteFile("file.gz", "0" * 64, ("http://x/file.gz",))
    with pytest.raises(ChecksumError, match=r"is not the demo file 'file.gz'"):
        _download.copy_into_cache("demo", wrong, source)
