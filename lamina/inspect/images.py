"""Image grids: the CS4487 lecture code's ``show_imgs`` with titles, labels and green/red highlights."""
from __future__ import annotations

import numpy as np

from .. import config as _config
from ._common import grid_shape, imshow, mosaic, new_figure

__all__ = ["show_images", "image_grid", "as_image_list"]


def as_image_list(images, data_format: str | None = None) -> list[np.ndarray]:
    """Images as a list of (rows, cols) or (rows, cols, 3) arrays.

    Accepts a list of arrays or one array of shape (n, rows, cols), (n, rows, cols, 1|3|4) or
    (n, 1|3, rows, cols); ``data_format`` settles the ambiguous cases (default: guessed, then the
    global image data format).
    """
    if isinstance(images, np.ndarray) and images.ndim in (2, 3, 4):
        arr = images
        if arr.ndim == 2:
            arr = arr[None]
        fmt = data_format
        if arr.ndim == 4 and fmt is None:
            small = (1, 3, 4)
            if arr.shape[-1] in small and arr.shape[1] not in small:
                fmt = "channels_last"
            elif arr.shape[1] in small and arr.shape[-1] not in small:
                fmt = "channels_first"
            else:
                fmt = _config.image_data_format()
        if arr.ndim == 4 and fmt == "channels_first":
            arr = arr.transpose(0, 2, 3, 1)
        items = list(arr)
    else:
        try:
            items = [np.asarray(getattr(im, "detach", lambda: im)()) for im in images]
        except TypeError:
            raise TypeError(f"show_images expects an array of images or a list of arrays. Received "
                            f"{type(images).__name__}.") from None
    out = []
    for i, im in enumerate(items):
        im = np.asarray(im, dtype=np.float32)
        if im.ndim == 1:
            side = int(round(np.sqrt(im.size)))
            if side * side != im.size:
                raise ValueError(f"show_images: image {i} is a vector of {im.size} values, not a square image. "
                                 f"Reshape it to (rows, cols) first.")
            im = im.reshape(side, side)
        if im.ndim == 3:
            if im.shape[-1] not in (1, 3, 4) and im.shape[0] in (1, 3, 4):
                im = im.transpose(1, 2, 0)
            if im.shape[-1] == 1:
                im = im[..., 0]
            elif im.shape[-1] == 4:
                im = im[..., :3]
            elif im.shape[-1] != 3:
                raise ValueError(f"show_images: image {i} has shape {im.shape}; expected (rows, cols) or "
                                 f"(rows, cols, 1 or 3 channels).")
        if im.ndim not in (2, 3):
            raise ValueError(f"show_images: image {i} has shape {im.shape}; expected (rows, cols) or "
                             f"(rows, cols, channels).")
        out.append(im)
    return out


def image_grid(images, ncols: int | None = None, pad: int = 1, data_format: str | None = None) -> np.ndarray:
    """One array tiling all images (each scaled to [0, 1]); the images must share a size."""
    items = as_image_list(images, data_format)
    if not items:
        raise ValueError("image_grid received no images.")
    if any(im.shape != items[0].shape for im in items):
        raise ValueError("image_grid needs images of one size; received sizes "
                         f"{sorted({im.shape for im in items})}.")
    return mosaic(np.stack(items), ncols=ncols, pad=pad)


def _titles(n, labels, titles):
    if titles is None and labels is None:
        return [None] * n
    if isinstance(titles, str):
        return [titles % i if "%" in titles else titles for i in range(n)]
    source = titles if titles is not None else labels
    source = list(np.asarray(source).ravel()) if not isinstance(source, (list, tuple)) else list(source)
    if len(source) != n:
        what = "titles" if titles is not None else "labels"
        raise ValueError(f"show_images received {n} images and {len(source)} {what}; pass one per image.")
    return [str(v.item() if hasattr(v, "item") else v) for v in source]


def _mask(mask, n, name):
    if mask is None:
        return np.zeros(n, bool)
    m = np.asarray(mask, bool).ravel()
    if m.size != n:
        raise ValueError(f"show_images received {n} images and a {name} mask of {m.size} values; pass one "
                         f"boolean per image.")
    return m


def show_images(images, labels=None, titles=None, ncols: int | None = None, highlight_green=None,
                highlight_red=None, cmap: str = "gray", data_format: str | None = None, figsize=None):
    """A grid of images, as the CS4487 lecture code's ``show_imgs``.

    Args:
        images: an array (n, rows, cols[, channels]) in either data format, or a list of images;
            grey or colour, any number.
        labels: optional labels shown as titles (one per image).
        titles: a list of titles, or a format string applied to the index (``"%d"``, as the lecture code does).
        ncols: images per row (default: about sqrt(1.5 n)).
        highlight_green, highlight_red: boolean masks, one value per image; marked images get a
            thick green or red frame (the lecture notes' "should have" / "shouldn't have" boxes).
        cmap: colour map of grey images (default 'gray').
        data_format: 'channels_last' or 'channels_first' for 4-D arrays (default: guessed).
        figsize: (width, height) in inches (default: from the grid).

    Returns:
        A matplotlib Figure (never shown in a window).

    Example:
        >>> fig = show_images(np.random.rand(10, 28, 28), titles="%d", ncols=5)
    """
    items = as_image_list(images, data_format)
    n = len(items)
    if n == 0:
        raise ValueError("show_images received no images.")
    names = _titles(n, labels, titles)
    green = _mask(highlight_green, n, "highlight_green")
    red = _mask(highlight_red, n, "highlight_red")
    nrows, ncols = grid_shape(n, ncols)
    fig = new_figure(*(figsize or (1.3 * ncols, 1.3 * nrows + (0.25 * nrows if names[0] else 0))))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i >= n:
            ax.axis("off")
            continue
        imshow(ax, items[i], names[i], cmap=cmap)
        color = "lime" if green[i] else "red" if red[i] else None
        if color is not None:
            for spine in ax.spines.values():
                spine.set_edgecolor(color)
                spine.set_linewidth(4)
    fig.tight_layout(pad=0.3)
    return fig
