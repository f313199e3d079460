"""The `lamina` command as a user runs it."""
import json
import subprocess
import sys

import numpy as np
import pytest

from lamina.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "lamina.cli", *args], capture_output=True, text=True)


def test_help_answers_without_importing_torch():
    code = ("import sys; from lamina.cli import build_parser; build_parser().format_help(); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    result = run_cli("--help")
    assert result.returncode == 0 and "train" in result.stdout and "predict" in result.stdout


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = main(["train", "--model", "logreg", "--epochs", "2", "--output", str(out), "--verbose", "0"])
    assert code == 0
    return out


def test_train_writes_model_history_and_curves(trained, capsys):
    assert (trained / "model.lamina").is_file()
    assert (trained / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    record = json.loads((trained / "history.json").read_text())
    assert record["model"] == "logreg" and record["epochs_run"] == 2
    assert set(record["history"]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert 0.8 < record["test_accuracy"] <= 1.0


def test_train_prints_summary_and_test_accuracy(tmp_path, capsys):
    assert main(["train", "--model", "logreg", "--epochs", "1", "--output", str(tmp_path), "--verbose", "2"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 7,850" in out
    assert "Epoch 1/1 - 108/108 - " in out
    assert "test accuracy: 0." in out and " of 4000 images)" in out
    assert f"saved model, history and curves in {tmp_path}/" in out and "trained 1 epoch in " in out


def test_evaluate_a_saved_model(trained, capsys):
    assert main(["evaluate", str(trained / "model.lamina")]) == 0
    out = capsys.readouterr().out
    assert "loss: " in out and "accuracy: 0." in out and "(4000 test images)" in out


def test_predict_png_files(trained, tmp_path, capsys):
    from PIL import Image

    from lamina.datasets import mnist_sample
    _, (x_test, y_test) = mnist_sample.load_data()
    paths = []
    for i in range(3):
        p = tmp_path / f"digit{i}.png"
        Image.fromarray(x_test[i]).save(p)
        paths.append(str(p))
    assert main(["predict", str(trained / "model.lamina"), *paths, "--top", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    predicted = [int(line.split(": ")[1].split(" ")[0]) for line in lines]
    assert sum(p == t for p, t in zip(predicted, y_test[:3])) >= 2
    assert lines[0].count("(") == 2  # two classes with probabilities


def test_user_model_file_with_build_model(tmp_path, capsys):
    f = tmp_path / "net.py"
    f.write_text("from lamina import Sequential\nfrom lamina.layers import Flatten, Dense\n"
                 "def build_model(input_shape, num_classes):\n"
                 "    return Sequential([Flatten(input_shape=input_shape), Dense(16, activation='relu'),\n"
                 "                       Dense(num_classes, activation='softmax')])\n")
    assert main(["train", "--model", str(f), "--epochs", "1", "--output", str(tmp_path / "o"),
                 "--verbose", "0"]) == 0
    assert (tmp_path / "o" / "model.lamina").is_file()


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "cnnn"], "unknown model 'cnnn'. Expected one of logreg, mlp, cnn, convnet, or a Python "
                                   "file defining build_model(); did you mean 'cnn'?"),
    (["train", "--dataset", "mnist-smaple"], "unknown dataset 'mnist-smaple'. Available: mnist-sample, mnist, "
                                             "fashion-mnist, cifar10, cifar100, or a folder of images; did you "
                                             "mean 'mnist-sample'?"),
    (["train", "--epochs", "0"], "--epochs must be a positive integer; received 0."),
    (["train", "--optimizer", "adma"], "did you mean 'adam'?"),
    (["evaluate", "missing.lamina"], "model file missing.lamina does not exist."),
])
def test_bad_arguments_give_one_line_errors(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_evaluate_a_file_that_is_not_a_lamina_model(tmp_path, capsys):
    bad = tmp_path / "notes.lamina"
    bad.write_text("hello")
    assert main(["evaluate", str(bad)]) == 2
    assert "not a .lamina file" in capsys.readouterr().err


def test_predict_an_unreadable_image(trained, tmp_path, capsys):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + np.zeros(10, np.uint8).tobytes())
    assert main(["predict", str(trained / "model.lamina"), str(bad)]) == 2
    assert f"cannot read image {bad}" in capsys.readouterr().err
