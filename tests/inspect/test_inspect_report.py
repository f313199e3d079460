"""The HTML report and `lamina inspect`, opened in headless Chromium as a user would."""
import base64
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from lamina import inspect
from lamina.cli import main

from inspect_browser import open_page
from inspect_models import channels_first_cnn, course_cnn, subclassed_cnn


def _images(text):
    return re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', text)


@pytest.fixture(scope="module")
def saved_cnn(tmp_path_factory):
    """The course CNN after one short epoch on the sample, saved with its history."""
    from lamina.datasets import mnist_sample
    (x, y), _ = mnist_sample.load_data()
    x = (x[:1000].astype(np.float32) / 255.0)[..., None]
    model = course_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y[:1000].astype(np.int64), epochs=2, batch_size=50, validation_split=0.2, verbose=0)
    path = tmp_path_factory.mktemp("model") / "cnn.lamina"
    model.save(path)
    return path


def test_report_sections_and_embedded_pngs(digits, tmp_path):
    x, y = digits
    path = inspect.write_report(tmp_path / "r.html", course_cnn(), x, y,
                                history={"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    text = path.read_text()
    for section in ("Summary", "Training curves", "First-layer weights", "Feature maps", "Grad-CAM",
                    "Test data: confusion matrix and mistakes", "Receptive fields"):
        assert f"<h2>{section}</h2>" in text
    assert "Not available" not in text
    images = _images(text)
    assert len(images) == 9     # curves, filters, 3 feature maps, Grad-CAM, matrix, mistakes, fields
    for _, data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    # Self-contained: nothing is fetched from anywhere.
    assert not re.search(r'(src|href)="(?!data:|#)', text)
    assert "286,940" in text and "conv2d_2" in text


@pytest.mark.parametrize("make", [channels_first_cnn, subclassed_cnn])
def test_report_for_other_model_styles(make, digits, tmp_path):
    x, y = digits
    model = make()
    if make is channels_first_cnn:
        x = x.transpose(0, 3, 1, 2)
    text = inspect.html_report(model, x, y)
    assert "Not available" not in text and len(_images(text)) >= 6


def test_a_section_that_does_not_apply_is_left_out_with_one_line(digits):
    import lamina
    from lamina.layers import Dense, Flatten
    mlp = lamina.Sequential([Flatten(input_shape=(28, 28, 1)), Dense(500, activation="relu"),
                             Dense(10, activation="softmax")])
    text = inspect.html_report(mlp, *digits)
    assert "Not available" not in text
    for absent in ("Feature maps", "Grad-CAM", "Receptive fields"):
        assert f"<h2>{absent}</h2>" not in text
    assert "<h2>Not shown</h2>" in text
    assert text.count("the model has no convolutional layer") == 1
    # The Dense weights as 28x28 images instead of filters, capped at 64 of the 500 units.
    assert 'alt="weights of dense"' in text and "(showing 64 of 500)" in text


def test_settings_and_the_restored_epoch_from_a_train_record(digits):
    x, y = digits
    record = {"history": {"loss": [1.0, 0.5, 0.6], "val_loss": [0.9, 0.4, 0.45], "accuracy": [0.5, 0.8, 0.82],
                          "val_accuracy": [0.6, 0.85, 0.84]}, "best_epoch": 2,
              "settings": {"optimizer": {"name": "SGD", "args": {"learning_rate": 0.02, "momentum": 0.9}},
                           "batch_size": 50, "seed": 4487, "versions": {"torch": "2.13.0"}}}
    text = inspect.html_report(course_cnn(), x, y, history=record)
    assert "<h2>Run settings</h2>" in text and "SGD(learning_rate=0.02, momentum=0.9)" in text
    assert "<td>batch size</td><td>50</td>" in text and "<td>versions torch</td><td>2.13.0</td>" in text
    assert "restored epoch 2 (the model&#x27;s weights)" in text and "last epoch 3" in text
    assert "early stopping restored the weights of epoch 2" in text


def test_mistakes_come_with_their_grad_cam(digits):
    x, y = digits
    text = inspect.html_report(course_cnn(), x[:40], y[:40], mistakes_k=4)
    assert "with the Grad-CAM of the predicted class below each" in text


def test_lamina_inspect_command(saved_cnn, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["inspect", str(saved_cnn), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    text = out.read_text()
    assert "<h2>Training curves</h2>" in text           # the history saved in the .lamina file
    assert re.search(r"Test accuracy: <b>0\.\d{4} \(\d+ of 4000 images\)</b>", text)   # the sample's test split
    assert "lamina report: cnn.lamina" in text


def test_inspect_images_and_an_image_folder(saved_cnn, digits, tmp_path, capsys):
    from PIL import Image
    folder = tmp_path / "data"
    files = []
    assert set(digits[1][:40]) == set(range(10))      # every class has a folder
    for i, (img, label) in enumerate(zip(digits[0][:40], digits[1][:40])):
        (folder / f"digit{label}").mkdir(parents=True, exist_ok=True)
        f = folder / f"digit{label}" / f"{i}.png"
        Image.fromarray((img[:, :, 0] * 255).astype(np.uint8)).save(f)
        files.append(f)
    big = tmp_path / "big.png"
    Image.fromarray((np.kron(digits[0][0, :, :, 0], np.ones((2, 2))) * 255).astype(np.uint8)).convert("RGB").save(big)
    out = tmp_path / "r.html"
    assert main(["inspect", str(saved_cnn), "--data", str(folder), "--image", str(files[0]), str(big),
                 "--out", str(out)]) == 0
    text = out.read_text()
    assert " of 40 images)</b>" in text
    assert "<h3>image 1</h3>" in text and "<h3>image 2</h3>" not in text
    assert "digit7" in text                              # class names are the folder names


def test_inspect_bad_arguments(saved_cnn, tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "none.lamina")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["inspect", str(saved_cnn), "--data", "mnist-smaple"]) == 2
    assert "--data mnist-smaple: no such folder, and not a dataset name (mnist-sample" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["inspect", str(saved_cnn), "--data", str(empty)]) == 2
    assert "holds no images" in capsys.readouterr().err


def test_help_lists_inspect_without_importing_torch():
    code = ("import sys; from lamina.cli import main\n"
            "try:\n    main(['inspect', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "--image FILE" in out.stdout and out.stdout.strip().endswith("False")


def test_train_writes_the_report_beside_the_model(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--model", "logreg", "--epochs", "1", "--output", str(out), "--verbose", "0"]) == 0
    assert (out / "model.lamina").is_file() and (out / "history.json").is_file()
    text = (out / "report.html").read_text()
    assert "<h2>Training curves</h2>" in text and "lamina report: logreg on mnist-sample" in text
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out


def test_the_report_as_a_browser_shows_it(saved_cnn, tmp_path):
    """Every image loads (naturalWidth > 0), nothing logs an error; the screenshot is kept."""
    out = tmp_path / "report.html"
    assert main(["inspect", str(saved_cnn), "--out", str(out)]) == 0
    page = open_page(out, str(tmp_path / "chromium-profile"))
    assert page["title"] == "lamina report: cnn.lamina"
    assert len(page["images"]) == 9
    bad = [im for im in page["images"] if not im["complete"] or im["naturalWidth"] == 0]
    assert not bad, f"images that did not load: {bad}"
    assert page["errors"] == []
    assert page["screenshot"][:8] == b"\x89PNG\r\n\x1a\n" and len(page["screenshot"]) > 50_000
    shot = tmp_path / "report.png"
    shot.write_bytes(page["screenshot"])
    keep = __import__("os").environ.get("LAMINA_REPORT_SCREENSHOT")
    if keep:   # e.g. LAMINA_REPORT_SCREENSHOT=/tmp/report.png to look at it
        shutil.copy(shot, keep)


def test_the_browser_check_catches_broken_pages(tmp_path):
    """The check itself: a missing image and a script error are seen."""
    page_file = tmp_path / "broken.html"
    page_file.write_text('<html><head><title>b</title></head><body><img alt="gone" src="missing.png">'
                         '<script>console.error("boom"); notAFunction();</script></body></html>')
    page = open_page(page_file, str(tmp_path / "profile"))
    assert [{k: im[k] for k in ("alt", "complete", "naturalWidth")} for im in page["images"]] == \
        [{"alt": "gone", "complete": True, "naturalWidth": 0}]
    joined = json.dumps(page["errors"])
    assert "ERR_FILE_NOT_FOUND" in joined and "boom" in joined and "exception" in joined


def test_plot_history_marks_the_restored_epoch():
    hist = {"loss": [1.0, 0.5, 0.6], "val_loss": [0.9, 0.4, 0.45]}
    fig = inspect.plot_history(hist, metrics=("loss",), best_epoch=2)
    lines = fig.axes[0].get_lines()
    marker = [l for l in lines if l.get_label() == "restored: epoch 2"]
    assert len(marker) == 1 and list(marker[0].get_xdata()) == [2, 2]
    star = [l for l in lines if l.get_marker() == "*"]
    assert len(star) == 1 and list(star[0].get_ydata()) == [0.4]      # on the validation curve
    assert not [l for l in inspect.plot_history(hist, metrics=("loss",)).axes[0].get_lines()
                if l.get_label().startswith("restored")]


def test_weight_grids_are_capped_with_a_title_that_says_so():
    from lamina.layers import Dense
    import lamina
    model = lamina.Sequential([lamina.layers.Flatten(input_shape=(28, 28, 1)), Dense(100)])
    images, fig = inspect.dense_weights_as_images(model, plot=True, max_images=64)
    assert images.shape == (100, 28, 28) and fig._suptitle.get_text() == "'dense': showing 64 of 100 units"
    assert sum(1 for ax in fig.axes if ax.images) == 64
    with pytest.raises(ValueError, match="max_images to be None or a positive int. Received: max_images=0"):
        inspect.dense_weights_as_images(model, plot=True, max_images=0)
