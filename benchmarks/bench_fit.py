"""fit() speed against a hand-written PyTorch loop (and Keras 3, when installed).

Trains the 784-500-500-10 MLP, the course CNN and the Keras book's convnet
(Conv 32 3x3, MaxPool, Conv 64 3x3, MaxPool, Conv 64 3x3, Dense 64, Dense 10)
for 5 epochs on the 6,000 sample images (batch 50, SGD with Nesterov momentum).
The reference is a hand-written channels_last torch loop (model and batches in
torch.channels_last memory, ``torch.optim.SGD(foreach=True)``); a plain NCHW
loop is timed too, as an extra column. Both reference epochs run right after
each lamina epoch (from a callback), so all see the same machine load; the
ratio compares median steady-state epoch times (epoch 1 is warm-up) with the
channels_last loop. Also reports `import lamina` time and single-image predict
latency.

    .venv/bin/python benchmarks/bench_fit.py [--epochs 5] [--threads N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import lamina
from lamina import callbacks, layers, optimizers
from lamina.datasets import mnist_sample


def torch_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(),
                         nn.Linear(500, 10))


def torch_cnn():
    # Same shapes and FLOPs as the course CNN (symmetric padding 2 also gives 14x14 and 7x7).
    return nn.Sequential(nn.Conv2d(1, 10, 5, stride=2, padding=2), nn.ReLU(),
                         nn.Conv2d(10, 40, 5, stride=2, padding=2), nn.ReLU(),
                         nn.Conv2d(40, 80, 5, stride=1, padding=2), nn.ReLU(), nn.Dropout(0.5),
                         nn.Flatten(), nn.Linear(80 * 7 * 7, 50), nn.ReLU(), nn.Dropout(0.5), nn.Linear(50, 10))


def torch_convnet():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(64, 64, 3), nn.ReLU(),
                         nn.Flatten(), nn.Linear(64 * 3 * 3, 64), nn.ReLU(), nn.Linear(64, 10))


def lamina_mlp():
    return lamina.Sequential([layers.Flatten(input_shape=(28, 28, 1)), layers.Dense(500, activation="relu"),
                              layers.Dense(500, activation="relu"), layers.Dense(10, activation="softmax")])


def lamina_cnn():
    from lamina.cli.zoo import build
    return build("cnn", (28, 28, 1), 10)


def lamina_convnet():
    from lamina.cli.zoo import build
    return build("convnet", (28, 28, 1), 10)


class ReferenceEpochs(callbacks.Callback):
    """Times lamina's epochs and runs one epoch of each hand-written torch loop after each."""

    def __init__(self, ref_epochs):
        super().__init__()
        self.ref_epochs = ref_epochs
        self.lamina_times = []
        self.torch_times = [[] for _ in ref_epochs]

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.lamina_times.append(time.perf_counter() - self._t)
        for ref_epoch, times in zip(self.ref_epochs, self.torch_times):
            t = time.perf_counter()
            ref_epoch()
            times.append(time.perf_counter() - t)


def make_reference(model, x, y, lr, batch_size):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, foreach=True)
    n = len(x)

    def epoch():
        model.train()
        perm = torch.randperm(n)
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.long)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            xb, yb = x[idx], y[idx]
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.detach() * len(idx)
            correct += (out.detach().argmax(1) == yb).sum()
        return (loss_sum / n).item(), (correct / n).item()
    return epoch


def bench_model(name, build_lamina, build_torch, lr, x_nhwc, y, epochs, batch_size):
    lamina.utils.set_random_seed(0)
    model = build_lamina()
    model.compile(optimizer=optimizers.SGD(learning_rate=lr, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    y_ref = torch.from_numpy(y)
    # channels_last: an NCHW view of the NHWC array is torch's channels_last memory format.
    x_last = torch.from_numpy(x_nhwc).permute(0, 3, 1, 2)
    x_first = x_last.contiguous()
    last = make_reference(build_torch().to(memory_format=torch.channels_last), x_last, y_ref, lr, batch_size)
    first = make_reference(build_torch(), x_first, y_ref, lr, batch_size)
    ref = ReferenceEpochs([last, first])
    model.fit(x_nhwc, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[ref])
    lam = statistics.median(ref.lamina_times[1:])
    tor_last, tor_first = (statistics.median(t[1:]) for t in ref.torch_times)
    print(f"{name:7s} epoch: lamina {lam * 1e3:7.1f} ms  torch channels_last {tor_last * 1e3:7.1f} ms  "
          f"ratio {lam / tor_last:.3f} (target <= 1.00)  [torch NCHW {tor_first * 1e3:7.1f} ms, "
          f"ratio {lam / tor_first:.3f}]")
    return model, lam / tor_last


def bench_keras(name, x_nhwc, y, epochs, batch_size, lr):
    try:
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import keras
    except ImportError:
        return None
    if name == "mlp":
        model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                  keras.layers.Dense(500, activation="relu"),
                                  keras.layers.Dense(500, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
    elif name == "convnet":
        model = keras.Sequential([
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    else:
        model = keras.Sequential([
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(10, 5, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2D(40, 5, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2D(80, 5, strides=1, padding="same", activation="relu"),
            keras.layers.Dropout(0.5), keras.layers.Flatten(), keras.layers.Dense(50, activation="relu"),
            keras.layers.Dropout(0.5), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)
    model.fit(x_nhwc, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[Timer()])
    return statistics.median(times[1:])


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import lamina; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def import_with_torch_time() -> float:
    code = "import time; t = time.perf_counter(); import lamina.layers; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def predict_latency(model, x_one, repeats=300) -> tuple[float, float]:
    for _ in range(20):
        model.predict(x_one, verbose=0)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        model.predict(x_one, verbose=0)
        times.append(time.perf_counter() - t)
    direct = []
    with torch.inference_mode():
        xt = torch.from_numpy(x_one)
        for _ in range(repeats):
            t = time.perf_counter()
            model(xt)
            direct.append(time.perf_counter() - t)
    return statistics.median(times), statistics.median(direct)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--only", choices=("mlp", "cnn", "convnet"), default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, lamina {lamina.__version__}")
    (x, y), _ = mnist_sample.load_data()
    x = (x.astype(np.float32) / 255.0)[..., None]
    y = y.astype(np.int64)
    cnn_model = None
    models = (("mlp", lamina_mlp, torch_mlp, 0.1), ("cnn", lamina_cnn, torch_cnn, 0.02),
              ("convnet", lamina_convnet, torch_convnet, 0.02))
    for name, build_l, build_t, lr in models:
        if args.only and name != args.only:
            continue
        model, _ = bench_model(name, build_l, build_t, lr, x, y, args.epochs, args.batch_size)
        if name == "cnn":
            cnn_model = model
        keras_epoch = bench_keras(name, x, y, args.epochs, args.batch_size, lr)
        if keras_epoch is not None:
            print(f"{name:7s} epoch: keras 3 (torch backend) {keras_epoch * 1e3:7.1f} ms")
    print(f"import lamina: {import_time() * 1e3:.0f} ms (lazy); import lamina.layers (loads torch): "
          f"{import_with_torch_time() * 1e3:.0f} ms")
    if cnn_model is not None:
        pred, direct = predict_latency(cnn_model, x[:1])
        print(f"course CNN, one image: model.predict {pred * 1e3:.2f} ms (target < 2 ms), "
              f"model(x) {direct * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
