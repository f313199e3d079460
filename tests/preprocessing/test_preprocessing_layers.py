"""Augmentation and preprocessing layers: the shared layer contract, training-only behaviour, and
values checked against what Keras 3's layers give (recorded here) and plain torch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from contract import run_layer_test

import lamina
from lamina import layers as L

RANDOM = [
    ("random_flip", lambda: L.RandomFlip(seed=1), (4, 6, 5, 3)),
    ("random_flip_h_cf", lambda: L.RandomFlip("horizontal", data_format="channels_first"), (4, 3, 6, 5)),
    ("random_rotation", lambda: L.RandomRotation(0.2, seed=2), (3, 7, 9, 2)),
    ("random_rotation_constant_nearest", lambda: L.RandomRotation((-0.1, 0.3), fill_mode="constant",
                                                                  interpolation="nearest", fill_value=2.0),
     (3, 8, 8, 1)),
    ("random_translation", lambda: L.RandomTranslation(0.2, (-0.1, 0.3), fill_mode="wrap", seed=3), (3, 8, 6, 3)),
    ("random_zoom", lambda: L.RandomZoom(0.3, seed=4), (3, 8, 8, 3)),
    ("random_zoom_wh", lambda: L.RandomZoom((-0.2, 0.1), (0.1, 0.4), fill_mode="nearest"), (3, 8, 8, 3)),
    ("random_contrast", lambda: L.RandomContrast(0.4, seed=5), (3, 5, 5, 3)),
    ("random_brightness", lambda: L.RandomBrightness((-0.2, 0.5), value_range=(0, 1), seed=6), (3, 5, 5, 3)),
]
FIXED = [
    ("rescaling", lambda: L.Rescaling(1 / 255.0, offset=-0.5), (2, 4, 4, 3), (None, 4, 4, 3)),
    ("rescaling_per_channel", lambda: L.Rescaling([1.0, 2.0, 3.0]), (2, 4, 4, 3), (None, 4, 4, 3)),
    ("resizing", lambda: L.Resizing(6, 10), (2, 8, 8, 3), (None, 6, 10, 3)),
    ("resizing_crop_cf", lambda: L.Resizing(4, 4, crop_to_aspect_ratio=True, data_format="channels_first"),
     (2, 3, 8, 12), (None, 3, 4, 4)),
    ("center_crop", lambda: L.CenterCrop(4, 6), (2, 8, 8, 3), (None, 4, 6, 3)),
    ("random_crop", lambda: L.RandomCrop(5, 5, seed=1), (2, 8, 8, 3), (None, 5, 5, 3)),
    ("normalization", lambda: L.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25]), (2, 4, 4, 3),
     (None, 4, 4, 3)),
]


@pytest.mark.parametrize("factory,input_shape", [c[1:] for c in RANDOM], ids=[c[0] for c in RANDOM])
def test_random_layer_contract(factory, input_shape):
    run_layer_test(factory, input_shape, expected_output_shape=(None,) + input_shape[1:], expected_num_params=0,
                   deterministic_training=False)


@pytest.mark.parametrize("factory,input_shape,out_shape", [c[1:] for c in FIXED], ids=[c[0] for c in FIXED])
def test_fixed_layer_contract(factory, input_shape, out_shape):
    run_layer_test(factory, input_shape, expected_output_shape=out_shape, expected_num_params=0)


def test_adapted_normalization_weights_round_trip():
    """Keras's weights: mean, variance and an int64 count (the shared contract perturbs weights by 0.5,
    which an integer count cannot hold, so the adapted layer is checked here)."""
    layer = L.Normalization()
    layer.adapt(np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32))
    weights = layer.get_weights()
    assert [w.shape for w in weights] == [(5,), (5,), ()] and weights[2] == 40
    assert [w.dtype for w in weights] == [np.float32, np.float32, np.int64]
    assert layer.count_params() == 11 and not layer.trainable_weights
    clone = L.Normalization.from_config(layer.get_config())
    clone(torch.zeros(1, 5))
    clone.set_weights(weights)
    x = torch.randn(3, 5)
    torch.testing.assert_close(clone(x), layer(x))
    other = L.Normalization.from_config(layer.get_config())
    other(torch.zeros(1, 5))
    other.load_state_dict(layer.state_dict())
    torch.testing.assert_close(other(x), layer(x))


@pytest.mark.parametrize("name,factory", [(c[0], c[1]) for c in RANDOM])
def test_random_layers_change_nothing_at_inference(name, factory):
    x = torch.rand(16, 8, 8, 3) * 255
    layer = factory()
    for out in (layer(x), layer(x, training=False)):
        assert out is x or torch.equal(out, x)
    model = lamina.Sequential([L.InputLayer(input_shape=(8, 8, 3)), factory()])
    np.testing.assert_array_equal(model.predict(x.numpy(), verbose=0), x.numpy())
    model.train()  # plain torch: training mode turns them on
    assert not torch.equal(model(x), x)


def test_seeded_layers_repeat_their_sequence():
    x = torch.rand(4, 9, 9, 1)
    a, b = L.RandomRotation(0.3, seed=8), L.RandomRotation(0.3, seed=8)
    for _ in range(2):
        torch.testing.assert_close(a(x, training=True), b(x, training=True))


def dot(size=21, row=10, col=15):
    x = np.zeros((1, size, size, 1), np.float32)
    x[0, row, col] = 1.0
    return x


def peaks(out):
    a = out.detach().numpy()[0, ..., 0]
    r, c = np.nonzero(a > 0.3)
    return list(zip(r.tolist(), c.tolist()))


def test_geometry_matches_keras_directions():
    """Keras 3 (torch backend) moves a dot right of the centre of a 21x21 image as recorded here."""
    x = dot()
    assert peaks(L.RandomRotation((0.25, 0.25), fill_mode="constant")(x, training=True)) == [(5, 10)]  # ccw
    assert peaks(L.RandomTranslation((0.1, 0.1), 0, fill_mode="constant")(x, training=True)) == [(12, 15)]  # down
    assert peaks(L.RandomTranslation(0, (0.1, 0.1), fill_mode="constant")(x, training=True)) == [(10, 17)]  # right
    assert peaks(L.RandomZoom((-0.5, -0.5), fill_mode="constant")(x, training=True)) == [
        (9, 20), (10, 19), (10, 20), (11, 20)]  # negative zooms in


def test_fill_modes_match_keras_values():
    """A 1.5-pixel downward shift of a 6x6 ramp, first rows, as Keras 3 computes them."""
    y = np.arange(36, dtype=np.float32).reshape(1, 6, 6, 1)

    def first_rows(**kw):
        return L.RandomTranslation((0.25, 0.25), 0, **kw)(y, training=True)[0, :3, :, 0].numpy()
    np.testing.assert_allclose(first_rows(fill_mode="constant", fill_value=100.0)[:2],
                               [[100] * 6, [50, 50.5, 51, 51.5, 52, 52.5]], atol=1e-4)
    np.testing.assert_allclose(first_rows(fill_mode="reflect"), [[3, 4, 5, 6, 7, 8], [0, 1, 2, 3, 4, 5],
                                                                 [3, 4, 5, 6, 7, 8]], atol=1e-5)
    np.testing.assert_allclose(first_rows(fill_mode="nearest")[:2], [[0, 1, 2, 3, 4, 5]] * 2, atol=1e-5)
    wrap = L.RandomTranslation((0.5, 0.5), 0, fill_mode="wrap")(y, training=True)[0, :, :, 0].numpy()
    np.testing.assert_allclose(wrap, np.roll(y[0, :, :, 0], 3, axis=0), atol=1e-5)


def test_flip_contrast_brightness_values():
    x = torch.rand(64, 4, 5, 3) * 200
    flipped = L.RandomFlip("horizontal", seed=0)(x, training=True)
    same = (flipped == x).flatten(1).all(1)
    mirrored = (flipped == x.flip(2)).flatten(1).all(1)
    assert bool((same | mirrored).all()) and 10 < int(mirrored.sum()) < 54
    out = L.RandomContrast((0.5, 0.5), seed=1)(x, training=True)
    mean = x.mean(dim=(1, 2), keepdim=True)
    ratio = ((out - mean) / (x - mean)).flatten(1)
    assert bool(((ratio > 0.5 - 1e-3) & (ratio < 1.5 + 1e-3) | (out.flatten(1) == 0) |
                 (out.flatten(1) == 255)).all())
    bright = L.RandomBrightness(0.1, seed=2)(x, training=True)
    delta = (bright - x).flatten(1)
    unclipped = (bright > 0).flatten(1) & (bright < 255).flatten(1)
    per_image = [d[m].unique() for d, m in zip(delta, unclipped)]
    assert all(len(v) == 0 or float(v.max() - v.min()) < 1e-3 and abs(float(v[0])) <= 25.5 + 1e-3
               for v in per_image)


def test_resizing_cropping_against_torch():
    x = torch.rand(2, 9, 12, 3)
    torch.testing.assert_close(L.Resizing(5, 7)(x), F.interpolate(x.permute(0, 3, 1, 2), size=(5, 7),
                                                                   mode="bilinear").permute(0, 2, 3, 1))
    torch.testing.assert_close(L.CenterCrop(5, 6)(x), x[:, 2:7, 3:9])
    up = L.CenterCrop(18, 18)(x)  # smaller input: crop to the aspect ratio, then resize
    torch.testing.assert_close(up, L.Resizing(18, 18)(x[:, :, 1:10]))
    crop = L.RandomCrop(5, 6, seed=3)
    # inference, as Keras: the centred box of the target's aspect ratio, resized
    torch.testing.assert_close(crop(x), L.Resizing(5, 6, crop_to_aspect_ratio=True)(x))
    window = crop(x, training=True)
    hits = [(r, c) for r in range(5) for c in range(7) if torch.equal(window, x[:, r:r + 5, c:c + 6])]
    assert len(hits) == 1  # one window for the whole batch, as Keras
    padded = L.Resizing(12, 12, pad_to_aspect_ratio=True, fill_value=-1.0)(x)
    assert padded.shape == (2, 12, 12, 3) and float(padded[0, 0, 0, 0]) == -1.0


def test_normalization_adapt_matches_numpy():
    rng = np.random.default_rng(0)
    data = (rng.normal(size=(300, 4, 3)) * [1, 2, 3] + [5, -1, 0]).astype(np.float32)
    norm = L.Normalization()
    norm.adapt(data)
    mean, var, count = norm.get_weights()
    np.testing.assert_allclose(mean, data.mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(var, data.var(axis=(0, 1)), rtol=1e-5)
    assert count == 1200
    out = norm(data).numpy()
    np.testing.assert_allclose(out.mean(axis=(0, 1)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 1)), 1, atol=1e-4)
    batched = L.Normalization(axis=None)
    batched.adapt([data[:100], data[100:]])  # an iterable of batches, merged exactly
    np.testing.assert_allclose(batched.get_weights()[1], data.var(), rtol=1e-5)
    inverse = L.Normalization(mean=mean, variance=var, invert=True)
    np.testing.assert_allclose(inverse(out).numpy(), data, rtol=1e-4, atol=1e-4)


def test_augmentation_layers_inside_a_model_train_only_during_fit():
    model = lamina.Sequential([L.RandomFlip("horizontal", input_shape=(8, 8, 1)), L.RandomRotation(0.1),
                               L.Rescaling(1 / 255.0), L.Flatten(), L.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(1).integers(0, 256, (20, 8, 8, 1)).astype(np.uint8)
    y = np.arange(20) % 2
    model.fit(x, y, epochs=1, batch_size=10, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("factory,match", [
    (lambda: L.RandomRotation("big"), r"factor to be a number or a pair \(low, high\).*'big'"),
    (lambda: L.RandomFlip("diagonal"), r"mode to be one of 'horizontal', 'vertical'.*'diagonal'"),
    (lambda: L.RandomZoom(0.2, fill_mode="mirror"), r"fill_mode to be one of .*'mirror'"),
    (lambda: L.RandomTranslation(1.5, 0), r"height_factor.*in \[-1.0, 1.0\].*1.5"),
    (lambda: L.RandomZoom(-1.2), r"height_factor above -1"),
    (lambda: L.RandomBrightness(0.1, value_range=(1, 0)), r"value_range to be a pair \(low, high\) with low < high"),
    (lambda: L.Resizing(0, 4), r"height to be a positive int.*0"),
    (lambda: L.Resizing(4, 4, interpolation="lanczos9"), r"interpolation to be one of .*'lanczos9'"),
    (lambda: L.Normalization(mean=1.0), r"both mean and variance, or neither"),
    (lambda: L.RandomCrop(4, 4, seed=-1), r"seed to be None or a non-negative int.*-1"),
])
def test_bad_layer_arguments(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_rank_error_names_the_layer():
    with pytest.raises(ValueError, match=r"Layer 'random_flip.*' \(RandomFlip\) expects images of rank 4.*\(5, 3\)"):
        L.RandomFlip()(torch.zeros(5, 3), training=True)
