"""``lamina datasets list | download NAME | export NAME --format folder DIR``.

``export`` writes one folder per class of PNG files (``DIR/train/<class>/*.png``
and ``DIR/test/<class>/*.png``), ready for ``flow_from_directory`` and
``image_dataset_from_directory``. The bundled mnist-sample needs no network.
Only argparse is imported until a command runs, so ``lamina --help`` stays fast.
"""
from __future__ import annotations

import argparse
import os
import sys

from ._errors import CLIError

__all__ = ["add_parser", "run", "DATASETS", "export_folder"]

_WORDS = "word ids"  # sequences of word indices, not images
# name -> (module in lamina.datasets, description, images, classes)
DATASETS = {
    "mnist-sample": ("mnist_sample", "10,000 MNIST digits bundled with lamina (6,000 train / 4,000 test)",
                     "28x28 grey", 10),
    "mnist": ("mnist", "MNIST handwritten digits (60,000 train / 10,000 test)", "28x28 grey", 10),
    "fashion-mnist": ("fashion_mnist", "Zalando Fashion-MNIST clothing (60,000 / 10,000)", "28x28 grey", 10),
    "cifar10": ("cifar10", "CIFAR-10 objects (50,000 / 10,000)", "32x32 colour", 10),
    "cifar100": ("cifar100", "CIFAR-100 objects, fine labels (50,000 / 10,000)", "32x32 colour", 100),
    "imdb": ("imdb", "IMDB movie reviews by sentiment (25,000 / 25,000)", _WORDS, 2),
    "reuters": ("reuters", "Reuters newswires by topic (8,982 / 2,246)", _WORDS, 46),
}


def add_parser(sub) -> None:
    d = sub.add_parser("datasets", help="list, download and export datasets (as folders of PNG files)",
                       description="Datasets lamina can load: list them, download one into the cache "
                                   "($LAMINA_HOME, default ~/.lamina), or export one as a folder per class of "
                                   "PNG files for flow_from_directory.",
                       epilog="examples:\n  lamina datasets list\n  lamina datasets download fashion-mnist\n"
                              "  lamina datasets export mnist-sample --format folder digits/   then: lamina train "
                              "--data digits/",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = d.add_subparsers(dest="datasets_command", metavar="ACTION")
    actions.add_parser("list", help="the datasets, their size and whether they are cached")
    dl = actions.add_parser("download", help="download a dataset into the cache (checked by sha256)")
    dl.add_argument("name", help=", ".join(DATASETS))
    ex = actions.add_parser("export", help="write a dataset as DIR/<split>/<class>/<n>.png")
    ex.add_argument("name", help=", ".join(DATASETS))
    ex.add_argument("directory", help="output folder (created if needed)")
    ex.add_argument("--format", default="folder", choices=("folder",),
                    help="folder: one subfolder of PNG files per class (default)")
    ex.add_argument("--split", default="both", choices=("both", "train", "test", "all"),
                    help="both: DIR/train/<class> and DIR/test/<class> (default); train, test or all (the "
                         "two together): DIR/<class>")
    ex.add_argument("--classes", nargs="+", default=None, metavar="INDEX",
                    help="export only these class indices (e.g. --classes 0 1)")
    ex.add_argument("--limit", type=int, default=None, help="at most this many images per class and split")


def _module(name):
    if name not in DATASETS:
        from .._errors import did_you_mean
        raise CLIError(f"unknown dataset {name!r}. Available: {', '.join(DATASETS)}"
                       f"{did_you_mean(name, DATASETS) or '.'}")
    import importlib
    return importlib.import_module(f"lamina.datasets.{DATASETS[name][0]}")


def _cache_state(name):
    module = _module(name)
    files = getattr(module, "FILES", None)
    if files is None:
        return "bundled"
    from ..datasets._download import dataset_dir
    folder = dataset_dir(module.NAME)
    have = [f for f in files if (folder / f.name).is_file()]
    if len(have) == len(files):
        size = sum((folder / f.name).stat().st_size for f in files)
        return f"cached ({size / 1e6:.0f} MB)"
    return "not downloaded" if not have else f"partly cached ({len(have)}/{len(files)} files)"


def _list(_args) -> int:
    from ..datasets._download import lamina_home
    print(f"{'name':<14} {'data':<13} {'classes':>7}  {'status':<22} description")
    for name, (_, description, images, classes) in DATASETS.items():
        print(f"{name:<14} {images:<13} {classes:>7}  {_cache_state(name):<22} {description}")
    print(f"\ncache: {lamina_home() / 'datasets'} (set LAMINA_HOME to move it)")
    return 0


def _progress(name):
    state = {"last": -1}

    def report(done, total):
        if total:
            pct = int(100 * done / total)
            if pct != state["last"] and pct % 10 == 0:
                state["last"] = pct
                print(f"  {name}: {pct}% of {total / 1e6:.1f} MB", file=sys.stderr)
    return report


def _download(args) -> int:
    module = _module(args.name)
    files = getattr(module, "FILES", None)
    if files is None:
        print(f"{args.name} is bundled with lamina; nothing to download.")
        return 0
    from ..datasets._download import ChecksumError, DatasetDownloadError, fetch
    for f in files:
        try:
            path = fetch(module.NAME, f, progress=_progress(f.name))
        except (DatasetDownloadError, ChecksumError) as err:
            raise CLIError(str(err)) from None
        print(f"{f.name}: {path} (sha256 ok)")
    return 0


def _class_names(name, module, count):
    names = getattr(module, "CLASS_NAMES", None)
    if name == "fashion-mnist":  # keep label order under alphanumeric sorting
        return [f"{i}_{n.replace('/', '_').replace(' ', '_')}" for i, n in enumerate(names)]
    if names is not None:
        return list(names)
    width = len(str(count - 1))
    return [str(i).zfill(width) for i in range(count)]


def export_folder(x, y, class_names, directory, classes=None, limit=None, workers=8) -> int:
    """Write images ``x`` (n, rows, cols[, channels], uint8) as ``directory/<class name>/<index>.png``.

    Returns the number of files written.
    """
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    from PIL import Image

    y = np.asarray(y).reshape(len(y))
    keep = sorted(set(range(len(class_names))) if classes is None else {int(c) for c in classes})
    jobs = []
    width = len(str(len(x) - 1))
    for c in keep:
        folder = os.path.join(directory, class_names[c])
        os.makedirs(folder, exist_ok=True)
        idx = np.flatnonzero(y == c)
        if limit is not None:
            idx = idx[:limit]
        jobs.extend((int(i), os.path.join(folder, f"{int(i):0{width}d}.png")) for i in idx)

    def write(job):
        i, path = job
        img = x[i]
        Image.fromarray(img[..., 0] if img.ndim == 3 and img.shape[-1] == 1 else img).save(path)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(write, jobs))
    return len(jobs)


def _export(args) -> int:
    import numpy as np
    module = _module(args.name)
    if DATASETS[args.name][2] == _WORDS:
        raise CLIError(f"{args.name} holds sequences of word indices, not images, so it cannot be exported as PNG "
                       f"files. Load it in Python: lamina.datasets.{DATASETS[args.name][0]}.load_data().")
    classes = DATASETS[args.name][3]
    if args.classes is not None:
        bad = [c for c in args.classes if not c.isdigit() or int(c) >= classes]
        if bad:
            raise CLIError(f"--classes takes class indices 0..{classes - 1}; received {bad}.")
    if args.limit is not None and args.limit <= 0:
        raise CLIError(f"--limit must be a positive integer; received {args.limit}.")
    if os.path.exists(args.directory) and not os.path.isdir(args.directory):
        raise CLIError(f"{args.directory} is a file; datasets export writes a folder per class into a directory. "
                       f"Pass a new or existing folder.")
    from ..datasets._download import ChecksumError, DatasetDownloadError
    try:
        (x_train, y_train), (x_test, y_test) = module.load_data()
    except (DatasetDownloadError, ChecksumError) as err:
        raise CLIError(str(err)) from None
    names = _class_names(args.name, module, classes)
    if args.split == "both":
        parts = [("train", x_train, y_train), ("test", x_test, y_test)]
    elif args.split == "all":
        parts = [("", np.concatenate([x_train, x_test]), np.concatenate([np.ravel(y_train), np.ravel(y_test)]))]
    else:
        parts = [("", x_train, y_train) if args.split == "train" else ("", x_test, y_test)]
    total = 0
    for sub, x, y in parts:
        folder = os.path.join(args.directory, sub) if sub else args.directory
        n = export_folder(x, y, names, folder, args.classes, args.limit)
        total += n
        print(f"{folder}: {n} PNG files in {len(args.classes or names)} class folders")
    print(f"exported {total} images of {args.name}")
    return 0


def run(args) -> int:
    action = getattr(args, "datasets_command", None)
    if action is None:
        raise CLIError("choose an action: lamina datasets list | download NAME | export NAME --format folder DIR")
    return {"list": _list, "download": _download, "export": _export}[action](args)
