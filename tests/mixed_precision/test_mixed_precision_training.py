"""The course CNN trained under 'mixed_bfloat16' learns as it does in float32 on the sample."""
import numpy as np
import pytest

import lamina
from lamina import layers, mixed_precision, optimizers
from lamina.datasets import mnist_sample
from lamina.utils import set_random_seed, to_categorical

pytestmark = pytest.mark.slow


def course_cnn(policy):
    mixed_precision.set_global_policy(policy)
    try:
        return lamina.Sequential([
            layers.Conv2D(10, (5, 5), strides=(2, 2), activation="relu", padding="same", input_shape=(28, 28, 1)),
            layers.Conv2D(40, (5, 5), strides=(2, 2), activation="relu", padding="same"),
            layers.Conv2D(80, (5, 5), strides=(1, 1), activation="relu", padding="same"),
            layers.Flatten(),
            layers.Dense(units=50, activation="relu"),
            layers.Dense(units=10),
            layers.Activation("softmax", dtype="float32")])
    finally:
        mixed_precision.set_global_policy(None)


def test_course_cnn_in_bfloat16_learns_as_in_float32():
    (x, y), (xt, yt) = mnist_sample.load_data()
    x, xt = (x / 255.0).astype(np.float32)[..., None], (xt / 255.0).astype(np.float32)[..., None]
    accuracy = {}
    for policy in ("float32", "mixed_bfloat16"):
        set_random_seed(4487)
        model = course_cnn(policy)
        assert model.layers[0].compute_dtype == policy.replace("mixed_", "")
        assert model.layers[-1].compute_dtype == "float32" and str(model.layers[0].kernel.dtype) == "torch.float32"
        model.compile(loss="categorical_crossentropy", metrics=["accuracy"],
                      optimizer=optimizers.SGD(learning_rate=0.02, momentum=0.9, nesterov=True))
        # The course recipe (SGD + Nesterov, batch 50), 4 epochs without validation: bfloat16 is emulated on
        # CPUs without bfloat16 units, 5-11x slower than float32 (benchmarks/bench_mixed_precision.py).
        model.fit(x, to_categorical(y, 10), epochs=4, batch_size=50, verbose=0)
        accuracy[policy] = model.evaluate(xt, to_categorical(yt, 10), verbose=0)[1]
    # bfloat16 keeps 8 bits of mantissa: within a point of float32 (measured here 0.9573 vs 0.9583 after
    # 4 epochs; the float32 course test reaches its 0.96 with up to 12 epochs and early stopping).
    print(accuracy)  # shown with pytest -rA
    assert accuracy["mixed_bfloat16"] >= 0.95, accuracy
    assert accuracy["mixed_bfloat16"] >= accuracy["float32"] - 0.01, accuracy
