"""Augmentation and image-folder speed: lamina against Keras's own ImageDataGenerator, in the same run.

1. The CS4487 transforms (rotation 10, shifts 0.2, shear 0.1, zoom 0.1) on the
   6,000 sample digits: images/s of lamina's batched ImageDataGenerator.flow
   against Keras 3's (legacy, per-image scipy) one, epochs interleaved so both
   see the same machine load; the ratio is of medians (target >= 20x).
2. flow_from_directory over the exported 10,000-image sample folder at
   target_size (150, 150) (the cats-vs-dogs recipe: rgb, binary labels, rescale
   and the course's augmentation), images/s, lamina against Keras.
3. The CS4487 CNN with that augmentation trained from the folder against from
   the in-memory array, epoch time (target: folder within 1.5x of array).

    .venv/bin/python benchmarks/bench_augment.py [--rounds 5] [--threads N] [--epochs 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

import lamina
from lamina import callbacks, optimizers
from lamina.datasets import mnist_sample
from lamina.preprocessing.image import ImageDataGenerator

CS4487 = dict(rotation_range=10, width_shift_range=0.2, height_shift_range=0.2, shear_range=0.1, zoom_range=0.1)
CATS_DOGS = dict(rescale=1.0 / 255, rotation_range=40, width_shift_range=0.2, height_shift_range=0.2,
                 shear_range=0.2, zoom_range=0.2, horizontal_flip=True, fill_mode="nearest")


def keras_generator_class():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import scipy  # noqa: F401  (Keras's transforms need it)
        from keras.src.legacy.preprocessing.image import ImageDataGenerator as KerasIDG
    except ImportError:
        return None
    return KerasIDG


def one_epoch(iterator) -> float:
    """Seconds to produce every batch of one epoch."""
    t = time.perf_counter()
    for i in range(len(iterator)):
        iterator[i]
    iterator.on_epoch_end()
    return time.perf_counter() - t


def interleaved(make_iterators: dict, rounds: int, n_images: int, best=False) -> dict:
    """Median (or best) images/s per contender, alternating epochs so they share the machine's load."""
    iterators = {name: make() for name, make in make_iterators.items()}
    for it in iterators.values():  # warm-up (thread pools, first-call overhead)
        it[0]
    times = {name: [] for name in iterators}
    for _ in range(rounds):
        for name, it in iterators.items():
            times[name].append(one_epoch(it))
    pick = min if best else statistics.median
    return {name: n_images / pick(t) for name, t in times.items()}


def bench_transforms(x, rounds, batch_sizes):
    keras_idg = keras_generator_class()
    for bs in batch_sizes:
        makers = {"lamina": lambda: ImageDataGenerator(**CS4487).flow(x, batch_size=bs, seed=0)}
        if keras_idg is not None:
            makers["keras"] = lambda: keras_idg(**CS4487).flow(x, batch_size=bs, seed=0)
        for best in (False, True):
            rates = interleaved(makers, rounds, len(x), best)
            line = f"CS4487 transforms, {len(x)} images, batch {bs:4d}, {'best' if best else 'median'} of " \
                   f"{rounds}: lamina {rates['lamina']:7.0f} img/s"
            if "keras" in rates:
                line += f"  keras {rates['keras']:5.0f} img/s  ratio {rates['lamina'] / rates['keras']:5.1f}x " \
                        f"(target >= 20x)"
            print(line, flush=True)


def export_sample(folder):
    cmd = [sys.executable, "-m", "lamina.cli", "datasets", "export", "mnist-sample", "--format", "folder", folder,
           "--split", "all"]
    subprocess.run(cmd, check=True, capture_output=True)


def bench_directory(folder, rounds):
    keras_idg = keras_generator_class()
    n = sum(len(files) for _, _, files in os.walk(folder))
    kw = dict(target_size=(150, 150), batch_size=20, class_mode="categorical")
    makers = {
        "lamina decode+resize": lambda: ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(folder, **kw),
        "lamina + augmentation": lambda: ImageDataGenerator(**CATS_DOGS).flow_from_directory(folder, **kw),
    }
    if keras_idg is not None:
        makers["keras decode+resize"] = lambda: keras_idg(rescale=1 / 255.0).flow_from_directory(folder, **kw)
        makers["keras + augmentation"] = lambda: keras_idg(**CATS_DOGS).flow_from_directory(folder, **kw)
    rates = interleaved(makers, rounds, n)
    for name, rate in rates.items():
        print(f"flow_from_directory {n} PNGs -> 150x150 rgb, batch 20, {name:22s}: {rate:7.0f} img/s", flush=True)
    if keras_idg is not None:
        print(f"  ratio with augmentation: {rates['lamina + augmentation'] / rates['keras + augmentation']:.1f}x",
              flush=True)


class EpochTimer(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._t)


def course_cnn():
    from lamina.cli.zoo import build
    lamina.utils.set_random_seed(4487)
    model = build("cnn", (28, 28, 1), 10)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.02, momentum=0.9, nesterov=True),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def train_times(sources: dict, epochs: int) -> dict:
    """Median epoch time per data source, one epoch of each in turn (after a warm-up epoch each)."""
    models = {name: course_cnn() for name in sources}
    times = {name: [] for name in sources}
    for epoch in range(epochs + 1):
        for name, data in sources.items():
            timer = EpochTimer()
            models[name].fit(data, epochs=1, verbose=0, callbacks=[timer])
            data.on_epoch_end()
            if epoch:
                times[name] += timer.times
    return {name: statistics.median(t) for name, t in times.items()}


def bench_training(x, y, folder, epochs):
    from lamina.utils import to_categorical
    train_folder = os.path.join(folder, "train")
    if not os.path.isdir(train_folder):
        cmd = [sys.executable, "-m", "lamina.cli", "datasets", "export", "mnist-sample", "--format", "folder",
               folder, "--split", "both"]
        subprocess.run(cmd, check=True, capture_output=True)
    array = ImageDataGenerator(**CS4487).flow(x[..., None] / 255.0, to_categorical(y, 10), batch_size=50, seed=0)
    gen = ImageDataGenerator(**CS4487, rescale=1 / 255.0)
    opts = dict(target_size=(28, 28), color_mode="grayscale", batch_size=50, seed=0)
    results = train_times({"array": array, "folder": gen.flow_from_directory(train_folder, **opts),
                           "folder, cache=True": gen.flow_from_directory(train_folder, cache=True, **opts)}, epochs)
    for name, t in results.items():
        print(f"CS4487 CNN + augmentation, 6000 images, epoch from {name:18s}: {t:6.2f} s  "
              f"({t / results['array']:.2f}x the array; target <= 1.5x)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="timed epochs per contender (default 9)")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs per data source (default 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--only", choices=("transforms", "directory", "training"), default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"lamina {lamina.__version__}", flush=True)
    (x, y), _ = mnist_sample.load_data()
    if args.only in (None, "transforms"):
        bench_transforms((x.astype(np.float32) / 255.0)[..., None], args.rounds, (50, 256))
    if args.only in (None, "directory", "training"):
        with tempfile.TemporaryDirectory() as tmp:
            if args.only in (None, "directory"):
                export_sample(os.path.join(tmp, "all"))
                bench_directory(os.path.join(tmp, "all"), max(1, args.rounds // 2))
            if args.only in (None, "training"):
                bench_training(x.astype(np.float32), y, os.path.join(tmp, "split"), args.epochs)


if __name__ == "__main__":
    main()
