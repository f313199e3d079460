"""fit / evaluate / predict: Keras semantics and the promised errors."""
import io

import numpy as np
import pytest
import torch

import lamina
from lamina import callbacks, layers, optimizers, regularizers
from lamina.utils import set_random_seed, to_categorical


def blobs(n=240, classes=3, dim=8, seed=0):
    """Separable Gaussian blobs: a small problem every model here can learn."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, (classes, dim))
    y = rng.integers(0, classes, n)
    x = (centers[y] + rng.normal(0, 1, (n, dim))).astype(np.float32)
    return x, y


def mlp(dim=8, classes=3, **dense_kwargs):
    return lamina.Sequential([layers.Dense(16, activation="relu", input_shape=(dim,), **dense_kwargs),
                              layers.Dense(classes, activation="softmax")])


def compiled(model=None, loss="sparse_categorical_crossentropy", metrics=("accuracy",), lr=0.05):
    model = model or mlp()
    model.compile(optimizer=optimizers.SGD(learning_rate=lr, momentum=0.9), loss=loss, metrics=list(metrics))
    return model


def test_fit_returns_history_with_keras_keys_and_learns():
    x, y = blobs()
    model = compiled()
    history = model.fit(x, y, epochs=8, batch_size=16, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == list(range(8))
    assert all(len(v) == 8 for v in history.history.values())
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.9
    assert model.history is history


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y = blobs(n=100)
    model = compiled()
    history = model.fit(x, y, epochs=1, batch_size=10, validation_split=0.2, verbose=0)
    val_loss, val_acc = model.evaluate(x[80:], y[80:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-5)
    assert history.history["val_accuracy"][0] == pytest.approx(val_acc)


def test_epoch_loss_is_the_batch_size_weighted_mean_and_evaluate_matches_formula():
    x, y = blobs(n=50)
    model = compiled()
    model.fit(x, y, epochs=1, batch_size=50, shuffle=False, verbose=0)
    probs = model.predict(x, verbose=0)
    expected = -np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1)))
    loss, acc = model.evaluate(x, y, batch_size=7, verbose=0)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert acc == pytest.approx(np.mean(probs.argmax(1) == y))


def test_fused_softmax_crossentropy_equals_unfused_and_stays_finite():
    x, y = blobs(n=64)
    fused = compiled(loss="sparse_categorical_crossentropy")
    fused.fit(x, y, epochs=1, verbose=0)
    # The same weights with a Reshape after the softmax: its output is a new tensor without the
    # logits, so the loss is computed from the (clipped) probabilities.
    plain = lamina.Sequential([layers.Dense(16, activation="relu", input_shape=(8,)), layers.Dense(3),
                               layers.Activation("softmax"), layers.Reshape((3,))])
    plain.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    plain.set_weights(fused.get_weights())
    probe = torch.as_tensor(x[:4])
    assert fused(probe)._keras_activation == "softmax" and not hasattr(plain(probe), "_keras_logits")
    assert fused.evaluate(x, y, verbose=0)[0] == pytest.approx(plain.evaluate(x, y, verbose=0), rel=1e-5)
    # Huge logits: the log-space form gives a large but finite loss and finite gradients.
    with torch.no_grad():
        fused.layers[-1].kernel.mul_(1e4)
    history = fused.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert all(torch.isfinite(w).all() for w in fused.weights)


def test_one_hot_targets_with_categorical_crossentropy_and_acc_name():
    x, y = blobs()
    model = compiled(loss="categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, to_categorical(y, 3), epochs=3, validation_data=(x[:40], to_categorical(y[:40], 3)),
                        verbose=0)
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}


def test_sample_weight_scales_each_sample_loss_keras_style():
    x, y = blobs(n=40)
    model = compiled()
    w = np.linspace(0.0, 2.0, 40).astype(np.float32)
    probs = model.predict(x, verbose=0)
    per = -np.log(np.clip(probs[np.arange(40), y], 1e-7, 1))
    # Keras 'sum_over_batch_size': sum(w * l) / batch_size, per batch; one batch here.
    loss = model.test_on_batch(x, y, sample_weight=w)[0]
    assert loss == pytest.approx(np.sum(w * per) / 40, rel=1e-5)


def test_class_weight_matches_equivalent_sample_weight():
    x, y = blobs(n=60)
    set_random_seed(1)
    a = compiled()
    set_random_seed(1)
    b = compiled()
    b.set_weights(a.get_weights())
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    a.fit(x, y, epochs=2, batch_size=20, shuffle=False, class_weight=cw, verbose=0)
    b.fit(x, y, epochs=2, batch_size=20, shuffle=False, sample_weight=np.array([cw[c] for c in y]), verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)


def test_l2_regularizer_adds_its_penalty_to_the_loss():
    x, y = blobs(n=30)
    model = compiled(mlp(kernel_regularizer=regularizers.l2(0.01)))
    base = compiled()
    base.set_weights(model.get_weights())
    kernel = model.layers[0].get_weights()[0]
    expected = base.evaluate(x, y, verbose=0)[0] + 0.01 * np.sum(kernel ** 2)
    assert model.evaluate(x, y, verbose=0)[0] == pytest.approx(expected, rel=1e-5)


def test_activity_regularizer_penalty_is_divided_by_batch_size():
    x, y = blobs(n=30)
    model = compiled(mlp(activity_regularizer=regularizers.l1(0.01)))
    base = compiled()
    base.set_weights(model.get_weights())
    hidden = np.maximum(x @ model.layers[0].get_weights()[0] + model.layers[0].get_weights()[1], 0)
    expected = base.test_on_batch(x, y)[0] + 0.01 * np.abs(hidden).sum() / len(x)
    assert model.test_on_batch(x, y)[0] == pytest.approx(expected, rel=1e-5)


def test_torch_tensors_generators_and_dataloaders_train():
    x, y = blobs(n=96)
    model = compiled()
    model.fit(torch.from_numpy(x), torch.from_numpy(y), epochs=1, verbose=0)

    def gen():
        while True:
            for i in range(0, 96, 32):
                yield x[i:i + 32], y[i:i + 32]
    h = model.fit(gen(), steps_per_epoch=96 / 32, epochs=2, verbose=0, validation_data=(x, y))
    assert len(h.history["loss"]) == 2
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                         batch_size=32, shuffle=True)
    h = model.fit(loader, epochs=2, verbose=0, validation_data=loader)
    assert h.history["val_accuracy"][-1] > 0.8
    assert model.evaluate(loader, verbose=0)[1] > 0.8
    assert model.predict(torch.from_numpy(x), verbose=0).shape == (96, 3)


def test_endless_generator_without_steps_is_refused():
    def gen():
        while True:
            yield np.zeros((4, 8), np.float32), np.zeros(4, np.int64)
    model = compiled()
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(gen(), epochs=1, verbose=0)


def test_functional_two_inputs_two_outputs_with_loss_weights():
    a = lamina.Input(shape=(8,), name="a")
    b = lamina.Input(shape=(4,), name="b")
    h = layers.Dense(16, activation="relu")(layers.Concatenate()([a, b]))
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    model = lamina.Model([a, b], [cls, reg])
    model.compile(optimizer="adam", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]})
    x, y = blobs(n=64)
    xb = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    target = xb.sum(1, keepdims=True)
    history = model.fit([x, xb], [y, target], epochs=2, verbose=0, validation_split=0.25)
    assert set(history.history) == {"loss", "cls_loss", "reg_loss", "cls_accuracy",
                                    "val_loss", "val_cls_loss", "val_reg_loss", "val_cls_accuracy"}
    logs = model.evaluate({"a": x, "b": xb}, {"cls": y, "reg": target}, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["cls_loss"] + 0.5 * logs["reg_loss"], rel=1e-5)
    assert model.metrics_names == ["loss", "cls_loss", "reg_loss", "cls_accuracy"]


def test_subclassed_model_trains_and_passes_training_flag():
    class Net(lamina.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(16, activation="relu")
            self.drop = layers.Dropout(0.5)
            self.out = layers.Dense(3, activation="softmax")

        def call(self, inputs, training=None):
            return self.out(self.drop(self.hidden(inputs), training=training))

    x, y = blobs()
    model = Net()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] > 0.8
    p1, p2 = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(p1, p2)  # dropout is off in predict


def test_on_batch_methods():
    x, y = blobs(n=32)
    model = compiled()
    before = [w.copy() for w in model.get_weights()]
    loss, acc = model.train_on_batch(x, y)
    assert np.isfinite(loss) and 0 <= acc <= 1
    assert any(not np.array_equal(b, a) for b, a in zip(before, model.get_weights()))
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, verbose=0), rtol=1e-6)


def test_verbose_modes_print_keras_style_lines(capsys):
    x, y = blobs(n=64)
    model = compiled()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, batch_size=16, verbose=2, validation_split=0.25)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Epoch 1/2 - 3/3 - ") and "loss: " in lines[0] and "val_accuracy: " in lines[0]


def test_progress_bar_on_a_terminal_redraws_in_place():
    from lamina.training.progress import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True
    out = Tty()
    p = Progress(1, steps=10, epochs=3, stream=out)
    p.start(0)
    p.update(5, {"loss": 0.5})
    p.finish(10, {"loss": 0.25, "accuracy": 0.9})
    text = out.getvalue()
    assert text.startswith("Epoch 1/3\n")
    assert " 5/10 [==============>...............] - ETA: " in text
    assert "\r10/10 [==============================] - " in text and "loss: 0.2500 - accuracy: 0.9000" in text


def test_early_stopping_on_val_acc_with_accuracy_metric_stops_and_restores():
    x, y = blobs()
    model = compiled(lr=0.05)
    stop = callbacks.EarlyStopping(monitor="val_acc", min_delta=0.0001, patience=2, mode="auto")
    history = model.fit(x, y, epochs=100, batch_size=16, validation_split=0.25, callbacks=[stop], verbose=0)
    assert len(history.epoch) < 100
    assert stop.stopped_epoch == history.epoch[-1]


# ---------------------------------------------------------------- the promised errors
def test_fit_before_compile_says_compile_first():
    with pytest.raises(RuntimeError, match=r"compile the model before calling fit\(\)"):
        mlp().fit(*blobs(), verbose=0)


def test_x_and_y_of_different_lengths():
    x, y = blobs()
    with pytest.raises(ValueError, match="x has 240 samples, y has 239"):
        compiled().fit(x, y[:-1], verbose=0)


@pytest.mark.parametrize("bad", [0, -5, 2.5])
def test_batch_size_must_be_positive(bad):
    with pytest.raises(ValueError, match=rf"fit expects batch_size to be a positive int. Received: batch_size={bad}"):
        compiled().fit(*blobs(), batch_size=bad, verbose=0)


def test_empty_dataset():
    with pytest.raises(ValueError, match="empty dataset"):
        compiled().fit(np.zeros((0, 8), np.float32), np.zeros(0, np.int64), verbose=0)


def test_wrong_input_shape_names_the_model_input_and_first_layer():
    model = compiled()
    with pytest.raises(ValueError, match=r"expects input shape \(None, 8\) \(first layer 'dense' \(Dense\)\); "
                                         r"received shape \(None, 9\)"):
        model.fit(np.zeros((10, 9), np.float32), np.zeros(10, np.int64), verbose=0)
    with pytest.raises(ValueError, match=r"received shape \(None, 2, 4\). The sizes match: reshape"):
        model.predict(np.zeros((10, 2, 4), np.float32), verbose=0)


def test_integer_labels_with_categorical_crossentropy_suggest_sparse():
    x, y = blobs()
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        compiled(loss="categorical_crossentropy").fit(x, y, verbose=0)


def test_one_hot_labels_with_sparse_loss_suggest_categorical():
    x, y = blobs()
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        compiled(loss="sparse_categorical_crossentropy").fit(x, to_categorical(y, 3), verbose=0)


def test_unknown_keyword_to_fit_lists_valid_ones():
    with pytest.raises(TypeError, match="Valid arguments: x, y, batch_size"):
        compiled().fit(*blobs(), epoch=3, verbose=0)


def test_unknown_optimizer_loss_metric_names_suggest():
    model = mlp()
    with pytest.raises(ValueError, match="did you mean 'adam'"):
        model.compile(optimizer="adma", loss="mse")
    with pytest.raises(ValueError, match="did you mean 'categorical_crossentropy'"):  # at compile, not at fit
        model.compile(optimizer="sgd", loss="categorical_crossentopy")
    with pytest.raises(ValueError, match="did you mean 'accuracy'"):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["acuracy"])


def test_nan_loss_stops_with_terminate_on_nan(capsys):
    x, y = blobs(n=64)
    x[10] = np.nan
    model = compiled()
    history = model.fit(x, y, epochs=5, batch_size=16, shuffle=False, callbacks=[callbacks.TerminateOnNaN()],
                        verbose=0)
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    assert len(history.epoch) <= 1


@pytest.mark.slow
def test_jit_compile_trains_like_eager():
    x, y = blobs(n=64)
    histories = []
    for jit in (False, True):
        set_random_seed(3)
        model = mlp()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      jit_compile=jit)
        histories.append(model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history)
    assert histories[1]["loss"] == pytest.approx(histories[0]["loss"], rel=1e-4)
    assert histories[1]["accuracy"] == histories[0]["accuracy"]
    assert model._compiled_forward is not None   # the compiled function ran, not the eager one


@pytest.mark.slow
def test_jit_compile_with_masks_trains_like_eager():
    """Embedding(mask_zero=True) -> LSTM: the compiled forward + loss honours the padding mask as eager does."""
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 50, (128, 12))
    for i, n in enumerate(rng.integers(3, 13, 128)):
        ids[i, n:] = 0
    y = (ids[:, 0] > 25).astype("float32")
    runs = []
    for jit in (False, True):
        set_random_seed(1)
        model = lamina.Sequential([layers.Input((12,), dtype="int32"), layers.Embedding(50, 8, mask_zero=True),
                            layers.LSTM(8), layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", jit_compile=jit)
        history = model.fit(ids, y, epochs=2, batch_size=64, shuffle=False, verbose=0).history
        runs.append((history["loss"], model.predict(ids[:8], verbose=0)))
    assert runs[1][0] == pytest.approx(runs[0][0], rel=1e-5)
    np.testing.assert_allclose(runs[1][1], runs[0][1], atol=1e-5)
    assert model._compiled_forward is not None
