"""Keras 1/2 training forms: nb_epoch, fit_generator (float steps_per_epoch), evaluate/predict_generator,
predict_classes/predict_proba, 'acc' history keys and monitors, Keras 2 optimizer signatures and defaults."""
import warnings

import numpy as np
import pytest

import lamina
from lamina.compat import _state
from lamina.keras import callbacks, layers, models, optimizers
from lamina.keras.preprocessing.image import ImageDataGenerator


@pytest.fixture(autouse=True)
def _every_warning_once_per_test():
    _state._WARNED.clear()
    yield


def _data(n=120, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = np.eye(classes, dtype="float32")[np.argmax(x[:, :classes], axis=1)]
    return x, y


def _mlp(classes=3, activation="softmax", d=6):
    model = models.Sequential([layers.Dense(16, activation="relu", input_dim=d),
                               layers.Dense(classes, activation=activation)])
    model.compile(loss="categorical_crossentropy" if classes > 1 else "binary_crossentropy",
                  optimizer=optimizers.SGD(lr=0.1, momentum=0.9), metrics=["accuracy"])
    return model


def test_nb_epoch_runs_that_many_epochs_and_warns_once():
    x, y = _data()
    model = _mlp()
    with pytest.warns(DeprecationWarning, match=r"fit\(nb_epoch=...\) is the Keras 1 form; use fit\(epochs=...\)"):
        history = model.fit(x, y, nb_epoch=3, batch_size=20, verbose=0)
    assert len(history.history["loss"]) == 3
    with pytest.raises(TypeError, match="both nb_epoch"):
        model.fit(x, y, nb_epoch=2, epochs=4, verbose=0)


def test_history_answers_keras2_and_keras3_keys():
    x, y = _data()
    history = _mlp().fit(x, y, epochs=2, batch_size=20, validation_split=0.2, verbose=0)
    assert history.history["acc"] == history.history["accuracy"]
    assert history.history["val_acc"] == history.history["val_accuracy"]
    assert "val_accuracy" in history.history and "accuracy" in history.history
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}   # Keras 2.2's names
    with pytest.raises(KeyError, match="Recorded keys"):
        history.history["top_k"]


def test_acc_metric_logs_acc_and_early_stopping_on_val_acc():
    x, y = _data(200)
    model = models.Sequential([layers.Dense(3, activation="softmax", input_dim=6)])
    model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["acc"])
    stop = callbacks.EarlyStopping(monitor="val_acc", min_delta=0.0001, patience=1, verbose=0, mode="auto")
    history = model.fit(x, y, epochs=50, batch_size=50, validation_split=0.2, callbacks=[stop], verbose=0)
    assert "acc" in history.history and "val_acc" in history.history
    assert stop._direction == "max" if hasattr(stop, "_direction") else True


def test_fit_generator_with_float_steps_per_epoch_and_datagen_flow():
    x, y = _data(150)
    images = x.reshape(-1, 1, 2, 3).repeat(4, axis=2).repeat(4, axis=3)  # (150, 1, 8, 12) channels_first
    model = models.Sequential([layers.Flatten(input_shape=(1, 8, 12)), layers.Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    datagen = ImageDataGenerator(width_shift_range=0.1, data_format="channels_first")
    datagen.fit(images)
    seen = []
    counter = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    with pytest.warns(DeprecationWarning, match="fit_generator\\(\\) is the Keras 2 form"):
        history = model.fit_generator(datagen.flow(images, y, batch_size=50), steps_per_epoch=len(images) / 40,
                                      epochs=2, callbacks=[counter], validation_data=(images, y), verbose=False)
    assert len(history.history["val_acc"]) == 2
    assert len(seen) == 2 * 4  # ceil(150 / 40) = 4 batches per epoch, as Keras 2 ran


def test_plain_python_generator_with_keras1_arguments():
    x, y = _data(100)

    def batches():
        while True:
            for i in range(0, 100, 25):
                yield x[i:i + 25], y[i:i + 25]

    model = _mlp()
    with pytest.raises(TypeError, match="samples_per_epoch.*steps_per_epoch"):
        model.fit_generator(batches(), samples_per_epoch=100, nb_epoch=1)
    history = model.fit_generator(batches(), steps_per_epoch=4, nb_epoch=2, verbose=0, workers=4,
                                  use_multiprocessing=True)
    assert len(history.history["loss"]) == 2
    loss_acc = model.evaluate_generator(batches(), steps=4)
    assert len(loss_acc) == 2 and 0 <= loss_acc[1] <= 1
    np.testing.assert_allclose(loss_acc, model.evaluate(x, y, batch_size=25, verbose=0), rtol=1e-5)
    preds = model.predict_generator(batches(), steps=2.0)
    assert preds.shape == (50, 3)


def test_samples_per_epoch_with_a_batch_sized_iterator():
    x, y = _data(100)
    flow = ImageDataGenerator().flow(x.reshape(-1, 1, 2, 3), y, batch_size=20)
    model = models.Sequential([layers.Flatten(input_shape=(1, 2, 3)), layers.Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    seen = []
    model.fit_generator(flow, samples_per_epoch=100, nb_epoch=1, verbose=0,
                        callbacks=[callbacks.LambdaCallback(on_train_batch_end=lambda b, l: seen.append(b))])
    assert len(seen) == 5


def test_predict_classes_softmax_and_sigmoid():
    x, y = _data()
    model = _mlp()
    with pytest.warns(DeprecationWarning, match=r"np.argmax\(model.predict\(x\), axis=-1\)"):
        classes = model.predict_classes(x, verbose=False)
    np.testing.assert_array_equal(classes, model.predict(x, verbose=0).argmax(-1))
    binary = _mlp(classes=1, activation="sigmoid")
    out = binary.predict_classes(x)
    np.testing.assert_array_equal(out, (binary.predict(x, verbose=0) > 0.5).astype("int32"))
    assert out.dtype == np.int32 and out.shape == (len(x), 1)


def test_predict_proba_warns_on_values_outside_0_1():
    x, _ = _data()
    model = _mlp()
    np.testing.assert_array_equal(model.predict_proba(x), model.predict(x, verbose=0))
    linear = models.Sequential([layers.Dense(2, input_dim=6)])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        linear.predict_proba(x * 100)
    assert any("outside [0, 1]" in str(w.message) for w in record)


@pytest.mark.parametrize("name,lr", [("adadelta", 1.0), ("adagrad", 0.01), ("adamax", 0.002), ("nadam", 0.002),
                                     ("adam", 0.001), ("rmsprop", 0.001), ("sgd", 0.01)])
def test_optimizer_names_get_keras2_default_learning_rates(name, lr):
    model = models.Sequential([layers.Dense(2, input_dim=3)])
    model.compile(loss="mse", optimizer=name)
    assert model.optimizer.learning_rate == pytest.approx(lr)


def test_keras2_optimizer_signatures():
    from lamina.compat import _state as compat_state
    compat_state._WARNED.discard("SGD.lr")
    with pytest.warns(DeprecationWarning, match=r"SGD\(lr=...\) is the Keras 2 spelling"):
        sgd = optimizers.SGD(lr=0.05, momentum=0.9, nesterov=True)
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (pytest.approx(0.05), 0.9, True)
    positional = optimizers.SGD(0.1, 0.9, 1e-6, True)
    assert (positional.momentum, positional.decay, positional.nesterov) == (0.9, 1e-6, True)
    assert optimizers.SGD(0.1, 0.9, True).nesterov is True  # Keras 2.3's order
    rms = optimizers.RMSprop(0.001, 0.95, None, 0.0)
    assert rms.rho == 0.95 and rms.epsilon == pytest.approx(1e-7)
    adam = optimizers.Adam(0.01, 0.8, 0.99, None, 0.0, True)
    assert (adam.beta_1, adam.beta_2, adam.amsgrad) == (0.8, 0.99, True)
    assert optimizers.Adadelta().learning_rate == 1.0 and optimizers.Adagrad().learning_rate == 0.01
    assert optimizers.Nadam().learning_rate == 0.002 and optimizers.Adamax().learning_rate == 0.002
    assert optimizers.sgd is optimizers.SGD
    with pytest.raises(ValueError, match="schedule_decay"):
        optimizers.Nadam(schedule_decay=0.01)
    with pytest.raises(TypeError, match="both a learning rate"):
        optimizers.SGD(0.1, lr=0.2)


def test_keras2_decay_is_inverse_time_per_step():
    import torch
    p = torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.SGD(lr=1.0, decay=0.5)
    opt.build([p])
    for step in range(3):
        p.grad = torch.ones(1)
        opt.step()
    assert p.item() == pytest.approx(-(1 + 1 / 1.5 + 1 / 2.0))


@pytest.mark.parametrize("kwargs,match", [
    (dict(sample_weight_mode="temporal"), "sample_weight_mode"),
    (dict(target_tensors=[1]), "target_tensors"),
    (dict(foo=1), "unexpected keyword argument"),
])
def test_unsupported_compile_arguments(kwargs, match):
    model = models.Sequential([layers.Dense(2, input_dim=3)])
    with pytest.raises((TypeError, ValueError), match=match):
        model.compile(loss="mse", optimizer="sgd", **kwargs)


def test_keras2_compile_default_arguments_are_accepted():
    model = models.Sequential([layers.Dense(2, input_dim=3)])
    model.compile(loss="mse", optimizer="sgd", sample_weight_mode=None, target_tensors=None)
    assert model.compiled


def test_unknown_fit_argument_lists_the_valid_ones():
    x, y = _data()
    with pytest.raises(TypeError, match="Valid arguments: x, y, batch_size, epochs"):
        _mlp().fit(x, y, nb_epochs=2)


def test_get_layer_index_follows_keras2_sequential_indexing():
    model = models.Sequential([layers.Dense(10, input_dim=784, activation="softmax")])
    assert model.get_layer(index=0) is model.layers[0]
    assert [w.shape for w in model.get_layer(index=0).get_weights()] == [(784, 10), (10,)]


def test_legacy_and_modern_training_are_the_same_computation():
    x, y = _data()
    runs = []
    for legacy in (True, False):
        lamina.utils.set_random_seed(3)
        model = models.Sequential([layers.Dense(8, activation="relu", input_dim=6),
                                   layers.Dense(3, activation="softmax")])
        model.compile(loss="categorical_crossentropy", metrics=["accuracy"],
                      optimizer=optimizers.SGD(lr=0.1) if legacy else lamina.optimizers.SGD(learning_rate=0.1))
        kwargs = dict(nb_epoch=2) if legacy else dict(epochs=2)
        model.fit(x, y, batch_size=16, shuffle=False, verbose=0, **kwargs)
        runs.append(model.predict(x, verbose=0))
    np.testing.assert_array_equal(runs[0], runs[1])
