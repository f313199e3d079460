"""Transfer on real data: a small convnet pretrained on the sample's digits 0-4 learns digits 5-9
from 100 labelled images, (a) as a frozen base with a new classifier and (b) fine-tuned, against
(c) the same net trained from scratch on the same 100 images and (a0) the frozen-base recipe on an
untrained base.

What the sample supports (seeds 0-2, one thread): (a) 0.889/0.916/0.913, (b) 0.892/0.914/0.913,
(c) 0.909/0.914/0.899, (a0) 0.849/0.823/0.885 on the 1,944 test images of 5-9. The pretrained
features are better than untrained ones (a0 is below a), but on MNIST a 20-images-per-class scratch
baseline trained to convergence matches transfer from five other digits: across architectures
(2-4 conv layers, 32-128 filters, flatten or pooled features), pretraining lengths (3-8 epochs,
with and without augmentation), heads and budgets (equal epochs or each to convergence), no
setting gave (a) or (b) a margin over (c) larger than the seed-to-seed spread. The test therefore
asserts what holds, on the mean of three seeds: transfer learns 5-9 from 100 images to scratch's
level (within 2 points), frozen weights stay untouched, and it beats the untrained base clearly.
"""
import numpy as np
import pytest

from lamina import Input, Model, Sequential, layers, optimizers, utils
from lamina.datasets import mnist_sample


def _base(name):
    x_in = Input(shape=(28, 28, 1))
    h = layers.Conv2D(32, 3, activation="relu")(x_in)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(64, 3, activation="relu")(h)
    h = layers.MaxPooling2D()(h)
    return Model(x_in, layers.Flatten()(h), name=name)


def _classifier(base):
    return Sequential([base, layers.Dropout(0.5), layers.Dense(5, activation="softmax")])


def _compile(model, lr):
    model.compile(optimizer=optimizers.RMSprop(learning_rate=lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _run(seed, x, y, xt, yt):
    """(a, b, c, a0) test accuracies on 5-9 for one seed."""
    utils.set_random_seed(seed)
    base = _base("digits_0_4")
    pretrain = _compile(_classifier(base), 1e-3)
    pretrain.fit(x[y < 5], y[y < 5], epochs=3, batch_size=64, verbose=0)
    assert pretrain.evaluate(xt[yt < 5], yt[yt < 5], verbose=0)[1] > 0.95

    rng = np.random.default_rng(seed)
    few = np.concatenate([rng.choice(np.flatnonzero(y == d), 20, replace=False) for d in range(5, 10)])
    xs, ys = x[few], y[few] - 5
    x_test, y_test = xt[yt >= 5], yt[yt >= 5] - 5

    # (a) feature extraction: the pretrained base frozen, a new classifier on top
    base.trainable = False
    frozen = base.get_weights()
    model = _compile(_classifier(base), 1e-3)
    model.fit(xs, ys, epochs=30, batch_size=20, verbose=0)
    acc_a = model.evaluate(x_test, y_test, verbose=0)[1]
    assert all(np.array_equal(a, b) for a, b in zip(frozen, base.get_weights()))

    # (b) fine-tuning: unfreeze, recompile with a small learning rate, train on
    base.trainable = True
    _compile(model, 1e-4).fit(xs, ys, epochs=20, batch_size=20, verbose=0)
    acc_b = model.evaluate(x_test, y_test, verbose=0)[1]

    # (c) the same net from scratch, trained as long as (a) and (b) together
    utils.set_random_seed(seed)
    scratch = _compile(_classifier(_base("scratch")), 1e-3)
    scratch.fit(xs, ys, epochs=50, batch_size=20, verbose=0)
    acc_c = scratch.evaluate(x_test, y_test, verbose=0)[1]

    # (a0) the recipe of (a) on an untrained base: what the pretrained features add
    untrained = _base("untrained")
    untrained.trainable = False
    probe = _compile(_classifier(untrained), 1e-3)
    probe.fit(xs, ys, epochs=30, batch_size=20, verbose=0)
    acc_a0 = probe.evaluate(x_test, y_test, verbose=0)[1]
    return acc_a, acc_b, acc_c, acc_a0


@pytest.mark.slow
def test_pretrained_digits_0_4_transfer_to_5_9_from_100_images():
    (x, y), (xt, yt) = mnist_sample.load_data()
    x, xt = (x.astype("float32") / 255.0)[..., None], (xt.astype("float32") / 255.0)[..., None]
    runs = np.array([_run(seed, x, y, xt, yt) for seed in (0, 1, 2)])
    acc_a, acc_b, acc_c, acc_a0 = runs.mean(axis=0)
    summary = f"mean over 3 seeds: a={acc_a:.3f} b={acc_b:.3f} c={acc_c:.3f} a0={acc_a0:.3f}; runs {runs.round(3)}"
    assert runs[:, :2].min() > 0.86, summary
    assert acc_a > acc_c - 0.02 and acc_b > acc_c - 0.02, summary
    assert acc_a > acc_a0 + 0.03, summary
