"""save_weights / load_weights with .weights.safetensors files."""
import pytest
import safetensors.torch
import torch

from lamina.layers import Dense, Layer
from lamina.models import Sequential


def mlp(width=16, name=None):
    return Sequential([Dense(width, activation="relu", input_shape=(8,)), Dense(3)], name=name)


def test_save_then_load_weights_into_the_same_names(tmp_path):
    model = mlp()
    path = tmp_path / "mlp.weights.safetensors"
    model.save_weights(path)
    fresh = Sequential.from_config(model.get_config())   # same names, new random weights
    x = torch.randn(4, 8)
    assert not torch.equal(fresh(x), model(x))
    fresh.load_weights(path)
    assert torch.equal(fresh(x), model(x))


def test_load_weights_into_the_same_architecture_built_again(tmp_path):
    model = mlp()
    model.save_weights(tmp_path / "w.safetensors")
    again = mlp()       # auto-names dense_2, dense_3: matched by position, as Keras 2 does
    assert [layer.name for layer in again.layers] == ["dense_2", "dense_3"]
    again.load_weights(tmp_path / "w.safetensors")
    for a, b in zip(model.get_weights(), again.get_weights()):
        assert (a == b).all()


def test_weights_file_is_a_plain_torch_layout_safetensors_file(tmp_path):
    model = mlp()
    model.save_weights(tmp_path / "w.weights.safetensors")
    tensors = safetensors.torch.load_file(str(tmp_path / "w.weights.safetensors"))
    assert tensors["dense/kernel"].shape == (16, 8)
    torch_model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    torch_model.load_state_dict({"0.weight": tensors["dense/kernel"], "0.bias": tensors["dense/bias"],
                                 "2.weight": tensors["dense_1/kernel"], "2.bias": tensors["dense_1/bias"]})
    x = torch.randn(5, 8)
    assert torch.allclose(torch_model(x), model(x))


def test_load_weights_from_a_model_file(tmp_path):
    model = mlp()
    model.save(tmp_path / "m.lamina")
    again = Sequential.from_config(model.get_config())
    again.load_weights(tmp_path / "m.lamina")
    x = torch.randn(3, 8)
    assert torch.equal(again(x), model(x))


def test_shape_mismatch_names_the_tensor_and_both_shapes(tmp_path):
    mlp(width=16).save_weights(tmp_path / "w.safetensors")
    other = Sequential([Dense(12, activation="relu", input_shape=(8,), name="dense"), Dense(3, name="dense_1")])
    with pytest.raises(ValueError, match=r"into model 'sequential_1': weight 'dense/kernel' has shape \(8, 16\) in "
                                         r"the file but \(8, 12\) in the model.*skip_mismatch=True"):
        other.load_weights(tmp_path / "w.safetensors")


def test_mismatch_with_different_names_compares_by_position(tmp_path):
    mlp(width=16).save_weights(tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match=r"tensor 0: the model's 'dense_2/kernel' has shape \(8, 12\); the file's "
                                         r"'dense/kernel' has shape \(8, 16\)"):
        mlp(width=12).load_weights(tmp_path / "w.safetensors")


def test_missing_tensor_is_named(tmp_path):
    small = Sequential([Dense(4, input_shape=(8,), name="a")])
    small.save_weights(tmp_path / "w.safetensors")
    big = Sequential([Dense(4, input_shape=(8,), name="a"), Dense(2, name="b")])
    with pytest.raises(ValueError, match=r"the model's weight 'b/kernel' \(shape \(4, 2\)\) is not in the file "
                                         r"\(nor are 1 more\)"):
        big.load_weights(tmp_path / "w.safetensors")


def test_skip_mismatch_loads_what_fits_and_warns(tmp_path):
    source = Sequential([Dense(16, input_shape=(8,), name="body"), Dense(3, name="head")])
    source.save_weights(tmp_path / "w.safetensors")
    target = Sequential([Dense(16, input_shape=(8,), name="body"), Dense(5, name="head")])
    with pytest.warns(UserWarning, match="weight 'head/kernel' has shape \\(16, 3\\) in the file"):
        target.load_weights(tmp_path / "w.safetensors", skip_mismatch=True)
    assert torch.equal(target.layers[0].kernel, source.layers[0].kernel)


def test_unbuilt_model_is_told_to_build(tmp_path):
    mlp().save_weights(tmp_path / "w.safetensors")
    unbuilt = Sequential([Dense(16), Dense(3)])
    with pytest.raises(ValueError, match="The model has no weights yet: it is not built"):
        unbuilt.load_weights(tmp_path / "w.safetensors")


def test_missing_and_corrupt_weight_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file: '.*nothing.safetensors'"):
        mlp().load_weights(tmp_path / "nothing.safetensors")
    (tmp_path / "bad.safetensors").write_bytes(b"\x00\x01")
    with pytest.raises(ValueError, match="bad.safetensors' is not a valid safetensors file"):
        mlp().load_weights(tmp_path / "bad.safetensors")
    mlp().save_weights(tmp_path / "cut.safetensors")
    data = (tmp_path / "cut.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-10])
    with pytest.raises(ValueError, match="cut.safetensors' is not a valid safetensors file"):
        mlp().load_weights(tmp_path / "cut.safetensors")


def test_buffers_and_torch_submodules_round_trip(tmp_path):
    class Scaled(Layer):
        """Keeps a non-trainable running value and a plain torch module."""

        def build(self, input_shape):
            self.count = self.add_weight("count", shape=(), initializer="zeros", trainable=False)
            self.proj = torch.nn.Linear(input_shape[-1], 2)

        def call(self, inputs):
            return self.proj(inputs) + self.count

    model = Sequential([Scaled(input_shape=(3,), name="scaled")])
    with torch.no_grad():
        model.layers[0].count.fill_(2.5)
    model.save_weights(tmp_path / "w.safetensors")
    keys = set(safetensors.torch.load_file(str(tmp_path / "w.safetensors")))
    assert keys == {"scaled/count", "_torch/scaled.proj.weight", "_torch/scaled.proj.bias"}
    again = Sequential.from_config(model.get_config())
    again.load_weights(tmp_path / "w.safetensors")
    x = torch.randn(4, 3)
    assert torch.equal(again(x), model(x))
