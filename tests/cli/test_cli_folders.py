"""`lamina train/evaluate/predict` on a user's own images: folders of PNGs, every listed dataset, augmentation,
the run's settings, predict's background warning and the CLI's help (examples, did you mean, divergence hint)."""
import functools
import hashlib
import http.server
import json
import os
import threading

import numpy as np
import pytest
from PIL import Image

from lamina.cli import main
from lamina.datasets import mnist_sample


def _export(folder, x, y, size=None, rgb=False, per_class=12, classes=(0, 1, 2)):
    """PNG files DIR/<digit>/<i>.png from the sample, optionally resized and coloured."""
    for c in classes:
        (folder / f"digit{c}").mkdir(parents=True, exist_ok=True)
        for i in np.flatnonzero(y == c)[:per_class]:
            img = Image.fromarray(x[i])
            if size:
                img = img.resize((size, size), Image.BILINEAR)
            if rgb:   # a tinted colour image: red digit on a dark blue background
                a = np.asarray(img, np.float32) / 255.0
                img = Image.fromarray((np.stack([a, 0.3 * a, 0.2 + 0.1 * a], -1) * 255).astype(np.uint8))
            img.save(folder / f"digit{c}" / f"{i}.png")
    return folder


@pytest.fixture(scope="module")
def sample():
    return mnist_sample.load_data()


@pytest.fixture(scope="module")
def grey_folder(tmp_path_factory, sample):
    """28x28 grey digits of 3 classes: train/ (40 each), validation/ (10 each), test/ (15 each)."""
    (x, y), (xt, yt) = sample
    root = tmp_path_factory.mktemp("grey")
    _export(root / "train", x[:3000], y[:3000], per_class=40)
    _export(root / "validation", x[3000:], y[3000:], per_class=10)
    _export(root / "test", xt, yt, per_class=15)
    return root


@pytest.fixture(scope="module")
def trained_on_folder(grey_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--data", str(grey_folder), "--model", "cnn", "--epochs", "3", "--output", str(out),
                 "--verbose", "0", "--lr", "0.01"]) == 0
    return out


def test_train_from_scratch_on_a_folder_of_grey_pngs(trained_on_folder, grey_folder):
    record = json.loads((trained_on_folder / "history.json").read_text())
    s = record["settings"]
    assert s["data"]["classes"] == ["digit0", "digit1", "digit2"]
    assert s["data"]["input_shape"] == [28, 28, 1]
    assert (s["data"]["train_images"], s["data"]["validation_images"], s["data"]["test_images"]) == (120, 30, 45)
    assert s["data"]["source"] == str(grey_folder) and "test/ for testing" in s["data"]["split"]
    assert s["optimizer"]["name"] == "SGD" and s["optimizer"]["args"]["momentum"] == 0.9
    assert s["learning_rate"] == pytest.approx(0.01) and s["batch_size"] == 50 and s["seed"] == 4487
    assert 1 <= s["best_epoch"] <= s["epochs_run"] <= 3
    assert set(s["versions"]) == {"lamina", "torch", "python"} and s["wall_seconds"] > 0
    assert record["test_images"] == 45 and record["test_correct"] == round(record["test_accuracy"] * 45)
    assert record["test_accuracy"] > 0.5        # 3 classes: chance is 0.33
    report = (trained_on_folder / "report.html").read_text()
    assert "<h2>Run settings</h2>" in report and "digit0, digit1, digit2" in report


def test_terminal_and_report_state_the_same_accuracy(grey_folder, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", str(grey_folder), "--model", "logreg", "--epochs", "2", "--output", str(out),
                 "--verbose", "0"]) == 0
    printed = capsys.readouterr().out
    line = next(l for l in printed.splitlines() if l.startswith("test accuracy: "))
    stated = line[len("test accuracy: "):].split(" (test loss")[0]        # '0.9111 (41 of 45 images)'
    assert stated.endswith(" of 45 images)")
    assert f"Test accuracy: <b>{stated}</b>" in (out / "report.html").read_text()
    assert "trained 2 epochs in " in printed


def test_rgb_folder_at_64_pixels_with_a_validation_split_and_augmentation(sample, tmp_path, capsys):
    (x, y), _ = sample
    folder = _export(tmp_path / "photos", x, y, size=64, rgb=True, per_class=10, classes=(0, 1))
    out = tmp_path / "run"
    assert main(["train", "--data", str(folder), "--model", "convnet", "--epochs", "1", "--output", str(out),
                 "--verbose", "0", "--validation-split", "0.2", "--augment", "strong", "--batch-size", "8"]) == 0
    s = json.loads((out / "history.json").read_text())["settings"]
    assert s["data"]["input_shape"] == [64, 64, 3] and s["augment"] == "strong"
    assert (s["data"]["train_images"], s["data"]["validation_images"]) == (16, 4)
    assert "validation accuracy: " in capsys.readouterr().out      # no test/ folder: the held-out images
    assert "Validation accuracy: <b>" in (out / "report.html").read_text()


def test_image_size_and_grayscale_override_the_files(sample, tmp_path):
    (x, y), _ = sample
    folder = _export(tmp_path / "photos", x, y, size=64, rgb=True, per_class=10, classes=(0, 1))
    out = tmp_path / "run"
    assert main(["train", "--data", str(folder), "--model", "mlp", "--epochs", "1", "--output", str(out),
                 "--verbose", "0", "--validation-split", "0.2", "--image-size", "20", "--grayscale"]) == 0
    assert json.loads((out / "history.json").read_text())["settings"]["data"]["input_shape"] == [20, 20, 1]


def test_a_validation_split_that_empties_a_class_names_it(sample, tmp_path, capsys):
    (x, y), _ = sample
    folder = _export(tmp_path / "few", x, y, per_class=12, classes=(0, 1))
    _export(folder, x, y, per_class=3, classes=(2,))
    assert main(["train", "--data", str(folder), "--epochs", "1", "--validation-split", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "leaves no training or no validation image in class folder(s) digit2 (3 images)" in err
    assert "digit0" not in err.split("class folder(s)")[1].split(" of ")[0]


def test_transfer_learning_with_an_empty_validation_split_says_so(sample, tmp_path, capsys):
    (x, y), _ = sample
    folder = _export(tmp_path / "few", x, y, per_class=4, classes=(0, 1))
    assert main(["train", "--data", str(folder), "--base", "vgg16", "--weights", "none"]) == 2
    err = capsys.readouterr().err
    assert "--validation-split 0.1 leaves no training or no validation image in class folder(s) digit0 " \
           "(4 images), digit1 (4 images)" in err and "at least 10 images" in err
    assert "found no images" not in err


def test_weights_none_is_allowed_with_a_warning(sample, tmp_path, capsys):
    (x, y), _ = sample
    folder = _export(tmp_path / "p", x, y, size=32, rgb=True, per_class=10, classes=(0, 1))
    out = tmp_path / "run"
    assert main(["train", "--data", str(folder), "--base", "mobilenet_v2", "--weights", "none", "--image-size",
                 "32", "--epochs", "1", "--fine-tune-epochs", "1", "--validation-split", "0.2", "--output", str(out),
                 "--verbose", "0"]) == 0
    assert "--weights none starts mobilenet_v2 from random weights" in capsys.readouterr().err
    assert (out / "model.lamina").is_file()


def test_evaluate_and_predict_take_folders(trained_on_folder, grey_folder, capsys):
    model = str(trained_on_folder / "model.lamina")
    assert main(["evaluate", model, "--data", str(grey_folder / "test")]) == 0
    out = capsys.readouterr().out
    assert "accuracy: " in out and "(45 test images)" in out
    assert main(["predict", model, str(grey_folder / "test" / "digit1"), "--top", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 15 and all(": digit" in l for l in lines)       # class names, not indices
    assert sum(": digit1 (" in l for l in lines) >= 8


@pytest.fixture(scope="module")
def trained_on_digits(tmp_path_factory):
    out = tmp_path_factory.mktemp("digits")
    assert main(["train", "--model", "logreg", "--epochs", "2", "--output", str(out), "--verbose", "0"]) == 0
    return out / "model.lamina"


def test_predict_warns_on_a_light_background_and_invert_fixes_it(trained_on_digits, sample, tmp_path, capsys):
    _, (xt, yt) = sample
    drawn = tmp_path / "drawn.png"
    Image.fromarray(255 - xt[0]).save(drawn)        # dark ink on white, as drawn in a paint program
    assert main(["predict", str(trained_on_digits), str(drawn)]) == 0
    captured = capsys.readouterr()
    assert f"warning: {drawn} has a light background" in captured.err and "Pass --invert" in captured.err
    assert main(["predict", str(trained_on_digits), str(drawn), "--invert", "--top", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.split(": ")[1].startswith(f"{yt[0]} (")
    plain = tmp_path / "plain.png"
    Image.fromarray(xt[0]).save(plain)
    assert main(["predict", str(trained_on_digits), str(plain)]) == 0
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------ every dataset the list shows
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_train_on_a_downloaded_fashion_mnist(tmp_path, monkeypatch, capsys):
    """Fashion-MNIST downloaded on first use from a local server, in its real IDX format."""
    from lamina.data.idx import write_idx
    from lamina.datasets import fashion_mnist
    from lamina.datasets._download import RemoteFile
    (x, y), (xt, yt) = mnist_sample.load_data()
    www = tmp_path / "www"
    www.mkdir()
    arrays = {"train-images-idx3-ubyte.gz": x[:300], "train-labels-idx1-ubyte.gz": y[:300],
              "t10k-images-idx3-ubyte.gz": xt[:100], "t10k-labels-idx1-ubyte.gz": yt[:100]}
    for name, arr in arrays.items():
        write_idx(str(www / name), arr.astype(np.uint8), compress=True)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    files = tuple(RemoteFile(f.name, hashlib.sha256((www / f.name).read_bytes()).hexdigest(), (url + f.name,))
                  for f in fashion_mnist.FILES)
    monkeypatch.setattr(fashion_mnist, "FILES", files)
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAMINA_OFFLINE", raising=False)
    out = tmp_path / "run"
    try:
        assert main(["train", "--dataset", "fashion-mnist", "--model", "logreg", "--epochs", "1", "--output",
                     str(out), "--verbose", "0"]) == 0
    finally:
        httpd.shutdown()
        httpd.server_close()
    record = json.loads((out / "history.json").read_text())
    assert record["dataset"] == "fashion-mnist" and record["test_images"] == 100
    assert record["settings"]["data"]["classes"][0] == "T-shirt/top"
    assert (tmp_path / "home" / "datasets" / "fashion_mnist" / "t10k-images-idx3-ubyte.gz").is_file()
    # Offline and not cached: the existing clear message, as one line.
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "empty"))
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
    assert main(["train", "--dataset", "mnist", "--epochs", "1", "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "mnist" in err and "LAMINA_OFFLINE" in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["mnist-sample", "mnist", "fashion-mnist", "cifar10", "cifar100"])
def test_every_listed_dataset_is_a_train_choice(name, monkeypatch, capsys):
    """No 'unknown dataset' for any name `lamina datasets list` shows (offline: the download message)."""
    from lamina.cli import _data
    from lamina.cli.datasets import DATASETS
    assert set(_data.DATASETS) == set(DATASETS)
    monkeypatch.setenv("LAMINA_HOME", os.devnull + "-none")
    monkeypatch.setenv("LAMINA_OFFLINE", "1")
    try:
        _data.load(name)
    except Exception as err:  # noqa: BLE001 - offline: only the download error is acceptable
        assert "unknown dataset" not in str(err) and "LAMINA_OFFLINE" in str(err)


# ------------------------------------------------------------------ a helpful command line
def test_did_you_mean_for_subcommands_and_optimizers(capsys):
    with pytest.raises(SystemExit):
        main(["trian"])
    err = capsys.readouterr().err
    assert "invalid choice: 'trian'" in err and "did you mean 'train'?" in err
    with pytest.raises(SystemExit):
        main(["evalute", "m.lamina"])
    assert "did you mean 'evaluate'?" in capsys.readouterr().err
    assert main(["train", "--optimizer", "rmsrpop", "--epochs", "1"]) == 2
    assert "unknown --optimizer 'rmsrpop'. Expected one of sgd, rmsprop, adam" in capsys.readouterr().err


def test_every_subcommand_help_has_examples(capsys):
    for command in ("train", "evaluate", "predict", "inspect", "compat", "datasets"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "examples:" in text and f"lamina {command} " in text, command
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "examples" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "sgd, rmsprop, adam, adamw" in capsys.readouterr().out      # --optimizer lists the names


def test_a_diverging_small_batch_gets_a_hint(sample, tmp_path, capsys):
    (x, y), _ = sample
    folder = _export(tmp_path / "d", x, y, per_class=10, classes=(0, 1, 2, 3))
    assert main(["train", "--data", str(folder), "--model", "mlp", "--epochs", "1", "--batch-size", "2",
                 "--validation-split", "0.2", "--lr", "50", "--output", str(tmp_path / "o"), "--verbose", "0"]) == 0
    err = capsys.readouterr().err
    assert "hint: after epoch 1 the loss is NaN: training diverges with --batch-size 2 with --lr 50. Try a " \
           "smaller --lr (e.g. 5)" in err


def test_from_scratch_flags_are_checked(capsys):
    assert main(["train", "--weights", "none"]) == 2
    assert "--weights applies to --base" in capsys.readouterr().err
    assert main(["train", "--data", "no-such-folder"]) == 2
    assert "'no-such-folder' is neither a folder nor a dataset name" in capsys.readouterr().err
    assert main(["train", "--image-size", "64"]) == 2
    assert "apply to --data DIR" in capsys.readouterr().err
