"""``lamina evaluate MODEL``: loss and accuracy of a saved model on a dataset's test split or a folder."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import _data
from ._errors import CLIError

__all__ = ["add_parser", "run", "load", "run_record"]

_EXAMPLES = """examples:
  lamina evaluate runs/cnn/model.lamina                         the test split of mnist-sample
  lamina evaluate runs/cnn/model.lamina --data fashion-mnist
  lamina evaluate runs/photos/model.lamina --data photos/test   a folder, one sub-folder per class"""


def add_parser(sub) -> None:
    e = sub.add_parser("evaluate", help="evaluate a saved model on a dataset's test split or a folder of images",
                       description="Loss and accuracy of a saved model on labelled data: a dataset's test split, "
                                   "or a folder with one sub-folder of images per class (DIR/<class>/*.png, or "
                                   "DIR/test/<class>/*.png).",
                       epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("model", help="a .lamina file")
    e.add_argument("--data", "--dataset", dest="data", default=None, metavar="DIR|NAME",
                   help=f"a folder of class folders, or a dataset: {', '.join(_data.DATASETS)} (default: the "
                        f"dataset the model was trained on, else mnist-sample)")
    e.add_argument("--batch-size", type=int, default=256, help="images per step (default: 256)")


def load(path: str):
    from ..models import load_model
    if Path(path).is_dir():
        raise CLIError(f"{path} is a directory; pass the model file inside it (e.g. {Path(path) / 'model.lamina'}).")
    if not Path(path).is_file():
        raise CLIError(f"model file {path} does not exist.")
    try:
        return load_model(path)
    except (ValueError, OSError) as err:
        raise CLIError(str(err)) from None


def run_record(model_path) -> dict:
    """The history.json that ``lamina train`` wrote beside the model, or {}."""
    side = Path(model_path).with_name("history.json")
    try:
        record = json.loads(side.read_text()) if side.is_file() else {}
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def image_spec(model, path):
    shape = model.input_shape
    if isinstance(shape, list) or len(shape) != 4:
        raise CLIError(f"{path} expects input shape {shape}; this command handles models on images "
                       f"(batch, rows, cols, channels).")
    return shape[1:]


def run(args) -> int:
    model = load(args.model)
    settings = run_record(args.model).get("settings", {})
    trained_on = settings.get("data", {})
    spec = args.data or (trained_on.get("source") if trained_on.get("source") in _data.DATASETS else None) \
        or "mnist-sample"
    if _data.resolve(spec) == "folder":
        rows, cols, ch = image_spec(model, args.model)
        x_test, y_test, _ = _data.load_labelled_folder(spec, rows, cols, ch, trained_on.get("classes"))
    else:
        _, (x_test, y_test) = _data.load(spec)
    if not model.compiled:
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    try:
        logs = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0, return_dict=True)
    except ValueError as err:
        raise CLIError(f"{args.model} does not fit {spec}: {err}") from None
    print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()) + f" ({len(x_test)} test images)")
    return 0
