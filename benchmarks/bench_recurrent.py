"""Recurrent training speed: lamina fit() against a hand-written torch loop and Keras 3 (torch backend).

The IMDB-style model (Embedding 20,000 x 128 -> LSTM 128 -> Dense 1 sigmoid, sequences of 200,
batch 64, Adam, binary crossentropy) on synthetic token ids, and the same with GRU. Each round
trains every contestant for ``--steps`` batches, alternating, so all see the same machine load; the
table shows median seconds per step and the ratios (lamina / torch: target <= 1.15; Keras 3 /
lamina: target >= 5).

    .venv/bin/python benchmarks/bench_recurrent.py [--steps 10] [--rounds 3] [--threads N] [--no-keras]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
from torch import nn

VOCAB, DIM, UNITS, STEPS_LEN, BATCH = 20000, 128, 128, 200, 64


def data(n_batches, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, VOCAB, size=(n_batches * BATCH, STEPS_LEN)).astype(np.int64)
    y = rng.integers(0, 2, size=(n_batches * BATCH, 1)).astype(np.float32)
    return x, y


class TorchNet(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, DIM)
        self.rnn = (nn.LSTM if kind == "LSTM" else nn.GRU)(DIM, UNITS, batch_first=True)
        self.out = nn.Linear(UNITS, 1)

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        return self.out(h[:, -1])


def run_torch(kind, x, y):
    net = TorchNet(kind)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = nn.BCEWithLogitsLoss()

    def epoch():
        for i in range(0, len(xt), BATCH):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xt[i:i + BATCH]), yt[i:i + BATCH])
            loss.backward()
            opt.step()
    return epoch


def run_lamina(kind, x, y):
    import lamina
    from lamina import layers as L
    model = lamina.Sequential([L.Embedding(VOCAB, DIM, input_shape=(STEPS_LEN,)), getattr(L, kind)(UNITS),
                               L.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=lamina.optimizers.Adam(1e-3))
    return lambda: model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)


def run_keras(kind, x, y):
    import keras
    model = keras.Sequential([keras.Input((STEPS_LEN,)), keras.layers.Embedding(VOCAB, DIM),
                              getattr(keras.layers, kind)(UNITS), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(1e-3))
    return lambda: model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="batches per round and contestant")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the first is warm-up)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--no-keras", action="store_true", help="skip Keras 3")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    use_keras = not args.no_keras
    if use_keras:
        os.environ.setdefault("KERAS_BACKEND", "torch")
        try:
            import keras  # noqa: F401
        except ImportError:
            use_keras = False
    x, y = data(args.steps)
    print(f"{'model':6} {'contestant':10} {'s/step':>8}  (median of {args.rounds - 1} rounds of {args.steps} "
          f"steps, torch {torch.__version__}, {torch.get_num_threads()} threads)")
    for kind in ("LSTM", "GRU"):
        contestants = {"lamina": run_lamina(kind, x, y), "torch": run_torch(kind, x, y)}
        if use_keras:
            contestants["keras3"] = run_keras(kind, x, y)
        times = {k: [] for k in contestants}
        for r in range(args.rounds):
            for name, fn in contestants.items():
                t0 = time.perf_counter()
                fn()
                if r > 0:
                    times[name].append((time.perf_counter() - t0) / args.steps)
        med = {k: statistics.median(v) for k, v in times.items()}
        for name, t in med.items():
            print(f"{kind:6} {name:10} {t:8.4f}")
        line = f"{kind:6} lamina/torch = {med['lamina'] / med['torch']:.2f}x (target <= 1.15)"
        if "keras3" in med:
            line += f"; keras3/lamina = {med['keras3'] / med['lamina']:.1f}x (target >= 5)"
        print(line)


if __name__ == "__main__":
    main()
