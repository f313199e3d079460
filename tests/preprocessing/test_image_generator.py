"""ImageDataGenerator's arguments mean what Keras 2 says they mean."""
import numpy as np
import pytest
import torch

from lamina.preprocessing.image import ImageDataGenerator


def bar_image(h=28, w=28, col=14, row=None):
    x = np.zeros((h, w, 1), np.float32)
    if row is None:
        x[:, col] = 1.0
    else:
        x[row, col] = 1.0
    return x


def centroid(img):
    """(row, col) centre of mass of one channels_last image."""
    a = np.asarray(img)[..., 0]
    r, c = np.indices(a.shape)
    return (r * a).sum() / a.sum(), (c * a).sum() / a.sum()


def test_width_shift_moves_content_sideways_by_at_most_the_fraction_of_the_width():
    """A 0.2 width shift of a 28-wide image moves content by at most 5.6 pixels, horizontally."""
    gen = ImageDataGenerator(width_shift_range=0.2, fill_mode="constant")
    x = bar_image(h=20, w=28, col=14)  # non-square, so rows and columns cannot be confused
    shifts = []
    for seed in range(60):
        p = gen.get_random_transform(x.shape, seed=seed)
        assert p["tx"] == 0 and abs(p["ty"]) <= 0.2 * 28
        out = gen.apply_transform(x, p)
        r, c = centroid(out)
        assert abs(r - centroid(x)[0]) < 1e-4
        assert c == pytest.approx(14 - p["ty"], abs=1e-3)  # positive ty moves the content left
        shifts.append(p["ty"])
    assert max(np.abs(shifts)) > 5.0  # the full range is used


def test_height_shift_moves_content_vertically():
    gen = ImageDataGenerator(height_shift_range=0.25, fill_mode="constant")
    x = bar_image(h=20, w=28, col=10, row=10)
    p = gen.get_random_transform(x.shape, seed=1)
    assert p["ty"] == 0 and 0 < abs(p["tx"]) <= 5
    r, c = centroid(gen.apply_transform(x, {"tx": 3.0}))
    assert (r, c) == pytest.approx((7.0, 10.0))


@pytest.mark.parametrize("arg,expected", [
    (3, {-2.0, -1.0, 0.0, 1.0, 2.0}),          # int n: whole pixels from range(n), random sign
    ([0.25], {-7.0, 7.0}),                      # list of fractions (< 1): times the size
    ([2, 4], {-4.0, -2.0, 2.0, 4.0}),           # list of pixel counts
])
def test_shift_range_forms(arg, expected):
    gen = ImageDataGenerator(width_shift_range=arg)
    seen = {gen.get_random_transform((28, 28, 1), seed=s)["ty"] for s in range(200)}
    assert seen == expected


def test_float_shift_of_one_or_more_is_pixels():
    gen = ImageDataGenerator(height_shift_range=4.0)
    values = [gen.get_random_transform((28, 28, 1), seed=s)["tx"] for s in range(100)]
    assert max(np.abs(values)) <= 4.0 and max(np.abs(values)) > 3.5


def test_rotation_shear_and_zoom_ranges():
    gen = ImageDataGenerator(rotation_range=10, shear_range=0.1, zoom_range=0.1)
    ps = [gen.get_random_transform((28, 28, 1), seed=s) for s in range(100)]
    assert all(abs(p["theta"]) <= 10 and abs(p["shear"]) <= 0.1 for p in ps)
    assert all(0.9 <= p["zx"] <= 1.1 and 0.9 <= p["zy"] <= 1.1 and p["zx"] != p["zy"] for p in ps)
    assert ImageDataGenerator(zoom_range=[0.5, 0.8]).zoom_range == [0.5, 0.8]
    assert ImageDataGenerator(zoom_range=0.2).zoom_range == pytest.approx([0.8, 1.2])


def test_positive_rotation_turns_clockwise_on_screen_and_zoom_above_one_shrinks():
    gen = ImageDataGenerator(fill_mode="constant")
    x = bar_image(h=21, w=21, col=15, row=10)  # right of the centre (10, 10)
    assert centroid(gen.apply_transform(x, {"theta": 90.0})) == pytest.approx((15.0, 10.0), abs=1e-4)
    rows, cols = np.indices((41, 41))
    blob = np.exp(-((rows - 20) ** 2 + (cols - 28) ** 2) / 18.0)[..., None].astype(np.float32)
    r, c = centroid(gen.apply_transform(blob, {"zx": 2.0, "zy": 2.0}))  # 8 right of centre -> 4 right
    assert (r, c) == pytest.approx((20.0, 24.0), abs=0.05)


def test_flips_channel_shift():
    rng = np.random.default_rng(0)
    x = rng.random((6, 5, 3)).astype(np.float32)
    gen = ImageDataGenerator()
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_horizontal": True}), x[:, ::-1])
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_vertical": True}), x[::-1])
    np.testing.assert_allclose(gen.apply_transform(x, {"channel_shift_intensity": 0.3}),
                               np.clip(x + 0.3, x.min(), x.max()), rtol=1e-6)
    flags = [ImageDataGenerator(horizontal_flip=True).get_random_transform(x.shape, seed=s)["flip_horizontal"]
             for s in range(40)]
    assert 10 < sum(flags) < 30


def test_brightness_keeps_precision():
    x = np.linspace(0, 1, 48, dtype=np.float32).reshape(4, 4, 3)
    out = ImageDataGenerator().apply_transform(x, {"brightness": 0.5})
    np.testing.assert_allclose(out, x * 0.5, rtol=1e-6)
    big = np.full((2, 2, 1), 200.0, np.float32)
    np.testing.assert_allclose(ImageDataGenerator().apply_transform(big, {"brightness": 1.5}), 255.0)


def test_rescale_applies_after_the_transform_so_cval_is_in_input_units():
    """Keras's order: warp (cval fills in the input's units), then standardize (rescale)."""
    x = np.full((1, 8, 8, 1), 100.0, np.float32)
    gen = ImageDataGenerator(height_shift_range=[4], fill_mode="constant", cval=255.0, rescale=1 / 255.0)
    batch = gen.flow(x, batch_size=1, seed=0)[0]
    values = np.unique(np.round(batch.astype(np.float64), 5))
    np.testing.assert_allclose(values, [100 / 255, 1.0], atol=1e-5)


def test_preprocessing_function_sees_single_transformed_images_before_rescale():
    seen = []

    def fn(img):
        seen.append((img.shape, float(img.max())))
        return img + 1.0
    x = np.full((5, 6, 7, 1), 10.0, np.float32)
    gen = ImageDataGenerator(preprocessing_function=fn, rescale=0.5, horizontal_flip=True)
    out = gen.flow(x, batch_size=5, shuffle=False)[0]
    assert seen == [((6, 7, 1), 10.0)] * 5
    np.testing.assert_allclose(out, 5.5)
    first = ImageDataGenerator(preprocessing_function=fn, data_format="channels_first")
    first.flow(np.zeros((2, 1, 6, 7), np.float32), batch_size=2)[0]
    assert seen[-1][0] == (1, 6, 7)


def test_fit_featurewise_statistics_are_per_channel_after_rescale():
    rng = np.random.default_rng(1)
    x = (rng.random((50, 6, 6, 3)) * np.array([10, 100, 255])).astype(np.float32)
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, rescale=0.1)
    gen.fit(x)
    assert gen.mean.shape == (1, 1, 3) and gen.std.shape == (1, 1, 3)
    np.testing.assert_allclose(gen.mean.ravel(), (x * 0.1).mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(gen.std.ravel(), (x * 0.1).std(axis=(0, 1, 2)), rtol=1e-4)
    it = gen.flow(x, batch_size=20, shuffle=False)
    out = np.concatenate([it[i] for i in range(len(it))])
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-3)


def test_zca_whitening_decorrelates():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(400, 4, 4, 1)).astype(np.float32)
    x = base + 0.8 * base[:, :1, :1]  # strongly correlated pixels
    with pytest.warns(UserWarning, match="turns featurewise_center on"):
        gen = ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-9)
    gen.fit(x)
    flat = gen.flow(x, batch_size=400, shuffle=False)[0].reshape(400, -1).astype(np.float64)
    # Keras centres per channel (not per pixel), so it is the second moment that becomes the identity.
    np.testing.assert_allclose(flat.T @ flat / 400, np.eye(16), atol=1e-3)


def test_samplewise_center_and_std():
    x = np.random.default_rng(3).random((4, 5, 5, 3)).astype(np.float32) * 50
    out = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True).flow(
        x, batch_size=4, shuffle=False)[0]
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(1, 2, 3)), 1, atol=1e-4)


def test_unfit_featurewise_generator_warns():
    gen = ImageDataGenerator(featurewise_center=True)
    with pytest.warns(UserWarning, match=r"fit\(x_train\)"):
        gen.standardize(np.ones((4, 4, 1), np.float32))


def test_implied_settings_warn_as_keras():
    with pytest.warns(UserWarning, match="turns featurewise_center on"):
        gen = ImageDataGenerator(featurewise_std_normalization=True)
    assert gen.featurewise_center


def test_random_transform_is_repeatable_with_a_seed():
    x = np.random.default_rng(4).random((10, 10, 1)).astype(np.float32)
    gen = ImageDataGenerator(rotation_range=30, zoom_range=0.2)
    np.testing.assert_array_equal(gen.random_transform(x, seed=5), gen.random_transform(x, seed=5))
    assert not np.array_equal(gen.random_transform(x, seed=5), gen.random_transform(x, seed=6))


@pytest.mark.parametrize("kwargs,match", [
    ({"zoom_range": [1, 2, 3]}, r"zoom_range to be a float or a pair.*\[1, 2, 3\]"),
    ({"fill_mode": "mirror"}, r"fill_mode.*'constant', 'nearest', 'reflect', 'wrap'.*mirror"),
    ({"brightness_range": 0.5}, r"brightness_range to be a pair.*0.5"),
    ({"validation_split": 1.5}, r"validation_split strictly between 0 and 1.*1.5"),
    ({"width_shift_range": -0.1}, r"width_shift_range >= 0.*-0.1"),
    ({"height_shift_range": "a lot"}, r"height_shift_range to be a float, an int or a 1-D list"),
    ({"interpolation_order": 3}, r"interpolation_order 0 \(nearest\) and 1 \(bilinear\).*3"),
    ({"data_format": "nhwc"}, r"Unknown data_format 'nhwc'"),
    ({"preprocessing_function": 3}, r"preprocessing_function to be a function"),
])
def test_bad_arguments_raise_with_the_value(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ImageDataGenerator(**kwargs)


def test_transforms_run_on_the_iterator_device_and_return_tensors():
    x = np.random.default_rng(5).random((8, 12, 12, 1)).astype(np.float32)
    gen = ImageDataGenerator(rotation_range=20)
    numpy_batch = gen.flow(x, batch_size=8, shuffle=False, seed=3)[0]
    tensor_batch = gen.flow(x, batch_size=8, shuffle=False, seed=3, device="cpu")[0]
    assert isinstance(tensor_batch, torch.Tensor) and tensor_batch.device.type == "cpu"
    np.testing.assert_array_equal(tensor_batch.numpy(), numpy_batch)


def test_changing_ranges_after_construction_takes_effect():
    gen = ImageDataGenerator(width_shift_range=0.1)
    gen.width_shift_range = [3]
    gen.rotation_range = 5
    ps = [gen.get_random_transform((28, 28, 1), seed=s) for s in range(20)]
    assert {abs(p["ty"]) for p in ps} == {3.0} and all(0 < abs(p["theta"]) <= 5 for p in ps)
