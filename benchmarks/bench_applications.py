"""VGG16 feature extraction speed: lamina against the same network written in plain torch.

The seeds' fast feature extraction runs ``conv_base.predict`` over 150x150 photos. This times
lamina's ``VGG16(include_top=False, input_shape=(150, 150, 3))`` three ways, on channels_last
numpy batches as a Keras user has them:

- ``predict``: ``conv_base.predict(x, batch_size=B)`` (numpy in, numpy out, inference mode);
- ``forward``: ``conv_base(x)`` on a tensor under ``torch.inference_mode()``;

against a plain ``torch.nn.Sequential`` VGG16 holding the same weights, called on the same
images under ``torch.inference_mode()``, in NCHW (contiguous) and in channels_last memory format;
the faster of the two is the reference. Rounds alternate between the contestants so all see the
same machine load; the ratio compares medians (lower is better, target <= 1.05).

    .venv/bin/python benchmarks/bench_applications.py [--batch 20] [--rounds 5] [--threads N]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn

from lamina.applications import VGG16

_BLOCKS = (2, 2, 3, 3, 3)
_WIDTHS = (64, 128, 256, 512, 512)


def torch_vgg16(conv_base) -> nn.Sequential:
    """VGG16's convolutional base in plain torch, with lamina's weights copied in."""
    mods, cin = [], 3
    for n, width in zip(_BLOCKS, _WIDTHS):
        for _ in range(n):
            mods += [nn.Conv2d(cin, width, 3, padding=1), nn.ReLU(inplace=True)]
            cin = width
        mods.append(nn.MaxPool2d(2, 2))
    net = nn.Sequential(*mods).eval()
    convs = [m for m in net if isinstance(m, nn.Conv2d)]
    ours = [layer for layer in conv_base.layers if layer.weights]
    with torch.no_grad():
        for conv, layer in zip(convs, ours):
            conv.weight.copy_(layer.kernel)  # lamina stores kernels in torch layout (out, in, kh, kw)
            conv.bias.copy_(layer.bias)
    return net


def _time(fn, repeats):
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=20, help="images per batch (default 20, as in the seeds)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per contestant (default 5)")
    parser.add_argument("--repeats", type=int, default=2, help="batches per round (default 2)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--size", type=int, default=150, help="image size (default 150)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    conv_base = VGG16(weights=None, include_top=False, input_shape=(args.size, args.size, 3))
    ref = torch_vgg16(conv_base)
    ref_cl = torch_vgg16(conv_base).to(memory_format=torch.channels_last)
    rng = np.random.default_rng(0)
    x_np = rng.uniform(-120, 130, (args.batch, args.size, args.size, 3)).astype("float32")  # preprocessed photos
    x_nhwc = torch.from_numpy(x_np)
    x_nchw = x_nhwc.permute(0, 3, 1, 2).contiguous()
    x_cl = x_nhwc.permute(0, 3, 1, 2)  # the same memory, seen as NCHW in channels_last format

    with torch.inference_mode():
        want = ref(x_nchw).permute(0, 2, 3, 1)
        got = conv_base(x_nhwc)
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(conv_base.predict(x_np, batch_size=args.batch, verbose=0), want.numpy(),
                                   rtol=1e-4, atol=1e-3)

    def lamina_predict():
        conv_base.predict(x_np, batch_size=args.batch, verbose=0)

    def lamina_forward():
        with torch.inference_mode():
            conv_base(x_nhwc)

    def torch_nchw():
        with torch.inference_mode():
            ref(x_nchw)

    def torch_channels_last():
        with torch.inference_mode():
            ref_cl(x_cl)

    contestants = {"lamina predict": lamina_predict, "lamina forward": lamina_forward,
                   "torch NCHW": torch_nchw, "torch channels_last": torch_channels_last}
    for fn in contestants.values():  # warm-up: oneDNN picks its kernels
        fn()
    times = {name: [] for name in contestants}
    for _ in range(args.rounds):
        for name, fn in contestants.items():
            times[name].append(_time(fn, args.repeats))
    med = {name: statistics.median(t) for name, t in times.items()}
    best_torch = min(med["torch NCHW"], med["torch channels_last"])
    print(f"VGG16 feature extraction, {args.size}x{args.size}x3, batch {args.batch}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}")
    for name, t in med.items():
        print(f"  {name:22s} {args.batch / t:8.2f} images/s   ({t * 1000:8.1f} ms/batch)")
    for name in ("lamina predict", "lamina forward"):
        print(f"  ratio {name} / best torch = {med[name] / best_torch:.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
