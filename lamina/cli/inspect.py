"""``lamina inspect MODEL``: write one self-contained HTML report about a saved model."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ._data import read_image
from ._errors import CLIError

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def _image_spec(model):
    """(rows, cols, channels, data_format) of the model's image input; channels is None for a
    sequence model that reads a grey image row by row (input (batch, rows, cols))."""
    from ..inspect import input_format, input_shape, recurrent_layers
    shape = input_shape(model)
    if not isinstance(shape, list) and len(shape) == 3 and None not in shape[1:] and recurrent_layers(model):
        return shape[1], shape[2], None, "channels_last"
    if isinstance(shape, list) or len(shape) != 4:
        hint = (" For a sequence model on token ids or other sequences, write the report in Python: "
                "lamina.inspect.write_report('report.html', model, x_test, y_test)."
                if not isinstance(shape, list) and recurrent_layers(model) else "")
        raise CLIError(f"the model takes input shape {shape}; inspect handles models on images "
                       f"(batch, rows, cols, channels) and sequence models that read an image row by row "
                       f"(batch, rows, cols).{hint}")
    fmt = input_format(model)
    rows, cols, ch = (shape[1], shape[2], shape[3]) if fmt == "channels_last" else (shape[2], shape[3], shape[1])
    return rows, cols, ch, fmt


def load_folder(folder: Path, rows, cols, channels, limit: int = 10000):
    """Images from DIR/<class>/*.png (labels = sorted class folders), or DIR/*.png (no labels)."""
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    files, labels = [], []
    if classes:
        for i, name in enumerate(classes):
            for f in sorted((folder / name).iterdir()):
                if f.suffix.lower() in _IMAGE_SUFFIXES:
                    files.append(f)
                    labels.append(i)
    else:
        files = [f for f in sorted(folder.iterdir()) if f.suffix.lower() in _IMAGE_SUFFIXES]
    if not files:
        raise CLIError(f"{folder} holds no images. Expected DIR/<class name>/*.png (labelled) or DIR/*.png.")
    if len(files) > limit:
        step = len(files) / limit
        keep = [int(i * step) for i in range(limit)]
        files, labels = [files[i] for i in keep], [labels[i] for i in keep] if labels else []
    if rows is None:
        raise CLIError("the model accepts any image size; images from a folder need a fixed size.")
    x = np.stack([read_image(f, rows, cols, channels) for f in files])
    y = np.asarray(labels, np.int64) if classes else None
    return x, y, (classes or None)


def _history(model_path: Path, model):
    """The record ``lamina train`` wrote beside the model (history, settings, best epoch), else the
    history stored in the .lamina file, else None."""
    side = model_path.with_name("history.json")
    if side.is_file():
        try:
            record = json.loads(side.read_text())
        except (OSError, ValueError):
            record = None
        if isinstance(record, dict):
            return record
    from ..saving import read_history
    try:
        return read_history(model_path) or None
    except (ValueError, OSError):
        return None


def _trained_on(record):
    """(data, label) of the run that trained the model, from its history.json: its dataset, or its folder's
    test/ folder (else the whole folder: "folder" data)."""
    source = ((record or {}).get("settings") or {}).get("data", {}).get("source") if isinstance(record, dict) \
        else None
    if not source:
        return None, "test"
    folder = Path(source)
    if folder.is_dir():
        return (str(folder / "test"), "test") if (folder / "test").is_dir() else (str(folder), "folder")
    return source, "test"


def _check_writable(out: Path) -> None:
    """Refuse an --out that cannot be written before any work is done."""
    import os
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise CLIError(f"--out {out} is a folder; pass the HTML file to write, e.g. {out / 'report.html'}.")
    if not parent.is_dir():
        raise CLIError(f"--out {out}: the folder {parent} does not exist. Create it or choose another place.")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise CLIError(f"--out {out}: no permission to write there. Choose a place you can write.")


def report(model, out: Path, x=None, y=None, images=None, history=None, class_names=None, title=None,
           data_label: str = "test") -> Path:
    from ..inspect import write_report
    try:
        return write_report(out, model, x=x, y=y, images=images, history=history, class_names=class_names,
                            title=title, data_label=data_label)
    except ValueError as err:
        raise CLIError(str(err)) from None


def run(args) -> int:
    from .evaluate import load
    model_path = Path(args.model)
    out = Path(args.out) if args.out else model_path.with_name(model_path.stem + "-report.html")
    _check_writable(out)
    model = load(args.model)
    rows, cols, ch, fmt = _image_spec(model)
    rows_as_steps = ch is None       # a recurrent model reading grey images row by row
    ch = 1 if rows_as_steps else ch
    start = time.perf_counter()
    x = y = names = None
    history = _history(model_path, model)
    data_label = "test"
    if args.data is None:
        args.data, data_label = _trained_on(history)
    if args.data is None and (rows, cols, ch) == (28, 28, 1):
        args.data = "mnist-sample"
    if args.data:
        folder = Path(args.data)
        if folder.is_dir():
            x, y, names = load_folder(folder, rows, cols, ch)
        else:
            from . import _data
            if args.data not in _data.DATASETS and not folder.suffix:
                raise CLIError(f"--data {args.data}: no such folder, and not a dataset name ("
                               f"{', '.join(_data.DATASETS)}).")
            _, (x, y) = _data.load(args.data)
            names = _data.class_names_of(args.data, int(y.max()) + 1)
    images = [read_image(p, rows, cols, ch) for p in args.image] if args.image else None
    if images is None and x is not None and y is not None and Path(args.data).is_dir():
        from ._data import one_per_class
        images = list(x[one_per_class(y)])     # a folder's images come sorted by class
    if rows_as_steps:
        if x is not None and x.shape[1:3] != (rows, cols):
            raise CLIError(f"--data {args.data}: its images are {x.shape[1]}x{x.shape[2]}, and the model reads "
                           f"{rows} steps of {cols} values; pass a folder (resized) or matching images.")
        x = x[..., 0] if x is not None and x.ndim == 4 else x
        images = [im[..., 0] if im.ndim == 3 else im for im in images] if images is not None else None
    if images is None and x is None:
        raise CLIError("nothing to look at: pass --data mnist-sample (the default), --data DIR or --image FILE.")
    path = report(model, out, x=x, y=y, images=images, history=history, class_names=names,
                  title=f"lamina report: {model_path.name}", data_label=data_label)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f}s")
    return 0
