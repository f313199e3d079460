"""Throughput of the course CNN: 1 process x N threads against N processes x 1 thread (DataParallel).

Both train the course CNN on the 6,000 sample images with the same global batch (50) and
SGD; the DataParallel run is started with ``torchrun --standalone`` and uses gloo. Reports
the median steady-state epoch time (epoch 1 is warm-up) and images per second.

    .venv/bin/python benchmarks/bench_data_parallel.py [--procs 2] [--epochs 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def worker(model_name: str, epochs: int) -> None:
    import lamina
    from lamina import callbacks, distribution
    from lamina.cli import zoo
    from lamina.datasets import mnist_sample

    (x, y), _ = mnist_sample.load_data()
    x = (x.astype("float32") / 255.0)[..., None]
    lamina.utils.set_random_seed(0)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        distribution.set_distribution(distribution.DataParallel())
    model = zoo.build(model_name, x.shape[1:], 10)
    model.compile(optimizer=lamina.optimizers.SGD(0.02, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times: list[float] = []
    clock = {}
    timer = callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: clock.update(t=time.perf_counter()),
                                     on_epoch_end=lambda e, logs: times.append(time.perf_counter() - clock["t"]))
    history = model.fit(x, y, batch_size=50, epochs=epochs, verbose=0, callbacks=[timer])
    if distribution.is_chief():
        print(json.dumps({"times": times, "accuracy": history.history["accuracy"][-1], "samples": len(x)}))


def run(cmd: list[str], threads: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    result = json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])
    result["epoch"] = statistics.median(result["times"][1:] or result["times"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--model", default="cnn")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.model, args.epochs)
        return
    me = [__file__, "--worker", "--model", args.model, "--epochs", str(args.epochs)]
    single = run([sys.executable, *me], threads=args.procs)
    multi = run([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={args.procs}",
                 *me], threads=1)
    print(f"{args.model}, 6,000 images, global batch 50, median of epochs 2..{args.epochs}")
    for label, r in ((f"1 process x {args.procs} threads", single), (f"{args.procs} processes x 1 thread", multi)):
        print(f"{label:24s} epoch {r['epoch']:7.3f} s  {r['samples'] / r['epoch']:8.0f} images/s  "
              f"final accuracy {r['accuracy']:.4f}")
    print(f"ratio (processes / threads epoch time): {multi['epoch'] / single['epoch']:.2f}")


if __name__ == "__main__":
    main()
