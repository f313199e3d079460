"""Dropout, SpatialDropout2D, GaussianNoise, GaussianDropout."""
import math

import pytest
import torch

from lamina import Sequential
from lamina.layers import Dense, Dropout, GaussianDropout, GaussianNoise, Input, SpatialDropout2D


@pytest.mark.parametrize("seed", [None, 7])
def test_dropout_drops_rate_and_scales_the_rest(seed):
    x = torch.ones(200, 500)
    y = Dropout(0.3, seed=seed)(x, training=True)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - 0.3) < 0.01
    kept = y[y != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / 0.7))


def test_dropout_is_identity_at_inference():
    x = torch.randn(4, 10)
    layer = Dropout(0.5)
    assert layer(x) is x  # training=None -> layer.training, False by default
    assert layer(x, training=False) is x
    model = Sequential([Dense(10, input_shape=(10,)), Dropout(0.5)])
    torch.testing.assert_close(model(x), model.layers[0](x))
    model.train()
    assert (model(x) == 0).any()


def test_dropout_noise_shape_shares_the_mask():
    x = torch.ones(8, 5, 6)
    y = Dropout(0.5, noise_shape=(None, 1, 6))(x, training=True)
    assert torch.equal(y, y[:, :1, :].expand_as(y))
    assert (y == 0).any() and (y != 0).any()


def test_seeded_dropout_repeats_its_mask_sequence_whatever_the_global_seed():
    x = torch.ones(4, 50)
    a, b = Dropout(0.5, seed=42), Dropout(0.5, seed=42)
    torch.manual_seed(1)
    first = [a(x, training=True) for _ in range(3)]
    torch.manual_seed(2)
    second = [b(x, training=True) for _ in range(3)]
    for p, q in zip(first, second):
        assert torch.equal(p, q)
    assert not torch.equal(first[0], first[1])
    torch.manual_seed(3)
    c, d = Dropout(0.5), Dropout(0.5)
    assert not torch.equal(c(x, training=True), d(x, training=True))


def test_dropout_edge_rates():
    x = torch.randn(3, 4)
    assert Dropout(0.0)(x, training=True) is x
    assert torch.equal(Dropout(1.0)(x, training=True), torch.zeros(3, 4))


def test_spatial_dropout_drops_whole_channels():
    x = torch.ones(16, 3, 3, 8)
    y = SpatialDropout2D(0.5, seed=0)(x, training=True)
    per_map = y.permute(0, 3, 1, 2).reshape(16 * 8, 9)
    assert torch.all((per_map == 0).all(1) | (per_map == 2.0).all(1))
    assert (per_map == 0).all(1).any()
    yf = SpatialDropout2D(0.5, data_format="channels_first", seed=0)(x, training=True)
    assert torch.all((yf == 0).all(dim=(2, 3)) | (yf == 2.0).all(dim=(2, 3)))


def test_gaussian_noise_statistics_and_inference():
    x = torch.zeros(100, 1000)
    layer = GaussianNoise(0.5)
    y = layer(x, training=True)
    assert abs(y.mean().item()) < 0.01 and abs(y.std().item() - 0.5) < 0.01
    assert layer(x) is x


def test_gaussian_dropout_statistics_and_inference():
    x = torch.ones(100, 1000)
    layer = GaussianDropout(0.2, seed=1)
    y = layer(x, training=True)
    assert abs(y.mean().item() - 1.0) < 0.01
    assert abs(y.std().item() - math.sqrt(0.2 / 0.8)) < 0.01
    assert layer(x, training=False) is x


def test_regularization_errors():
    with pytest.raises(ValueError, match=r"Dropout expects rate to be a float in \[0, 1\]\. Received: rate=1\.5"):
        Dropout(1.5)
    with pytest.raises(ValueError, match=r"GaussianDropout expects rate to be a float in \[0, 1\)\. "
                                         r"Received: rate=1"):
        GaussianDropout(1)
    with pytest.raises(ValueError, match=r"Dropout expects seed to be None or a non-negative int\. "
                                         r"Received: seed=-1"):
        Dropout(0.5, seed=-1)
    with pytest.raises(ValueError, match=r"Dropout expects noise_shape to be None or a tuple of positive ints and "
                                         r"None\. Received: noise_shape=\(0, 1\)"):
        Dropout(0.5, noise_shape=(0, 1))
    with pytest.raises(ValueError, match=r"Layer 'dropout_\d+' \(Dropout\) has noise_shape=\(None, 3\), which does "
                                         r"not fit its input shape \(None, 4\)"):
        Dropout(0.5, noise_shape=(None, 3))(Input(shape=(4,)))
    with pytest.raises(ValueError, match=r"GaussianNoise expects stddev to be a non-negative float\. "
                                         r"Received: stddev=-0\.1"):
        GaussianNoise(-0.1)
    with pytest.raises(ValueError, match=r"\(SpatialDropout2D\) expects 4-D input \(batch, rows, cols, channels\)\. "
                                         r"Received shape \(None, 5\)"):
        SpatialDropout2D(0.2)(Input(shape=(5,)))
