"""Classic Keras code through ``python -m lamina.compat`` against the same model in modern lamina.

The seeds' CS4487 CNN (Conv2D 10/40/80 5x5, channels_first, 'same', strides 2/2/1, Dense 50, Dense 10;
SGD(lr=0.02, momentum=0.9, nesterov=True); batch 50; 5,400 training and 600 validation digits of the
bundled sample) is built twice in one process started by ``python -m lamina.compat``:

- classic: the handout's code as written (``import keras``, ``from keras.models import Sequential``,
  ``keras.optimizers.SGD(lr=...)``, ``fit(..., validation_data=..., verbose=False)``, ``predict_classes``);
- modern: the same network with ``lamina.Sequential``, ``SGD(learning_rate=...)``, ``np.argmax(predict)``.

The two train in short alternating turns (each epoch in ``--chunks`` parts, which goes first alternates),
so both halves of a pair see the same machine load (this machine is shared); the ratio is the median of
the paired classic / modern times after epoch 1 (warm-up). Both start from the same weights and get the
same shuffles, so they compute the same weights (the script checks it). The legacy forms
are thin wrappers around the same engine, so the ratio should be 1.

    .venv/bin/python benchmarks/bench_compat.py [--epochs 6] [--chunks 3] [--threads N]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = '''
import json, sys, time
import numpy as np
EPOCHS, CHUNKS = int(sys.argv[1]), int(sys.argv[2])

# ---- data: the bundled sample in the handout's layout
from keras.datasets import mnist_sample
(x, y), (xt, yt) = mnist_sample.load_data()
trainI = x.reshape((6000, 1, 28, 28)) / 255.0
testI = xt.reshape((4000, 1, 28, 28)) / 255.0
trainYb = np.eye(10, dtype="float32")[y]
vtrainI, validI, vtrainYb, validYb = trainI[:5400], trainI[5400:], trainYb[:5400], trainYb[5400:]
validsetI = (validI, validYb)

# ---- classic: the handout's In [47], as written (epochs given one at a time below)
import keras
import tensorflow
from keras.models import Sequential
from keras.layers import Dense, Conv2D, Flatten
from numpy import random

# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Conv2D(10, (5,5), strides=(2,2),
             activation='relu', input_shape=(1,28,28),
             padding='same', data_format='channels_first'))
nn.add(Conv2D(40, (5,5), strides=(2,2), activation='relu',
             padding='same', data_format='channels_first'))
nn.add(Conv2D(80, (5,5), strides=(1,1), activation='relu',
             padding='same', data_format='channels_first'))
nn.add(Flatten())
nn.add(Dense(units=50, activation='relu'))
nn.add(Dense(units=10, activation='softmax'))

# compile and fit the network
nn.compile(loss=keras.losses.categorical_crossentropy,
            optimizer=keras.optimizers.SGD(lr=0.02, momentum=0.9, nesterov=True),
            metrics=[ 'accuracy' ])

def classic_epoch(xs, ys):
    history = nn.fit(xs, ys, epochs=1, batch_size=50,
                      validation_data=validsetI, verbose=False)

def classic_predict():
    return nn.predict_classes(testI, verbose=False)

# ---- modern lamina
import lamina
from lamina import layers, optimizers
import torch
torch.manual_seed(4487)
mm = lamina.Sequential([
    layers.Conv2D(10, (5, 5), strides=(2, 2), activation="relu", input_shape=(1, 28, 28), padding="same",
                  data_format="channels_first"),
    layers.Conv2D(40, (5, 5), strides=(2, 2), activation="relu", padding="same", data_format="channels_first"),
    layers.Conv2D(80, (5, 5), strides=(1, 1), activation="relu", padding="same", data_format="channels_first"),
    layers.Flatten(),
    layers.Dense(50, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
mm.compile(loss="categorical_crossentropy",
           optimizer=optimizers.SGD(learning_rate=0.02, momentum=0.9, nesterov=True), metrics=["accuracy"])

def modern_epoch(xs, ys):
    mm.fit(xs, ys, epochs=1, batch_size=50, validation_data=validsetI, verbose=0)

def modern_predict():
    return np.argmax(mm.predict(testI, verbose=0), axis=-1)

same_start = all(np.array_equal(a, b) for a, b in zip(nn.get_weights(), mm.get_weights()))
times = {"classic": [], "modern": []}
runs = {"classic": classic_epoch, "modern": modern_epoch}
for epoch in range(EPOCHS):
    for c in range(CHUNKS):  # short paired measurements: both halves of a pair see the same load
        xs, ys = vtrainI[c::CHUNKS], vtrainYb[c::CHUNKS]
        for kind in (("classic", "modern") if (epoch + c) % 2 == 0 else ("modern", "classic")):
            torch.manual_seed(1000 * epoch + c)  # the same shuffles for both
            t = time.perf_counter()
            runs[kind](xs, ys)
            times[kind].append(time.perf_counter() - t)
predict = {}
for kind, fn in (("classic", classic_predict), ("modern", modern_predict)):
    t = time.perf_counter()
    classes = fn()
    predict[kind] = [time.perf_counter() - t, float(np.mean(classes == yt))]
same_end = all(np.array_equal(a, b) for a, b in zip(nn.get_weights(), mm.get_weights()))
print(json.dumps({"times": times, "predict": predict, "same_start": bool(same_start), "same_end": bool(same_end),
                  "threads": torch.get_num_threads()}))
'''


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--chunks", type=int, default=3, help="paired measurements per epoch (default: 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=ROOT, LAMINA_QUIET_LEGACY="1", MPLBACKEND="Agg")
    env.pop("KERAS_BACKEND", None)
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "cs4487_cnn.py")
        with open(script, "w") as f:
            f.write(SCRIPT)
        proc = subprocess.run([sys.executable, "-m", "lamina.compat", script, str(args.epochs), str(args.chunks)], env=env,
                              capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"python -m lamina.compat failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    classic, modern = out["times"]["classic"], out["times"]["modern"]
    for i, (c, m) in enumerate(zip(classic, modern)):
        print(f"epoch {i // args.chunks + 1} part {i % args.chunks + 1}: classic {c:.3f} s  modern {m:.3f} s  "
              f"ratio {c / m:.3f}")
    skip = args.chunks if len(classic) > args.chunks else 0  # epoch 1 is warm-up
    ratios = [c / m for c, m in zip(classic[skip:], modern[skip:])]
    ratio = statistics.median(ratios)
    per_epoch = args.chunks
    print(f"\nCS4487 CNN, {out['threads']} torch thread(s): median steady-state epoch classic (python -m "
          f"lamina.compat) {per_epoch * statistics.median(classic[skip:]):.3f} s, modern lamina "
          f"{per_epoch * statistics.median(modern[skip:]):.3f} s; median paired ratio {ratio:.3f} over "
          f"{len(ratios)} pairs (target <= 1.05)")
    pc, pm = out["predict"]["classic"], out["predict"]["modern"]
    print(f"predict_classes {pc[0]:.3f} s vs argmax(predict) {pm[0]:.3f} s; test accuracy {pc[1]:.4f} / {pm[1]:.4f}")
    print(f"same initial weights: {out['same_start']}, same weights after training: {out['same_end']}")
    return 0 if ratio <= 1.05 else 1


if __name__ == "__main__":
    sys.exit(main())
