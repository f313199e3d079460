"""fit() speed on a quiet machine and beside one busy-loop process, per thread policy.

For each model (the MLP, the course CNN, the Keras book's convnet, from ``lamina.cli.zoo``)
and each thread policy, a fresh Python process trains a few epochs on the bundled sample
(the policy must be in the environment before torch starts its OpenMP pool), once on the
quiet machine and once while another process spins on one core. Reports the median
steady-state epoch time (epoch 1 is warm-up), the contended / quiet ratio, and the contended
time against torch's defaults on the quiet machine (run with 'torch' among the policies). Rounds
alternate quiet and busy so both see the same machine.

Policies:
    lamina   lamina's default (LAMINA_THREAD_POLICY=auto: threads = CPUs available, and the
             thread governor lowers the training thread's count while other processes
             keep cores busy)
    fixed    LAMINA_THREAD_POLICY=fixed (auto's thread count, no governor)
    shared   LAMINA_THREAD_POLICY=shared (also OMP_WAIT_POLICY=PASSIVE, KMP_BLOCKTIME=0)
    torch    torch's defaults (LAMINA_THREAD_POLICY=off)
    1thread  torch's defaults with OMP_NUM_THREADS=1
    passive, spinN   OMP_WAIT_POLICY=PASSIVE / GOMP_SPINCOUNT=N alone (experiments)

    .venv/bin/python benchmarks/bench_contention.py [--epochs 3] [--samples 2000] [--models mlp,cnn,convnet]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

POLICIES = {
    "lamina": {},
    "fixed": {"LAMINA_THREAD_POLICY": "fixed"},
    "shared": {"LAMINA_THREAD_POLICY": "shared"},
    "torch": {"LAMINA_THREAD_POLICY": "off"},
    "1thread": {"LAMINA_THREAD_POLICY": "off", "OMP_NUM_THREADS": "1"},
    # experiments behind the choice of the default
    "passive": {"LAMINA_THREAD_POLICY": "off", "OMP_WAIT_POLICY": "PASSIVE"},
    "spin10k": {"LAMINA_THREAD_POLICY": "off", "GOMP_SPINCOUNT": "10000"},
    "spin1k": {"LAMINA_THREAD_POLICY": "off", "GOMP_SPINCOUNT": "1000"},
    "spin100": {"LAMINA_THREAD_POLICY": "off", "GOMP_SPINCOUNT": "100"},
}
_POLICY_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME", "OMP_NUM_THREADS", "LAMINA_THREAD_POLICY",
                "MKL_NUM_THREADS")


def worker(model_name: str, epochs: int, samples: int) -> None:
    import lamina
    from lamina import callbacks
    from lamina.cli import zoo
    from lamina.datasets import mnist_sample

    (x, y), _ = mnist_sample.load_data()
    x = (x[:samples].astype("float32") / 255.0)[..., None]
    y = y[:samples]
    lamina.utils.set_random_seed(0)
    model = zoo.build(model_name, x.shape[1:], 10)
    model.compile(optimizer=lamina.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    import torch
    times: list[float] = []
    epoch_threads: list[int] = []   # the training thread's count at each epoch end (the governor may lower it)
    clock = {}

    def epoch_end(epoch, logs):
        times.append(time.perf_counter() - clock["t"])
        epoch_threads.append(torch.get_num_threads())

    timer = callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: clock.update(t=time.perf_counter()),
                                     on_epoch_end=epoch_end)
    start_threads = torch.get_num_threads()
    clock["start"] = time.monotonic()
    model.fit(x, y, batch_size=50, epochs=epochs, verbose=0, callbacks=[timer])
    governor = timer.trainer.thread_governor
    print(json.dumps({"times": times, "threads": start_threads, "epoch_threads": epoch_threads,
                      "governor": [(round(t - clock["start"], 2), n, load) for t, n, load in governor.changes],
                      "wait_policy": os.environ.get("OMP_WAIT_POLICY")}))


def measure(model_name: str, policy: str, epochs: int, samples: int, busy: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _POLICY_VARS}
    env.update(POLICIES[policy])
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        out = subprocess.run([sys.executable, __file__, "--worker", model_name, "--epochs", str(epochs),
                              "--samples", str(samples)], env=env, capture_output=True, text=True, check=True)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["epoch"] = statistics.median(result["times"][1:] or result["times"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--models", default="mlp,cnn,convnet")
    parser.add_argument("--policies", default="lamina,shared,torch,1thread")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.epochs, args.samples)
        return
    import torch
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"torch {torch.__version__}, {cpus} CPUs available, {args.samples} samples, batch 50, "
          f"median of epochs 2..{args.epochs}")
    print(f"{'model':8s} {'policy':8s} {'threads':>7s} {'quiet s':>8s} {'busy s':>8s} {'busy/quiet':>10s} "
          f"{'quiet vs torch':>14s} {'busy vs torch quiet':>19s}")
    for model_name in args.models.split(","):
        quiet_torch = None
        rows = []
        for policy in args.policies.split(","):
            quiet = measure(model_name, policy, args.epochs, args.samples, busy=False)
            busy = measure(model_name, policy, args.epochs, args.samples, busy=True)
            rows.append((policy, quiet, busy))
            if policy == "torch":
                quiet_torch = quiet["epoch"]
        for policy, quiet, busy in rows:
            vs = f"{quiet['epoch'] / quiet_torch:14.2f}" if quiet_torch else f"{'-':>14s}"
            busy_vs = f"{busy['epoch'] / quiet_torch:19.2f}" if quiet_torch else f"{'-':>19s}"
            print(f"{model_name:8s} {policy:8s} {quiet['threads']:7d} {quiet['epoch']:8.3f} {busy['epoch']:8.3f} "
                  f"{busy['epoch'] / quiet['epoch']:10.2f} {vs} {busy_vs}", flush=True)


if __name__ == "__main__":
    main()
