"""``lamina predict MODEL IMAGE|DIR...``: the top classes of each image file.

When the images' background is light and the training images' was dark (or the reverse), the
prediction is about an image unlike anything the model saw: predict says so on stderr and suggests
``--invert``. It does not invert on its own: a light background may be what the user means, and a
silent change of the input would make the printed answer hard to trust.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from . import _data
from ._errors import CLIError
from .evaluate import image_spec, load, run_record

__all__ = ["add_parser", "run"]

_EXAMPLES = """examples:
  lamina predict runs/cnn/model.lamina digit.png
  lamina predict runs/cnn/model.lamina drawn_in_paint.png --invert    dark ink on a light background
  lamina predict runs/photos/model.lamina new_photos/ --top 1"""


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="classify image files (PNG/JPEG) or folders of them with a saved model",
                       description="The most probable classes of each image. A folder stands for the images in "
                                   "it (and in its class folders).",
                       epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a .lamina file")
    p.add_argument("images", nargs="+", help="image files or folders of images")
    p.add_argument("--top", type=int, default=3, help="how many classes to show per image (default: 3)")
    p.add_argument("--invert", action="store_true",
                   help="invert grey levels (for dark digits on a light background)")


def _expand(paths) -> list:
    files = []
    for p in map(Path, paths):
        if p.is_dir():
            found = _data.list_images(p) + [f for d in sorted(p.iterdir()) if d.is_dir() for f in _data.list_images(d)]
            if not found:
                raise CLIError(f"folder {p} holds no images ({', '.join(sorted(_data.IMAGE_SUFFIXES))}).")
            files += found
        else:
            files.append(p)
    return files


def background_warning(path, image_background: float, trained_background: float | None) -> str | None:
    """A warning when an image's background is light and the training images' dark, or the reverse."""
    if trained_background is None or (image_background < 0.5) == (trained_background < 0.5):
        return None
    shade = lambda v: "light" if v >= 0.5 else "dark"  # noqa: E731
    return (f"lamina predict: warning: {path} has a {shade(image_background)} background (border grey level "
            f"{image_background:.2f}) but the model was trained on images with a {shade(trained_background)} one "
            f"({trained_background:.2f}); its answer is probably wrong. Pass --invert to invert the grey levels "
            f"(e.g. dark ink drawn on white, for a model trained on white digits on black).")


def run(args) -> int:
    if args.top <= 0:
        raise CLIError(f"--top must be a positive integer; received {args.top}.")
    model = load(args.model)
    rows, cols, channels = image_spec(model, args.model)
    data = run_record(args.model).get("settings", {}).get("data", {})
    trained_bg = data.get("background")
    names = data.get("classes") or []
    files = _expand(args.images)
    batch = np.stack([_data.read_image(p, rows, cols, channels) for p in files])
    if args.invert:
        batch = 1.0 - batch
    for path, image in zip(files, batch):
        warning = background_warning(path, _data.background(image), trained_bg)
        if warning:
            print(warning, file=sys.stderr)
    probs = model.predict(batch, verbose=0)
    for path, p in zip(files, probs):
        top = np.argsort(-p)[: args.top]
        label = lambda c: names[c] if c < len(names) and names[c] != str(c) else str(c)  # noqa: E731
        print(f"{path}: " + "  ".join(f"{label(int(c))} ({p[c]:.4f})" for c in top))
    return 0
