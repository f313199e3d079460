"""imdb and reuters: download once with sha256, Keras 3's load_data results, safe reading of object arrays.

The tests write small files in the real format (an .npz of object arrays of
lists of word ranks, as Keras's imdb.npz/reuters.npz), serve them from a local
HTTP server and point the dataset's file list at it. Keras's own load_data
reads the same file for the comparison.
"""
import functools
import hashlib
import http.server
import io
import json
import os
import pickle
import re
import threading
import zipfile

import numpy as np
import pytest

from lamina.cli import main
from lamina.datasets import ChecksumError, DatasetDownloadError, imdb, reuters
from lamina.datasets._download import RemoteFile
from lamina.datasets._npz import UnsafeFileError, load_npz

os.environ.setdefault("KERAS_BACKEND", "torch")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
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


def ragged(rng, n, vocab=300, longest=40):
    out = np.empty(n, dtype=object)
    for i in range(n):
        length = int(rng.integers(1, longest))
        out[i] = np.minimum(rng.zipf(1.3, size=length), vocab).astype(int).tolist()
    return out


def imdb_file(path, seed=0, n_train=60, n_test=50):
    rng = np.random.default_rng(seed)
    arrays = {"x_train": ragged(rng, n_train), "y_train": rng.integers(0, 2, n_train),
              "x_test": ragged(rng, n_test), "y_test": rng.integers(0, 2, n_test)}
    np.savez(path, **arrays)
    return arrays


def reuters_file(path, seed=0, n=90):
    rng = np.random.default_rng(seed)
    arrays = {"x": ragged(rng, n), "y": rng.integers(0, 46, n)}
    np.savez(path, **arrays)
    return arrays


def serve(monkeypatch, module, root, url):
    name = module.FILES[0].name
    digest = hashlib.sha256((root / name).read_bytes()).hexdigest()
    monkeypatch.setattr(module, "FILES", (RemoteFile(name, digest, (url + name,)),))


@pytest.fixture(scope="module")
def keras_datasets():
    pytest.importorskip("keras", reason="keras (the parity extra) is not installed")
    from keras.src.datasets import imdb as kimdb, reuters as kreuters
    return kimdb, kreuters


def same(ours, theirs):
    (xo, yo), (xto, yto) = ours
    (xk, yk), (xtk, ytk) = theirs
    assert xo.dtype == object and xo.shape == xk.shape and xto.shape == xtk.shape
    assert [list(map(int, x)) for x in xo] == [list(map(int, x)) for x in xk]
    assert [list(map(int, x)) for x in xto] == [list(map(int, x)) for x in xtk]
    np.testing.assert_array_equal(yo, yk)
    np.testing.assert_array_equal(yto, ytk)


OPTIONS = [{}, {"num_words": 20}, {"num_words": 30, "skip_top": 5}, {"maxlen": 20}, {"seed": 7, "start_char": None},
           {"oov_char": None, "num_words": 15, "skip_top": 2}, {"index_from": 0, "start_char": None},
           {"index_from": 10, "start_char": 4, "oov_char": 3, "num_words": 50, "maxlen": 30}]


def test_imdb_downloads_once_and_equals_keras(server, monkeypatch, home, keras_datasets):
    root, url = server
    imdb_file(root / "imdb.npz")
    serve(monkeypatch, imdb, root, url)
    kimdb = keras_datasets[0]
    monkeypatch.setattr(kimdb, "get_file", lambda *a, **k: str(home / "datasets" / "imdb" / "imdb.npz"))
    for options in OPTIONS:
        same(imdb.load_data(**options), kimdb.load_data(**options))
    os.remove(root / "imdb.npz")  # the server has nothing any more: the cache answers
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
    (x, _), _ = imdb.load_data()
    assert len(x) == 60 and x[0][0] == 1


def test_reuters_equals_keras_including_test_split(server, monkeypatch, home, keras_datasets):
    root, url = server
    reuters_file(root / "reuters.npz")
    serve(monkeypatch, reuters, root, url)
    kreuters = keras_datasets[1]
    monkeypatch.setattr(kreuters, "get_file", lambda *a, **k: str(home / "datasets" / "reuters" / "reuters.npz"))
    for options in OPTIONS + [{"test_split": 0.5}, {"test_split": 0.0, "num_words": 25}, {"test_split": 1.0}]:
        same(reuters.load_data(**options), kreuters.load_data(**options))
    assert reuters.get_label_names()[:3] == ("cocoa", "grain", "veg-oil") and len(reuters.get_label_names()) == 46


def test_imdb_by_hand(tmp_path):
    path = tmp_path / "mine.npz"
    x = np.empty(2, dtype=object)
    x[0], x[1] = [1, 2, 3], [5, 1]
    np.savez(path, x_train=x, y_train=np.array([1, 0]), x_test=x[:1], y_test=np.array([1]))
    (xtr, ytr), (xte, yte) = imdb.load_data(str(path), seed=0)  # an existing file is read as it is
    order = np.arange(2)
    np.random.RandomState(0).shuffle(order)
    # shifted: [1, 4, 5, 6] and [1, 8, 4]; num_words=None means the largest index (8), and Keras keeps
    # w < num_words, so 8 itself becomes oov 2 (Keras's quirk, kept)
    shifted = {0: [1, 4, 5, 6], 1: [1, 2, 4]}
    assert [xtr[i] for i in range(2)] == [shifted[j] for j in order]
    (xtr, _), _ = imdb.load_data(str(path), num_words=6, skip_top=4, seed=0)
    # shifted: [1, 4, 5, 6] and [1, 8, 4]; kept: 4 <= w < 6, the rest (start char included) -> oov 2
    assert sorted(map(tuple, xtr)) == sorted([(2, 4, 5, 2), (2, 2, 4)])
    with pytest.raises(ValueError, match=r"maxlen=2\) keeps no review.*Increase maxlen"):
        imdb.load_data(str(path), maxlen=2)
    with pytest.raises(ValueError, match=r"test_split to be a fraction in \[0, 1\]\. Received: test_split=1\.5"):
        reuters.load_data(test_split=1.5)


def test_offline_and_damaged_errors(server, monkeypatch, home):
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
    with pytest.raises(DatasetDownloadError, match=r"'imdb\.npz' is not in the cache.*download https://storage\."
                                                   r"googleapis\.com/tensorflow/tf-keras-datasets/imdb\.npz"):
        imdb.load_data()
    root, url = server
    reuters_file(root / "reuters.npz")
    serve(monkeypatch, reuters, root, url)
    monkeypatch.delenv("LAMINA_OFFLINE")
    reuters.load_data()
    (home / "datasets" / "reuters" / "reuters.npz").write_bytes(b"damaged")
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
    with pytest.raises(ChecksumError, match=r"reuters\.npz' is damaged or not the expected file"):
        reuters.load_data()


def test_word_index_is_md5_checked_and_cached(server, monkeypatch, home):
    root, url = server
    body = json.dumps({"the": 1, "film": 2}).encode()
    (root / "imdb_word_index.json").write_bytes(body)
    monkeypatch.setattr(imdb, "WORD_INDEX", ("imdb_word_index.json", url + "imdb_word_index.json",
                                             hashlib.md5(body).hexdigest()))
    assert imdb.get_word_index() == {"the": 1, "film": 2}
    os.remove(root / "imdb_word_index.json")
    assert imdb.get_word_index() == {"the": 1, "film": 2}  # from the cache
    monkeypatch.setattr(reuters, "WORD_INDEX", ("reuters_word_index.json", url + "reuters_word_index.json",
                                                hashlib.md5(b"x").hexdigest()))
    (root / "reuters_word_index.json").write_bytes(body)
    with pytest.raises(ChecksumError, match=r"has hash [0-9a-f]{32}, expected [0-9a-f]{32}"):
        reuters.get_word_index()


def test_keras_namespace_accepts_nb_words(server, monkeypatch):
    from lamina.keras import datasets as kd
    root, url = server
    imdb_file(root / "imdb.npz")
    serve(monkeypatch, imdb, root, url)
    from lamina.compat import _state as compat_state
    monkeypatch.setattr(compat_state, "_WARNED", set())
    with pytest.warns(DeprecationWarning, match=r"imdb\.load_data\(nb_words=\.\.\.\) is Keras 1"):
        old = kd.imdb.load_data(nb_words=20)
    same(old, imdb.load_data(num_words=20))
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['nb_word'\]"):
        kd.imdb.load_data(nb_word=20)


# ------------------------------------------------------------------ the safe reader
def npy_bytes(array, protocol=3, module=None):
    """A .npy member holding ``array`` pickled with ``protocol`` (optionally renaming numpy's core module)."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, np.lib.format.header_data_from_array_1_0(array))
    payload = pickle.dumps(array, protocol=protocol)
    if module:
        payload = payload.replace(b"numpy._core.multiarray", module.encode())
    return out.getvalue() + payload


def numeric_npy(array):
    out = io.BytesIO()
    np.lib.format.write_array(out, array, allow_pickle=False)
    return out.getvalue()


def write_npz(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name + ".npy", data)


@pytest.mark.parametrize("protocol,module", [(2, "numpy.core.multiarray"), (3, None), (5, None)])
def test_object_arrays_of_lists_and_arrays_read_back(tmp_path, protocol, module):
    x = ragged(np.random.default_rng(1), 30)
    inner = np.empty(2, dtype=object)
    inner[0], inner[1] = np.arange(4, dtype=">i4"), np.array([[1.5, 2.5]])
    path = tmp_path / "a.npz"
    write_npz(path, {"x": npy_bytes(x, protocol, module), "inner": npy_bytes(inner, protocol, module),
                     "y": numeric_npy(np.arange(5))})
    arrays = load_npz(path)
    assert [list(v) for v in arrays["x"]] == [list(v) for v in x]
    assert arrays["inner"][0].tolist() == [0, 1, 2, 3] and arrays["inner"][1].tolist() == [[1.5, 2.5]]
    np.testing.assert_array_equal(arrays["y"], np.arange(5))


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_a_pickle_that_names_anything_else_is_refused_and_never_run(tmp_path, monkeypatch):
    evil = np.empty(1, dtype=object)
    evil[0] = _Boom()
    path = tmp_path / "evil.npz"
    write_npz(path, {"x": npy_bytes(evil)})
    calls = []
    monkeypatch.setattr(os, "system", lambda cmd: calls.append(cmd))
    with pytest.raises(UnsafeFileError, match=r"evil\.npz:x\.npy: the file asks for (posix|os)\.system, which a "
                                              r"NumPy array file never needs.*download it again"):
        load_npz(path)
    assert calls == []
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    write_npz(path, {"x": header.getvalue() + pickle.dumps(eval, protocol=2)})
    with pytest.raises(UnsafeFileError, match=r"(builtins|__builtin__)\.eval"):
        load_npz(path)


def test_repeated_references_and_non_npz_are_refused(tmp_path):
    big = list(range(5000))
    many = np.empty(2000, dtype=object)
    for i in range(len(many)):
        many[i] = big  # one list, 2000 references: 10 million items from a few kB
    path = tmp_path / "bomb.npz"
    write_npz(path, {"x": npy_bytes(many)})
    assert os.path.getsize(path) < 60_000
    with pytest.raises(UnsafeFileError, match=r"refers to more items than its bytes can hold"):
        load_npz(path)
    (tmp_path / "not.npz").write_bytes(b"plain text")
    with pytest.raises(ValueError, match=r"is not a readable \.npz \(zip\) file"):
        load_npz(tmp_path / "not.npz")


def test_cli_lists_the_text_datasets_and_refuses_to_export_them(capsys, tmp_path):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\nimdb +word ids +2  not downloaded +IMDB movie reviews", out)
    assert re.search(r"\nreuters +word ids +46  not downloaded +Reuters newswires", out)
    assert main(["datasets", "export", "imdb", str(tmp_path / "out")]) != 0
    assert "holds sequences of word indices, not images" in capsys.readouterr().err
