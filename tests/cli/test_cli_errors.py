"""Errors of the `lamina` command: one line plus a hint, a non-zero exit status, and a traceback only with
--debug (or LAMINA_DEBUG=1)."""
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib

import pytest

from lamina import layers as L
from lamina.cli import main
from lamina.models import Sequential


def _one_line(err: str, *must):
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert 1 <= len(lines) <= 2, err
    assert lines[0].startswith("lamina ") and ": error: " in lines[0], err
    for text in must:
        assert text in err, err
    return lines


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-errors")
    model = Sequential([L.Input((28, 28, 1)), L.Flatten(), L.Dense(10, activation="softmax")])
    path = root / "m.lamina"
    model.save(path)
    return path


def test_train_output_on_an_existing_file(tmp_path, capsys):
    (tmp_path / "taken").write_text("x")
    assert main(["train", "--output", str(tmp_path / "taken"), "--epochs", "1"]) == 2
    _one_line(capsys.readouterr().err, "is a file")


def test_train_output_in_an_impossible_place(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(["train", "--output", str(tmp_path / "f" / "sub"), "--epochs", "1"]) == 2
    _one_line(capsys.readouterr().err, "cannot create the output folder")


def test_evaluate_a_lambda_model(tmp_path, capsys, model_file):
    path = tmp_path / "lam.lamina"
    with zipfile.ZipFile(model_file) as zf, zipfile.ZipFile(path, "w") as out:
        for name in zf.namelist():
            data = zf.read(name)
            if name == "config.json":
                cfg = json.loads(data)
                cfg["config"]["layers"].insert(1, {"class_name": "Lambda", "config": {"name": "fn"}})
                data = json.dumps(cfg).encode()
            out.writestr(name, data)
    assert main(["evaluate", str(path)]) == 2
    _one_line(capsys.readouterr().err, "Lambda layer 'fn'", "never runs code from a file")


def test_evaluate_a_directory(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path)]) == 2
    _one_line(capsys.readouterr().err, "is a directory")


def _bomb_png(path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))


def test_predict_on_a_decompression_bomb(tmp_path, capsys, model_file):
    _bomb_png(tmp_path / "bomb.png")
    assert main(["predict", str(model_file), str(tmp_path / "bomb.png")]) == 2
    _one_line(capsys.readouterr().err, "bomb.png", "decompression bomb")


def test_inspect_out_unwritable(tmp_path, capsys, model_file):
    assert main(["inspect", str(model_file), "--out", str(tmp_path / "no" / "such" / "r.html")]) == 2
    _one_line(capsys.readouterr().err, "does not exist")


def test_datasets_export_into_a_file(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["datasets", "export", "mnist-sample", str(tmp_path / "file")]) == 2
    _one_line(capsys.readouterr().err, "is a file")


def test_compat_missing_text_and_broken_notebook(tmp_path, capsys):
    assert main(["compat", str(tmp_path / "missing.py")]) == 2
    _one_line(capsys.readouterr().err, "no such script")
    (tmp_path / "notes.txt").write_text("print('ran')\n")
    assert main(["compat", str(tmp_path / "notes.txt")]) == 2
    err = capsys.readouterr()
    assert "ran" not in err.out
    _one_line(err.err, "not a Python script or notebook")
    (tmp_path / "nb.ipynb").write_text("{broken")
    assert main(["compat", str(tmp_path / "nb.ipynb")]) == 2
    _one_line(capsys.readouterr().err, "not a readable Jupyter notebook")


def test_unexpected_error_is_one_line_and_debug_gives_the_traceback(tmp_path, capsys, monkeypatch):
    path = tmp_path / "bad.lamina"
    path.write_bytes(b"not a zip")
    from lamina.cli import evaluate

    def boom(*a, **k):
        raise RuntimeError("something inside broke")
    monkeypatch.setattr(evaluate, "load", boom)
    assert main(["evaluate", str(path)]) == 1
    lines = _one_line(capsys.readouterr().err, "RuntimeError: something inside broke", "--debug")
    assert lines[1].strip().startswith("hint:")
    with pytest.raises(RuntimeError, match="something inside broke"):
        main(["--debug", "evaluate", str(path)])
    monkeypatch.setenv("LAMINA_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["evaluate", str(path)])


def test_damaged_model_file_from_the_shell(tmp_path):
    path = tmp_path / "bad.lamina"
    path.write_bytes(b"PK\x03\x04 truncated")
    out = subprocess.run([sys.executable, "-m", "lamina.cli", "evaluate", str(path)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode != 0
    _one_line(out.stderr, "bad.lamina", "is not a .lamina file")
