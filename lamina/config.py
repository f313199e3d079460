"""Global settings: float type, fuzz factor, image data format and device.

These mirror ``keras.backend`` / ``keras.config``: one process-wide value each,
read by layers when they are created or built.
"""
from __future__ import annotations

import os

__all__ = [
    "floatx", "set_floatx", "epsilon", "set_epsilon",
    "image_data_format", "set_image_data_format", "device", "set_device",
]

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = os.environ.get("LAMINA_IMAGE_DATA_FORMAT", "channels_last")
_DEVICE: str | None = os.environ.get("LAMINA_DEVICE") or None

_FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")


def floatx() -> str:
    """The default float type of new weights, as a string (default 'float32')."""
    return _FLOATX


def set_floatx(value: str) -> None:
    global _FLOATX
    if value not in _FLOAT_TYPES:
        raise ValueError(f"Unknown floatx {value!r}. Expected one of {', '.join(map(repr, _FLOAT_TYPES))}.")
    _FLOATX = value


def epsilon() -> float:
    """The fuzz factor used to keep logs and divisions finite (default 1e-7)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """'channels_last' (default, (batch, rows, cols, channels)) or 'channels_first'."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(value: str) -> None:
    global _IMAGE_DATA_FORMAT
    _IMAGE_DATA_FORMAT = normalize_data_format(value)


def normalize_data_format(value: str | None) -> str:
    """Resolve a layer's ``data_format`` argument (None means the global default)."""
    if value is None:
        return _IMAGE_DATA_FORMAT
    v = str(value).lower()
    if v not in _DATA_FORMATS:
        raise ValueError(
            f"Unknown data_format {value!r}. Expected 'channels_last' (batch, rows, cols, channels) "
            f"or 'channels_first' (batch, channels, rows, cols).")
    return v


def device():
    """The torch device new weights and training data go to: CUDA when available, else CPU."""
    import torch

    if _DEVICE is not None:
        return torch.device(_DEVICE)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def set_device(value) -> None:
    """Choose the device for new models ('cpu', 'cuda', 'cuda:1', 'mps'); None restores auto."""
    global _DEVICE
    if value is None:
        _DEVICE = None
        return
    import torch

    _DEVICE = str(torch.device(value))


def dtype():
    """The torch dtype matching :func:`floatx`."""
    import torch

    return getattr(torch, _FLOATX)
