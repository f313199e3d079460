"""Classic kernels, Gabor banks, top-activating patches and activation maximisation."""
import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from lamina import inspect

from inspect_models import channels_first_cnn, course_cnn


def naive_filter(image, kernel, padding="same"):
    """The seeds' apply_kernel: np.sum(kernel * image_patch) at every position."""
    kh, kw = kernel.shape
    if padding == "same":
        top, left = (kh - 1) // 2, (kw - 1) // 2
        image = np.pad(image, ((top, kh - 1 - top), (left, kw - 1 - left)))
    h, w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((h, w), np.float64)
    for r in range(h):
        for c in range(w):
            out[r, c] = np.sum(kernel * image[r:r + kh, c:c + kw])
    return out


@pytest.mark.parametrize("name", ["sobel_x", "sobel_y", "horizontal", "vertical", "diagonal", "edge", "laplacian",
                                  "gaussian_blur"])
def test_named_kernels_match_the_sum_of_products(name, digits):
    image = digits[0][0, :, :, 0]
    np.testing.assert_allclose(inspect.apply_kernel(image, name), naive_filter(image, inspect.KERNELS[name]),
                               rtol=1e-5, atol=1e-5)


def test_batches_valid_padding_colour_and_banks(digits):
    batch = digits[0][:3, :, :, 0]
    k = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = inspect.apply_kernel(batch, k, padding="valid")
    assert out.shape == (3, 27, 26)
    np.testing.assert_allclose(out[2], naive_filter(batch[2], k, "valid"), rtol=1e-5, atol=1e-5)
    rgb = np.random.rand(10, 12, 3).astype(np.float32)
    out = inspect.apply_kernel(rgb, "sobel_y")
    assert out.shape == (10, 12, 3)
    np.testing.assert_allclose(out[..., 1], naive_filter(rgb[..., 1], inspect.KERNELS["sobel_y"]), atol=1e-5)
    bank, fig = inspect.apply_kernel(batch, ["sobel_x", "edge"], plot=True)
    assert bank.shape == (2, 3, 28, 28) and isinstance(fig, Figure)


def test_sobel_x_finds_vertical_edges():
    img = np.zeros((8, 8), np.float32)
    img[:, 4:] = 1.0                       # dark left, bright right: a vertical edge
    gx = inspect.apply_kernel(img, "sobel_x", padding="valid")
    gy = inspect.apply_kernel(img, "sobel_y", padding="valid")
    assert gx.max() == 4.0 and np.all(gy == 0)


def test_unknown_kernel_name():
    with pytest.raises(ValueError, match="Unknown kernel 'sobelx'.*did you mean 'sobel_x'"):
        inspect.apply_kernel(np.zeros((5, 5)), "sobelx")


def test_gabor_kernel_formula_and_symmetries():
    f, theta, sigma = 0.2, math.pi / 6, 2.5
    g = inspect.gabor_kernel(f, theta, sigma=sigma, size=9)
    # The formula, written out for one cell: x to the right, y down, from the centre.
    y, x = 1.0, -3.0                       # row 5, col 1 of a 9x9 kernel
    xr = x * math.cos(theta) + y * math.sin(theta)
    yr = -x * math.sin(theta) + y * math.cos(theta)
    expected = math.exp(-(xr ** 2 + yr ** 2) / (2 * sigma ** 2)) * math.cos(2 * math.pi * f * xr)
    assert g[5, 1] == pytest.approx(expected, rel=1e-5)
    assert g[4, 4] == pytest.approx(1.0)
    g0 = inspect.gabor_kernel(0.25, 0.0, sigma=2.0, size=7)
    np.testing.assert_allclose(inspect.gabor_kernel(0.25, math.pi / 2, sigma=2.0, size=7), g0.T, atol=1e-6)
    np.testing.assert_allclose(g0, g0[::-1], atol=1e-7)      # theta=0: vertical stripes, symmetric in y


def test_gabor_bank():
    bank, fig = inspect.gabor_bank(orientations=4, frequencies=(0.1, 0.25), plot=True)
    assert bank["kernels"].shape[0] == 8 and bank["kernels"].shape[1] == bank["kernels"].shape[2]
    assert [round(math.degrees(p["theta"])) for p in bank["params"][:4]] == [0, 45, 90, 135]
    out = inspect.apply_kernel(np.random.rand(2, 20, 20).astype(np.float32), list(bank["kernels"]))
    assert out.shape == (8, 2, 20, 20) and isinstance(fig, Figure)


def test_top_patches_are_the_largest_activations_cut_to_the_receptive_field(digits):
    model = course_cnn()
    x = digits[0][:60]
    res = inspect.top_activating_patches(model, "conv2d_1", 5, x, k=6)
    maps = inspect.activation_model(model, ["conv2d_1"]).predict(x, verbose=0)[..., 5]   # (60, 7, 7)
    best = maps.reshape(60, -1).max(1)
    order = np.argsort(-best, kind="stable")[:6]
    np.testing.assert_array_equal(res["image_index"], order)
    np.testing.assert_allclose(res["values"], best[order], rtol=1e-6)
    assert res["receptive_field"] == (13, 13) and res["patches"].shape == (6, 13, 13, 1)
    for i, (top, left, bottom, right) in enumerate(res["box"]):
        r, c = res["position"][i]
        assert maps[res["image_index"][i], r, c] == pytest.approx(res["values"][i])
        assert (top, left) == (-3 + 4 * r, -3 + 4 * c) and (bottom - top, right - left) == (13, 13)
        padded = np.pad(x[res["image_index"][i], :, :, 0], 13)
        np.testing.assert_array_equal(res["patches"][i, :, :, 0], padded[top + 13:bottom + 13, left + 13:right + 13])


def test_the_box_is_exactly_what_the_unit_sees(digits):
    """Changing pixels outside the box leaves the unit unchanged; inside, it changes it."""
    model = course_cnn()
    image = digits[0][7:8]
    res = inspect.top_activating_patches(model, "conv2d_1", 2, image, k=1)
    (top, left, bottom, right), (r, c) = res["box"][0], res["position"][0]
    act = inspect.activation_model(model, ["conv2d_1"])

    def unit(img):
        return act.predict(img, verbose=0)[0, r, c, 2]

    outside = image.copy()
    mask = np.ones((28, 28), bool)
    mask[max(top, 0):bottom, max(left, 0):right] = False
    outside[0, mask, 0] = np.random.rand(mask.sum())
    assert unit(outside) == pytest.approx(unit(image), abs=1e-6)
    inside = image.copy()
    inside[0, max(top, 0):bottom, max(left, 0):right, 0] += np.random.rand(
        bottom - max(top, 0), right - max(left, 0)).astype(np.float32)
    assert unit(inside) != pytest.approx(unit(image), abs=1e-6)


def test_several_patches_per_image_and_plot(digits):
    res, fig = inspect.top_activating_patches(course_cnn(), "conv2d", 1, digits[0][:2], k=5, one_per_image=False,
                                              plot=True)
    assert len(res["values"]) == 5 and np.all(np.diff(res["values"]) <= 0)
    assert isinstance(fig, Figure)


def test_maximize_activation_takes_the_seeds_normalised_steps():
    model = course_cnn()
    one = inspect.maximize_activation(model, "conv2d_1", 3, steps=1, seed=0, raw=True)
    start = inspect.maximize_activation(model, "conv2d_1", 3, steps=0, seed=0, raw=True)
    x = torch.from_numpy(start[None]).requires_grad_(True)
    h = model.layers[1](model.layers[0](x))
    (g,) = torch.autograd.grad(h[..., 3].mean(), x)
    g = g / (g.pow(2).mean().sqrt() + 1e-5)
    np.testing.assert_allclose(one, start + g[0].numpy(), rtol=1e-4, atol=1e-5)
    # The start is grey with 10% noise, reproducible with a seed.
    assert 0.45 <= start.min() and start.max() <= 0.55
    np.testing.assert_array_equal(start, inspect.maximize_activation(model, "conv2d_1", 3, steps=0, seed=0, raw=True))


def test_maximize_activation_raises_the_filter_response():
    model = channels_first_cnn()
    layer = model.layers[1]

    def response(img):      # img (rows, cols, 1) raw values
        x = torch.from_numpy(img.transpose(2, 0, 1)[None])
        with torch.no_grad():
            return float(layer(model.layers[0](x))[:, 5].mean())

    start = inspect.maximize_activation(model, layer, 5, steps=0, seed=1, raw=True)
    end = inspect.maximize_activation(model, layer, 5, steps=20, seed=1, raw=True)
    assert response(end) > response(start) + 1.0
    shown, fig = inspect.maximize_activation(model, layer, 5, steps=5, seed=1, plot=True)
    assert shown.shape == (28, 28, 1) and 0.0 <= shown.min() and shown.max() <= 1.0
    grid, fig = inspect.maximize_activation_grid(model, layer, filters=[0, 1, 2], steps=3, seed=0, plot=True)
    assert grid.shape == (3, 28, 28, 1) and isinstance(fig, Figure)


def test_deprocess_image_is_the_seeds_transform():
    x = np.random.default_rng(0).normal(3.0, 2.0, (6, 6, 3))
    expected = np.clip((x - x.mean()) / (x.std() + 1e-5) * 0.1 + 0.5, 0, 1)
    np.testing.assert_allclose(inspect.deprocess_image(x), expected, rtol=1e-5)
