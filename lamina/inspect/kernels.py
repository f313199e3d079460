"""Hand-designed kernels applied to images: the pre-deep-learning filter demos of the CS4487 lecture notes
(Sobel and edge kernels on digits, Gabor filter banks)."""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .._errors import unknown_name_error
from ._common import new_figure

__all__ = ["KERNELS", "get_kernel", "apply_kernel", "gabor_kernel", "gabor_bank"]

_SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]

#: Named 3x3 kernels. Each is applied as the lecture code's ``np.sum(kernel * image_patch)`` (cross-correlation,
#: as convolution layers compute it), so 'sobel_x' responds to left-to-right increases of intensity.
KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float32),
    # Sobel: gradient along x (vertical edges) and along y (horizontal edges).
    "sobel_x": np.array(_SOBEL_X, np.float32),
    "sobel_y": np.array(_SOBEL_X, np.float32).T.copy(),
    # Prewitt-style line detectors, sensitive to the direction of the edge.
    "horizontal": np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], np.float32),
    "vertical": np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], np.float32),
    # Sobel rotated by 45 degrees: edges along the diagonals.
    "diagonal": np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], np.float32),
    "anti_diagonal": np.array([[2, 1, 0], [1, 0, -1], [0, -1, -2]], np.float32),
    # Edge detection (all directions): the 8-neighbour Laplacian, and the 4-neighbour one.
    "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], np.float32),
    "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], np.float32),
    "box_blur": np.full((3, 3), 1 / 9, np.float32),
    "gaussian_blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 16,
}


def get_kernel(kernel) -> np.ndarray:
    """A 2-D float32 kernel from a name in :data:`KERNELS` or an array."""
    if isinstance(kernel, str):
        key = kernel.lower()
        if key not in KERNELS:
            raise unknown_name_error("kernel", kernel, KERNELS)
        return KERNELS[key].copy()
    k = np.asarray(kernel, np.float32)
    if k.ndim != 2 or min(k.shape) < 1:
        raise ValueError(f"apply_kernel expects a 2-D kernel (rows, cols) or a name such as 'sobel_x'. "
                         f"Received an array of shape {k.shape}.")
    return k


def apply_kernel(images, kernel, padding: str = "same", plot: bool = False, ncols: int | None = None):
    """Slide a kernel over images: each output pixel is ``sum(kernel * patch)``, as the lecture code's
    ``apply_kernel`` (cross-correlation, zero padding).

    Args:
        images: one image (rows, cols) or (rows, cols, channels), or a batch (n, rows, cols[,
            channels]) in channels_last layout; each channel is filtered on its own.
        kernel: a name from :data:`KERNELS` ('sobel_x', 'sobel_y', 'horizontal', 'vertical',
            'diagonal', 'edge', 'laplacian', 'sharpen', 'gaussian_blur', ...), a 2-D array, or a list
            of them (a filter bank, e.g. from :func:`gabor_bank`).
        padding: 'same' (zero padding, output of the input's size; default) or 'valid'.
        plot: also return a Figure (images in the first row, one row per kernel).
        ncols: images per row in the figure.

    Returns:
        The filtered images, float32, shaped like the input (smaller by kernel-1 with 'valid'); for a
        list of kernels an extra leading axis (kernels, ...). With ``plot=True``, (array, Figure).

    Example:
        >>> edges = apply_kernel(x_test[:8, :, :, 0], "sobel_x")
    """
    bank = (isinstance(kernel, (list, tuple)) and (not kernel or isinstance(kernel[0], str)
                                                   or np.asarray(kernel[0]).ndim == 2)) \
        or (isinstance(kernel, np.ndarray) and kernel.ndim == 3)
    kernels = [get_kernel(k) for k in (kernel if bank else [kernel])]
    if not kernels:
        raise ValueError("apply_kernel received an empty list of kernels.")
    if padding not in ("same", "valid"):
        raise ValueError(f"apply_kernel expects padding 'same' or 'valid'. Received: padding={padding!r}.")
    x = np.asarray(images.detach().cpu() if isinstance(images, torch.Tensor) else images, np.float32)
    if x.ndim == 2:
        batch = x[None, None]
        restore = lambda y: y[0, 0]  # noqa: E731
    elif x.ndim == 3 and x.shape[-1] in (1, 3, 4) and x.shape[0] not in (1, 3, 4):
        batch = x.transpose(2, 0, 1)[None]
        restore = lambda y: y[0].transpose(1, 2, 0)  # noqa: E731
    elif x.ndim == 3:
        batch = x[:, None]
        restore = lambda y: y[:, 0]  # noqa: E731
    elif x.ndim == 4:
        batch = x.transpose(0, 3, 1, 2)
        restore = lambda y: y.transpose(0, 2, 3, 1)  # noqa: E731
    else:
        raise ValueError(f"apply_kernel expects an image (rows, cols[, channels]) or a batch (n, rows, "
                         f"cols[, channels]). Received shape {x.shape}.")
    t = torch.from_numpy(np.ascontiguousarray(batch))
    n, c, h, w = t.shape
    outs, raw = [], []
    for k in kernels:
        kh, kw = k.shape
        if padding == "valid" and (kh > h or kw > w):
            raise ValueError(f"apply_kernel: a {kh}x{kw} kernel does not fit {h}x{w} images with "
                             f"padding='valid'. Use padding='same'.")
        src = t
        if padding == "same":
            # The TensorFlow rule: the odd extra cell of padding goes after (bottom/right).
            top, left = (kh - 1) // 2, (kw - 1) // 2
            src = F.pad(t, (left, kw - 1 - left, top, kh - 1 - top))
        weight = torch.from_numpy(k)[None, None].repeat(c, 1, 1, 1)
        y = F.conv2d(src.reshape(n, c, src.shape[2], src.shape[3]), weight, groups=c)
        raw.append(y.numpy())
        outs.append(restore(raw[-1]))
    result = np.stack(outs) if bank else outs[0]
    if not plot:
        return result
    names = list(kernel) if bank else [kernel]
    return result, _plot_filtered(batch, raw, names, ncols)


def _plot_filtered(batch, outs, names, ncols):
    n = min(batch.shape[0], ncols or 8)
    rows = 1 + len(outs)
    fig = new_figure(1.3 * (n + 1), 1.3 * rows)
    axes = fig.subplots(rows, n + 1, squeeze=False)
    for r in range(rows):
        ax = axes[r, 0]
        if r == 0:
            ax.text(0.5, 0.5, "input", ha="center", va="center", fontsize=8)
        else:
            k = get_kernel(names[r - 1])
            ax.imshow(k, cmap="gray", interpolation="nearest")
            ax.set_title(names[r - 1] if isinstance(names[r - 1], str) else f"kernel {r - 1}", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
        for i in range(n):
            a = axes[r, i + 1]
            img = (batch if r == 0 else outs[r - 1])[i].transpose(1, 2, 0)
            img = img[..., 0] if img.ndim == 3 and img.shape[-1] == 1 else img
            if img.ndim == 3:
                img = (img - img.min()) / max(float(np.ptp(img)), 1e-12)
            a.imshow(img, cmap="gray", interpolation="nearest")
            a.set_xticks([])
            a.set_yticks([])
    fig.tight_layout(pad=0.3)
    return fig


def gabor_kernel(frequency: float, theta: float = 0.0, sigma: float | None = None, gamma: float = 1.0,
                 phase: float = 0.0, size: int | None = None) -> np.ndarray:
    """The real part of a Gabor filter: a cosine wave under a Gaussian envelope.

    ``g(x, y) = exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) * cos(2 pi frequency x' + phase)`` with
    ``x' = x cos(theta) + y sin(theta)``, ``y' = -x sin(theta) + y cos(theta)``; x grows to the right
    and y downwards, so theta=0 gives vertical stripes (responds to vertical edges and lines).

    Args:
        frequency: cycles per pixel of the wave (e.g. 0.25: a period of 4 pixels).
        theta: orientation of the wave's direction in radians (default 0).
        sigma: width of the Gaussian in pixels (default ``0.56 / frequency``, about one octave of
            bandwidth).
        gamma: aspect ratio of the envelope (default 1, round).
        phase: phase offset of the cosine in radians (default 0, even/symmetric filter).
        size: kernel side (odd; default covers 3 sigma each side).

    Returns:
        A (size, size) float32 array with zero mean removed only if ``phase`` makes it odd (it is
        not normalised otherwise).
    """
    if not frequency > 0:
        raise ValueError(f"gabor_kernel expects frequency > 0 (cycles per pixel). Received: "
                         f"frequency={frequency!r}.")
    sigma = 0.56 / frequency if sigma is None else float(sigma)
    if not sigma > 0:
        raise ValueError(f"gabor_kernel expects sigma > 0. Received: sigma={sigma!r}.")
    if size is None:
        half = int(math.ceil(3 * sigma * max(1.0, 1.0 / gamma if gamma > 0 else 1.0)))
        size = 2 * half + 1
    size = int(size)
    if size < 1:
        raise ValueError(f"gabor_kernel expects size >= 1. Received: size={size!r}.")
    half = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) - half
    xr = x * math.cos(theta) + y * math.sin(theta)
    yr = -x * math.sin(theta) + y * math.cos(theta)
    g = np.exp(-(xr ** 2 + (gamma * yr) ** 2) / (2 * sigma ** 2)) * np.cos(2 * math.pi * frequency * xr + phase)
    return g.astype(np.float32)


def gabor_bank(orientations: int = 4, frequencies=(0.1, 0.25), sigma: float | None = None, gamma: float = 1.0,
               size: int | None = None, plot: bool = False):
    """A family of Gabor filters over orientations and frequencies, as run on every image before
    deep learning (the CS4487 Fashion-MNIST filter bank).

    Args:
        orientations: number of equally spaced angles in [0, pi) (default 4: 0, 45, 90, 135 degrees).
        frequencies: wave frequencies in cycles per pixel (default (0.1, 0.25)).
        sigma, gamma: as :func:`gabor_kernel` (sigma default: from each frequency).
        size: common kernel side (default: the largest needed, so the bank stacks).
        plot: also return a Figure of the kernels.

    Returns:
        A dict: ``kernels`` (n, size, size) float32 and ``params``, a list of {"frequency", "theta"}
        per kernel (frequency-major order). Pass ``bank["kernels"]`` (as a list) to
        :func:`apply_kernel`. With ``plot=True``, (dict, Figure).
    """
    n = int(orientations)
    if n < 1:
        raise ValueError(f"gabor_bank expects orientations >= 1. Received: orientations={orientations!r}.")
    freqs = [float(f) for f in np.atleast_1d(frequencies)]
    if size is None:
        size = max(gabor_kernel(f, 0.0, sigma, gamma).shape[0] for f in freqs)
    params, kernels = [], []
    for f in freqs:
        for i in range(n):
            theta = math.pi * i / n
            kernels.append(gabor_kernel(f, theta, sigma, gamma, size=size))
            params.append({"frequency": f, "theta": theta})
    result = {"kernels": np.stack(kernels), "params": params}
    if not plot:
        return result
    from .images import show_images
    titles = [f"f={p['frequency']:g} θ={math.degrees(p['theta']):.0f}°" for p in params]
    return result, show_images(result["kernels"], titles=titles, ncols=n)
