"""The image patches that excite one channel most, cut to the channel's receptive field
(the lecture notes' "top regions" of a feature map)."""
from __future__ import annotations

import numpy as np
import torch

from ._common import (check_model, input_format, layer_formats, mosaic, new_figure, prepare_images,
                      resolve_layer, to_display, trace)
from .receptive import receptive_fields

__all__ = ["top_activating_patches"]


def top_activating_patches(model, layer, channel: int, images, k: int = 9, one_per_image: bool = True,
                           batch_size: int = 256, plot: bool = False):
    """The k image regions where one channel of a layer responds most.

    Every unit of a feature map sees one region of the input, its receptive field (see
    :func:`receptive_fields`); this runs the images, finds the k largest values of the channel and
    cuts the matching regions out of the images. Parts of a region outside the image are filled with
    zeros, so all patches share the receptive field's size.

    Args:
        model: a built lamina model on images.
        layer: layer, name or index with a spatial (4-D) output.
        channel: the channel of that layer.
        images: a batch of images (n, rows, cols[, channels]) in the model's layout or convertible.
        k: how many patches (default 9).
        one_per_image: take at most one patch (the best position) per image (default True, as the
            the lecture notes' "10 images leading to high signals"); False allows several per image.
        batch_size: images per forward pass (default 256).
        plot: also return a Figure.

    Returns:
        A dict with arrays sorted by activation, highest first: ``patches`` (k, size_rows, size_cols,
        channels); ``values``; ``image_index``; ``position`` (k, 2) unit (row, col) in the feature map;
        ``box`` (k, 4) pixel (top, left, bottom, right), bottom/right exclusive, possibly beyond the
        image; and ``receptive_field`` (rows, cols). With ``plot=True``, (dict, Figure).

    Example:
        >>> top = top_activating_patches(model, "conv2d_1", 7, x_test[:1000], k=10)
    """
    what = "top_activating_patches"
    check_model(model, what)
    layer = resolve_layer(model, layer)
    x = prepare_images(model, images, what)
    fmt_in = input_format(model)
    acts, fmt = [], None
    with torch.no_grad():
        for s in range(0, len(x), batch_size):
            records, _ = trace(model, x[s:s + batch_size], None if fmt is None else [layer],
                               stop_early=fmt is not None)
            if fmt is None:
                fmt = layer_formats(model, records).get(id(layer), "channels_last")
            out = next((o for l, o in records if l is layer), None)
            if out is None:
                raise ValueError(f"{what}: layer '{layer.name}' did not run when model '{model.name}' was called.")
            if not isinstance(out, torch.Tensor) or out.dim() != 4:
                shape = tuple(out.shape[1:]) if isinstance(out, torch.Tensor) else type(out).__name__
                raise ValueError(f"{what} needs a layer with a spatial output (batch, rows, cols, channels); "
                                 f"layer '{layer.name}' outputs {shape}.")
            n_ch = out.shape[3] if fmt == "channels_last" else out.shape[1]
            if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)) \
                    or not 0 <= int(channel) < n_ch:
                raise ValueError(f"{what}: layer '{layer.name}' has {n_ch} channels (0..{n_ch - 1}); received "
                                 f"channel={channel!r}.")
            acts.append((out[..., int(channel)] if fmt == "channels_last" else out[:, int(channel)]).float().cpu())
    a = torch.cat(acts).numpy()                         # (n, rows, cols)
    n, h, w = a.shape
    flat = a.reshape(n, -1)
    k = max(int(k), 0)
    if one_per_image:
        best = flat.argmax(axis=1)
        vals = flat[np.arange(n), best]
        order = np.argsort(-vals, kind="stable")[:k]
        img_idx, pos = order, best[order]
    else:
        order = np.argsort(-flat.ravel(), kind="stable")[:k]
        img_idx, pos = np.divmod(order, h * w)
    values = flat[img_idx, pos]
    rows, cols = np.divmod(pos, w)
    rf = _field_of(model, layer, what)
    size_r, size_c = int(round(rf["size"][0])), int(round(rf["size"][1]))
    disp = to_display(x, fmt_in)
    boxes, patches = [], []
    for i, r, c in zip(img_idx, rows, cols):
        top = int(round(rf["start"][0] + r * rf["jump"][0] - rf["size"][0] / 2))
        left = int(round(rf["start"][1] + c * rf["jump"][1] - rf["size"][1] / 2))
        boxes.append((top, left, top + size_r, left + size_c))
        patches.append(_cut(disp[i], top, left, size_r, size_c))
    patch_arr = np.stack(patches) if patches else np.zeros((0, size_r, size_c, disp.shape[-1]), np.float32)
    result = {"patches": patch_arr, "values": values.astype(np.float32), "image_index": np.asarray(img_idx),
              "position": np.stack([rows, cols], axis=1) if len(rows) else np.zeros((0, 2), np.int64),
              "box": np.asarray(boxes, dtype=np.int64).reshape(-1, 4), "receptive_field": (size_r, size_c),
              "layer": layer.name, "channel": int(channel)}
    if not plot:
        return result
    return result, _plot(result, disp)


def _field_of(model, layer, what):
    for row in receptive_fields(model):
        if row["name"] == layer.name:
            return row
    raise ValueError(f"{what}: could not follow layer '{layer.name}' through model '{model.name}' to compute "
                     f"its receptive field.")


def _cut(image: np.ndarray, top: int, left: int, size_r: int, size_c: int) -> np.ndarray:
    h, w, ch = image.shape
    out = np.zeros((size_r, size_c, ch), np.float32)
    r0, r1 = max(top, 0), min(top + size_r, h)
    c0, c1 = max(left, 0), min(left + size_c, w)
    if r0 < r1 and c0 < c1:
        out[r0 - top:r1 - top, c0 - left:c1 - left] = image[r0:r1, c0:c1]
    return out


def _plot(result, disp):
    from matplotlib.patches import Rectangle
    k = len(result["patches"])
    fig = new_figure(min(12, 1.4 * max(k, 1)), 3.0)
    if k == 0:
        fig.text(0.5, 0.5, "no patches", ha="center")
        return fig
    axes = fig.subplots(2, k, squeeze=False)
    for i in range(k):
        img = disp[result["image_index"][i]]
        top, left, bottom, right = result["box"][i]
        ax = axes[0, i]
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray")
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False,
                               edgecolor="red", linewidth=1.2))
        ax.set_title(f"{result['values'][i]:.2f}", fontsize=7)
        patch = result["patches"][i]
        axes[1, i].imshow(patch[..., 0] if patch.shape[-1] == 1 else mosaic(patch[None], 1, 0)[..., :3],
                          cmap="gray")
        for a in (ax, axes[1, i]):
            a.set_xticks([])
            a.set_yticks([])
    fig.suptitle(f"'{result['layer']}' channel {result['channel']}: top {k} patches "
                 f"({result['receptive_field'][0]}x{result['receptive_field'][1]} receptive field)", fontsize=9)
    fig.tight_layout()
    return fig
