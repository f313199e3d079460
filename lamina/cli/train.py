"""``lamina train``: train a network, report test accuracy, save model, history, curves and a report."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

from . import _data, zoo
from ._errors import CLIError

__all__ = ["add_parser", "run", "save_curves", "OPTIMIZERS"]

OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw", "adadelta", "adagrad", "adamax", "nadam")

_EXAMPLES = """examples:
  lamina train                                   the course CNN on the bundled MNIST sample
  lamina train --model mlp --dataset fashion-mnist --epochs 10
  lamina train --data photos/ --model cnn --image-size 64 --augment strong
  lamina train --data photos/ --base vgg16       transfer learning from ImageNet weights
  lamina train --model my_net.py --optimizer adam --lr 0.001

--data DIR holds one sub-folder of images per class (DIR/cat/*.jpg, DIR/dog/*.jpg), or train/ and
validation/ (and test/) folders that do. The output folder gets model.lamina, history.json (with the
run's settings), curves.png and report.html."""


def add_parser(sub) -> None:
    t = sub.add_parser("train", help="train a network (default: the course CNN on the bundled MNIST sample)",
                       description="Train a network from scratch on a dataset or a folder of images (or a "
                                   "pretrained one with --base) and write the model, its history and settings "
                                   "(JSON), the loss/accuracy curves (PNG) and an HTML report into a folder.",
                       epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("--model", default="cnn",
                   help="logreg, mlp, cnn, convnet, or a Python file defining build_model(input_shape, "
                        "num_classes) (default: cnn)")
    t.add_argument("--dataset", default=None,
                   help=f"dataset name: {', '.join(_data.DATASETS)} (downloaded on first use; "
                        f"default: mnist-sample)")
    t.add_argument("--data", default=None, metavar="DIR",
                   help="a folder of images, one sub-folder per class (or train/ validation/ (test/) folders "
                        "that have them); trains --model from scratch, or --base by transfer learning")
    t.add_argument("--image-size", type=int, default=None, metavar="N",
                   help="with --data: resize images to N x N (default: the size of the first image; 150 with "
                        "--base)")
    color = t.add_mutually_exclusive_group()
    color.add_argument("--grayscale", dest="color", action="store_const", const="grayscale",
                       help="with --data: read images as one grey channel (default: as the first image is)")
    color.add_argument("--rgb", dest="color", action="store_const", const="rgb",
                       help="with --data: read images as three colour channels")
    t.add_argument("--augment", default=None, choices=tuple(_data.AUGMENT),
                   help="augment training images on the fly: light (the course's digits: rotation 10, shifts "
                        "0.2, shear and zoom 0.1) or strong (photos: rotation 40, shifts, shear and zoom 0.2, "
                        "horizontal flips)")
    t.add_argument("--epochs", type=int, default=40, help="maximum epochs; early stopping usually ends "
                                                         "sooner (default: 40)")
    t.add_argument("--batch-size", type=int, default=50, help="samples per step (default: 50)")
    t.add_argument("--optimizer", default="sgd", metavar="NAME",
                   help=f"one of {', '.join(OPTIMIZERS)} (default: sgd with Nesterov momentum 0.9)")
    t.add_argument("--lr", type=float, default=None, help="learning rate (default: the model's course value "
                                                         "for sgd, the optimizer's own otherwise)")
    t.add_argument("--patience", type=int, default=8, help="early-stopping patience in epochs (default: 8)")
    t.add_argument("--validation-split", type=float, default=0.1,
                   help="fraction of the training data (of each class folder with --data) held out for "
                        "validation (default: 0.1)")
    t.add_argument("--seed", type=int, default=4487, help="random seed (default: 4487, as in the course)")
    t.add_argument("--output", default=None, help="output folder (default: runs/<model>-<time>)")
    t.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="progress display (default: 1)")
    t.add_argument("--base", default=None, metavar="NET",
                   help="transfer learning on --data with a pretrained base: vgg16, vgg19, resnet50 or "
                        "mobilenet_v2 (feature extraction, then fine-tuning of its last block)")
    t.add_argument("--weights", default=None, metavar="FILE",
                   help="with --base: a Keras .h5 or torchvision .pth weights file, or 'none' for random "
                        "weights (default: imagenet, from the cache $LAMINA_HOME/models)")
    t.add_argument("--fine-tune-epochs", type=int, default=10,
                   help="with --base: maximum epochs of fine-tuning after feature extraction (default: 10)")
    t.add_argument("--nproc-per-node", type=int, default=1, metavar="N",
                   help="train data-parallel in N processes on this machine, started with torchrun; "
                        "--batch-size is then the global batch (default: 1)")


def _optimizer(name: str, lr: float | None):
    from .. import optimizers
    if name.lower() == "sgd":
        return optimizers.SGD(learning_rate=lr, momentum=0.9, nesterov=True)
    try:
        opt = optimizers.get(name)
    except ValueError as err:
        raise CLIError(str(err)) from None
    if lr is not None:
        opt.learning_rate = lr
    return opt


def _output_dir(args) -> Path:
    if args.output:
        out = Path(args.output)
    else:
        stem = Path(args.model).stem if args.model.endswith(".py") else args.model
        out = Path("runs") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    if out.exists() and not out.is_dir():
        raise CLIError(f"--output {out} is a file; lamina train writes several files into a folder. Pass a "
                       f"folder path (new or existing).")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CLIError(f"cannot create the output folder {out}: {err.strerror or err}. Pass --output with a "
                       f"folder you can write.") from None
    if not os.access(out, os.W_OK):
        raise CLIError(f"cannot write into the output folder {out} (no permission). Pass --output with a "
                       f"folder you can write.")
    return out


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def save_curves(history: dict, path: Path, best_epoch: int | None = None) -> None:
    """Loss and accuracy per epoch, training against validation; ``best_epoch`` (1-based) is marked."""
    from ..inspect import plot_history
    keys = [k for k in ("loss", "accuracy") if k in history]
    if not keys:
        return
    fig = plot_history(history, metrics=keys, best_epoch=best_epoch)
    fig.savefig(path, dpi=100)


def _load_data(args):
    """(Data, input shape) for --data DIR or --dataset NAME."""
    if args.data is not None:
        if _data.resolve(args.data) == "dataset" and not Path(args.data).is_dir():
            args.dataset, args.data = args.data, None
            return _load_data(args)
        return _data.load_folder(args.data, args.image_size, args.color, args.validation_split)
    name = args.dataset or "mnist-sample"
    if args.image_size or args.color:
        raise CLIError(f"--image-size, --grayscale and --rgb apply to --data DIR; dataset {name} has fixed images.")
    (x, y), (xt, yt) = _data.load(name)
    split_at = int(len(x) * (1.0 - args.validation_split))  # the last part, as Keras's validation_split
    data = _data.Data(x[:split_at], y[:split_at], x[split_at:] if args.validation_split else None,
                      y[split_at:] if args.validation_split else None, xt, yt,
                      class_names=_data.class_names_of(name, int(max(y.max(), yt.max())) + 1), source=name,
                      split=(f"last {args.validation_split:g} of the training set for validation; "
                             f"the test set for testing"))
    return data, tuple(x.shape[1:])


class _DivergenceHint:
    """After epoch 1: a NaN loss, or training accuracy at chance with a small batch and the default learning
    rate, prints a hint (the step is too large for that batch size)."""

    def __init__(self, classes: int, args, lr_default: bool, lr):
        self.classes, self.args, self.lr_default, self.lr = classes, args, lr_default, lr

    def callback(self):
        from ..callbacks import LambdaCallback
        return LambdaCallback(on_epoch_end=self.check)

    def check(self, epoch, logs=None):
        if epoch != 0 or not logs:
            return
        loss, acc = logs.get("loss", 0.0), logs.get("accuracy")
        chance = (acc is not None and acc <= 1.5 / self.classes and self.args.batch_size < 16
                  and self.lr_default)
        if math.isfinite(loss) and not chance:
            return
        what = "the loss is NaN" if not math.isfinite(loss) else \
            f"training accuracy {acc:.3f} is at chance (1/{self.classes})"
        setting = f"--batch-size {self.args.batch_size} with " + \
            (f"the default learning rate {self.lr:g}" if self.lr_default else f"--lr {self.lr:g}")
        print(f"lamina train: hint: after epoch 1 {what}: training diverges with {setting}. Try a smaller --lr "
              f"(e.g. {self.lr / 10:g}) or a larger --batch-size (e.g. 50).", file=sys.stderr)


def _versions() -> dict:
    import platform

    import torch

    from .. import __version__
    return {"lamina": __version__, "torch": torch.__version__, "python": platform.python_version()}


def optimizer_settings(opt) -> dict:
    """The optimizer's class and its arguments, as get_config gives them (JSON-safe)."""
    config = opt.get_config() if hasattr(opt, "get_config") else {}
    args = {k: v for k, v in config.items() if k != "name" and isinstance(v, (int, float, str, bool, type(None)))}
    return {"name": type(opt).__name__, "args": args}


def _relaunch(args) -> int:
    """Run this same command in ``--nproc-per-node`` processes under torchrun; their exit status."""
    import os
    import subprocess

    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={args.nproc_per_node}",
           "-m", "lamina.cli", *args.argv]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, _cpu_count() // args.nproc_per_node)))
    return subprocess.run(cmd, env=env).returncode


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _under_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def run(args) -> int:
    nproc = getattr(args, "nproc_per_node", 1)
    if nproc <= 0:
        raise CLIError(f"--nproc-per-node must be a positive integer; received {nproc}.")
    if nproc > 1 and not _under_torchrun():
        if getattr(args, "base", None) is not None:
            raise CLIError("--nproc-per-node trains the networks built from --model; transfer learning with "
                           "--base runs in one process. Drop --nproc-per-node.")
        return _relaunch(args)
    for name in ("epochs", "batch_size", "patience"):
        if getattr(args, name) <= 0:
            raise CLIError(f"--{name.replace('_', '-')} must be a positive integer; received {getattr(args, name)}.")
    if not 0.0 <= args.validation_split < 1.0:
        raise CLIError(f"--validation-split must be in [0, 1); received {args.validation_split}.")
    if args.lr is not None and not args.lr > 0:
        raise CLIError(f"--lr must be positive; received {args.lr}.")
    if args.image_size is not None and args.image_size < 8:
        raise CLIError(f"--image-size must be at least 8; received {args.image_size}.")
    if args.optimizer.lower() not in OPTIMIZERS:
        from .._errors import did_you_mean
        raise CLIError(f"unknown --optimizer {args.optimizer!r}. Expected one of {', '.join(OPTIMIZERS)}"
                       f"{did_you_mean(args.optimizer, OPTIMIZERS) or '.'}")
    if args.base is not None:  # a pretrained network on a folder of images
        from .transfer import run as run_transfer
        return run_transfer(args)
    if args.data is not None and args.dataset is not None:
        raise CLIError("pass either --data DIR (a folder of images) or --dataset NAME, not both.")
    if args.weights is not None:
        raise CLIError("--weights applies to --base (a pretrained network); --model trains from scratch.")

    from .. import callbacks, distribution, utils
    if _under_torchrun():   # started by torchrun (by --nproc-per-node, or by the user on several machines)
        distribution.set_distribution(distribution.DataParallel())
    chief = distribution.is_chief()   # rank 0 alone prints and writes
    wall = time.perf_counter()
    utils.set_random_seed(args.seed)
    data, input_shape = _load_data(args)
    num_classes = max(int(data.y.max()) + 1, len(data.class_names))
    model = zoo.build(args.model, input_shape, num_classes)
    sgd = args.optimizer.lower() == "sgd"
    lr = args.lr if args.lr is not None else (zoo.DEFAULT_LR.get(args.model, 0.01) if sgd else None)
    opt = _optimizer(args.optimizer, lr)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if chief:
        model.summary()
    # Validation loss, not accuracy: on a 600-image validation set accuracy moves in steps of
    # 1/600 and stops training early (test accuracy 0.969 vs 0.974 on the sample).
    validation = (data.x_val, data.y_val) if data.x_val is not None else None
    monitor = "val_loss" if validation else "loss"
    stop = callbacks.EarlyStopping(monitor=monitor, min_delta=1e-4, patience=args.patience,
                                   restore_best_weights=True, verbose=1 if chief else 0)
    hint = _DivergenceHint(num_classes, args, args.lr is None, float(opt.learning_rate))
    fit_args = dict(epochs=args.epochs, validation_data=validation,
                    callbacks=[stop, hint.callback()] if chief else [stop],
                    verbose=args.verbose)
    start = time.perf_counter()
    if args.augment:
        from ..preprocessing.image import ImageDataGenerator
        flow = ImageDataGenerator(**_data.AUGMENT[args.augment]).flow(data.x, data.y, batch_size=args.batch_size,
                                                                       seed=args.seed)
        history = model.fit(flow, **fit_args)
    else:
        history = model.fit(data.x, data.y, batch_size=args.batch_size, **fit_args)
    train_seconds = time.perf_counter() - start
    epochs_run = len(history.epoch)
    best_epoch = stop.best_epoch + 1 if stop.best_weights is not None else epochs_run

    x_eval, y_eval, where = data.x_test, data.y_test, "test"
    if x_eval is None:
        x_eval, y_eval, where = data.x_val, data.y_val, "validation"
    scores = _score(model, x_eval, y_eval) if x_eval is not None else None
    if distribution.distribution() is not None:
        # The last collective is behind us: rank 0 writes alone (its report predicts locally), and
        # the others wait for it in shutdown() so that no process leaves while another works.
        distribution.set_distribution(None)
        if not chief:
            distribution.shutdown()
            return 0

    out = _output_dir(args)
    model.save(out / "model.lamina")
    settings = {
        "model": args.model, "parameters": int(sum(int(t.numel()) for t in model.weights)),
        "optimizer": optimizer_settings(opt), "learning_rate": float(opt.learning_rate),
        "batch_size": args.batch_size, "epochs_requested": args.epochs, "epochs_run": epochs_run,
        "best_epoch": best_epoch, "early_stopping": f"{monitor}, patience {args.patience}, best weights restored",
        "augment": args.augment or "none", "seed": args.seed,
        "data": {"source": data.source, "split": data.split, "train_images": len(data.x),
                 "validation_images": 0 if data.x_val is None else len(data.x_val),
                 "test_images": 0 if data.x_test is None else len(data.x_test),
                 "input_shape": list(input_shape), "classes": list(data.class_names),
                 "background": round(_data.background(data.x[:2000]), 4)},
        "versions": _versions(),
    }
    record = {"model": args.model, "dataset": data.source, "epochs_run": epochs_run, "best_epoch": best_epoch,
              "train_seconds": round(train_seconds, 2), "settings": settings, "history": history.history}
    if scores is not None:
        record.update({f"{where}_loss": scores[0], f"{where}_accuracy": scores[1],
                       f"{where}_correct": scores[2], f"{where}_images": len(x_eval)})
    settings["wall_seconds"] = round(time.perf_counter() - wall, 2)
    (out / "history.json").write_text(json.dumps(record, indent=2))
    save_curves(history.history, out / "curves.png", best_epoch=best_epoch if best_epoch != epochs_run else None)
    if scores is not None:
        print(f"{where} accuracy: {accuracy_text(scores[2], len(x_eval))} ({where} loss {scores[0]:.4f})")
    print(f"trained {plural(epochs_run, 'epoch')} in {train_seconds:.1f}s; the saved model has the weights of "
          f"epoch {best_epoch}" + (" (the best, restored)" if best_epoch != epochs_run else ""))
    print(f"saved model, history and curves in {out}/")
    _write_report(model, out, x_eval, y_eval, record, data.class_names, args, where)
    distribution.shutdown()   # under torchrun: the other processes wait here for rank 0; else nothing
    return 0


def accuracy_text(correct: int, n: int) -> str:
    """The report's wording of an accuracy, so terminal and report say the same."""
    from ..inspect.report import accuracy_text as text
    return text(correct, n)


def _score(model, x, y):
    """(loss, accuracy, correct): the loss as ``lamina evaluate`` computes it, the accuracy counted from the
    predicted classes, as the report counts it, so terminal, evaluate and report agree."""
    probs = model.predict(x, batch_size=256, verbose=0)
    correct = int((probs.argmax(axis=1) == y).sum())
    loss = model.evaluate(x, y, batch_size=256, verbose=0, return_dict=True)["loss"]
    return float(loss), correct / len(y), correct


def _write_report(model, out: Path, x_eval, y_eval, record: dict, class_names, args, where) -> None:
    """The ``lamina inspect`` report beside the saved model; a failure here does not fail training."""
    try:
        from .inspect import report
        images = x_eval[_data.one_per_class(y_eval)] if x_eval is not None and args.data else None
        path = report(model, out / "report.html", x=x_eval, y=y_eval, images=images, history=record,
                      class_names=class_names, title=f"lamina report: {args.model} on {record['dataset']}",
                      data_label=where)
    except Exception as err:  # noqa: BLE001 - the model is saved; the report is a bonus
        print(f"lamina train: warning: could not write the report: {err}", file=sys.stderr)
        return
    print(f"report: {path}")
