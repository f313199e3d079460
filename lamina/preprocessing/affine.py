"""Batched image warps: one affine matrix per image, sampled with ``torch.nn.functional.grid_sample``.

A matrix maps an *output* pixel (row, col) to the *input* location it reads from,
the convention of ``scipy.ndimage.affine_transform`` that Keras's
ImageDataGenerator is built on. Pixel (i, j) is the centre of the square
[i - 0.5, i + 0.5] x [j - 0.5, j + 0.5]; the sampler is bilinear (order 1) or
nearest (order 0). What is read outside the image depends on the fill mode:

* ImageDataGenerator, as ``scipy.ndimage`` (order 1):

  - ``'nearest'``  ``a a a | a b c d | d d d`` (grid_sample's 'border' padding)
  - ``'reflect'``  ``c b a | a b c d | d c b``, mirrored about the outer pixel edges
    (grid_sample's 'reflection' padding with align_corners=False)
  - ``'wrap'``     scipy's wrap: the period is n - 1 samples (the first and last
    sample coincide), so coordinates are taken modulo n - 1
  - ``'constant'`` ``cval`` wherever the read location lies outside [0, n - 1] on
    either axis, with no blending at the edge (a mask over 'border' sampling)

* preprocessing layers, as TensorFlow's image ops:

  - ``'grid-wrap'``     period n (the image tiles the plane)
  - ``'grid-constant'`` the image surrounded by the fill value, blended at the edge
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

__all__: list[str] = []

SCIPY_FILL_MODES = ("constant", "nearest", "reflect", "wrap")
_ALL_MODES = SCIPY_FILL_MODES + ("grid-wrap", "grid-constant")


def keras_matrices(n, h, w, theta=None, tx=None, ty=None, shear=None, zx=None, zy=None) -> np.ndarray:
    """(n, 2, 3) float64 matrices of ImageDataGenerator's transform, Keras 2 meaning.

    ``theta``/``shear`` in degrees, ``tx`` a shift along rows and ``ty`` along
    columns (pixels; positive moves the content up / left), ``zx``/``zy`` the
    zoom of rows / columns (above 1 zooms out). Each argument is an array (or CPU
    tensor) of shape (n,) or None (no such transform). The composition is
    rotation @ shift @ shear @ zoom about the image centre ((h - 1) / 2, (w - 1) / 2).
    """
    def arr(v, default):  # absent parameters stay Python floats: cheaper than arrays of n equal values
        return default if v is None else np.asarray(v, dtype=np.float64)
    th = np.deg2rad(arr(theta, 0.0))
    th_sh = th + np.deg2rad(arr(shear, 0.0))
    c0, s0, c1, s1 = np.cos(th), np.sin(th), np.cos(th_sh), np.sin(th_sh)
    zx, zy, tx, ty = arr(zx, 1.0), arr(zy, 1.0), arr(tx, 0.0), arr(ty, 0.0)
    o0, o1 = h / 2.0 - 0.5, w / 2.0 - 0.5
    out = np.empty((n, 2, 3), dtype=np.float64)
    # rotation @ shear @ zoom, with shear [[1, -sin(sh)], [0, cos(sh)]]; then the shift, about the centre
    out[:, 0, 0], out[:, 0, 1] = c0 * zx, -zy * s1
    out[:, 1, 0], out[:, 1, 1] = s0 * zx, zy * c1
    out[:, 0, 2] = o0 + (c0 * tx - s0 * ty) - out[:, 0, 0] * o0 - out[:, 0, 1] * o1
    out[:, 1, 2] = o1 + (s0 * tx + c0 * ty) - out[:, 1, 0] * o0 - out[:, 1, 1] * o1
    return out


_EYE = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def is_identity(mats) -> bool:
    return np.array_equal(mats[0], _EYE) and bool((np.asarray(mats) == _EYE).all())


_RANGES: dict = {}


def _ranges(h, w):
    """np.arange(h) and np.arange(w) as float32, cached (a warp per batch would otherwise make them)."""
    if (h, w) not in _RANGES:
        if len(_RANGES) > 64:
            _RANGES.clear()
        _RANGES[(h, w)] = (np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32))
    return _RANGES[(h, w)]


def _wrap_(p, period):
    """In place: p modulo period (0 for an empty period)."""
    if period <= 0:
        return p.zero_()
    return p.sub_(torch.floor(p / period).mul_(period))


def warp(x: torch.Tensor, mats, fill_mode: str = "nearest", cval: float = 0.0, order: int = 1) -> torch.Tensor:
    """Warp a batch ``x`` of shape (n, channels, h, w) by one matrix per image.

    Args:
        x: float tensor (n, C, h, w).
        mats: (n, 2, 3) matrices (NumPy or tensor) from output pixel (row, col, 1) to input (row, col).
        fill_mode: one of 'nearest', 'reflect', 'wrap', 'constant' (scipy.ndimage meanings),
            'grid-wrap' or 'grid-constant' (TensorFlow meanings).
        cval: the fill value of the constant modes.
        order: 1 (bilinear) or 0 (nearest).

    Returns:
        The warped batch, same shape and dtype as ``x``.
    """
    if fill_mode not in _ALL_MODES:
        raise ValueError(f"Unknown fill_mode {fill_mode!r}. Expected one of {', '.join(map(repr, _ALL_MODES))}.")
    n, _, h, w = x.shape
    m = mats.detach().cpu().numpy() if isinstance(mats, torch.Tensor) else np.asarray(mats, dtype=np.float64)
    pixels = order == 0 or fill_mode in ("constant", "wrap", "grid-wrap")
    if fill_mode == "grid-wrap":
        x = F.pad(x, (0, 1, 0, 1), mode="circular")
    ph, pw = x.shape[-2:]
    if not pixels:  # fold grid_sample's normalisation u = (2 p + 1) / size - 1 into the matrices
        m = m * np.array([[2.0 / ph], [2.0 / pw]])
        m[:, :, 2] += (1.0 / ph - 1.0, 1.0 / pw - 1.0)
    # Read locations, one plane per coordinate (x = column, y = row): the row part a*r + b (n, h) and the
    # column part c*col (n, w) are small; one broadcast add makes the planes, grid_sample reads them as a
    # (n, h, w, 2) view.
    r, c = _ranges(h, w)
    mg = m[:, ::-1].astype(np.float32)  # (n, 2, 3) in grid order: x (column) first
    rows_part = torch.from_numpy((mg[:, :, 0, None] * r + mg[:, :, 2, None]).transpose(1, 0, 2).copy())
    cols_part = torch.from_numpy((mg[:, :, 1, None] * c).transpose(1, 0, 2).copy())
    if x.device.type != "cpu":
        rows_part, cols_part = rows_part.to(x.device), cols_part.to(x.device)
    planes = torch.add(rows_part.unsqueeze(3), cols_part.unsqueeze(2))
    if planes.dtype != x.dtype:
        planes = planes.to(x.dtype)
    cols, rows = planes[0], planes[1]
    mask = None
    if pixels:
        if fill_mode == "constant":
            mask = (rows >= 0) & (rows <= h - 1) & (cols >= 0) & (cols <= w - 1)
        elif fill_mode == "wrap":
            _wrap_(rows, h - 1), _wrap_(cols, w - 1)
        elif fill_mode == "grid-wrap":
            _wrap_(rows, h), _wrap_(cols, w)
        if order == 0:
            rows.add_(0.5).floor_(), cols.add_(0.5).floor_()
        rows.mul_(2.0 / ph).add_(1.0 / ph - 1.0)
        cols.mul_(2.0 / pw).add_(1.0 / pw - 1.0)
    grid = planes.permute(1, 2, 3, 0)
    mode = "bilinear" if order == 1 else "nearest"
    if fill_mode == "grid-constant":
        if cval:
            return F.grid_sample(x - cval, grid, mode=mode, padding_mode="zeros", align_corners=False) + cval
        return F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    padding = "reflection" if fill_mode == "reflect" else "border"
    out = F.grid_sample(x, grid, mode=mode, padding_mode=padding, align_corners=False)
    if mask is not None:
        out = torch.where(mask.unsqueeze(1), out, torch.as_tensor(cval, dtype=out.dtype, device=out.device))
    return out


def _tensor(values, x):
    return torch.as_tensor(np.asarray(values), device=x.device, dtype=x.dtype)


def channel_shift(x: torch.Tensor, intensity) -> torch.Tensor:
    """Keras's channel shift: add ``intensity`` (one per image) to every channel, clipped to
    the image's own [min, max] over all channels."""
    lo = x.amin(dim=(1, 2, 3), keepdim=True)
    hi = x.amax(dim=(1, 2, 3), keepdim=True)
    shifted = x + _tensor(intensity, x).view(-1, 1, 1, 1)
    return torch.minimum(torch.maximum(shifted, lo), hi)


def brightness(x: torch.Tensor, factor) -> torch.Tensor:
    """Keras's brightness shift (``apply_brightness_shift(x, b, scale=False)``), batched.

    Images within [0, 255] are multiplied by the factor and clipped to [0, 255];
    other images are first mapped min..max -> 0..255, then brightened, clipped
    and mapped back. Keras also rounds to 8 bits on its way through PIL; lamina
    keeps full precision. A 4th (alpha) channel is left unchanged, as PIL does.
    """
    b = _tensor(factor, x).view(-1, 1, 1, 1)
    lo = x.amin(dim=(1, 2, 3), keepdim=True)
    hi = x.amax(dim=(1, 2, 3), keepdim=True)
    outside = (lo < 0) | (hi > 255)
    span = torch.where(hi - lo == 0, torch.ones_like(hi), hi - lo)
    scaled = torch.where(outside, (x - lo) / span * 255.0, x)
    out = (scaled * b).clamp_(0.0, 255.0)
    out = torch.where(outside, out / 255.0 * (hi - lo) + lo, out)
    if x.shape[1] == 4:
        out[:, 3] = x[:, 3]
    return out


def flip(x: torch.Tensor, flags, dim: int) -> torch.Tensor:
    """Flip the images whose flag (a bool array or tensor, one per image) is set along ``dim``."""
    flags = np.asarray(flags.cpu() if isinstance(flags, torch.Tensor) else flags, dtype=bool)
    if not flags.any():
        return x
    if flags.all():
        return x.flip(dim)
    mask = torch.from_numpy(flags).to(x.device).view(-1, *([1] * (x.dim() - 1)))
    return torch.where(mask, x.flip(dim), x)


def uniform(n, low, high, generator, dtype=torch.float64):
    """n draws from U(low, high) on the CPU (float64)."""
    return torch.rand(n, generator=generator, dtype=dtype) * (high - low) + low


def to_radians(degrees: float) -> float:
    return math.radians(degrees)
