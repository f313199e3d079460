"""preprocess_input (caffe / tf / torch modes) and decode_predictions with the bundled class index."""
import hashlib
import re
from importlib import resources

import numpy as np
import pytest
import torch
from weightfiles import keras_module

from lamina.applications import imagenet_utils, mobilenet_v2, resnet50, vgg16, vgg19


def test_caffe_mode_is_bgr_minus_the_imagenet_means():
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 5, 3)).astype("float32")
    expected = x[..., ::-1] - np.array([103.939, 116.779, 123.68], "float32")
    for module in (vgg16, vgg19, resnet50):
        np.testing.assert_allclose(module.preprocess_input(x.copy()), expected, rtol=1e-6)
    out = vgg16.preprocess_input(torch.from_numpy(x))
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(vgg16.preprocess_input(x[0].copy()), expected[0], rtol=1e-6)  # one image
    cf = vgg16.preprocess_input(x.transpose(0, 3, 1, 2).copy(), data_format="channels_first")
    np.testing.assert_allclose(cf, expected.transpose(0, 3, 1, 2), rtol=1e-6)


def test_tf_and_torch_modes():
    x = np.array([[[[0, 127.5, 255]]]], "float32")
    np.testing.assert_allclose(mobilenet_v2.preprocess_input(x.copy()), [[[[-1, 0, 1]]]])
    np.testing.assert_allclose(mobilenet_v2.preprocess_input(torch.from_numpy(x)).numpy(), [[[[-1, 0, 1]]]])
    torch_mode = imagenet_utils.preprocess_input(x.copy(), mode="torch")
    np.testing.assert_allclose(torch_mode, (x / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225], rtol=1e-6)


def test_integer_images_become_float32():
    x = np.full((1, 2, 2, 3), 200, np.uint8)
    out = vgg16.preprocess_input(x)
    assert out.dtype == np.float32 and x.dtype == np.uint8
    np.testing.assert_allclose(out[0, 0, 0], [200 - 103.939, 200 - 116.779, 200 - 123.68], rtol=1e-6)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_matches_keras(mode):
    keras = keras_module()
    x = np.random.default_rng(1).uniform(0, 255, (2, 6, 6, 3)).astype("float32")
    ours = imagenet_utils.preprocess_input(x.copy(), mode=mode)
    theirs = keras.applications.imagenet_utils.preprocess_input(x.copy(), mode=mode)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_preprocess_errors():
    with pytest.raises(ValueError, match=r"preprocess_input expects mode to be one of 'caffe', 'tf', 'torch'\. "
                                         r"Received: mode='tourch'; did you mean 'torch'\?"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="tourch")
    with pytest.raises(ValueError, match=r"expects RGB images shaped \(rows, cols, 3\) or a batch of them "
                                         r"\(channels_last\)\. Received shape \(1, 28, 28, 1\)"):
        vgg16.preprocess_input(np.zeros((1, 28, 28, 1), "float32"))


def test_decode_predictions_names_the_seeds_elephants():
    preds = np.zeros((2, 1000), "float32")
    preds[0, [386, 101, 385]] = [0.9094207, 0.08618318, 0.004354581]
    preds[1, 0] = 1.0
    decoded = vgg16.decode_predictions(preds, top=3)
    assert [(c, n) for c, n, _ in decoded[0]] == [("n02504458", "African_elephant"), ("n01871265", "tusker"),
                                                  ("n02504013", "Indian_elephant")]
    assert decoded[0][0][2] == pytest.approx(0.9094207)
    assert decoded[1][0][:2] == ("n01440764", "tench") and len(decoded[1]) == 3
    assert resnet50.decode_predictions(torch.from_numpy(preds), top=1)[0][0][1] == "African_elephant"


def test_decode_predictions_errors():
    with pytest.raises(ValueError, match=r"decode_predictions expects a batch of ImageNet predictions, shape "
                                         r"\(samples, 1000\)\. Received shape \(2, 10\)"):
        vgg16.decode_predictions(np.zeros((2, 10)))
    with pytest.raises(ValueError, match=r"top between 1 and 1000\. Received: top=0"):
        vgg16.decode_predictions(np.zeros((1, 1000)), top=0)


def test_bundled_class_index_is_keras_file_byte_for_byte():
    data = (resources.files("lamina.applications") / "_data" / "imagenet_class_index.json").read_bytes()
    assert hashlib.md5(data).hexdigest() == "c2c37ea517e94d9795004a39431a14cb"  # the hash Keras checks
    readme = (resources.files("lamina.applications") / "_data" / "README.md").read_text()
    assert hashlib.sha256(data).hexdigest() in re.findall(r"`([0-9a-f]{64})`", readme)
    index = imagenet_utils.class_index()
    assert len(index) == 1000 and len({v[0] for v in index.values()}) == 1000
