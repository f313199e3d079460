"""Mixed precision on this machine: course CNN epoch time under 'mixed_bfloat16' (and
'mixed_float16') against 'float32', interleaved epoch by epoch so both see the same load.

On CPUs without native bfloat16/float16 matrix units, autocast adds casts and the low-precision
kernels are not faster: expect a ratio above 1 there. On GPUs with tensor cores it pays.

    .venv/bin/python benchmarks/bench_mixed_precision.py [--epochs 4] [--threads N] [--float16]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import lamina
from lamina import layers, mixed_precision, optimizers
from lamina.datasets import mnist_sample


def course_cnn(policy):
    mixed_precision.set_global_policy(policy)
    try:
        return lamina.Sequential([
            layers.Conv2D(10, (5, 5), strides=(2, 2), activation="relu", padding="same", input_shape=(28, 28, 1)),
            layers.Conv2D(40, (5, 5), strides=(2, 2), activation="relu", padding="same"),
            layers.Conv2D(80, (5, 5), strides=(1, 1), activation="relu", padding="same"),
            layers.Flatten(), layers.Dense(units=50, activation="relu"), layers.Dense(units=10),
            layers.Activation("softmax", dtype="float32")])
    finally:
        mixed_precision.set_global_policy(None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--float16", action="store_true", help="also time 'mixed_float16'")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    (x, y), (xt, yt) = mnist_sample.load_data()
    x = (x / 255.0).astype(np.float32)[..., None]
    xt = (xt / 255.0).astype(np.float32)[..., None]
    policies = ["float32", "mixed_bfloat16"] + (["mixed_float16"] if args.float16 else [])
    models, times = {}, {p: [] for p in policies}
    for p in policies:
        lamina.utils.set_random_seed(0)
        models[p] = course_cnn(p)
        opt = optimizers.SGD(learning_rate=0.02, momentum=0.9, nesterov=True)
        if p == "mixed_float16":
            opt = mixed_precision.LossScaleOptimizer(opt)
        models[p].compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for _ in range(args.epochs):
        for p in policies:
            t = time.perf_counter()
            models[p].fit(x, y, batch_size=50, epochs=1, verbose=0)
            times[p].append(time.perf_counter() - t)
    base = statistics.median(times["float32"][1:])
    print(f"course CNN, 6,000 images, batch 50, {torch.get_num_threads()} threads, median of epochs 2..{args.epochs}")
    for p in policies:
        med = statistics.median(times[p][1:])
        acc = np.mean(models[p].predict(xt, verbose=0).argmax(1) == yt)
        print(f"{p:15s} epoch {med * 1e3:8.1f} ms  ratio to float32 {med / base:5.2f}  test accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
