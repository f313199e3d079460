"""The report after `lamina train`, in headless Chromium: what a user sees is true to the model.

Screenshots are kept when LAMINA_REPORT_SCREENSHOT_DIR names a folder (to look at them)."""
import json
import os
import shutil

import numpy as np
import pytest

from lamina.cli import main

from inspect_browser import open_page


def _keep(page, name, tmp_path):
    shot = tmp_path / f"{name}.png"
    shot.write_bytes(page["screenshot"])
    folder = os.environ.get("LAMINA_REPORT_SCREENSHOT_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        shutil.copy(shot, os.path.join(folder, f"{name}.png"))


def test_mlp_report_in_the_browser(tmp_path):
    """No 'Not available' text, the weight grid capped at 64 of 500, the settings table, one accuracy."""
    out = tmp_path / "run"
    assert main(["train", "--model", "mlp", "--epochs", "2", "--output", str(out), "--verbose", "0"]) == 0
    size = (out / "report.html").stat().st_size
    page = open_page(out / "report.html", str(tmp_path / "profile"))
    _keep(page, "mlp-report", tmp_path)
    assert page["errors"] == [] and all(im["naturalWidth"] > 0 for im in page["images"])
    text = page["text"]
    assert "Not available" not in text
    headings = [s["heading"] for s in page["sections"]]
    assert headings[:4] == ["Summary", "Run settings", "Architecture", "Training curves"]
    assert "Feature maps" not in headings and "Grad-CAM" not in headings and headings[-1] == "Not shown"
    assert "the model has no convolutional layer" in text
    weights = next(s for s in page["sections"] if s["heading"] == "First-layer weights")
    assert "showing 64 of 500" in text and weights["height"] < 1400      # was ~6,000 px for 500 images
    assert size < 700_000                                                # was 1.9 MB
    for setting in ("optimizer", "learning rate", "batch size", "epochs run", "best epoch", "seed",
                    "data source", "versions torch", "wall seconds"):
        assert f"\n{setting}\t" in text or f"{setting}\t" in text, setting
    record = json.loads((out / "history.json").read_text())
    stated = f"{record['test_accuracy']:.4f} ({record['test_correct']} of 4000 images)"
    assert f"Test accuracy: {stated}" in text


def test_restored_epoch_is_marked_in_the_browser(tmp_path):
    """A run that early stopping ended after restoring an earlier epoch: the curves' table and note say which
    weights the model has, and the settings table shows the best epoch."""
    out = tmp_path / "run"
    assert main(["train", "--model", "logreg", "--epochs", "3", "--output", str(out), "--verbose", "0"]) == 0
    record = json.loads((out / "history.json").read_text())
    # Make the record say what early stopping records when an earlier epoch was best (epoch 2 of 3).
    record["best_epoch"] = record["settings"]["best_epoch"] = 2
    (out / "history.json").write_text(json.dumps(record))
    report = tmp_path / "inspect.html"
    assert main(["inspect", str(out / "model.lamina"), "--out", str(report)]) == 0
    page = open_page(report, str(tmp_path / "profile"))
    _keep(page, "restored-epoch-report", tmp_path)
    text = page["text"]
    assert page["errors"] == []
    assert "restored epoch 2 (the model's weights)" in text and "last epoch 3" in text
    assert "early stopping restored the weights of epoch 2 (dashed line)" in text
    assert "best epoch\t2" in text


def test_cnn_report_shows_mistakes_with_grad_cam(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--model", "cnn", "--epochs", "1", "--output", str(out), "--verbose", "0"]) == 0
    page = open_page(out / "report.html", str(tmp_path / "profile"))
    _keep(page, "cnn-report", tmp_path)
    assert page["errors"] == [] and all(im["naturalWidth"] > 0 for im in page["images"])
    headings = [s["heading"] for s in page["sections"]]
    assert {"Feature maps", "Grad-CAM", "Receptive fields", "Run settings"} <= set(headings)
    assert "Not shown" not in headings and "Not available" not in page["text"]
    assert "with the Grad-CAM of the predicted class below each" in page["text"]
    assert "showing 10 of 10" not in page["text"] and "(all 10)" in page["text"]
