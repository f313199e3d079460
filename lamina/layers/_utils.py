"""Helpers shared by the spatial layer families (conv, pooling, reshaping).

The TensorFlow 'same' padding rule, output lengths, the channels_last <-> torch
permutations and the hints shape errors print live here once.
"""
from __future__ import annotations

import math

from .. import config as _config
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from .._errors import check_choice
from .._registry import serialize
from .conv_utils import conv_output_length, tf_same_pads  # noqa: F401  (used across layers/)

__all__: list[str] = []

# Permutation of a channels_last tensor into torch's (batch, channels, *spatial)
# order, and back, by spatial rank.
TO_TORCH = {1: (0, 2, 1), 2: (0, 3, 1, 2), 3: (0, 4, 1, 2, 3)}
FROM_TORCH = {1: (0, 2, 1), 2: (0, 2, 3, 1), 3: (0, 2, 3, 4, 1)}


def serialize_arg(value):
    """Config form of an initializer/regularizer argument, also for an already serialized dict."""
    if value is None or isinstance(value, (str, int, float, bool, dict)):
        return value
    return serialize(value)


def check_names(initializers=(), regularizers=()) -> None:
    """Resolve initializer/regularizer arguments once so a bad name fails at construction, as in
    Keras; layers keep the raw argument for get_config."""
    for init in initializers:
        _initializers.get(init)
    for reg in regularizers:
        _regularizers.get(reg)


def data_format(value) -> str:
    return _config.normalize_data_format(value)


def padding_mode(owner: str, value, allow_causal: bool = False) -> str:
    choices = ["valid", "same"] + (["causal"] if allow_causal else [])
    return check_choice(owner, "padding", value, choices)


def spatial_axes(rank: int, fmt: str) -> list[int]:
    """Positions of the spatial axes in a Keras shape."""
    return list(range(1, rank + 1)) if fmt == "channels_last" else list(range(2, rank + 2))


def channel_axis(fmt: str) -> int:
    return -1 if fmt == "channels_last" else 1


def layout_hint(rank: int, fmt: str) -> str:
    names = {1: ("steps",), 2: ("rows", "cols"), 3: ("dim1", "dim2", "dim3")}[rank]
    axes = ("batch",) + names + ("channels",) if fmt == "channels_last" else ("batch", "channels") + names
    return " (" + ", ".join(axes) + ")"


def reshape_hint(input_shape, rank: int, fmt: str) -> str:
    """Suggest the Reshape that turns a flat or channel-less input into what a spatial layer needs."""
    rest = tuple(input_shape[1:])
    if None in rest:
        return ""

    def fix(spatial, channels):
        shape = spatial + (channels,) if fmt == "channels_last" else (channels,) + spatial
        return f" Add Reshape({shape}) before it."

    if rank == 2 and len(rest) == 1:
        n = rest[0]
        for channels in (1, 3):
            side = math.isqrt(n // channels)
            if n % channels == 0 and side * side * channels == n:
                return fix((side, side), channels)
        return " Reshape each sample to (rows, cols, channels) before it."
    if len(rest) == rank:
        return fix(rest, 1)
    return ""


class SpatialLayout:
    """Shape hints for layers with ``rank`` spatial axes and a ``data_format`` (conv, pooling)."""

    def _layout_hint(self):
        return layout_hint(self.rank, self.data_format)

    def _shape_fix_hint(self, input_shape):
        return reshape_hint(input_shape, self.rank, self.data_format)

    def _spatial(self, shape):
        return tuple(shape[i] for i in spatial_axes(self.rank, self.data_format))
