"""The batched warps against a per-image scipy.ndimage reference written here (Keras 2's math).

The reference is the ImageDataGenerator transform as Keras 2 documents it (and as
keras-preprocessing <= 1.1.0 computed it): matrix = rotation @ shift @ shear @ zoom
about the centre ((h - 1) / 2, (w - 1) / 2), applied per channel by
``scipy.ndimage.affine_transform`` with the generator's fill mode and cval.
"""
import numpy as np
import pytest
import torch

ndimage = pytest.importorskip("scipy.ndimage", reason="scipy provides the per-image reference")

from lamina.preprocessing import affine as _affine  # noqa: E402
from lamina.preprocessing.image import ImageDataGenerator, apply_affine_transform  # noqa: E402


def reference(img, p, fill_mode, cval, order=1):
    """One channels_last image through scipy, Keras 2's matrix."""
    h, w = img.shape[:2]
    th, sh = np.deg2rad(p.get("theta", 0)), np.deg2rad(p.get("shear", 0))
    rot = np.array([[np.cos(th), -np.sin(th), 0], [np.sin(th), np.cos(th), 0], [0, 0, 1]])
    shift = np.array([[1, 0, p.get("tx", 0)], [0, 1, p.get("ty", 0)], [0, 0, 1]])
    shear = np.array([[1, -np.sin(sh), 0], [0, np.cos(sh), 0], [0, 0, 1]])
    zoom = np.diag([p.get("zx", 1), p.get("zy", 1), 1.0])
    m = rot @ shift @ shear @ zoom
    o = np.array([h / 2 - 0.5, w / 2 - 0.5])
    offset = np.array([[1, 0, o[0]], [0, 1, o[1]], [0, 0, 1]])
    reset = np.array([[1, 0, -o[0]], [0, 1, -o[1]], [0, 0, 1]])
    m = offset @ m @ reset
    chans = [ndimage.affine_transform(img[..., c].astype(np.float64), m[:2, :2], m[:2, 2], order=order,
                                      mode=fill_mode, cval=cval) for c in range(img.shape[2])]
    return np.stack(chans, axis=-1)


def assert_matches(out, ref, atol=1e-4, max_outliers=0.002):
    """Equal up to float32 rounding; a pixel whose read location sits on the image edge may flip
    between inside and outside in float32, so a tiny fraction of outliers is tolerated."""
    bad = np.abs(out - ref) > atol
    assert bad.mean() <= max_outliers, (bad.mean(), np.abs(out - ref).max())


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(7)
    square = rng.random((6, 20, 20, 3)).astype(np.float32) * 255
    wide = rng.random((6, 13, 22, 1)).astype(np.float32)  # non-square: rows and columns must not mix up
    return square, wide


CS4487 = dict(rotation_range=10, width_shift_range=0.2, height_shift_range=0.2, shear_range=0.1, zoom_range=0.1)
STRONG = dict(rotation_range=40, width_shift_range=0.3, height_shift_range=0.3, shear_range=30, zoom_range=0.4)


@pytest.mark.parametrize("fill_mode", ["nearest", "reflect", "wrap", "constant"])
@pytest.mark.parametrize("order", [1, 0])
def test_apply_transform_matches_scipy_for_each_fill_mode(images, fill_mode, order):
    for batch in images:
        gen = ImageDataGenerator(**STRONG, fill_mode=fill_mode, cval=0.37, interpolation_order=order)
        for i, img in enumerate(batch):
            p = gen.get_random_transform(img.shape, seed=100 + i)
            assert p["theta"] != 0 and p["shear"] != 0 and p["zx"] != p["zy"]
            out = gen.apply_transform(img, p)
            assert out.shape == img.shape and out.dtype == np.float32
            assert_matches(out, reference(img, p, fill_mode, 0.37, order), atol=1e-3 if img.max() > 1 else 1e-4)


@pytest.mark.parametrize("fill_mode", ["nearest", "reflect", "wrap", "constant"])
def test_batched_path_uses_one_matrix_per_image(images, fill_mode):
    """The batch is warped in one grid_sample call; each image must get exactly its own matrix."""
    square, _ = images
    gen = ImageDataGenerator(**CS4487, fill_mode=fill_mode, cval=3.0)
    params = gen._sample(len(square), 20, 20, torch.Generator().manual_seed(0))
    assert len(set(params["theta"].tolist())) == len(square)
    batch = torch.from_numpy(square).permute(0, 3, 1, 2)
    out = gen._apply_batch(batch, params).permute(0, 2, 3, 1).numpy()
    for i, img in enumerate(square):
        p = {k: float(v[i]) for k, v in params.items()}
        assert_matches(out[i], reference(img, p, fill_mode, 3.0), atol=1e-3)


def test_channels_first_matches_channels_last(images):
    square, _ = images
    p = {"theta": 17.0, "tx": 2.5, "ty": -3.0, "shear": 8.0, "zx": 0.9, "zy": 1.2}
    last = ImageDataGenerator(data_format="channels_last").apply_transform(square[0], p)
    first = ImageDataGenerator(data_format="channels_first").apply_transform(square[0].transpose(2, 0, 1), p)
    np.testing.assert_allclose(first.transpose(1, 2, 0), last, atol=1e-4)


def test_legacy_apply_affine_transform_function(images):
    """keras.preprocessing.image.apply_affine_transform: channels first by default (row 1, col 2)."""
    square, _ = images
    img = square[1]
    p = {"theta": -12.0, "tx": 1.5, "ty": 4.0, "shear": 5.0, "zx": 1.1, "zy": 0.95}
    out = apply_affine_transform(img.transpose(2, 0, 1), **p, fill_mode="reflect")
    assert_matches(out.transpose(1, 2, 0), reference(img, p, "reflect", 0.0), atol=1e-3)
    out_last = apply_affine_transform(img, **p, row_axis=0, col_axis=1, channel_axis=2, fill_mode="wrap")
    assert_matches(out_last, reference(img, p, "wrap", 0.0), atol=1e-3)


@pytest.mark.parametrize("mode", ["grid-wrap", "grid-constant"])
def test_layer_fill_modes_match_scipy_grid_modes(images, mode):
    """The preprocessing layers' 'wrap' and 'constant' are TensorFlow's: scipy's grid-wrap / grid-constant."""
    _, wide = images
    mats = _affine.keras_matrices(len(wide), 13, 22, theta=np.full(len(wide), 25.0), tx=np.arange(len(wide)) - 2.0,
                                  zx=np.full(len(wide), 1.3))
    out = _affine.warp(torch.from_numpy(wide).permute(0, 3, 1, 2), mats, mode, 0.5).permute(0, 2, 3, 1).numpy()
    for i, img in enumerate(wide):
        ref = ndimage.affine_transform(img[..., 0].astype(np.float64), mats[i, :, :2], mats[i, :, 2], order=1,
                                       mode=mode, cval=0.5)
        assert_matches(out[i, ..., 0], ref)
