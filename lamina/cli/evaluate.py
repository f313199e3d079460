"""``lamina evaluate MODEL``: loss and accuracy of a saved model on a dataset's test split."""
from __future__ import annotations

from . import _data
from ._errors import CLIError


def load(path: str):
    from pathlib import Path

    from ..models import load_model
    if Path(path).is_dir():
        raise CLIError(f"{path} is a directory; pass the model file inside it (e.g. {Path(path) / 'model.lamina'}).")
    if not Path(path).is_file():
        raise CLIError(f"model file {path} does not exist.")
    try:
        return load_model(path)
    except (ValueError, OSError) as err:
        raise CLIError(str(err)) from None


def run(args) -> int:
    model = load(args.model)
    _, (x_test, y_test) = _data.load(args.dataset)
    if not model.compiled:
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    try:
        logs = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0, return_dict=True)
    except ValueError as err:
        raise CLIError(f"{args.model} does not fit dataset {args.dataset}: {err}") from None
    print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()) + f" ({len(x_test)} test images)")
    return 0
