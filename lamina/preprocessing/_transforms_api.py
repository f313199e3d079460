"""Keras's single-image transform functions (``keras.preprocessing.image.random_rotation`` etc.).

Each takes one 3-D NumPy image with the axes given (default channels first:
``row_axis=1, col_axis=2, channel_axis=0``, as in Keras) and returns a new one;
they share the batched warp of ImageDataGenerator.
"""
from __future__ import annotations

import numpy as np
import torch

from . import affine as _affine

__all__ = ["apply_affine_transform", "apply_channel_shift", "apply_brightness_shift", "flip_axis",
           "random_rotation", "random_shift", "random_shear", "random_zoom", "random_channel_shift",
           "random_brightness"]


def _to_nchw(x, row_axis, col_axis, channel_axis):
    arr = np.asarray(x)
    if arr.ndim != 3:
        raise ValueError(f"Expected one image of rank 3 (rows, cols, channels in some order). Received shape "
                         f"{arr.shape}.")
    if sorted((row_axis, col_axis, channel_axis)) != [0, 1, 2]:
        raise ValueError(f"row_axis, col_axis and channel_axis must be 0, 1 and 2 in some order. Received "
                         f"row_axis={row_axis}, col_axis={col_axis}, channel_axis={channel_axis}.")
    dtype = arr.dtype if arr.dtype.kind == "f" else np.float32
    t = torch.from_numpy(np.ascontiguousarray(arr.transpose(channel_axis, row_axis, col_axis), dtype=dtype))
    return t[None], arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)


def _back(t, axes):
    perm = np.argsort(axes)  # (channel, row, col) -> original order
    return t[0].numpy().transpose(perm).copy()


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1, col_axis=2, channel_axis=0,
                           fill_mode="nearest", cval=0.0, order=1):
    """Rotate (degrees), shift (pixels: tx rows, ty columns), shear (degrees) and zoom one image."""
    t, dtype = _to_nchw(x, row_axis, col_axis, channel_axis)
    h, w = t.shape[-2:]

    def one(v):
        return torch.tensor([float(v)], dtype=torch.float64)
    mats = _affine.keras_matrices(1, h, w, one(theta), one(tx), one(ty), one(shear), one(zx), one(zy))
    if _affine.is_identity(mats):
        return np.array(x, dtype=dtype, copy=True)
    out = _affine.warp(t, mats, fill_mode, cval, order)
    return _back(out, (channel_axis, row_axis, col_axis)).astype(dtype, copy=False)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Add ``intensity`` to every channel, clipped to the image's [min, max]."""
    arr = np.asarray(x, dtype=np.float32 if np.asarray(x).dtype.kind != "f" else None)
    lo, hi = np.min(arr), np.max(arr)
    return np.clip(arr + intensity, lo, hi)


def apply_brightness_shift(x, brightness, scale=True):
    """Multiply the brightness by ``brightness``, as PIL's ImageEnhance.Brightness.

    With ``scale=True`` (Keras's default) the image is first mapped min..max -> 0..255 and the
    result stays in 0..255; with ``scale=False`` images within [0, 255] keep their scale.
    """
    arr = np.array(x, dtype=np.float32)
    if scale:
        arr = arr - arr.min()
        top = arr.max()
        if top != 0:
            arr = arr / top
        arr = arr * 255.0
    t = torch.from_numpy(np.ascontiguousarray(np.moveaxis(arr, -1, 0)))[None]
    out = _affine.brightness(t, torch.tensor([float(brightness)], dtype=torch.float64))
    return np.moveaxis(out[0].numpy(), 0, -1).copy()


def flip_axis(x, axis):
    return np.flip(np.asarray(x), axis).copy()


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                    interpolation_order=1):
    """Rotate by a random angle in [-rg, rg] degrees."""
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                 interpolation_order=1):
    """Shift by random fractions of the width (up to ``wrg``) and height (up to ``hrg``)."""
    h, w = np.shape(x)[row_axis], np.shape(x)[col_axis]
    tx = np.random.uniform(-hrg, hrg) * h
    ty = np.random.uniform(-wrg, wrg) * w
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                 interpolation_order=1):
    """Shear by a random angle in [-intensity, intensity] degrees."""
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                interpolation_order=1):
    """Zoom rows and columns independently by factors drawn from ``zoom_range`` = (low, high)."""
    if len(zoom_range) != 2:
        raise ValueError(f"random_zoom expects zoom_range to be a pair (low, high). Received: "
                         f"zoom_range={zoom_range!r}.")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_channel_shift(x, intensity_range, channel_axis=0):
    return apply_channel_shift(x, np.random.uniform(-intensity_range, intensity_range), channel_axis)


def random_brightness(x, brightness_range, scale=True):
    if len(brightness_range) != 2:
        raise ValueError(f"random_brightness expects brightness_range to be a pair (low, high). Received: "
                         f"brightness_range={brightness_range!r}.")
    return apply_brightness_shift(x, np.random.uniform(brightness_range[0], brightness_range[1]), scale)
