"""What compiling the training step pays on CPU, for the MLP 784-500-500-10.

Keras 3 on JAX compiles the whole step (forward, backward, update) into one XLA program;
PyTorch runs it as ~200 eager ops. This benchmark trains the MLP on the 6,000 sample digits
(batch 50, SGD with Nesterov momentum, 5 epochs) five ways in one run and reports the median
steady-state epoch (epoch 1 is warm-up and compilation, reported apart):

    lamina eager            model.fit, compile() defaults
    lamina jit_compile      model.compile(jit_compile=True): forward + loss + backward compiled
    torch eager             a hand-written loop, foreach SGD
    torch compiled step     the same loop with forward + loss + backward and the SGD update
                            each in torch.compile (the whole step, two graphs)
    keras 3 on jax          only with --keras-jax-python PYTHON: a Python that has jax and
                            keras installed (they are not lamina dependencies)

    .venv/bin/python benchmarks/bench_step_compile.py [--threads N] [--epochs 5]
        [--keras-jax-python /path/to/python]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import lamina
from lamina import callbacks, layers, optimizers
from lamina.datasets import mnist_sample

LR, BATCH = 0.1, 50


def lamina_epochs(x, y, epochs, jit):
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([layers.Flatten(input_shape=(28, 28, 1)), layers.Dense(500, activation="relu"),
                               layers.Dense(500, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizers.SGD(LR, momentum=0.9, nesterov=True), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit)
    times, clock = [], {}
    timer = callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: clock.update(t=time.perf_counter()),
                                     on_epoch_end=lambda e, logs: times.append(time.perf_counter() - clock["t"]))
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[timer])
    return times


def torch_epochs(x, y, epochs, compiled):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(),
                        nn.Linear(500, 10))
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=0.9, nesterov=True, foreach=True)
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    yt = torch.from_numpy(y)

    def forward_backward(xb, yb):
        out = net(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        return loss.detach(), (out.detach().argmax(1) == yb).sum()

    def update():
        opt.step()
        opt.zero_grad(set_to_none=True)

    if compiled:
        forward_backward, update = torch.compile(forward_backward), torch.compile(update)
    times = []
    n = len(xt)
    for _ in range(epochs):
        t = time.perf_counter()
        perm = torch.randperm(n)
        loss_sum, correct = torch.zeros(()), torch.zeros((), dtype=torch.long)
        for start in range(0, n, BATCH):
            idx = perm[start:start + BATCH]
            loss, right = forward_backward(xt[idx], yt[idx])
            update()
            loss_sum += loss * len(idx)
            correct += right
        (loss_sum / n).item()
        times.append(time.perf_counter() - t)
    return times


_KERAS_JAX = r'''
import json, os, sys, time, statistics
os.environ["KERAS_BACKEND"] = "jax"
import numpy as np, keras
d = np.load(sys.argv[1]); x, y = d["x"], d["y"]
m = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(500, activation="relu"),
                      keras.layers.Dense(500, activation="relu"), keras.layers.Dense(10, activation="softmax")])
m.compile(optimizer=keras.optimizers.SGD(float(sys.argv[2]), momentum=0.9, nesterov=True),
          loss="sparse_categorical_crossentropy", metrics=["accuracy"])
times = []
class T(keras.callbacks.Callback):
    def on_epoch_begin(self, e, logs=None): self.t = time.perf_counter()
    def on_epoch_end(self, e, logs=None): times.append(time.perf_counter() - self.t)
m.fit(x, y, batch_size=int(sys.argv[3]), epochs=int(sys.argv[4]), verbose=0, callbacks=[T()])
print(json.dumps({"times": times, "version": keras.__version__}))
'''


def keras_jax_epochs(python, x, y, epochs, threads):
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "mnist.npz")
        np.savez(data, x=x, y=y)
        env = dict(os.environ)
        if threads:   # XLA's CPU client: one intra-op thread pool sized by this flag
            env["XLA_FLAGS"] = f"--xla_cpu_multi_thread_eigen={'false' if threads == 1 else 'true'} " \
                               f"intra_op_parallelism_threads={threads}"
        out = subprocess.run([python, "-c", _KERAS_JAX, data, str(LR), str(BATCH), str(epochs)], env=env,
                             capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["times"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--keras-jax-python", default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    (x, y), _ = mnist_sample.load_data()
    x = (x.astype(np.float32) / 255.0)[..., None]
    y = y.astype(np.int64)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, MLP 784-500-500-10, "
          f"{len(x)} digits, batch {BATCH}, median of epochs 2..{args.epochs}")
    runs = [("lamina eager", lambda: lamina_epochs(x, y, args.epochs, False)),
            ("lamina jit_compile", lambda: lamina_epochs(x, y, args.epochs, True)),
            ("torch eager", lambda: torch_epochs(x, y, args.epochs, False)),
            ("torch compiled step", lambda: torch_epochs(x, y, args.epochs, True))]
    if args.keras_jax_python:
        runs.append(("keras 3 on jax", lambda: keras_jax_epochs(args.keras_jax_python, x, y, args.epochs,
                                                                args.threads)))
    base = None
    for name, run in runs:
        times = run()
        epoch = statistics.median(times[1:])
        base = base or epoch
        print(f"{name:20s} epoch {epoch * 1e3:7.1f} ms  ({epoch / base:.2f}x lamina eager)  "
              f"first epoch {times[0] * 1e3:6.0f} ms (with compilation)", flush=True)


if __name__ == "__main__":
    main()
