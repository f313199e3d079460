"""Helpers for the applications tests: weight files written in exactly the formats people have,
from known numbers, and an independent plain-torch VGG to compute what those numbers must give."""
import os

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

VGG16_BLOCKS = (2, 2, 3, 3, 3)
VGG19_BLOCKS = (2, 2, 4, 4, 4)
WIDTHS = (64, 128, 256, 512, 512)


def keras_module():
    """Real Keras on the torch backend, or a skip."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("needs keras on the torch backend")
    return keras


def vgg_conv_names(blocks):
    return [f"block{b}_conv{i}" for b, n in enumerate(blocks, 1) for i in range(1, n + 1)]


def torchvision_vgg_state(blocks, rng, top=None, scale=1.0):
    """A state dict laid out as torchvision's VGG: features.<i>.weight (out, in, 3, 3), classifier.{0,3,6}.

    ``top`` = (flatten size, classes) adds the classifier. Values are random with a fixed generator and
    scaled so activations stay O(1) through the depth.
    """
    state, i, cin = {}, 0, 3
    for n, width in zip(blocks, WIDTHS):
        for _ in range(n):
            std = scale * np.sqrt(2.0 / (9 * cin))
            state[f"features.{i}.weight"] = torch.tensor(rng.normal(0, std, (width, cin, 3, 3)), dtype=torch.float32)
            state[f"features.{i}.bias"] = torch.tensor(rng.normal(0, 0.1, (width,)), dtype=torch.float32)
            i, cin = i + 2, width
        i += 1
    if top is not None:
        flat, classes = top
        for idx, (fan_in, fan_out) in zip((0, 3, 6), ((flat, 4096), (4096, 4096), (4096, classes))):
            w = rng.standard_normal((fan_out, fan_in), dtype=np.float32) * np.float32(np.sqrt(2.0 / fan_in))
            state[f"classifier.{idx}.weight"] = torch.from_numpy(w)
            state[f"classifier.{idx}.bias"] = torch.tensor(rng.normal(0, 0.1, (fan_out,)), dtype=torch.float32)
    return state


def torch_vgg_forward(state, blocks, x_nhwc, top=False):
    """VGG written in plain torch (NCHW, torch's flatten order), as torchvision computes it at 224x224
    where its adaptive pooling is the identity."""
    x = x_nhwc.permute(0, 3, 1, 2)
    i = 0
    for n in blocks:
        for _ in range(n):
            x = F.relu(F.conv2d(x, state[f"features.{i}.weight"], state[f"features.{i}.bias"], padding=1))
            i += 2
        x = F.max_pool2d(x, 2, 2)
        i += 1
    if not top:
        return x.permute(0, 2, 3, 1)
    x = x.flatten(1)
    x = F.relu(F.linear(x, state["classifier.0.weight"], state["classifier.0.bias"]))
    x = F.relu(F.linear(x, state["classifier.3.weight"], state["classifier.3.bias"]))
    return torch.softmax(F.linear(x, state["classifier.6.weight"], state["classifier.6.bias"]), -1)


def write_keras_h5(path, layers, root_attrs=None, model_file=False):
    """A Keras 1/2 weights file: attrs layer_names; one group per layer with attrs weight_names.
    ``model_file=True`` nests them in 'model_weights', as a whole model saved by Keras 2 has them."""
    with h5py.File(path, "w") as h5:
        f = h5.create_group("model_weights") if model_file else h5
        if model_file:
            h5.attrs["model_config"] = b'{"class_name": "Functional"}'
        f.attrs["layer_names"] = np.array([n.encode() for n, _ in layers])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for k, v in (root_attrs or {}).items():
            f.attrs[k] = v
        for name, weights in layers:
            g = f.create_group(name)
            g.attrs["weight_names"] = np.array([w.encode() for w, _ in weights], dtype="S")
            for w, arr in weights:
                g.create_dataset(w, data=arr)


def keras_vgg_layers_from_state(state, blocks, top=None):
    """The same numbers as a Keras VGG file lays them out: HWIO kernels, (in, out) Dense kernels with
    rows in (rows, cols, channels) order, names as in vgg16_weights_tf_dim_ordering_tf_kernels*.h5."""
    layers, i = [("input_1", [])], 0
    for b, n in enumerate(blocks, 1):
        for c in range(1, n + 1):
            name = f"block{b}_conv{c}"
            layers.append((name, [(f"{name}_W_1:0", state[f"features.{i}.weight"].numpy().transpose(2, 3, 1, 0)),
                                  (f"{name}_b_1:0", state[f"features.{i}.bias"].numpy())]))
            i += 2
        layers.append((f"block{b}_pool", []))
        i += 1
    if top is not None:
        rows, cols, ch = top
        w0 = state["classifier.0.weight"].numpy()  # (4096, ch*rows*cols) in (ch, rows, cols) order
        k0 = w0.reshape(-1, ch, rows, cols).transpose(2, 3, 1, 0).reshape(rows * cols * ch, -1)
        layers.append(("flatten", []))
        for name, idx, kernel in (("fc1", 0, k0), ("fc2", 3, None), ("predictions", 6, None)):
            kernel = state[f"classifier.{idx}.weight"].numpy().T if kernel is None else kernel
            layers.append((name, [(f"{name}_W_1:0", np.ascontiguousarray(kernel)),
                                  (f"{name}_b_1:0", state[f"classifier.{idx}.bias"].numpy())]))
    return layers


def write_photos(folder, n, rng):
    """Two classes of 40x44 RGB photos: warm blobs ('cats') and cool stripes ('dogs')."""
    for label in ("cats", "dogs"):
        sub = folder / label
        sub.mkdir(parents=True)
        for i in range(n):
            img = rng.integers(0, 60, (40, 44, 3)).astype(np.uint8)
            if label == "cats":
                r, c = rng.integers(8, 30, 2)
                img[r:r + 10, c:c + 12, 0] = 230
            else:
                img[:, rng.integers(0, 4)::4, 2] = 220
            Image.fromarray(img).save(sub / f"{label}.{i}.png")
