"""The course's networks trained on the bundled 6,000 digits reach the course's accuracy.

Seeds' table (same 6,000 training images): logistic regression 0.889, MLP 500-500
0.952, course CNN 0.969. These tests hold 0.87 / 0.93 / 0.96 on the 4,000 test digits.
"""
import numpy as np
import pytest

import lamina
from lamina import callbacks, layers, optimizers
from lamina.datasets import mnist_sample
from lamina.utils import set_random_seed, to_categorical

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digits():
    (x, y), (xt, yt) = mnist_sample.load_data()
    return (x / 255.0).astype(np.float32), y, (xt / 255.0).astype(np.float32), yt


def train(model, lr, x, y, epochs, patience=5):
    """The course recipe: SGD + Nesterov, batch 50, fixed 10% validation, early stopping on val_acc."""
    model.compile(loss=lamina.losses.categorical_crossentropy,
                  optimizer=optimizers.SGD(learning_rate=lr, momentum=0.9, nesterov=True), metrics=["accuracy"])
    stop = callbacks.EarlyStopping(monitor="val_acc", min_delta=0.0001, patience=patience, mode="auto")
    return model.fit(x, to_categorical(y, 10), epochs=epochs, batch_size=50, validation_split=0.1,
                     callbacks=[stop], verbose=0)


def test_logistic_regression_reaches_087(digits):
    x, y, xt, yt = digits
    set_random_seed(4487)
    model = lamina.Sequential([layers.Dense(units=10, input_dim=784, activation="softmax")])
    train(model, 0.05, x.reshape(-1, 784), y, epochs=30)
    acc = np.mean(model.predict(xt.reshape(-1, 784), verbose=0).argmax(1) == yt)
    assert model.count_params() == 7850
    assert acc >= 0.87, acc


def test_mlp_500_500_reaches_093(digits):
    x, y, xt, yt = digits
    set_random_seed(4487)
    model = lamina.Sequential([layers.Dense(units=500, input_dim=784, activation="relu"),
                               layers.Dense(units=500, activation="relu"),
                               layers.Dense(units=10, activation="softmax")])
    train(model, 0.1, x.reshape(-1, 784), y, epochs=20)
    acc = np.mean(model.predict(xt.reshape(-1, 784), verbose=0).argmax(1) == yt)
    assert model.count_params() == 648010
    assert acc >= 0.93, acc


def test_course_cnn_reaches_096(digits):
    x, y, xt, yt = digits
    set_random_seed(4487)
    model = lamina.Sequential([
        layers.Conv2D(10, (5, 5), strides=(2, 2), activation="relu", padding="same", input_shape=(28, 28, 1)),
        layers.Conv2D(40, (5, 5), strides=(2, 2), activation="relu", padding="same"),
        layers.Conv2D(80, (5, 5), strides=(1, 1), activation="relu", padding="same"),
        layers.Flatten(),
        layers.Dense(units=50, activation="relu"),
        layers.Dense(units=10, activation="softmax")])
    train(model, 0.02, x[..., None], y, epochs=12, patience=3)
    loss, acc = model.evaluate(xt[..., None], to_categorical(yt, 10), verbose=0)
    assert model.count_params() == 286940
    assert acc >= 0.96, acc
