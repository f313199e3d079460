"""Conv2D kernels live in torch.channels_last memory when the data is channels_last, so weights and
activations share one layout end to end: no layout copies in a training step, the same numbers as
the plain NCHW path, and loading or setting weights keeps the layout."""
import itertools
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

from lamina import optimizers
from lamina.cli.zoo import build
from lamina.layers import (AveragePooling1D, AveragePooling2D, Conv1D, Conv2D, Conv2DTranspose, Dense,
                           Flatten, Input, MaxPooling1D, MaxPooling2D)
from lamina.layers.conv_utils import tf_same_pads
from lamina.models import Sequential, load_model

CL = torch.channels_last
KERAS_FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, "keras", "fixtures")


def _mixed_model():
    """Every padding path: asymmetric 'same' conv (stride 2 and even kernel), 'same' max pooling
    with strides 2 (ceil_mode) and 'same' average pooling with stride 1 (dropped first cell)."""
    return Sequential([
        Input((12, 12, 3)),
        Conv2D(8, 5, strides=2, padding="same", activation="relu"),          # 6x6, pads (1, 2)
        MaxPooling2D(3, strides=2, padding="same"),                          # 3x3, pads (0, 1)
        Conv2D(6, 2, padding="same", activation="relu"),                     # 3x3, pads (0, 1)
        AveragePooling2D(2, strides=1, padding="same"),                      # 3x3, pads (0, 1)
        Flatten(),
        Dense(4),
    ])


def _conv_kernels(model):
    return [layer.kernel for layer in model.layers if isinstance(layer, Conv2D)]


def _reference_forward(weights, x_nhwc):
    """The old layout path in plain torch: NCHW-contiguous kernels and activations, F.pad for
    TensorFlow's asymmetric 'same' padding (-inf for max pooling, counted cells for average)."""
    k1, b1, k2, b2, w, b = [torch.as_tensor(a) for a in weights]
    k1, k2 = (k.permute(3, 2, 0, 1).contiguous() for k in (k1, k2))
    x = x_nhwc.permute(0, 3, 1, 2).contiguous()
    h = torch.relu(F.conv2d(F.pad(x, (1, 2, 1, 2)), k1, b1, stride=2))
    h = F.max_pool2d(F.pad(h, (0, 1, 0, 1), value=float("-inf")), 3, 2)
    h = torch.relu(F.conv2d(F.pad(h, (0, 1, 0, 1)), k2, b2))
    count = F.avg_pool2d(F.pad(torch.ones(1, 1, 3, 3), (0, 1, 0, 1)), 2, 1)
    h = F.avg_pool2d(F.pad(h, (0, 1, 0, 1)), 2, 1) / count
    return h.permute(0, 2, 3, 1).reshape(len(x), -1) @ w + b


def test_conv2d_kernel_is_channels_last_for_channels_last_data():
    layer = Conv2D(16, 3)
    layer.build((None, 10, 10, 4))
    assert layer.kernel.shape == (16, 4, 3, 3)
    assert layer.kernel.is_contiguous(memory_format=CL)
    assert layer.get_weights()[0].shape == (3, 3, 4, 16)


@pytest.mark.parametrize("layer,shape", [
    (Conv2D(16, 3, data_format="channels_first"), (None, 4, 10, 10)),
    (Conv1D(16, 3), (None, 10, 4)),
    (Conv2DTranspose(16, 3), (None, 10, 10, 4)),
])
def test_other_kernels_keep_the_contiguous_torch_layout(layer, shape):
    layer.build(shape)
    assert layer.kernel.is_contiguous()


def test_kernel_grad_and_momentum_are_channels_last_after_fit():
    model = build("convnet", (28, 28, 1), 10)
    model.compile(optimizer=optimizers.SGD(0.01, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy")
    x, y = np.random.rand(20, 28, 28, 1).astype(np.float32), np.random.randint(0, 10, 20)
    model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    for kernel in _conv_kernels(model):
        model.zero_grad(set_to_none=True)
        assert kernel.is_contiguous(memory_format=CL)
        assert model.optimizer.state[kernel]["momentum"].is_contiguous(memory_format=CL)
    model(torch.from_numpy(x)).sum().backward()
    for kernel in _conv_kernels(model):
        assert kernel.grad.is_contiguous(memory_format=CL)


def test_set_weights_keeps_the_layout_and_the_keras_values():
    model = _mixed_model()
    weights = [np.random.randn(*w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    for kernel in _conv_kernels(model):
        assert kernel.is_contiguous(memory_format=CL)
    for got, want in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("suffix", [".lamina", ".h5"])
def test_loading_a_file_keeps_the_layout_and_the_predictions(tmp_path, suffix):
    model = _mixed_model()
    x = np.random.rand(5, 12, 12, 3).astype(np.float32)
    path = tmp_path / f"m{suffix}"
    model.save(path)
    again = load_model(path)
    for kernel in _conv_kernels(again):
        assert kernel.is_contiguous(memory_format=CL)
    for got, want in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("name,channels_last", [("cnn", True), ("cnn_cf", False)])
def test_keras3_files_load_into_the_layout_of_their_data_format(name, channels_last):
    # Their predictions against Keras 3's are checked in tests/keras/test_keras_files.py.
    model = load_model(os.path.join(KERAS_FIXTURES, f"{name}.keras"))
    kernels = _conv_kernels(model)
    assert kernels
    for kernel in kernels:
        assert kernel.is_contiguous(memory_format=CL if channels_last else torch.contiguous_format)


def test_a_training_step_matches_the_nchw_path():
    torch.manual_seed(0)
    model = _mixed_model()
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    x = torch.rand(8, 12, 12, 3)
    y = torch.rand(8, 4)
    before = model.get_weights()
    params = [torch.tensor(w, requires_grad=True) for w in before]
    out = _reference_forward(params, x)
    np.testing.assert_allclose(model(x).detach().numpy(), out.detach().numpy(), rtol=1e-5, atol=1e-6)
    ((out - y) ** 2).mean().backward()
    model.train_on_batch(x.numpy(), y.numpy())
    for got, w, p in zip(model.get_weights(), before, params):
        np.testing.assert_allclose(got, w - 0.1 * p.grad.numpy(), rtol=1e-5, atol=1e-6)


class _CopyLog(TorchDispatchMode):
    """Records ops that copy or pad a tensor of at least ``min_numel`` elements."""

    OPS = {"copy_", "clone", "_to_copy", "constant_pad_nd", "new_zeros", "zeros_like", "as_strided_scatter"}

    def __init__(self, min_numel):
        super().__init__()
        self.min_numel = min_numel
        self.seen = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.__name__.split(".")[0]
        if name in self.OPS:
            sizes = [a.numel() for a in args if isinstance(a, torch.Tensor)]
            if sizes and max(sizes) >= self.min_numel:
                self.seen.append((name, [tuple(a.shape) for a in args if isinstance(a, torch.Tensor)]))
        return func(*args, **(kwargs or {}))


def test_a_convnet_training_step_makes_no_layout_copies():
    model = build("convnet", (28, 28, 1), 10)
    model.compile(optimizer=optimizers.SGD(0.01, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.rand(50, 28, 28, 1).astype(np.float32), np.random.randint(0, 10, 50)
    model.fit(x, y, batch_size=50, epochs=1, verbose=0)
    log = _CopyLog(min_numel=3 * 3 * 64 * 50)   # the smallest activation of the convnet
    with log:
        model.fit(x, y, batch_size=50, epochs=1, verbose=0)
    assert log.seen == []


def _same_pool_by_padding(x_nchw, k, s, mode):
    """TensorFlow 'same' pooling through an explicit F.pad (the old path): -inf cells for max,
    zero cells and a count of the real cells for average."""
    pads = [tf_same_pads(n, k, s) for n in x_nchw.shape[2:]]
    amounts = [v for b, a in reversed(pads) for v in (b, a)]
    pool = F.max_pool1d if x_nchw.dim() == 3 else F.max_pool2d
    if mode == "max":
        return pool(F.pad(x_nchw, amounts, value=float("-inf")), k, s)
    avg = F.avg_pool1d if x_nchw.dim() == 3 else F.avg_pool2d
    count = avg(F.pad(torch.ones((1, 1) + tuple(x_nchw.shape[2:]), dtype=x_nchw.dtype), amounts), k, s)
    return avg(F.pad(x_nchw, amounts), k, s) / count


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_same_pooling_without_a_padded_copy_matches_explicit_padding(mode):
    torch.manual_seed(0)
    one_d = MaxPooling1D if mode == "max" else AveragePooling1D
    two_d = MaxPooling2D if mode == "max" else AveragePooling2D
    for n, k, s in itertools.product(range(1, 13), range(1, 5), range(1, 5)):
        x = torch.randn(2, n, 3, dtype=torch.float64)
        want = _same_pool_by_padding(x.permute(0, 2, 1), k, s, mode).permute(0, 2, 1)
        torch.testing.assert_close(one_d(k, s, padding="same")(x), want, rtol=1e-12, atol=1e-12,
                                   msg=f"n={n}, k={k}, s={s}")
        x = torch.randn(2, n, 7, 3, dtype=torch.float64)
        want = _same_pool_by_padding(x.permute(0, 3, 1, 2), k, s, mode).permute(0, 2, 3, 1)
        torch.testing.assert_close(two_d(k, s, padding="same")(x), want, rtol=1e-12, atol=1e-12,
                                   msg=f"rows={n}, cols=7, k={k}, s={s}")


def test_same_pooling_of_channels_last_data_pads_no_copy():
    x = torch.rand(4, 9, 9, 16, requires_grad=True)
    log = _CopyLog(min_numel=1)
    with log:
        y = MaxPooling2D(3, strides=2, padding="same")(x)
        y.sum().backward()
    assert log.seen == []
    assert y.shape == (4, 5, 5, 16) and y.is_contiguous()
