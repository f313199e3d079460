"""The .lamina file: a zip of metadata.json, config.json, model.weights.safetensors
(+ optimizer state, history). Round trips, atomic writes, and the promised errors."""
import json
import os
import zipfile

import numpy as np
import pytest
import safetensors.torch
import torch

import lamina.saving.api as saving_api
from lamina.layers import Dense, Input, Lambda, Layer
from lamina.models import Model, Sequential, load_model, save_model


class PairSum(Layer):
    def call(self, inputs):
        return inputs[0] + inputs[1]

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def mlp():
    return Sequential([Dense(16, activation="relu", input_shape=(8,)), Dense(3, activation="softmax")])


def two_in_two_out():
    a, b = Input(shape=(6,), name="a"), Input(shape=(6,), name="b")
    shared = Dense(5, activation="relu", name="shared")
    ha, hb = shared(a), shared(b)
    inner = Sequential([Dense(4, activation="tanh", input_shape=(5,))], name="inner")
    out1 = Dense(3, activation="softmax", name="out1")(PairSum(name="join")([inner(ha), inner(hb)]))
    out2 = Dense(1, name="out2")(hb)
    return Model([a, b], [out1, out2], name="two_heads")


def summary(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def test_sequential_round_trip_predicts_identically(tmp_path):
    model = mlp()
    path = tmp_path / "mlp.lamina"
    model.save(path)
    again = load_model(path)
    x = torch.randn(10, 8)
    assert torch.equal(model(x), again(x))
    assert summary(again) == summary(model)
    assert [layer.name for layer in again.layers] == ["dense", "dense_1"]


def test_functional_two_inputs_two_outputs_shared_and_nested_round_trip(tmp_path):
    model = two_in_two_out()
    path = str(tmp_path / "graph.lamina")
    save_model(model, path)
    again = load_model(path)
    assert summary(again) == summary(model)
    assert again.count_params() == model.count_params() == 35 + 24 + 15 + 6
    xa, xb = torch.randn(7, 6), torch.randn(7, 6)
    for y, z in zip(model([xa, xb]), again([xa, xb])):
        assert torch.equal(y, z)


def test_nested_sequential_in_sequential_round_trip(tmp_path):
    inner = Sequential([Dense(6, activation="relu", input_shape=(4,)), Dense(3)], name="inner")
    outer = Sequential([inner, Dense(2, name="top")], name="outer")
    x = torch.randn(5, 4)
    y = outer(x)  # builds the outer model on data
    outer.save(tmp_path / "nested.lamina")
    again = load_model(tmp_path / "nested.lamina")
    assert torch.equal(again(x), y)
    assert again.count_params() == outer.count_params()


def test_file_layout(tmp_path):
    model = mlp()
    path = tmp_path / "mlp.lamina"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.safetensors"]
        meta = json.loads(zf.read("metadata.json"))
        cfg = json.loads(zf.read("config.json"))
        blob = zf.read("model.weights.safetensors")
    assert meta["format"] == "lamina" and meta["format_version"] == 1
    assert meta["lamina_version"] and meta["created"].endswith("+00:00")
    assert cfg["class_name"] == "Sequential" and cfg["config"] == model.get_config()
    assert cfg["compile_config"] is None
    tensors = safetensors.torch.load(blob)
    assert sorted(tensors) == ["dense/bias", "dense/kernel", "dense_1/bias", "dense_1/kernel"]
    # torch layout, as the layer holds it: Linear weight (out, in)
    assert tensors["dense/kernel"].shape == (16, 8)
    assert torch.equal(tensors["dense/kernel"], model.layers[0].kernel.detach())
    with open(tmp_path / "w.safetensors", "wb") as f:
        f.write(blob)
    with safetensors.safe_open(str(tmp_path / "w.safetensors"), "pt") as f:
        md = f.metadata()
    assert md["layout"] == "torch"
    assert json.loads(md["keras_permutations"]) == {"dense/kernel": [1, 0], "dense_1/kernel": [1, 0]}
    assert json.loads(md["order"]) == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]
    assert np.array_equal(tensors["dense/kernel"].permute(1, 0).numpy(), model.get_weights()[0])


def test_nested_layers_are_keyed_by_path(tmp_path):
    model = two_in_two_out()
    model.save_weights(tmp_path / "w.weights.safetensors")
    keys = set(safetensors.torch.load_file(str(tmp_path / "w.weights.safetensors")))
    assert keys == {"shared/kernel", "shared/bias", "inner/dense/kernel", "inner/dense/bias",
                    "out1/kernel", "out1/bias", "out2/kernel", "out2/bias"}


def test_history_is_stored_and_readable(tmp_path):
    from lamina.saving import read_history

    class FakeHistory:
        history = {"loss": [1.0, 0.5], "val_loss": [np.float32(1.25), 0.75]}

    model = mlp()
    model.history = FakeHistory()
    model.save(tmp_path / "m.lamina")
    assert read_history(tmp_path / "m.lamina") == {"loss": [1.0, 0.5], "val_loss": [1.25, 0.75]}
    again = load_model(tmp_path / "m.lamina")
    assert again.history.history == {"loss": [1.0, 0.5], "val_loss": [1.25, 0.75]}


# ------------------------------------------------------------------ atomic writes
def test_overwrite_replaces_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "m.lamina"
    mlp().save(path)
    second = mlp()
    second.save(path)
    x = torch.randn(2, 8)
    assert torch.equal(load_model(path)(x), second(x))
    assert os.listdir(tmp_path) == ["m.lamina"]


def test_overwrite_false_refuses_an_existing_file(tmp_path):
    path = tmp_path / "m.lamina"
    mlp().save(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="already exists and overwrite=False"):
        mlp().save(path, overwrite=False)
    weights = tmp_path / "m.weights.safetensors"
    mlp().save_weights(weights)
    with pytest.raises(FileExistsError, match="already exists and overwrite=False"):
        mlp().save_weights(weights, overwrite=False)
    assert path.read_bytes() == before


def test_crash_mid_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.lamina"
    model = mlp()
    model.save(path)
    before = path.read_bytes()
    real_writestr = zipfile.ZipFile.writestr

    def crash(self, name, data, *args, **kwargs):
        if name == "model.weights.safetensors":
            real_writestr(self, name, data[: len(data) // 2], *args, **kwargs)
            raise OSError("disk full (simulated)")
        return real_writestr(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash)
    with pytest.raises(OSError, match="disk full"):
        mlp().save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.lamina"]
    x = torch.randn(2, 8)
    assert torch.equal(load_model(path)(x), model(x))


def test_crash_during_fsync_of_weights_file(tmp_path, monkeypatch):
    path = tmp_path / "w.weights.safetensors"
    model = mlp()
    model.save_weights(path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError("I/O error (simulated)")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="simulated"):
        mlp().save_weights(path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["w.weights.safetensors"]


def test_lambda_model_fails_before_touching_the_file(tmp_path):
    path = tmp_path / "m.lamina"
    mlp().save(path)
    before = path.read_bytes()
    model = Sequential([Dense(3, input_shape=(2,)), Lambda(lambda t: t * 2)])
    with pytest.raises(ValueError, match="Lambda layer 'lambda' wraps Python code, which lamina never stores"):
        model.save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.lamina"]
    model.save_weights(tmp_path / "lambda.weights.safetensors")  # weights alone are fine


def test_saving_into_a_missing_directory_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="directory '.*nowhere' does not exist"):
        mlp().save(tmp_path / "nowhere" / "m.lamina")


# ------------------------------------------------------------------ errors on load
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No such file: '.*absent\.lamina'"):
        load_model(tmp_path / "absent.lamina")


def test_truncated_file(tmp_path):
    path = tmp_path / "m.lamina"
    mlp().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"'.*m\.lamina' is not a \.lamina file \(a zip with config\.json and "
                                         r"model\.weights\.safetensors\).*truncated"):
        load_model(path)


def test_file_that_is_not_a_zip(tmp_path):
    path = tmp_path / "notes.lamina"
    path.write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.lamina' is not a \.lamina file \(a zip with config\.json"):
        load_model(path)


def test_zip_without_the_members(tmp_path):
    path = tmp_path / "other.lamina"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(ValueError, match=r"is not a \.lamina file .*lacks config\.json, "
                                         r"model\.weights\.safetensors\. It holds readme\.txt"):
        load_model(path)


def _rewrite_member(path, name, transform):
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[name] = transform(members[name])
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)


def test_unknown_class_in_file(tmp_path):
    path = tmp_path / "m.lamina"
    mlp().save(path)
    _rewrite_member(path, "config.json", lambda b: b.replace(b'"Dense"', b'"SuperDense"'))
    with pytest.raises(ValueError, match=r"Unknown layer class 'SuperDense'\. Expected one of .*'Dense'.*did you "
                                         r"mean 'Dense'\?.*custom_objects=.*register_serializable"):
        load_model(path)
    load_model(path, custom_objects={"SuperDense": Dense})


def test_file_never_imports_modules_it_names(tmp_path):
    path = tmp_path / "m.lamina"
    mlp().save(path)
    _rewrite_member(path, "config.json", lambda b: b.replace(b'"Dense"', b'"os.system"'))
    with pytest.raises(ValueError, match="Unknown layer class 'os.system'"):
        load_model(path)


def test_weights_that_do_not_fit_the_architecture(tmp_path):
    path = tmp_path / "m.lamina"
    mlp().save(path)
    wrong = Sequential([Dense(16, input_shape=(9,), name="dense"), Dense(3, name="dense_1")], name="other")
    blob = saving_api.weights_to_bytes(wrong)
    _rewrite_member(path, "model.weights.safetensors", lambda b: blob)
    with pytest.raises(ValueError, match=r"Cannot load weights from '.*m\.lamina' \(model\.weights\.safetensors\) "
                                         r"into model 'sequential': weight 'dense/kernel' has shape \(9, 16\) in "
                                         r"the file but \(8, 16\) in the model"):
        load_model(path)


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "m.lamina"
    mlp().save(path)
    _rewrite_member(path, "metadata.json", lambda b: b.replace(b'"format_version": 1', b'"format_version": 99'))
    with pytest.raises(ValueError, match="format version 99.*Upgrade lamina"):
        load_model(path)


@pytest.mark.parametrize("ext", [".h5", ".hdf5", ".keras"])
def test_keras_formats_are_dispatched_to_the_compatibility_layer(tmp_path, monkeypatch, ext):
    monkeypatch.setitem(saving_api._PROVIDERS, ext, "lamina.saving._no_such_module")
    monkeypatch.delitem(saving_api._FORMATS, ext, raising=False)  # another test may have loaded the real one
    with pytest.raises(ValueError, match=rf"{ext} files are handled by lamina's Keras compatibility layer"):
        mlp().save(tmp_path / f"m{ext}")
    (tmp_path / f"m{ext}").write_bytes(b"x")
    with pytest.raises(ValueError, match=rf"{ext} files are handled by lamina's Keras compatibility layer"):
        load_model(tmp_path / f"m{ext}")


def test_registered_format_handles_its_extension(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setitem(saving_api._FORMATS, ".h5", {"save_model": lambda *a: calls.append(a[1])})
    mlp().save(tmp_path / "m.h5")
    assert calls == [str(tmp_path / "m.h5")]


def test_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match=r"Cannot save model '.*m\.pt': extension '\.pt'\. save_model handles "
                                         r"\.lamina files"):
        mlp().save(tmp_path / "m.pt")
    with pytest.raises(ValueError, match="save_weights writes only the weights, to a path ending in "
                                         r"\.weights\.safetensors"):
        mlp().save_weights(tmp_path / "m.lamina")


def test_safe_mode_is_accepted(tmp_path):
    mlp().save(tmp_path / "m.lamina")
    assert load_model(tmp_path / "m.lamina", safe_mode=False, compile=False).count_params() == 195


class TwoStep(Model):
    """A subclassed model that describes itself with get_config()."""

    def __init__(self, hidden=4, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.body = Dense(hidden, activation="relu")
        self.head = Dense(2)

    def call(self, inputs, training=None):
        return self.head(self.body(inputs))

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}


def test_subclassed_model_with_get_config_round_trips(tmp_path):
    model = TwoStep(hidden=6)
    x = torch.randn(3, 5)
    y = model(x)
    model.save(tmp_path / "sub.lamina")
    with zipfile.ZipFile(tmp_path / "sub.lamina") as zf:
        cfg = json.loads(zf.read("config.json"))
    assert cfg["class_name"] == "TwoStep" and cfg["config"]["hidden"] == 6
    assert cfg["build_config"] == {"input_shape": [None, 5]}
    again = load_model(tmp_path / "sub.lamina")
    assert isinstance(again, TwoStep) and again.hidden == 6
    assert torch.equal(again(x), y)
