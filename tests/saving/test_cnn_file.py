"""A CNN with Conv2D + BatchNormalization + Dropout through a .lamina file: weights in
torch layout with Keras permutations, BN moving statistics (buffers) included."""
import json

import safetensors
import torch

from lamina.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from lamina.models import Sequential, load_model


def cnn():
    return Sequential([
        Conv2D(8, (3, 3), activation="relu", input_shape=(12, 12, 1)),
        BatchNormalization(),
        MaxPooling2D((2, 2)),
        Dropout(0.25),
        Flatten(),
        Dense(10, activation="softmax"),
    ])


def test_cnn_round_trip_keeps_batchnorm_moving_statistics(tmp_path):
    model = cnn()
    x = torch.rand(16, 12, 12, 1)
    with torch.no_grad():   # move the BN statistics away from their initial 0 / 1
        for _ in range(3):
            model(x, training=True)
    bn = model.layers[1]
    assert not torch.equal(bn.moving_mean, torch.zeros_like(bn.moving_mean))
    model.save(tmp_path / "cnn.lamina")
    again = load_model(tmp_path / "cnn.lamina")
    assert torch.equal(again.layers[1].moving_mean, bn.moving_mean)
    assert torch.equal(again.layers[1].moving_variance, bn.moving_variance)
    assert torch.equal(again(x), model(x))
    assert again.count_params() == model.count_params()
    lines_a, lines_b = [], []
    model.summary(print_fn=lines_a.append)
    again.summary(print_fn=lines_b.append)
    assert lines_a == lines_b


def test_conv_kernel_is_stored_in_torch_layout_with_its_keras_permutation(tmp_path):
    model = cnn()
    path = str(tmp_path / "cnn.weights.safetensors")
    model.save_weights(path)
    with safetensors.safe_open(path, "pt") as f:
        kernel = f.get_tensor("conv2d/kernel")
        perms = json.loads(f.metadata()["keras_permutations"])
        keys = set(f.keys())
    assert kernel.shape == (8, 1, 3, 3)                       # torch (out, in, kh, kw)
    keras_kernel = kernel.permute(*perms["conv2d/kernel"])     # Keras (kh, kw, in, out)
    assert keras_kernel.shape == (3, 3, 1, 8)
    assert torch.equal(keras_kernel, torch.as_tensor(model.get_weights()[0]))
    bn = model.layers[1].name
    assert {f"{bn}/gamma", f"{bn}/beta", f"{bn}/moving_mean", f"{bn}/moving_variance"} <= keys
