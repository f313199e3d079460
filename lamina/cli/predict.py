"""``lamina predict MODEL IMAGE...``: the top classes of each image file."""
from __future__ import annotations

import numpy as np

from ._errors import CLIError
from .evaluate import load


def _read(path: str, rows: int, cols: int, channels: int, invert: bool) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB")
            if img.size != (cols, rows):
                img = img.resize((cols, rows), Image.BILINEAR)
            arr = np.asarray(img, dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise CLIError(f"image {path} does not exist.") from None
    except Image.DecompressionBombError as err:
        raise CLIError(f"cannot read image {path}: it is a decompression bomb ({err}).") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise CLIError(f"cannot read image {path}: {err}. Expected a PNG or JPEG file.") from None
    if invert:
        arr = 1.0 - arr
    return arr.reshape(rows, cols, channels)


def run(args) -> int:
    if args.top <= 0:
        raise CLIError(f"--top must be a positive integer; received {args.top}.")
    model = load(args.model)
    shape = model.input_shape
    if isinstance(shape, list) or len(shape) != 4:
        raise CLIError(f"{args.model} expects input shape {shape}; predict handles models on images "
                       f"(batch, rows, cols, channels).")
    _, rows, cols, channels = shape
    batch = np.stack([_read(p, rows, cols, channels, args.invert) for p in args.images])
    probs = model.predict(batch, verbose=0)
    for path, p in zip(args.images, probs):
        top = np.argsort(-p)[: args.top]
        print(f"{path}: " + "  ".join(f"{int(c)} ({p[c]:.4f})" for c in top))
    return 0
