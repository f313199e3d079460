"""A 10-run comparison in parallel processes (one thread each) against the same runs one after another
(two threads each), in the same session. Target on 2 cores: parallel >= 1.6x faster.

The runs: five CS4487 networks (logreg, mlp50, mlp500x2, cnn-shallow, cnn) x seeds 0, 1, each trained
for --epochs epochs (the epoch budget) on the bundled sample. Each mode writes into its own fresh folder,
so nothing is skipped. Run it alone on the machine (e.g. under flock):

    .venv/bin/python benchmarks/bench_compare.py [--epochs 3] [--workers 2] [--one-thread]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from lamina.experiments import compare

MODELS = ["logreg", "mlp50", "mlp500x2", "cnn-shallow", "cnn"]


def timed(workers: int, threads: int, epochs: int, out: str) -> tuple[float, list]:
    start = time.perf_counter()
    result = compare(MODELS, seeds=[0, 1], epochs=epochs, workers=workers, threads=threads, out=out,
                     save_models=False, verbose=0)
    return time.perf_counter() - start, result.runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--one-thread", action="store_true",
                        help="also time the runs one after another with 1 thread each (separates the gain of "
                             "parallel processes from the cost of a 2-thread pool on small batches)")
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}; 10 runs of {args.epochs} epochs ({', '.join(MODELS)} x seeds 0, 1)")
    with tempfile.TemporaryDirectory() as tmp:
        seq, seq_runs = timed(1, args.workers, args.epochs, os.path.join(tmp, "sequential"))
        print(f"one after another, {args.workers} threads each: {seq:7.1f}s", flush=True)
        par, par_runs = timed(args.workers, 1, args.epochs, os.path.join(tmp, "parallel"))
        print(f"{args.workers} processes, 1 thread each:          {par:7.1f}s", flush=True)
        if args.one_thread:
            one, _ = timed(1, 1, args.epochs, os.path.join(tmp, "sequential1"))
            print(f"one after another, 1 thread each:   {one:7.1f}s  (parallel speed-up over it: {one / par:.2f}x)")
    print(f"speed-up: {seq / par:.2f}x (target >= 1.6x)")
    same = sum(a["test_accuracy"] == b["test_accuracy"] for a, b in zip(seq_runs, par_runs))
    print(f"runs with identical test accuracy in both modes: {same}/10 (thread counts differ, so float sums may)")


if __name__ == "__main__":
    main()
