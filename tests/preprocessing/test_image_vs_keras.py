"""lamina's ImageDataGenerator against the installed Keras's own (Keras 3's legacy copy, torch backend).

Keras >= 2.3 (and Keras 3) apply the transposed transform matrix (``M' = P M P``):
on a square image their parameters (theta, tx, ty, zx, zy) act as lamina's
(-theta, ty, tx, zy, zx) — the Keras 2 meaning lamina keeps (width_shift moves
the content sideways). Shear has no such counterpart, so it is compared through
the scipy reference (test_image_vs_scipy.py) instead.
"""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
pytest.importorskip("scipy.ndimage", reason="Keras's ImageDataGenerator needs scipy")
keras_image = pytest.importorskip("keras.src.legacy.preprocessing.image",
                                  reason="keras (the bench/parity extra) is not installed")

from lamina.preprocessing.image import ImageDataGenerator  # noqa: E402

KerasIDG = keras_image.ImageDataGenerator
# Keras's own deprecation noise (scipy.ndimage.interpolation) and the zca_whitening notice both sides give.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:.*zca_whitening.*:UserWarning")


@pytest.fixture(scope="module")
def square():
    rng = np.random.default_rng(3)
    return np.round(rng.random((5, 24, 24, 3)) * 255).astype(np.float32)


@pytest.mark.parametrize("fill_mode", ["nearest", "reflect", "wrap", "constant"])
def test_affine_matches_keras_on_square_images(square, fill_mode):
    ours, theirs = ImageDataGenerator(fill_mode=fill_mode, cval=9.0), KerasIDG(fill_mode=fill_mode, cval=9.0)
    rng = np.random.default_rng(1)
    for img in square:
        theta, tx, ty = rng.uniform(-30, 30), rng.uniform(-5, 5), rng.uniform(-5, 5)
        zx, zy = rng.uniform(0.8, 1.2, 2)
        k = theirs.apply_transform(img, {"theta": theta, "tx": tx, "ty": ty, "zx": zx, "zy": zy})
        ours_out = ours.apply_transform(img, {"theta": -theta, "tx": ty, "ty": tx, "zx": zy, "zy": zx})
        bad = np.abs(ours_out - k) > 1e-2
        assert bad.mean() < 0.002, np.abs(ours_out - k).max()


def test_flips_and_channel_shift_match_keras(square):
    ours, theirs = ImageDataGenerator(), KerasIDG()
    for params in ({"flip_horizontal": True}, {"flip_vertical": True},
                   {"channel_shift_intensity": 40.0, "flip_horizontal": True},
                   {"channel_shift_intensity": -70.0}):
        np.testing.assert_allclose(ours.apply_transform(square[0], params), theirs.apply_transform(square[0], params),
                                   atol=1e-4)


@pytest.mark.parametrize("scale", [1.0, -1.0])
def test_brightness_matches_keras(square, scale):
    """In range [0, 255]: multiply and clip; outside: via a min..max -> 0..255 mapping. Keras also rounds
    through 8 bits, hence the tolerance of one grey level (in the 0..255 scale). (On [0, 1] images that
    rounding truncates every pixel to 0 or 1 in Keras; lamina keeps full precision, see
    test_image_generator.py::test_brightness_keeps_precision.)"""
    img = square[2] * scale
    for b in (0.5, 1.3):
        k = KerasIDG().apply_transform(img, {"brightness": b})
        ours = ImageDataGenerator().apply_transform(img, {"brightness": b})
        span = (img.max() - img.min()) if (img.min() < 0 or img.max() > 255) else 255.0
        np.testing.assert_allclose(ours, k, atol=1.01 * span / 255 + 1e-6)


def test_fit_statistics_and_standardize_match_keras(square):
    kwargs = dict(featurewise_center=True, featurewise_std_normalization=True, rescale=1 / 255.0)
    ours, theirs = ImageDataGenerator(**kwargs), KerasIDG(**kwargs)
    ours.fit(square)
    theirs.fit(square)
    np.testing.assert_allclose(ours.mean, theirs.mean, rtol=1e-5)
    np.testing.assert_allclose(ours.std, theirs.std, rtol=1e-5)
    np.testing.assert_allclose(ours.standardize(square[0].copy()), theirs.standardize(square[0].copy()), atol=1e-5)
    zca_ours, zca_theirs = ImageDataGenerator(zca_whitening=True), KerasIDG(zca_whitening=True)
    small = square[:, :4, :4, :1]
    zca_ours.fit(small)
    zca_theirs.fit(small)
    np.testing.assert_allclose(zca_ours.zca_whitening_matrix, zca_theirs.zca_whitening_matrix, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(zca_ours.standardize(small[1].copy()), zca_theirs.standardize(small[1].copy()),
                               rtol=1e-3, atol=1e-3)


def test_samplewise_and_preprocessing_function_match_keras(square):
    kwargs = dict(samplewise_center=True, samplewise_std_normalization=True, rescale=0.5,
                  preprocessing_function=lambda im: im[::-1] * 2.0)
    ours, theirs = ImageDataGenerator(**kwargs), KerasIDG(**kwargs)
    np.testing.assert_allclose(ours.standardize(square[3].copy()), theirs.standardize(square[3].copy()), atol=1e-5)


def test_flow_batches_have_keras_shapes_types_and_order(square):
    y = np.arange(5)
    w = np.linspace(0.1, 0.5, 5)
    ours = ImageDataGenerator().flow(square, y, batch_size=2, shuffle=False, sample_weight=w)
    theirs = KerasIDG().flow(square, y, batch_size=2, shuffle=False, sample_weight=w)
    assert len(ours) == len(theirs) == 3
    for i in range(3):
        a, b = ours[i], theirs[i]
        assert len(a) == len(b) == 3
        for u, v in zip(a, b):
            assert type(u) is type(v) and u.dtype == v.dtype and u.shape == v.shape
            np.testing.assert_array_equal(u, v)
