"""Embedding (token ids -> dense vectors) and Masking (skip padded time steps)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import constraints as _constraints
from .._errors import positive_int
from .._registry import serialize
from . import _utils
from .base import Layer

__all__ = ["Embedding", "Masking"]


class Embedding(Layer):
    """Turns non-negative integer ids into dense vectors: ``output[..., :] = embeddings[id]``.

    Args:
        input_dim: positive int, the vocabulary size (largest id + 1).
        output_dim: positive int, the vector width.
        embeddings_initializer: default 'uniform' (uniform in [-0.05, 0.05]).
        embeddings_regularizer, embeddings_constraint: optional.
        mask_zero: default False; True: id 0 is padding, and the layer emits a mask
            (``ids != 0``) that recurrent layers downstream honour. Then input_dim must count id 0.
        input_length: optional int, the sequence length (Keras 2's argument; sets the input shape
            so that ``summary()`` works before training).

    Input shape: (batch, ...) integer ids (floats holding integers are accepted).
    Output shape: (batch, ..., output_dim).

    Example:
        >>> layer = Embedding(20000, 128, mask_zero=True)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (int(input_length),)
        super().__init__(**kwargs)
        self.input_dim = positive_int("Embedding", "input_dim", input_dim,
                                      "Pass the vocabulary size, e.g. Embedding(20000, 128).")
        self.output_dim = positive_int("Embedding", "output_dim", output_dim,
                                       "Pass the vector width, e.g. Embedding(20000, 128).")
        _utils.check_names((embeddings_initializer,), (embeddings_regularizer,))
        self.embeddings_initializer = embeddings_initializer
        self.embeddings_regularizer = embeddings_regularizer
        self.embeddings_constraint = _constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.input_length = None if input_length is None else int(input_length)

    def build(self, input_shape):
        self.embeddings = self._add_weight("embeddings", (self.input_dim, self.output_dim),
                                           self.embeddings_initializer, self.embeddings_regularizer,
                                           constraint=self.embeddings_constraint)

    def call(self, inputs):
        ids = inputs if inputs.dtype in (torch.int64, torch.int32) else inputs.long()
        if ids.device.type != "cpu":
            self._check_ids(ids)
        try:
            return F.embedding(ids, self.embeddings)
        except (IndexError, RuntimeError):
            self._check_ids(ids)
            raise

    def _check_ids(self, ids):
        if ids.numel() == 0:
            return
        lo, hi = int(ids.min()), int(ids.max())
        if hi >= self.input_dim or lo < 0:
            bad = hi if hi >= self.input_dim else lo
            raise ValueError(
                f"Layer '{self.name}' (Embedding) has input_dim={self.input_dim}, so it accepts ids 0.."
                f"{self.input_dim - 1}; received id {bad} (largest id in the batch: {hi}). Make input_dim at "
                f"least {hi + 1} (the vocabulary size + 1 with padding id 0), or cap the ids "
                f"(e.g. Tokenizer(num_words=...)).")

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": _utils.serialize_arg(self.embeddings_initializer),
                "embeddings_regularizer": _utils.serialize_arg(self.embeddings_regularizer),
                "embeddings_constraint": serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero, "input_length": self.input_length}

    def extra_repr(self):
        return f"name={self.name!r}, input_dim={self.input_dim}, output_dim={self.output_dim}"


class Masking(Layer):
    """Marks time steps whose features all equal ``mask_value`` as padding.

    The output is the input with those steps set to 0, and the layer emits a (batch, timesteps)
    mask that recurrent layers downstream honour (they skip the masked steps).

    Args:
        mask_value: default 0.0.

    Input shape: (batch, timesteps, features). Output shape: the same.

    Example:
        >>> model = Sequential([Masking(0.0, input_shape=(10, 8)), LSTM(32)])
    """

    supports_masking = True
    _elementwise = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        try:
            self.mask_value = float(mask_value)
        except (TypeError, ValueError):
            raise ValueError(f"Masking expects mask_value to be a number. Received: mask_value={mask_value!r}.") \
                from None

    def call(self, inputs):
        keep = (inputs != self.mask_value).any(-1, keepdim=True)
        return inputs * keep.to(inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return (inputs != self.mask_value).any(-1)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
