"""The public training step: overridable train_step/test_step/predict_step, compute_loss,
compute_metrics and metrics (Keras 3), add_loss per call, the trainable snapshot taken at
compile(), and calls from many threads on one model."""
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest
import torch

import lamina
from lamina import layers, losses, metrics, optimizers
from lamina.utils import set_random_seed, unpack_x_y_sample_weight


def blobs(n=120, d=8, k=3, seed=0):
    rng = np.random.RandomState(seed)
    centers = rng.randn(k, d) * 3
    y = rng.randint(0, k, n)
    x = (centers[y] + rng.randn(n, d)).astype("float32")
    return x, y


def mlp(d=8, k=3, activation="softmax"):
    return lamina.Sequential([layers.Dense(16, activation="relu", input_shape=(d,)),
                              layers.Dense(k, activation=activation)])


# ---------------------------------------------------------------------------------- overriding the step
class GAN(lamina.Model):
    """The Keras 3 guide's GAN: two networks, two optimizers, its own trackers and train_step."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = metrics.Mean(name="d_loss")
        self.g_loss_tracker = metrics.Mean(name="g_loss")
        self.built = True

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, data):
        real, _, _ = unpack_x_y_sample_weight(data)
        n = real.shape[0]
        z = torch.randn(n, self.latent_dim)
        fake = self.generator(z)
        images = torch.cat([fake.detach(), real])
        labels = torch.cat([torch.ones(n, 1), torch.zeros(n, 1)])
        self.zero_grad()
        d_loss = self.loss_fn(labels, self.discriminator(images))
        d_loss.backward()
        self.d_optimizer.apply([v.grad for v in self.discriminator.trainable_weights],
                               self.discriminator.trainable_weights)
        self.zero_grad()
        g_loss = self.loss_fn(torch.zeros(n, 1), self.discriminator(self.generator(z)))
        g_loss.backward()
        self.g_optimizer.apply([v.grad for v in self.generator.trainable_weights], self.generator.trainable_weights)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def test_fit_runs_an_overridden_train_step_with_two_optimizers():
    set_random_seed(3)
    disc = lamina.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)), layers.Dense(1, "sigmoid")])
    gen = lamina.Sequential([layers.Dense(8, activation="relu", input_shape=(2,)), layers.Dense(4)])
    gan = GAN(disc, gen, latent_dim=2)
    gan.compile(optimizers.Adam(1e-3), optimizers.Adam(1e-3), losses.BinaryCrossentropy())
    d_before, g_before = disc.get_weights(), gen.get_weights()
    real = np.random.RandomState(0).randn(64, 4).astype("float32") + 2
    history = gan.fit(real, epochs=2, batch_size=16, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    assert len(history.history["d_loss"]) == 2 and all(np.isfinite(history.history["g_loss"]))
    assert all(not np.array_equal(a, b) for a, b in zip(disc.get_weights(), d_before))
    assert all(not np.array_equal(a, b) for a, b in zip(gen.get_weights(), g_before))
    # The trackers were reset at each epoch: epoch 2's value averages its own 4 batches only.
    assert gan.d_loss_tracker.count.item() == 4


class Sampling(layers.Layer):
    """The VAE's reparameterisation, adding the KL divergence with add_loss."""

    def call(self, inputs, training=None):
        mean, log_var = inputs
        kl = -0.5 * torch.mean(torch.sum(1 + log_var - mean ** 2 - log_var.exp(), dim=1))
        self.add_loss(0.1 * kl)
        return mean + torch.exp(0.5 * log_var) * (torch.randn_like(mean) if training else 0.0)


def vae(d=6, latent=2):
    x = lamina.Input((d,))
    h = layers.Dense(8, activation="relu")(x)
    z = Sampling()([layers.Dense(latent)(h), layers.Dense(latent)(h)])
    out = layers.Dense(d)(layers.Dense(8, activation="relu")(z))
    return lamina.Model(x, out)


def test_add_loss_counts_in_fit_and_evaluate_and_model_losses_reports_it():
    set_random_seed(5)
    model = vae()
    x = np.random.RandomState(1).randn(64, 6).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    assert model.losses == []
    with torch.no_grad():
        out = model(torch.as_tensor(x))
    assert len(model.losses) == 1 and model.losses[0].dim() == 0
    # evaluate's loss = the mean squared error + the KL term the layer added, for the same batch.
    mse = float(((out.detach().numpy() - x) ** 2).mean())
    assert model.evaluate(x, x, batch_size=64, verbose=0) == pytest.approx(mse + model.losses[0].item(), rel=1e-5)
    history = model.fit(x, x, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_add_loss_alone_trains_a_model_compiled_without_a_loss():
    set_random_seed(6)
    model = vae()
    x = np.random.RandomState(2).randn(32, 6).astype("float32")
    model.compile(optimizer="sgd")
    history = model.fit(x, epochs=3, batch_size=8, verbose=0)   # no targets: only the KL term
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_overridden_test_step_and_predict_step_are_used():
    class Doubling(lamina.Sequential):
        def predict_step(self, data):
            return super().predict_step(data) * 2

        def test_step(self, data):
            logs = super().test_step(data)
            return {**logs, "extra": torch.tensor(7.0)}

    model = Doubling([layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((5, 3), "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), 2 * model(torch.as_tensor(x)).detach().numpy(),
                               rtol=1e-6)
    logs = model.evaluate(x, np.zeros((5, 2), "float32"), verbose=0, return_dict=True)
    assert logs["extra"] == 7.0 and "loss" in logs


def test_a_train_step_that_returns_a_tensor_gets_a_clear_error():
    class Wrong(lamina.Sequential):
        def train_step(self, data):
            x, y, _ = unpack_x_y_sample_weight(data)
            return torch.mean((self(x) - y) ** 2)

    model = Wrong([layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match=r"train_step\(\) must return a dict of metric names to values.*"
                                        r"Received Tensor"):
        model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), verbose=0)


def test_compute_loss_reads_the_logits_of_a_softmax_output():
    x, y = blobs(n=16)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    out = model(torch.as_tensor(x))
    assert torch.equal(out, torch.softmax(out._keras_logits, -1))
    fused = model.compute_loss(y=torch.as_tensor(y), y_pred=out)
    plain = torch.nn.functional.nll_loss(torch.log(out), torch.as_tensor(y))
    assert fused.item() == pytest.approx(plain.item(), rel=1e-5)


# ---------------------------------------------------------------------------------- weighted metrics, compile
def test_weighted_metrics_use_the_sample_weights():
    x, y = blobs(n=60)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    w = np.zeros(60, "float32")
    w[:10] = 1.0
    logs = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy", "weighted_accuracy"]
    right = model.predict(x, verbose=0).argmax(1) == y
    assert logs["accuracy"] == pytest.approx(right.mean())
    assert logs["weighted_accuracy"] == pytest.approx(right[:10].mean())


def test_compile_refuses_unknown_arguments_and_keras1_forms():
    model = mlp()
    with pytest.raises(TypeError, match="sample_weight_mode"):
        model.compile(optimizer="sgd", loss="mse", sample_weight_mode="temporal")
    with pytest.raises(TypeError, match=r"run_eagerly to be True or False. Received: run_eagerly='yes'"):
        model.compile(optimizer="sgd", loss="mse", run_eagerly="yes")
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=0)


# ---------------------------------------------------------------------------------- trainable at compile time
def test_trainable_is_snapshotted_at_compile_as_in_the_classic_gan_recipe():
    set_random_seed(7)
    disc = lamina.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(1, "sigmoid")])
    disc.compile(optimizer="sgd", loss="binary_crossentropy")
    disc.trainable = False
    gen = lamina.Sequential([layers.Dense(3, input_shape=(2,))])
    z = lamina.Input((2,))
    gan = lamina.Model(z, disc(gen(z)))
    gan.compile(optimizer="sgd", loss="binary_crossentropy")
    assert gan.count_params() == 9 + 21 and len(gan.trainable_weights) == 2    # summary counts follow the flags

    x, ones = np.random.RandomState(0).randn(8, 3).astype("float32"), np.ones((8, 1), "float32")
    zs = np.random.RandomState(1).randn(8, 2).astype("float32")
    d0, g0 = disc.get_weights(), gen.get_weights()
    with pytest.warns(UserWarning, match=r"Model 'sequential\w*': the trainable weights changed since compile"):
        disc.train_on_batch(x, ones)            # compiled while trainable: still trains
    assert all(not np.array_equal(a, b) for a, b in zip(disc.get_weights(), d0))
    d1 = disc.get_weights()
    gan.train_on_batch(zs, ones)                # compiled after the freeze: only the generator moves
    assert all(np.array_equal(a, b) for a, b in zip(disc.get_weights(), d1))
    assert all(not np.array_equal(a, b) for a, b in zip(gen.get_weights(), g0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        disc.train_on_batch(x, ones)            # the warning comes once per model


def test_recompiling_applies_a_changed_trainable_flag():
    x, y = blobs(n=32)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.layers[0].trainable = False
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    first = model.layers[0].get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(model.layers[0].get_weights(), first))


def test_a_model_compiled_fully_frozen_says_what_to_do():
    model = mlp()
    model.trainable = False
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"no trainable weights.*compile\(\) again"):
        model.fit(np.ones((4, 8), "float32"), np.ones((4, 3), "float32"), verbose=0)


# ---------------------------------------------------------------------------------- many threads, one model
def test_eight_threads_predict_and_evaluate_one_model_exactly_as_sequential_calls():
    set_random_seed(11)
    x, y = blobs(n=200)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    slices = [(x[i * 25:(i + 1) * 25], y[i * 25:(i + 1) * 25]) for i in range(8)]
    want_pred = [model.predict(a, verbose=0) for a, _ in slices]
    want_eval = [model.evaluate(a, b, batch_size=5, verbose=0) for a, b in slices]
    want_batch = [model.predict_on_batch(a) for a, _ in slices]
    results: dict = {}
    barrier = threading.Barrier(8)
    threads_before = torch.get_num_threads()
    torch.set_num_threads(1)   # the threads, not torch's pool, give the parallelism here
    try:
        def work(i):
            a, b = slices[i]
            barrier.wait()
            for _ in range(10):
                results.setdefault(("pred", i), []).append(model.predict(a, batch_size=7, verbose=0))
                results.setdefault(("eval", i), []).append(model.evaluate(a, b, batch_size=5, verbose=0))
                results.setdefault(("batch", i), []).append(model.predict_on_batch(a))
        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        torch.set_num_threads(threads_before)
    for i in range(8):
        assert len(results[("eval", i)]) == 10
        for p in results[("pred", i)]:
            np.testing.assert_allclose(p, want_pred[i], rtol=1e-5, atol=1e-7)
        for p in results[("batch", i)]:
            np.testing.assert_allclose(p, want_batch[i], rtol=1e-5, atol=1e-7)
        for loss_acc in results[("eval", i)]:
            np.testing.assert_allclose(loss_acc, want_eval[i], rtol=1e-5)


# ---------------------------------------------------------------------------------- the classic namespace
ISOLATION = """
import lamina.layers as L
before = L.Conv2D(32, 3, 3)
import lamina.keras
from lamina.keras.layers import Conv2D
after = L.Conv2D(32, 3, 3)
classic = Conv2D(32, 3, 3)
print(before.kernel_size, before.strides, after.kernel_size, after.strides, classic.kernel_size, classic.strides,
      isinstance(classic, L.Conv2D), isinstance(after, Conv2D))
import lamina
m = lamina.Sequential([L.Dense(2, input_shape=(3,))])
try:
    m.fit([[0.0, 0.0, 0.0]], [[0.0, 0.0]], nb_epoch=1)
except TypeError as err:
    print("modern fit refuses nb_epoch")
m.compile("adadelta", "mse")
print(m.optimizer.learning_rate)
"""


def test_importing_the_keras_namespace_changes_nothing_for_lamina_code():
    out = subprocess.run([sys.executable, "-c", ISOLATION], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "(3, 3) (3, 3) (3, 3) (3, 3) (3, 3) (1, 1) True True"
    assert lines[1] == "modern fit refuses nb_epoch"
    assert float(lines[2]) == pytest.approx(0.001)   # Keras 3's default, not Keras 2's 1.0


def test_classic_callbacks_read_acc_from_logs():
    from lamina import keras
    seen = []

    class Reader(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((logs.get("acc"), logs.get("val_acc"), logs["loss"]))

    x, y = blobs(n=60)
    model = keras.models.Sequential([keras.layers.Dense(3, input_dim=8, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0, callbacks=[Reader()])
    assert len(seen) == 2 and all(a is not None and v is not None for a, v, _ in seen)
    assert history.history["acc"] == [a for a, _, _ in seen] and "val_acc" in history.history
    assert history.history["accuracy"] == history.history["acc"]   # the Keras 3 spelling answers too


def test_classic_load_model_returns_the_namespace_classes(tmp_path):
    from lamina import keras
    model = lamina.Sequential([layers.Dense(3, input_shape=(4,), activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.save(tmp_path / "m.lamina")
    loaded = keras.models.load_model(tmp_path / "m.lamina")
    assert type(loaded) is keras.models.Sequential and type(loaded.layers[0]) is keras.layers.Dense
    x = np.random.RandomState(0).rand(5, 4).astype("float32")
    np.testing.assert_array_equal(loaded.predict_classes(x), model.predict(x, verbose=0).argmax(1))
    assert type(lamina.models.load_model(tmp_path / "m.lamina")) is lamina.Sequential
