"""lamina.inspect speed: feature maps + Grad-CAM for one image, and the whole `lamina inspect` report.

1. Feature maps and Grad-CAM for one 28x28 digit on the course CNN
   (``lamina.cli.zoo.build('cnn', (28, 28, 1), 10)``), against a hand-written PyTorch reference
   doing the same work on the same model (one forward pass keeping the conv outputs, one
   autograd.grad, the Grad-CAM weighting), with torch's thread count and with one thread (what
   lamina.inspect uses for a single image); they alternate, so all see the same machine load.
   Target: under 50 ms.
2. ``lamina inspect MODEL`` on the course CNN saved to a file, run as a user runs it (a fresh
   process: imports, loading, the sample's 4,000 test digits, every figure). Target: under 20 s.

    .venv/bin/python benchmarks/bench_inspect.py [--repeats 200] [--threads N]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from lamina import inspect
from lamina.cli import zoo
from lamina.datasets import mnist_sample


def reference(model, x):
    """The same work written by hand: conv outputs by forward hooks, Grad-CAM by autograd."""
    convs = [l for l in model.layers if type(l).__name__ == "Conv2D"]
    acts = {}
    handles = [l.register_forward_hook(lambda m, i, o, n=l.name: acts.__setitem__(n, o)) for l in convs]
    try:
        out = model(x)
    finally:
        for h in handles:
            h.remove()
    maps = {n: a[0].detach().numpy() for n, a in acts.items()}
    a = acts[convs[-1].name]
    c = int(out[0].argmax())
    (g,) = torch.autograd.grad(out[0, c], a)
    cam = torch.relu((g[0].mean(dim=(0, 1)) * a[0].detach()).sum(-1))
    return maps, (cam / cam.max()).numpy()


def time_single_image(repeats: int):
    model = zoo.build("cnn", (28, 28, 1), 10)
    _, (xt, _) = mnist_sample.load_data()
    image = xt[0].astype(np.float32)[..., None] / 255.0
    x = torch.from_numpy(image[None])
    for _ in range(10):   # warm up both
        inspect.feature_maps(model, image)
        inspect.grad_cam(model, image)
        reference(model, x)
    threads = torch.get_num_threads()
    ours, ref, ref1, fm, gc = [], [], [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        inspect.feature_maps(model, image)
        t1 = time.perf_counter()
        inspect.grad_cam(model, image)
        t2 = time.perf_counter()
        reference(model, x)
        t3 = time.perf_counter()
        torch.set_num_threads(1)
        reference(model, x)
        torch.set_num_threads(threads)
        ref1.append(time.perf_counter() - t3)
        fm.append(t1 - t0)
        gc.append(t2 - t1)
        ours.append(t2 - t0)
        ref.append(t3 - t2)
    med = lambda v: statistics.median(v) * 1000  # noqa: E731
    return {"feature_maps_ms": med(fm), "grad_cam_ms": med(gc), "both_ms": med(ours), "reference_ms": med(ref), "reference_1t_ms": med(ref1),
            "p90_both_ms": float(np.percentile(ours, 90) * 1000)}


def time_report():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cnn.lamina"
        model = zoo.build("cnn", (28, 28, 1), 10)
        (x, y), _ = mnist_sample.load_data()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit((x[:600] / 255.0).astype(np.float32)[..., None], y[:600].astype(np.int64), epochs=1,
                  validation_split=0.1, verbose=0)
        model.save(path)
        out = Path(tmp) / "report.html"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lamina.cli", "inspect", str(path), "--out", str(out)], check=True,
                       capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        return {"report_s": seconds, "report_mb": out.stat().st_size / 1e6}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    single = time_single_image(args.repeats)
    print(f"one 28x28 image, course CNN (median of {args.repeats}):")
    print(f"  feature_maps          {single['feature_maps_ms']:7.2f} ms")
    print(f"  grad_cam              {single['grad_cam_ms']:7.2f} ms")
    print(f"  both                  {single['both_ms']:7.2f} ms  (p90 {single['p90_both_ms']:.2f} ms; target < 50 ms)")
    print(f"  hand-written torch    {single['reference_ms']:7.2f} ms  (ratio {single['both_ms'] / single['reference_ms']:.2f}; "
          f"torch's threads)")
    print(f"  ... on one thread     {single['reference_1t_ms']:7.2f} ms  (ratio "
          f"{single['both_ms'] / single['reference_1t_ms']:.2f}; lamina.inspect runs one image on one thread)")
    rep = time_report()
    print(f"lamina inspect, course CNN on mnist-sample: {rep['report_s']:.1f} s, {rep['report_mb']:.2f} MB "
          f"(target < 20 s)")
    ok = single["both_ms"] < 50 and rep["report_s"] < 20
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
