"""Time lamina's SGD (Keras rule, Nesterov momentum) against torch.optim.SGD(foreach=True).

Workload: 1000 optimizer steps on the parameters of the classic 784-500-500-10 MLP
(647,010 weights) with fixed gradients. Prints both times and the ratio
lamina / torch (1.0 = as fast as torch; lower is faster).

    python benchmarks/bench_optimizers.py [--steps 1000] [--repeats 5] [--device cpu]
"""
from __future__ import annotations

import argparse
import time

import torch

from lamina import optimizers


def mlp_params(device):
    torch.manual_seed(0)
    shapes = [(500, 784), (500,), (500, 500), (500,), (10, 500), (10,)]
    params = [torch.nn.Parameter(torch.randn(s, device=device) * 0.01) for s in shapes]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    return params


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_steps(make_opt, device, steps):
    params = mlp_params(device)
    opt = make_opt(params)
    for _ in range(20):  # warm up
        opt.step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        opt.step()
    _sync(device)
    return time.perf_counter() - start


def make_lamina(params):
    opt = optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    opt.build(params)
    return opt


def make_torch(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True, foreach=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    lam, ref = [], []
    for _ in range(args.repeats):  # interleave to share any machine noise
        lam.append(time_steps(make_lamina, device, args.steps))
        ref.append(time_steps(make_torch, device, args.steps))
    best_lam, best_ref = min(lam), min(ref)
    print(f"device={device} threads={torch.get_num_threads()} steps={args.steps} repeats={args.repeats}")
    print(f"lamina SGD(nesterov)       best {best_lam * 1e3:8.1f} ms  ({best_lam / args.steps * 1e6:7.1f} us/step)")
    print(f"torch SGD(foreach,nesterov) best {best_ref * 1e3:8.1f} ms  ({best_ref / args.steps * 1e6:7.1f} us/step)")
    print(f"ratio lamina/torch: {best_lam / best_ref:.3f}")


if __name__ == "__main__":
    main()
