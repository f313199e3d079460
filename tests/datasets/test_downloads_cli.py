"""``lamina datasets list | download NAME | export NAME --format folder DIR`` as a user runs them."""
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from lamina.cli import main
from lamina.datasets import mnist_sample


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
    return tmp_path / "home"


def test_list_shows_every_dataset_and_its_state(capsys, home):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("mnist-sample", "mnist", "fashion-mnist", "cifar10", "cifar100"):
        assert f"\n{name} " in out
    assert "bundled" in out and "not downloaded" in out and str(home / "datasets") in out


def test_export_the_bundled_sample_without_network(tmp_path, capsys):
    out_dir = tmp_path / "digits"
    assert main(["datasets", "export", "mnist-sample", "--format", "folder", str(out_dir)]) == 0
    assert sorted(os.listdir(out_dir)) == ["test", "train"]
    assert sorted(os.listdir(out_dir / "train")) == [str(d) for d in range(10)]
    (x, y), (xt, yt) = mnist_sample.load_data()
    counts = {d: len(os.listdir(out_dir / "train" / str(d))) for d in range(10)}
    assert counts == {d: int((y == d).sum()) for d in range(10)}
    assert sum(len(os.listdir(out_dir / "test" / str(d))) for d in range(10)) == 4000
    first = sorted(os.listdir(out_dir / "train" / str(y[0])))[0]
    np.testing.assert_array_equal(np.asarray(Image.open(out_dir / "train" / str(y[0]) / first)), x[0])
    assert "exported 10000 images of mnist-sample" in capsys.readouterr().out


def test_export_some_classes_into_one_folder_reads_back_with_flow_from_directory(tmp_path):
    out_dir = tmp_path / "two"
    assert main(["datasets", "export", "mnist-sample", str(out_dir), "--split", "all", "--classes", "3", "7",
                 "--limit", "5"]) == 0
    from lamina.preprocessing.image import ImageDataGenerator
    it = ImageDataGenerator().flow_from_directory(out_dir, target_size=(28, 28), class_mode="binary",
                                                  color_mode="grayscale")
    assert it.class_indices == {"3": 0, "7": 1} and it.samples == 10


def test_download_and_export_errors_are_one_line(tmp_path, capsys):
    assert main(["datasets", "download", "mnist"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lamina datasets: error: The mnist file 'train-images-idx3-ubyte.gz' is not in the cache")
    assert main(["datasets", "export", "cifar10", str(tmp_path / "c")]) == 2
    assert "cifar-10-binary.tar.gz" in capsys.readouterr().err
    assert main(["datasets", "export", "mnits", str(tmp_path / "c")]) == 2
    assert "did you mean 'mnist'?" in capsys.readouterr().err
    assert main(["datasets", "export", "mnist-sample", str(tmp_path / "c"), "--classes", "12"]) == 2
    assert "--classes takes class indices 0..9" in capsys.readouterr().err
    assert main(["datasets"]) == 2
    assert main(["datasets", "download", "mnist-sample"]) == 0


def test_help_does_not_import_torch():
    code = ("import sys; from lamina.cli import build_parser; build_parser().parse_args(['datasets', 'list']); "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
