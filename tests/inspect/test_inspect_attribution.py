"""Grad-CAM, saliency and occlusion against computations written here with torch.autograd."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from lamina import inspect

from inspect_models import MODELS, channels_first_cnn, course_cnn


def _run_split(model, x, split_name):
    """Run the model's layers one by one; return (activation of split_name, pre-softmax scores,
    output). The last layer's softmax is left out by computing its affine part by hand."""
    layers = [l for l in model.layers if type(l).__name__ != "InputLayer"]
    act = None
    h = x
    for layer in layers[:-1]:
        h = layer(h)
        if layer.name == split_name:
            act = h
    last = layers[-1]
    logits = h @ last.kernel.T + last.bias
    return act, logits, torch.softmax(logits, dim=-1)


def _grad_cam_by_hand(model, image, layer_name, class_index=None, logits=True, channels_first=False):
    x = torch.from_numpy(image[None])
    act, z, p = _run_split(model, x, layer_name)
    scores = z if logits else p
    c = int(scores[0].argmax()) if class_index is None else class_index
    (g,) = torch.autograd.grad(scores[0, c], act)
    a, g = act[0].detach(), g[0]
    if not channels_first:
        a, g = a.permute(2, 0, 1), g.permute(2, 0, 1)
    w = g.mean(dim=(1, 2))
    cam = torch.relu((w[:, None, None] * a).sum(0))
    return (cam / cam.max() if cam.max() > 0 else cam).numpy(), c


@pytest.mark.parametrize("logits", [True, False])
def test_grad_cam_equals_the_hand_computation(digits, logits):
    model = course_cnn()
    image = digits[0][3]
    cam = inspect.grad_cam(model, image, use_logits=logits)
    expected, c = _grad_cam_by_hand(model, image, "conv2d_2", logits=logits)
    assert cam["layer"] == "conv2d_2"          # the last convolution by default
    assert cam["class_index"] == c
    assert cam["heatmap"].shape == (7, 7)
    np.testing.assert_allclose(cam["heatmap"], expected, rtol=1e-4, atol=1e-6)


def test_grad_cam_for_each_class_at_a_chosen_layer(digits):
    model = course_cnn()
    image = digits[0][5]
    peaks = []
    for c in range(10):
        cam = inspect.grad_cam(model, image, class_index=c, layer="conv2d")
        expected, _ = _grad_cam_by_hand(model, image, "conv2d", class_index=c)
        assert cam["class_index"] == c and cam["heatmap"].shape == (14, 14)
        np.testing.assert_allclose(cam["heatmap"], expected, rtol=1e-4, atol=1e-6)
        peaks.append(cam["heatmap"].max())
    # A class with no positive evidence gives an all-zero map (not NaN); others peak at 1.
    assert set(np.round(peaks, 6)) <= {0.0, 1.0} and max(peaks) == 1.0


def test_grad_cam_channels_first(digits):
    model = channels_first_cnn()
    image = digits[0][2].transpose(2, 0, 1)
    cam = inspect.grad_cam(model, image)
    expected, _ = _grad_cam_by_hand(model, image, "conv2d_2", channels_first=True)
    np.testing.assert_allclose(cam["heatmap"], expected, rtol=1e-4, atol=1e-6)
    assert cam["overlay"].shape == (28, 28, 3)


@pytest.mark.parametrize("kind", ["functional", "subclassed"])
def test_grad_cam_on_other_model_styles(kind, digits):
    model = MODELS[kind]()
    image = digits[0][1]
    cam = inspect.grad_cam(model, image)
    last_conv = "c2" if kind == "functional" else "conv_b"
    assert cam["layer"] == last_conv
    # Independent: hook the conv output and differentiate the score before the head's softmax.
    use_logits = True
    conv = [l for l in model.layers if l.name == last_conv][0]
    store = {}
    handle = conv.register_forward_hook(lambda m, i, o: store.setdefault("a", o))
    head = model.layers[-1]
    saved = head.activation
    if use_logits:
        from lamina.activations import linear
        head.activation = linear
    try:
        out = model(torch.from_numpy(image[None]))
    finally:
        handle.remove()
        head.activation = saved
    c = int(out[0].argmax())
    (g,) = torch.autograd.grad(out[0, c], store["a"])
    a, g = store["a"][0].detach().permute(2, 0, 1), g[0].permute(2, 0, 1)
    expected = torch.relu((g.mean(dim=(1, 2))[:, None, None] * a).sum(0))
    np.testing.assert_allclose(cam["heatmap"], (expected / expected.max()).numpy(), rtol=1e-4, atol=1e-6)


def test_grad_cam_resized_heatmap_and_overlay(digits):
    cam, fig = inspect.grad_cam(course_cnn(), digits[0][0], plot=True)
    expected = F.interpolate(torch.from_numpy(cam["heatmap"])[None, None], size=(28, 28), mode="bilinear",
                             align_corners=False)[0, 0].clamp(0, 1).numpy()
    np.testing.assert_allclose(cam["heatmap_resized"], expected, atol=1e-6)
    assert cam["overlay"].shape == (28, 28, 3)
    assert 0.0 <= cam["overlay"].min() and cam["overlay"].max() <= 1.0
    assert cam["heatmap"].max() == pytest.approx(1.0)
    assert isinstance(fig, Figure)


def test_vanilla_saliency_is_the_input_gradient(digits):
    model = course_cnn()
    image = digits[0][4]
    sal = inspect.saliency(model, image, class_index=3)
    x = torch.from_numpy(image[None]).requires_grad_(True)
    _, z, _ = _run_split(model, x, "")
    (g,) = torch.autograd.grad(z[0, 3], x)
    np.testing.assert_allclose(sal["gradient"], g[0].numpy(), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(sal["saliency"], np.abs(g[0].numpy()).max(axis=-1), rtol=1e-4, atol=1e-7)


def test_smoothgrad_averages_the_gradients_of_noisy_copies(digits):
    model = course_cnn()
    image = digits[0][4]
    sal = inspect.saliency(model, image, method="smoothgrad", samples=8, noise_level=0.2, seed=3, class_index=1)
    noise = torch.randn((8, 28, 28, 1), generator=torch.Generator().manual_seed(3))
    x0 = torch.from_numpy(image)
    sigma = 0.2 * float(x0.max() - x0.min())
    grads = []
    for i in range(8):       # one copy at a time
        x = (x0 + sigma * noise[i])[None].requires_grad_(True)
        _, z, _ = _run_split(model, x, "")
        grads.append(torch.autograd.grad(z[0, 1], x)[0][0])
    np.testing.assert_allclose(sal["gradient"], torch.stack(grads).mean(0).numpy(), rtol=1e-4, atol=1e-7)
    assert sal["method"] == "smoothgrad"


def test_occlusion_is_the_probability_drop_of_occluded_copies(digits):
    model = course_cnn()
    image = digits[0][6]
    occ = inspect.occlusion(model, image, window=7, stride=7)
    assert occ["grid"].shape == (4, 4) and list(occ["rows"]) == [0, 7, 14, 21]
    probs = model.predict(image[None], verbose=0)[0]
    c = int(probs.argmax())
    assert occ["class_index"] == c and occ["probability"] == pytest.approx(float(probs[c]), rel=1e-5)
    for i, j in [(0, 0), (1, 2), (3, 3)]:
        copy = image.copy()
        copy[7 * i:7 * i + 7, 7 * j:7 * j + 7] = 0.0
        p = model.predict(copy[None], verbose=0)[0, c]
        assert occ["grid"][i, j] == pytest.approx(probs[c] - p, abs=1e-5)
    # Windows do not overlap here, so each pixel's sensitivity is its window's drop.
    np.testing.assert_allclose(occ["sensitivity"], np.kron(occ["grid"], np.ones((7, 7))), atol=1e-6)


def test_occlusion_default_window_reaches_the_border(digits):
    occ = inspect.occlusion(course_cnn(), digits[0][0], window=5, stride=4)
    assert list(occ["rows"]) == [0, 4, 8, 12, 16, 20, 23]
    assert occ["sensitivity"].shape == (28, 28)


def test_grad_cam_input_in_the_other_layout_is_transposed(digits):
    model = channels_first_cnn()
    a = inspect.grad_cam(model, digits[0][2])                       # (28, 28, 1) given
    b = inspect.grad_cam(model, digits[0][2].transpose(2, 0, 1))    # (1, 28, 28) given
    np.testing.assert_array_equal(a["heatmap"], b["heatmap"])


def test_grad_cam_on_a_pretrained_base_with_a_new_head():
    """The seeds' transfer setup: VGG16's convolutional base inside a Sequential; the default layer is
    block5_conv3 (as in the Keras Grad-CAM example), found inside the nested base."""
    import lamina
    from lamina.applications import VGG16
    from lamina.layers import GlobalAveragePooling2D
    base = VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    model = lamina.Sequential([base, GlobalAveragePooling2D(), lamina.layers.Dense(3, activation="softmax")])
    image = np.random.default_rng(0).random((64, 64, 3), dtype=np.float32)
    cam = inspect.grad_cam(model, image)
    assert cam["layer"] == "block5_conv3" and cam["heatmap"].shape == (4, 4)
    maps = inspect.feature_maps(model, image, layers=["block1_conv1", "block3_pool"])
    assert maps["block1_conv1"].shape == (64, 64, 64) and maps["block3_pool"].shape == (8, 8, 256)
