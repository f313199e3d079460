"""Weight files: Keras HDF5 and torchvision state dicts written with known numbers load and compute
what an independent plain-torch network (or real Keras) computes from the same numbers; files that
do not fit name the first tensor and both shapes; the cache and downloads."""
import hashlib
import io
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch
from weightfiles import (VGG16_BLOCKS, VGG19_BLOCKS, keras_module, keras_vgg_layers_from_state, torch_vgg_forward,
                         torchvision_vgg_state, write_keras_h5)

from lamina.applications import VGG16, MobileNetV2, ResNet50
from lamina.applications import weights as app_weights
from lamina.applications.vgg16 import ARCH as VGG16_ARCH


@pytest.fixture(scope="module")
def vgg16_state():
    return torchvision_vgg_state(VGG16_BLOCKS, np.random.default_rng(16))


@pytest.fixture(scope="module")
def images():
    return torch.tensor(np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)), dtype=torch.float32)


def test_keras_h5_notop_file_computes_what_plain_torch_computes(tmp_path, vgg16_state, images):
    path = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    write_keras_h5(path, keras_vgg_layers_from_state(vgg16_state, VGG16_BLOCKS))
    model = VGG16(weights=str(path), include_top=False, input_shape=(32, 32, 3))
    k = model.get_layer("block3_conv2").get_weights()[0]
    np.testing.assert_array_equal(k, vgg16_state["features.12.weight"].numpy().transpose(2, 3, 1, 0))
    with torch.no_grad():
        ours = model(images)
        ref = torch_vgg_forward(vgg16_state, VGG16_BLOCKS, images)
    assert ours.shape == (2, 1, 1, 512)
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4)


def test_torchvision_state_dict_computes_what_plain_torch_computes(tmp_path, vgg16_state, images):
    path = tmp_path / "vgg16-397923af.pth"
    torch.save(vgg16_state, path)
    model = VGG16(weights=path, include_top=False, input_shape=(32, 32, 3), pooling="max")
    with torch.no_grad():
        ours = model(images)
        ref = torch_vgg_forward(vgg16_state, VGG16_BLOCKS, images).amax(dim=(1, 2))
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4)


def test_both_formats_with_the_top_fix_the_flatten_order(tmp_path):
    """At 64x64 the last feature map is 2x2x512: torchvision's classifier.0 reads it flattened as
    (channels, rows, cols), Keras's fc1 as (rows, cols, channels)."""
    state = torchvision_vgg_state(VGG16_BLOCKS, np.random.default_rng(7), top=(2 * 2 * 512, 10))
    x = torch.tensor(np.random.default_rng(2).uniform(0, 1, (2, 64, 64, 3)), dtype=torch.float32)
    with torch.no_grad():
        ref = torch_vgg_forward(state, VGG16_BLOCKS, x, top=True)
    pth, h5 = tmp_path / "vgg16.pth", tmp_path / "vgg16.h5"
    torch.save(state, pth)
    write_keras_h5(h5, keras_vgg_layers_from_state(state, VGG16_BLOCKS, top=(2, 2, 512)))
    del state
    for path in (pth, h5):
        model = VGG16(weights=str(path), input_shape=(64, 64, 3), classes=10)
        with torch.no_grad():
            torch.testing.assert_close(model(x), ref, rtol=1e-4, atol=1e-5)
    # Without the fix (fc1's rows left in torch's order, as a plain transpose gives) the top computes
    # something else.
    kernel, bias = model.get_layer("fc1").get_weights()
    model.get_layer("fc1").set_weights([kernel.reshape(2, 2, 512, -1).transpose(2, 0, 1, 3).reshape(kernel.shape),
                                        bias])
    with torch.no_grad():
        assert (model(x) - ref).abs().max() > 1e-3


def test_a_whole_keras_model_file_gives_its_weights(tmp_path, vgg16_state, images):
    path = tmp_path / "cats_and_dogs_small_3.h5"
    write_keras_h5(path, keras_vgg_layers_from_state(vgg16_state, VGG16_BLOCKS), model_file=True)
    model = VGG16(weights=str(path), include_top=False, input_shape=(32, 32, 3))
    with torch.no_grad():
        torch.testing.assert_close(model(images), torch_vgg_forward(vgg16_state, VGG16_BLOCKS, images), rtol=1e-4,
                                   atol=1e-4)


def test_torchvision_checkpoint_wrappers_are_unwrapped(tmp_path, vgg16_state, images):
    path = tmp_path / "checkpoint.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in vgg16_state.items()}, "epoch": 3}, path)
    model = VGG16(weights=str(path), include_top=False, input_shape=(32, 32, 3))
    np.testing.assert_array_equal(model.get_layer("block1_conv1").get_weights()[1],
                                  vgg16_state["features.0.bias"].numpy())


def test_a_top_file_loads_into_a_conv_base(tmp_path):
    """The full VGG16 file feeds include_top=False too: the classifier's tensors are left out."""
    state = torchvision_vgg_state(VGG16_BLOCKS, np.random.default_rng(3), top=(512, 5))
    path = tmp_path / "vgg16_top.pth"
    torch.save(state, path)
    base = VGG16(weights=str(path), include_top=False, input_shape=(32, 32, 3))
    np.testing.assert_array_equal(base.get_layer("block5_conv3").get_weights()[1],
                                  state["features.28.bias"].numpy())


# ------------------------------------------------------------------ files that do not fit
def test_vgg19_state_dict_into_vgg16_names_the_first_missing_tensor(tmp_path):
    path = tmp_path / "vgg19-dcbb9e9d.pth"
    torch.save(torchvision_vgg_state(VGG19_BLOCKS, np.random.default_rng(0), scale=0.0), path)
    model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"Cannot load torchvision state dict '.*vgg19-dcbb9e9d\.pth' into VGG16 "
                                         r"'vgg16': tensor 'features\.17\.weight' \(for block4_conv1/kernel, Keras "
                                         r"shape \(3, 3, 256, 512\)\) is not in the file"):
        app_weights.load_weights(model, path, VGG16_ARCH)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # left unchanged


def test_shape_mismatch_names_the_tensor_and_both_shapes(tmp_path):
    state = torchvision_vgg_state(VGG16_BLOCKS, np.random.default_rng(0))
    state["features.0.weight"] = torch.zeros(64, 1, 3, 3)  # saved from a network for grey images
    path = tmp_path / "grey.pth"
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"tensor 'features\.0\.weight' has shape \(64, 1, 3, 3\) in the file, "
                                         r"\(3, 3, 1, 64\) in Keras layout, but the model's block1_conv1/kernel "
                                         r"has shape \(3, 3, 3, 64\)"):
        VGG16(weights=str(path), include_top=False, input_shape=(32, 32, 3))


def test_keras_file_of_another_architecture(tmp_path):
    state = torchvision_vgg_state(VGG19_BLOCKS, np.random.default_rng(0), scale=0.0)
    vgg19_file = tmp_path / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
    write_keras_h5(vgg19_file, keras_vgg_layers_from_state(state, VGG19_BLOCKS))
    with pytest.raises(ValueError, match=r"the file holds 'block3_conv4/block3_conv4_W_1:0' \(shape "
                                         r"\(3, 3, 256, 256\)\) \(and 2 more\), which VGG16 'vgg16' has no place for"):
        VGG16(weights=str(vgg19_file), include_top=False, input_shape=(32, 32, 3))
    resnet_file = tmp_path / "resnet50_notop.h5"
    write_keras_h5(resnet_file, [("conv1_conv", [("conv1_conv/kernel:0", np.zeros((7, 7, 3, 64), "f4")),
                                                 ("conv1_conv/bias:0", np.zeros(64, "f4"))])])
    with pytest.raises(ValueError, match=r"the file has no weights for layer 'block1_conv1' \(block1_conv1/kernel "
                                         r"\(3, 3, 3, 64\), block1_conv1/bias \(64,\)\)\. It holds weights for 1 "
                                         r"layers: 'conv1_conv'"):
        VGG16(weights=str(resnet_file), include_top=False, input_shape=(32, 32, 3))


def test_mobilenet_file_of_another_width(tmp_path):
    keras = keras_module()
    narrow = keras.applications.MobileNetV2(weights=None, include_top=False, alpha=0.5, input_shape=(32, 32, 3))
    path = tmp_path / "narrow.weights.h5"
    narrow.save_weights(path)
    with pytest.raises(ValueError, match=r"tensor 'layers/conv2d/vars/0' has shape \(3, 3, 3, 16\) in the file, but "
                                         r"the model's Conv1/kernel has shape \(3, 3, 3, 32\)"):
        MobileNetV2(weights=str(path), include_top=False, input_shape=(32, 32, 3))


def test_torchvision_resnet50_and_mobilenet_v2_are_refused_with_the_reason(tmp_path):
    path = tmp_path / "resnet50-0676ba61.pth"
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7)}, path)
    with pytest.raises(ValueError, match=r"torchvision's resnet50 is ResNet v1\.5 .* Use the Keras file "
                                         r"resnet50_weights_tf_dim_ordering_tf_kernels\(_notop\)\.h5"):
        ResNet50(weights=str(path), include_top=False, input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match=r"torchvision's mobilenet_v2 pads its stride-2 convolutions"):
        MobileNetV2(weights=str(path), include_top=False, input_shape=(32, 32, 3))


def test_unsafe_or_foreign_files_are_refused(tmp_path):
    pickled = tmp_path / "pickled.pth"
    torch.save({"features.0.weight": torch.zeros(1), "extra": object()}, pickled)  # needs unpickling code
    with pytest.raises(ValueError, match=r"torch\.load\(weights_only=True\).*never pickled code"):
        VGG16(weights=str(pickled), include_top=False, input_shape=(32, 32, 3))
    import h5py
    other = tmp_path / "data.h5"
    with h5py.File(other, "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    with pytest.raises(ValueError, match=r"is an HDF5 file but not a Keras weights file"):
        VGG16(weights=str(other), include_top=False, input_shape=(32, 32, 3))
    with pytest.raises(FileNotFoundError, match=r"VGG16: no weights file at 'missing\.h5'"):
        VGG16(weights="missing.h5", include_top=False)


# ------------------------------------------------------------------ real Keras, same numbers
@pytest.mark.parametrize("family", ["ResNet50", "MobileNetV2", "VGG19"])
def test_keras3_weights_file_gives_keras_outputs(tmp_path, family):
    keras = keras_module()
    import lamina.applications as A
    kw = dict(include_top=True, input_shape=(32, 32, 3), classes=7)
    if family == "VGG19":  # its top (Flatten + 2 x 4096) is checked above for VGG16
        kw = dict(include_top=False, input_shape=(32, 32, 3), pooling="avg")
    theirs = getattr(keras.applications, family)(weights=None, **kw)
    rng = np.random.default_rng(5)
    for w in theirs.weights:  # non-trivial BatchNormalization statistics too
        if "moving_variance" in w.path:
            w.assign(rng.uniform(0.5, 2.0, w.shape).astype("float32"))
        elif "moving_mean" in w.path or "beta" in w.path or "bias" in w.path:
            w.assign(rng.normal(0, 0.1, w.shape).astype("float32"))
    path = tmp_path / f"{family}.weights.h5"
    theirs.save_weights(path)
    ours = getattr(A, family)(weights=str(path), **kw)
    x = rng.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-4,
                               atol=1e-5)


# ------------------------------------------------------------------ cache and downloads
def test_imagenet_offline_with_an_empty_cache_says_which_file_and_where(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"VGG16\(weights='imagenet', include_top=False\) needs the weights "
                                                r"file 'vgg16_weights_tf_dim_ordering_tf_kernels_notop\.h5', which "
                                                r"is not in lamina's cache \(.*lamina_home/models\) and could not be "
                                                r"downloaded .*LAMINA_OFFLINE is set.* copy it to .*lamina_home/models/"
                                                r"vgg16_weights_tf_dim_ordering_tf_kernels_notop\.h5"):
        VGG16(weights="imagenet", include_top=False, input_shape=(32, 32, 3))


def test_imagenet_with_no_network_reports_the_failure(monkeypatch):
    monkeypatch.delenv("LAMINA_OFFLINE")

    def offline(*args, **kwargs):
        raise urllib.error.URLError("Temporary failure in name resolution")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(FileNotFoundError, match=r"MobileNetV2\(weights='imagenet', include_top=True\) needs the "
                                                r"weights file 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1\.0_"
                                                r"224\.h5'.*URLError: Temporary failure in name resolution"):
        MobileNetV2(weights="imagenet")


def test_imagenet_uses_the_cached_file(tmp_path, vgg16_state, images, monkeypatch):
    cache = app_weights.cache_dir()
    cache.mkdir(parents=True)
    name = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    write_keras_h5(cache / name, keras_vgg_layers_from_state(vgg16_state, VGG16_BLOCKS))
    # A cached file is checked against its hash before use: give this test-made file's hash as the known one.
    import hashlib

    from lamina.applications import vgg16 as vgg16_module
    monkeypatch.setitem(vgg16_module._FILES, False, (name, hashlib.md5((cache / name).read_bytes()).hexdigest()))
    model = VGG16(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    with torch.no_grad():
        torch.testing.assert_close(model(images), torch_vgg_forward(vgg16_state, VGG16_BLOCKS, images), rtol=1e-4,
                                   atol=1e-4)


class _Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_download_is_hash_checked_before_it_enters_the_cache(monkeypatch):
    monkeypatch.delenv("LAMINA_OFFLINE")
    payload = b"weights" * 1000
    seen = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: seen.append(url) or _Response(payload))
    good = hashlib.md5(payload).hexdigest()
    path = app_weights.get_file("w.h5", "https://example.invalid/w.h5", good)
    assert open(path, "rb").read() == payload and seen == ["https://example.invalid/w.h5"]
    assert app_weights.get_file("w.h5", "https://example.invalid/w.h5", good) == path and len(seen) == 1  # cached
    with pytest.raises(ValueError, match=r"has hash [0-9a-f]{64}, expected 0{64}: the download is incomplete"):
        app_weights.get_file("v.h5", "https://example.invalid/v.h5", "0" * 64)
    # nothing partial is left (the .lock files are the per-entry inter-process locks, kept on purpose)
    assert sorted(p.name for p in app_weights.cache_dir().iterdir() if p.suffix != ".lock") == ["w.h5"]
