"""`lamina train --base vgg16 --weights FILE --data DIR` on a folder of photos."""
import json

import numpy as np
import pytest
from weightfiles import (VGG16_BLOCKS, keras_vgg_layers_from_state, torchvision_vgg_state, write_keras_h5,
                         write_photos)

from lamina.cli import main


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("cats_and_dogs_small")
    rng = np.random.default_rng(0)
    for split, n in (("train", 10), ("validation", 4), ("test", 4)):
        write_photos(root / split, n, rng)
    return root


@pytest.fixture(scope="module")
def vgg16_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    write_keras_h5(path, keras_vgg_layers_from_state(torchvision_vgg_state(VGG16_BLOCKS, np.random.default_rng(4)),
                                                     VGG16_BLOCKS))
    return path


def test_feature_extraction_then_fine_tuning(photos, vgg16_file, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--base", "vgg16", "--weights", str(vgg16_file), "--data", str(photos), "--image-size", "32",
                 "--epochs", "3", "--fine-tune-epochs", "1", "--batch-size", "5", "--lr", "1e-4",
                 "--output", str(out), "--verbose", "0"])
    assert code == 0
    text = capsys.readouterr().out
    assert "feature extraction: validation accuracy" in text and "test accuracy: " in text
    assert "vgg16 (Functional)" in text and "Trainable params: 7,211,009" in text  # block5 + classifier (131,585)
    record = json.loads((out / "history.json").read_text())
    assert record["classes"] == {"cats": 0, "dogs": 1} and record["preprocessing"] == "caffe"
    assert record["fine_tuning"]["unfrozen_layers"] == ["block5_conv1", "block5_conv2", "block5_conv3"]
    assert len(record["history"]["loss"]) == record["feature_extraction"]["epochs_run"] + 1
    assert 0.0 <= record["test_accuracy"] <= 1.0
    from lamina.saving import load_model
    model = load_model(out / "model.lamina")
    assert model.predict(np.zeros((2, 32, 32, 3), "float32"), verbose=0).shape == (2, 1)
    assert (out / "curves.png").is_file()


@pytest.mark.parametrize("argv,match", [
    (["--base", "vgg16", "--weights", "nowhere.h5"], r"--weights 'nowhere\.h5' is not a file"),
    (["--base", "vgg61"], r"unknown --base 'vgg61'\. Available: vgg16, vgg19, resnet50, mobilenet_v2; did you mean "
                          r"'vgg16'\?"),
    (["--base", "vgg16"], r"--base needs --data DIR"),
    # --data alone now trains --model from scratch (tests/cli/test_cli_folders.py); --weights still needs --base.
    (["--data", "photos", "--weights", "vgg16.h5"], r"--weights applies to --base \(a pretrained network\)"),
    (["--base", "vgg16", "--image-size", "16"], r"--image-size must be at least 32"),
])
def test_bad_options_are_one_line_errors(argv, match, photos, capsys):
    argv = [a if a != "photos" else str(photos) for a in argv]
    if "--data" not in argv and "--base needs" not in match:
        argv += ["--data", str(photos)]
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    import re
    assert re.search(match, err), err


def test_imagenet_weights_offline_is_a_clear_error(photos, capsys):
    assert main(["train", "--base", "vgg16", "--data", str(photos), "--image-size", "32"]) == 2
    assert "needs the weights file 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5'" in capsys.readouterr().err


def test_one_folder_with_validation_split_and_a_lamina_weights_file(tmp_path, capsys):
    from lamina.applications import MobileNetV2
    weights = tmp_path / "mobilenet_v2.weights.safetensors"
    MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3)).save_weights(weights)
    photos = tmp_path / "photos"
    write_photos(photos, 8, np.random.default_rng(2))
    out = tmp_path / "run"
    code = main(["train", "--base", "mobilenet_v2", "--weights", str(weights), "--data", str(photos),
                 "--validation-split", "0.25", "--image-size", "32", "--epochs", "2", "--fine-tune-epochs", "1",
                 "--batch-size", "4", "--output", str(out), "--verbose", "0"])
    assert code == 0
    record = json.loads((out / "history.json").read_text())
    assert record["preprocessing"] == "tf" and "validation_accuracy" in record
    assert record["fine_tuning"]["unfrozen_layers"] == ["block_16_expand", "block_16_depthwise", "block_16_project",
                                                        "Conv_1"]  # BatchNormalization stays frozen
    assert "validation accuracy: " in capsys.readouterr().out
