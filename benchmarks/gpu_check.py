"""GPU check: lamina on one device (placement, course CNN epoch, AMP, VGG16 features, DDP), each against plain torch.

Sections, each timed against a plain-torch equivalent written here with the same architecture,
batch size and optimizer (median of the timed epochs/passes after one warm-up; ratio = lamina / torch):

1. placement: after compile + fit, every parameter, buffer and optimizer-state tensor of a lamina
   model is on the requested device, and predict returns numpy.
2. cnn_float32: one epoch of the course CNN on the bundled MNIST sample (6,000 images, batch 50,
   SGD 0.02 Nesterov momentum 0.9). The torch loop is bench_fit.py's (symmetric padding 2: the same
   shapes and FLOPs as Keras's 'same'), with the whole dataset on the device, as lamina's fit does.
3. cnn_mixed_bfloat16 / cnn_mixed_float16: the same under lamina.mixed_precision
   (LossScaleOptimizer for float16) against torch.autocast (+ GradScaler for float16);
   training and test accuracy reported.
4. vgg16_features: VGG16(include_top=False, weights=None, input 150x150x3) predict over N seeded
   random images, batch 32, against a torch nn.Sequential twin holding lamina's weights
   (the outputs are compared too).
5. ddp: lamina DataParallel against torch DistributedDataParallel, both under one torchrun over
   the GPUs present (batch 50 per process); skipped with fewer than 2 GPUs.

Nothing is downloaded; everything is seeded. Prints a table at the end; --out writes it as JSON.
Exit status: 0 all sections ran, 1 a section failed (the others still report), 2 no CUDA device.

    .venv/bin/python benchmarks/gpu_check.py --out gpu.json        # on a GPU machine (< 2 min on one H200)
    .venv/bin/python benchmarks/gpu_check.py --device cpu --quick  # smoke test anywhere (< 1 min)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LR = 0.02
BATCH = 50


# --------------------------------------------------------------------------- helpers

def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median(values):
    return statistics.median(values) if values else float("nan")


def timed_median(times: list[float]) -> float:
    """Median after the warm-up (the first entry)."""
    return median(times[1:] or times)


def on_device(t: torch.Tensor, device: torch.device) -> bool:
    return t.device.type == device.type and (device.index is None or t.device.index == device.index)


def load_mnist(n_train: int | None, n_test: int | None):
    from lamina.datasets import mnist_sample
    (x, y), (xt, yt) = mnist_sample.load_data()
    x = (x.astype(np.float32) / 255.0)[..., None][:n_train]
    xt = (xt.astype(np.float32) / 255.0)[..., None][:n_test]
    return x, y.astype(np.int64)[:n_train], xt, yt.astype(np.int64)[:n_test]


def seed_all(seed: int = 0) -> None:
    import lamina
    lamina.utils.set_random_seed(seed)
    torch.manual_seed(seed)
    np.random.seed(seed)


# --------------------------------------------------------------------------- models

def torch_cnn() -> nn.Module:
    """bench_fit.py's reference: the course CNN in plain torch (symmetric padding 2 gives 14x14 and 7x7)."""
    return nn.Sequential(nn.Conv2d(1, 10, 5, stride=2, padding=2), nn.ReLU(),
                         nn.Conv2d(10, 40, 5, stride=2, padding=2), nn.ReLU(),
                         nn.Conv2d(40, 80, 5, stride=1, padding=2), nn.ReLU(), nn.Dropout(0.5),
                         nn.Flatten(), nn.Linear(80 * 7 * 7, 50), nn.ReLU(), nn.Dropout(0.5), nn.Linear(50, 10))


def lamina_cnn(policy: str | None = None):
    """The course CNN (lamina.cli.zoo 'cnn'); under a mixed policy the softmax is a float32 Activation
    (the Keras mixed-precision guide's advice; same parameters)."""
    from lamina.cli import zoo
    if policy is None:
        return zoo.build("cnn", (28, 28, 1), 10)
    import lamina
    from lamina import layers, mixed_precision
    mixed_precision.set_global_policy(policy)
    try:
        return lamina.Sequential([
            layers.Conv2D(10, (5, 5), strides=(2, 2), activation="relu", padding="same", input_shape=(28, 28, 1)),
            layers.Conv2D(40, (5, 5), strides=(2, 2), activation="relu", padding="same"),
            layers.Conv2D(80, (5, 5), strides=(1, 1), activation="relu", padding="same"),
            layers.Dropout(rate=0.5, seed=44), layers.Flatten(), layers.Dense(50, activation="relu"),
            layers.Dropout(rate=0.5, seed=45), layers.Dense(10), layers.Activation("softmax", dtype="float32")],
            name=f"cnn_{policy}")
    finally:
        mixed_precision.set_global_policy(None)


def compile_lamina(model, policy: str | None) -> None:
    from lamina import mixed_precision, optimizers
    opt = optimizers.SGD(learning_rate=LR, momentum=0.9, nesterov=True)
    if policy == "mixed_float16":
        opt = mixed_precision.LossScaleOptimizer(opt)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def torch_vgg16_features(lamina_model) -> nn.Sequential:
    """VGG16's convolutional base in plain torch, with the lamina model's weights (torch layout already)."""
    from lamina import layers
    mods: list[nn.Module] = []
    in_ch = 3
    for layer in lamina_model.layers:
        if isinstance(layer, layers.Conv2D):
            conv = nn.Conv2d(in_ch, layer.filters, 3, padding=1)
            with torch.no_grad():
                conv.weight.copy_(layer.kernel)
                conv.bias.copy_(layer.bias)
            mods += [conv, nn.ReLU(inplace=True)]
            in_ch = layer.filters
        elif isinstance(layer, layers.MaxPooling2D):
            mods.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*mods)


# --------------------------------------------------------------------------- torch training loop

def torch_epoch_fn(model, x, y, device, amp_dtype, batch_size=BATCH, rank=0, world=1):
    """One hand-written epoch (returns loss, accuracy); x, y already on the device. With world > 1 each
    process takes its share of every global batch of batch_size * world (as lamina's DataParallel does)."""
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, nesterov=True, foreach=True)
    scaler = torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 else None
    gen = torch.Generator().manual_seed(0)
    n = len(x)
    gb = batch_size * world

    def epoch():
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        seen = 0
        for start in range(0, n, gb):
            g = perm[start:start + gb]
            share = -(-len(g) // world)
            idx = g[rank * share:(rank + 1) * share]
            if len(idx) == 0:
                continue
            xb, yb = x[idx], y[idx]
            with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
                out = model(xb)
                loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                opt.step()
            loss_sum += loss.detach().float() * len(idx)
            correct += (out.detach().argmax(1) == yb).sum()
            seen += len(idx)
        return (loss_sum / seen).item(), (correct / seen).item()
    return epoch


def torch_accuracy(model, x, y, device, amp_dtype, batch_size=500) -> float:
    model.eval()
    correct = 0
    with torch.no_grad(), torch.autocast(device.type, dtype=amp_dtype or torch.float32,
                                         enabled=amp_dtype is not None):
        for s in range(0, len(x), batch_size):
            correct += (model(x[s:s + batch_size]).argmax(1) == y[s:s + batch_size]).sum().item()
    return correct / len(x)


def interleaved_fit(model, x, y, ref_epoch, epochs, device):
    """lamina fit for `epochs`, with one reference torch epoch run (and timed) after each lamina epoch,
    so both see the same machine state. Returns (lamina times, torch times, history, last torch result)."""
    from lamina import callbacks

    class Interleave(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.lam, self.ref, self.ref_result = [], [], None

        def on_epoch_begin(self, epoch, logs=None):
            sync(device)
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            sync(device)
            self.lam.append(time.perf_counter() - self.t)
            t = time.perf_counter()
            self.ref_result = ref_epoch()
            sync(device)
            self.ref.append(time.perf_counter() - t)

    cb = Interleave()
    history = model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[cb])
    return cb.lam, cb.ref, history, cb.ref_result


# --------------------------------------------------------------------------- sections

def section_placement(device, sizes):
    import lamina
    from lamina import layers
    seed_all()
    x, y, xt, _ = load_mnist(sizes["placement_n"], 64)
    model = lamina_cnn()
    compile_lamina(model, None)
    t = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    sync(device)
    fit_s = time.perf_counter() - t
    # a model with buffers too (BatchNormalization's moving statistics)
    bn = lamina.Sequential([layers.Conv2D(8, 3, padding="same", input_shape=(28, 28, 1)),
                            layers.BatchNormalization(), layers.Activation("relu"), layers.Flatten(),
                            layers.Dense(10, activation="softmax")], name="bn_check")
    compile_lamina(bn, None)
    bn.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    out = {"fit_s": fit_s, "models": {}}
    ok = True
    for m in (model, bn):
        params = list(m.parameters())
        buffers = list(m.buffers())
        state = [v for s in m.optimizer.state.values() for v in s.values() if isinstance(v, torch.Tensor)] \
            if hasattr(m.optimizer, "state") else []
        t = time.perf_counter()
        pred = m.predict(xt, verbose=0)
        sync(device)
        predict_s = time.perf_counter() - t
        checks = {
            "parameters": len(params), "parameters_on_device": all(on_device(p, device) for p in params),
            "buffers": len(buffers), "buffers_on_device": all(on_device(b, device) for b in buffers),
            "optimizer_state_tensors": len(state),
            # step counters may live on the CPU by torch's design; the moment buffers must not
            "optimizer_state_on_device": all(on_device(v, device) for v in state if v.dim() > 0),
            "devices_seen": sorted({str(p.device) for p in params + buffers}),
            "predict_is_numpy": isinstance(pred, np.ndarray),
            "predict_shape": list(getattr(pred, "shape", ())), "predict_dtype": str(getattr(pred, "dtype", "")),
            "predict_s": predict_s,
        }
        m_ok = (checks["parameters"] > 0 and checks["parameters_on_device"] and checks["buffers_on_device"]
                and checks["optimizer_state_on_device"] and checks["predict_is_numpy"]
                and checks["predict_shape"] == [len(xt), 10])
        checks["ok"] = m_ok
        ok = ok and m_ok
        out["models"][m.name] = checks
    out["ok"] = ok
    out["bn_buffers"] = out["models"]["bn_check"]["buffers"]
    out["device_seen"] = out["models"][model.name]["devices_seen"]
    if not ok:
        raise AssertionError(f"placement check failed: {json.dumps(out['models'])}")
    return out


def section_cnn(device, sizes, policy: str | None):
    amp_dtype = {None: None, "mixed_bfloat16": torch.bfloat16, "mixed_float16": torch.float16}[policy]
    x, y, xt, yt = load_mnist(sizes["amp_n_train" if policy else "n_train"], sizes["n_test"])
    epochs = sizes["amp_epochs" if policy else "epochs"]
    seed_all()
    model = lamina_cnn(policy)
    compile_lamina(model, policy)
    seed_all()
    ref = torch_cnn().to(device)
    xr = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).to(device)
    yr = torch.from_numpy(y).to(device)
    epoch = torch_epoch_fn(ref, xr, yr, device, amp_dtype)
    lam, tor, history, ref_result = interleaved_fit(model, x, y, epoch, epochs, device)
    lam_acc = float(np.mean(model.predict(xt, verbose=0).argmax(1) == yt))
    xtr = torch.from_numpy(np.ascontiguousarray(xt.transpose(0, 3, 1, 2))).to(device)
    tor_acc = torch_accuracy(ref, xtr, torch.from_numpy(yt).to(device), device, amp_dtype)
    lm, tm = timed_median(lam), timed_median(tor)
    return {"policy": policy or "float32", "images": len(x), "batch_size": BATCH, "epochs": len(lam),
            "lamina_s": lm, "torch_s": tm, "ratio": lm / tm, "lamina_epochs_s": lam, "torch_epochs_s": tor,
            "lamina_train_accuracy": float(history.history["accuracy"][-1]), "torch_train_accuracy": ref_result[1],
            "lamina_test_accuracy": lam_acc, "torch_test_accuracy": tor_acc, "test_images": len(xt)}


def section_vgg16(device, sizes):
    from lamina.applications import VGG16
    seed_all()
    n, bs, side = sizes["vgg_images"], sizes["vgg_batch"], 150
    model = VGG16(include_top=False, weights=None, input_shape=(side, side, 3))
    model.to(device)  # predict places it too; done here so the twin copies from the same tensors
    twin = torch_vgg16_features(model).to(device).eval()
    rng = np.random.default_rng(0)
    images = rng.uniform(-120.0, 150.0, size=(n, side, side, 3)).astype(np.float32)  # ~ caffe-preprocessed range

    def twin_predict():
        outs = []
        with torch.no_grad():
            xd = torch.from_numpy(images).to(device)
            for s in range(0, n, bs):
                outs.append(twin(xd[s:s + bs].permute(0, 3, 1, 2)).permute(0, 2, 3, 1))
            return torch.cat(outs).cpu().numpy()

    lam_t, tor_t = [], []
    for _ in range(sizes["passes"]):
        sync(device)
        t = time.perf_counter()
        feats = model.predict(images, batch_size=bs, verbose=0)
        sync(device)
        lam_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref_feats = twin_predict()
        sync(device)
        tor_t.append(time.perf_counter() - t)
    diff = float(np.max(np.abs(feats - ref_feats)))
    scale = float(np.max(np.abs(ref_feats))) or 1.0
    lm, tm = timed_median(lam_t), timed_median(tor_t)
    return {"images": n, "batch_size": bs, "input_shape": [side, side, 3], "output_shape": list(feats.shape),
            "reference": "torch nn.Sequential twin (13 Conv2d + ReLU + 5 MaxPool2d) holding lamina's weights",
            "passes": len(lam_t), "lamina_s": lm, "torch_s": tm, "ratio": lm / tm,
            "lamina_images_per_s": n / lm, "torch_images_per_s": n / tm,
            "lamina_passes_s": lam_t, "torch_passes_s": tor_t, "max_abs_diff": diff, "max_rel_diff": diff / scale,
            "tf32_convolutions": bool(torch.backends.cudnn.allow_tf32) if device.type == "cuda" else None}


def section_ddp(device, sizes, nproc, args):
    me = [os.path.abspath(__file__), "--ddp-worker", "--device", device.type]
    if args.quick:
        me.append("--quick")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", *me]
    threads = max(1, (os.cpu_count() or 1) // nproc)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=sizes["ddp_timeout"])
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise RuntimeError(f"torchrun exited {proc.returncode}:\n{tail}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1])
    lm, tm = timed_median(result["lamina_epochs_s"]), timed_median(result["torch_epochs_s"])
    result.update({"processes": nproc, "lamina_s": lm, "torch_s": tm, "ratio": lm / tm,
                   "launch": " ".join(cmd[1:]), "wall_s": time.perf_counter() - t})
    return result


def ddp_worker(args) -> None:
    """One torchrun process: lamina DataParallel for some epochs, then torch DDP on the same process group."""
    import lamina
    from lamina import callbacks, distribution
    sizes = SIZES["quick" if args.quick else "full"]
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device("cuda", local) if args.device.startswith("cuda") else torch.device("cpu")
    lamina.config.set_device(str(device))
    distribution.set_distribution(distribution.DataParallel())
    import torch.distributed as dist
    rank, world = dist.get_rank(), dist.get_world_size()
    x, y, _, _ = load_mnist(sizes["n_train"], 0)
    seed_all()
    model = lamina_cnn()
    compile_lamina(model, None)
    times, clock = [], {}

    def begin(epoch, logs):
        sync(device)
        clock["t"] = time.perf_counter()

    def end(epoch, logs):
        sync(device)
        times.append(time.perf_counter() - clock["t"])
    hist = model.fit(x, y, batch_size=BATCH * world, epochs=sizes["epochs"], verbose=0,
                     callbacks=[callbacks.LambdaCallback(on_epoch_begin=begin, on_epoch_end=end)])
    seed_all()
    ref = torch_cnn().to(device)
    ddp = nn.parallel.DistributedDataParallel(ref, device_ids=[local] if device.type == "cuda" else None)
    xr = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).to(device)
    yr = torch.from_numpy(y).to(device)
    epoch = torch_epoch_fn(ddp, xr, yr, device, None, rank=rank, world=world)
    ref_times, ref_result = [], None
    barrier = {"device_ids": [local]} if device.type == "cuda" else {}
    for _ in range(sizes["epochs"]):
        dist.barrier(**barrier)
        sync(device)
        t = time.perf_counter()
        ref_result = epoch()
        sync(device)
        dist.barrier(**barrier)
        ref_times.append(time.perf_counter() - t)
    if rank == 0:
        print(json.dumps({"world_size": world, "backend": dist.get_backend(), "images": len(x),
                          "batch_per_process": BATCH, "global_batch": BATCH * world,
                          "lamina_epochs_s": times, "torch_epochs_s": ref_times,
                          "lamina_train_accuracy": float(hist.history["accuracy"][-1]),
                          "torch_train_accuracy_rank0": ref_result[1]}), flush=True)
    distribution.shutdown()


# --------------------------------------------------------------------------- main

SIZES = {
    # epochs / passes include one warm-up, left out of the medians
    "full": {"placement_n": 1000, "n_train": None, "n_test": None, "epochs": 4, "amp_n_train": None,
             "amp_epochs": 4, "vgg_images": 2000, "vgg_batch": 32, "passes": 4, "ddp_timeout": 300},
    # AMP on CPUs without bfloat16/float16 units is 5-10x slower than float32: fewer images there
    "quick": {"placement_n": 100, "n_train": 500, "n_test": 200, "epochs": 3, "amp_n_train": 100,
              "amp_epochs": 2, "vgg_images": 8, "vgg_batch": 4, "passes": 2, "ddp_timeout": 120},
}


def environment(device) -> dict:
    import lamina
    env = {"torch": torch.__version__, "torch_cuda": torch.version.cuda, "cudnn": None, "lamina": lamina.__version__,
           "python": platform.python_version(), "device": str(device), "device_name": platform.processor() or "cpu",
           "cuda_devices": torch.cuda.device_count() if torch.cuda.is_available() else 0,
           "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads()}
    if device.type == "cuda":
        env["device_name"] = torch.cuda.get_device_name(device)
        env["cudnn"] = torch.backends.cudnn.version()
        env["capability"] = ".".join(map(str, torch.cuda.get_device_capability(device)))
        env["memory_gib"] = round(torch.cuda.get_device_properties(device).total_memory / 2 ** 30, 1)
        env["tf32"] = {"matmul": torch.backends.cuda.matmul.allow_tf32, "cudnn": torch.backends.cudnn.allow_tf32}
    return env


def fmt(v, spec=".3f"):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def table(results: dict) -> str:
    env = results["env"]
    lines = [f"gpu_check: {env['device']} ({env['device_name']}), torch {env['torch']}, CUDA {env['torch_cuda']}, "
             f"cuDNN {env['cudnn']}, lamina {env['lamina']}{', --quick' if results['quick'] else ''}",
             f"{'section':22s} {'lamina s':>9s} {'torch s':>9s} {'ratio':>6s}  notes",
             "-" * 96]
    for name, r in results["sections"].items():
        if "error" in r:
            lines.append(f"{name:22s} {'FAILED':>9s} {'':>9s} {'':>6s}  {r['error']}")
            continue
        if r.get("skipped"):
            lines.append(f"{name:22s} {'skipped':>9s} {'':>9s} {'':>6s}  {r['reason']}")
            continue
        if name == "placement":
            lines.append(f"{name:22s} {fmt(r['fit_s']):>9s} {'':>9s} {'':>6s}  ok={r['ok']}: params, "
                         f"{r['bn_buffers']} BN buffers, optimizer state on {','.join(r['device_seen'])}; "
                         f"predict -> numpy (1 fit epoch of {env['placement_n']} images timed)")
            continue
        if name.startswith("cnn"):
            note = (f"{r['images']} imgs, batch {r['batch_size']}, median of {max(1, r['epochs'] - 1)}; acc train "
                    f"{r['lamina_train_accuracy']:.3f}/{r['torch_train_accuracy']:.3f} test "
                    f"{r['lamina_test_accuracy']:.3f}/{r['torch_test_accuracy']:.3f} (lamina/torch)")
        elif name == "vgg16_features":
            note = (f"{r['images']} imgs 150x150x3, batch {r['batch_size']}: {r['lamina_images_per_s']:.0f} vs "
                    f"{r['torch_images_per_s']:.0f} img/s; max |diff| {r['max_abs_diff']:.2g} "
                    f"(rel {r['max_rel_diff']:.1g}); ref = torch twin with lamina's weights")
        else:
            note = (f"{r['world_size']} x {r['backend']}, global batch {r['global_batch']}, acc "
                    f"{r['lamina_train_accuracy']:.3f}/{r['torch_train_accuracy_rank0']:.3f}; ref = torch DDP")
        ratio = fmt(r["ratio"], ".2f")
        lines.append(f"{name:22s} {fmt(r['lamina_s']):>9s} {fmt(r['torch_s']):>9s} {ratio:>6s}  {note}")
    lines.append("ratio = lamina / plain torch (median s per epoch or pass, after one warm-up); "
                 "< 1 means lamina faster")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda", help="'cuda' (default), 'cuda:N' or 'cpu' (smoke test)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a few batches): a smoke test in < 1 min on CPU")
    ap.add_argument("--out", default=None, help="write the results as JSON to this file")
    ap.add_argument("--skip-ddp", action="store_true", help="leave out the DDP section")
    ap.add_argument("--ddp-procs", type=int, default=None,
                    help="processes for the DDP section (default: the CUDA devices present; 0 on --device cpu, "
                         "where a number runs gloo processes)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--ddp-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.ddp_worker:
        ddp_worker(args)
        return 0

    try:
        device = torch.device(args.device)
    except RuntimeError as e:
        print(f"gpu_check: bad --device {args.device!r}: {e}", file=sys.stderr)
        return 2
    if device.type == "cuda":
        if not torch.cuda.is_available():
            built = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "built without CUDA"
            print(f"gpu_check: no CUDA device here (torch {torch.__version__}, {built}); run it on a GPU machine, "
                  f"or pass --device cpu for a smoke test", file=sys.stderr)
            return 2
        if device.index is not None and device.index >= torch.cuda.device_count():
            print(f"gpu_check: no device {device} here ({torch.cuda.device_count()} CUDA device(s)); pass "
                  f"--device cuda or cuda:0", file=sys.stderr)
            return 2
        torch.cuda.set_device(device.index or 0)
    elif device.type != "cpu":
        print(f"gpu_check: --device expects 'cuda', 'cuda:N' or 'cpu'. Received: {args.device!r}", file=sys.stderr)
        return 2

    import lamina
    lamina.config.set_device(str(device))
    sizes = SIZES["quick" if args.quick else "full"]
    results = {"env": {**environment(device), "placement_n": sizes["placement_n"]}, "quick": args.quick,
               "sizes": sizes, "sections": {}}
    env = results["env"]
    print(f"gpu_check on {device} ({env['device_name']}): torch {env['torch']}, CUDA {env['torch_cuda']}, "
          f"cuDNN {env['cudnn']}, lamina {env['lamina']}, {env['cuda_devices']} CUDA device(s)", flush=True)

    if args.skip_ddp:
        nproc, ddp_reason = 0, "DDP: skipped (--skip-ddp)"
    elif args.ddp_procs is not None:
        nproc, ddp_reason = args.ddp_procs, f"DDP: skipped, --ddp-procs {args.ddp_procs}"
    elif device.type == "cuda":
        nproc = torch.cuda.device_count()
        ddp_reason = f"DDP: skipped, {nproc} device(s)"
    else:
        nproc, ddp_reason = 0, "DDP: skipped on --device cpu (pass --ddp-procs N for gloo processes)"

    sections = [("placement", lambda: section_placement(device, sizes)),
                ("cnn_float32", lambda: section_cnn(device, sizes, None)),
                ("cnn_mixed_bfloat16", lambda: section_cnn(device, sizes, "mixed_bfloat16")),
                ("cnn_mixed_float16", lambda: section_cnn(device, sizes, "mixed_float16")),
                ("vgg16_features", lambda: section_vgg16(device, sizes)),
                ("ddp", (lambda: section_ddp(device, sizes, nproc, args)) if nproc >= 2 else None)]
    failed = False
    t0 = time.perf_counter()
    for name, fn in sections:
        if fn is None:
            results["sections"][name] = {"skipped": True, "reason": ddp_reason}
            print(f"{name}: {results['sections'][name]['reason']}", flush=True)
            continue
        t = time.perf_counter()
        try:
            results["sections"][name] = fn()
            print(f"{name}: done in {time.perf_counter() - t:.1f} s", flush=True)
        except Exception as e:  # report and go on: one run on a GPU machine should give every number it can
            failed = True
            results["sections"][name] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
                                         "traceback": traceback.format_exc()}
            print(f"{name}: FAILED\n{traceback.format_exc()}", file=sys.stderr, flush=True)
        finally:
            if device.type == "cuda":
                torch.cuda.empty_cache()
    results["total_s"] = time.perf_counter() - t0
    if device.type == "cuda":
        results["env"]["max_memory_allocated_gib"] = round(torch.cuda.max_memory_allocated(device) / 2 ** 30, 2)
    print()
    print(table(results))
    print(f"total {results['total_s']:.1f} s")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
        print(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
