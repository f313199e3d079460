"""Layers that merge a list of inputs: Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum.

Element-wise merges broadcast as Keras does: sizes must match or be 1, and an
input of lower rank gains size-1 axes right after the batch axis. Each layer has
a functional form, ``add([x1, x2])`` == ``Add()([x1, x2])``.
"""
from __future__ import annotations

import functools

import torch

from .base import Layer, format_shape

__all__ = ["Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
           "concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum"]


def _shapes_text(shapes) -> str:
    return ", ".join(format_shape(tuple(s)) for s in shapes)


class _Merge(Layer):
    """Element-wise merge; subclasses define ``_merge(list_of_tensors)``."""

    _n_inputs: int | None = None   # exact number of inputs, when the operation needs one

    def _check_inputs(self, input_shape):
        cls = type(self).__name__
        if not isinstance(input_shape, list) or not input_shape or not isinstance(input_shape[0], (tuple, list)):
            got = (f"a single input of shape {format_shape(tuple(input_shape))}"
                   if isinstance(input_shape, tuple) else f"{input_shape!r}")
            raise ValueError(f"Layer '{self.name}' ({cls}) must be called on a list of inputs, e.g. "
                             f"{cls}()([x1, x2]). Received {got}.")
        if self._n_inputs is not None and len(input_shape) != self._n_inputs:
            raise ValueError(f"Layer '{self.name}' ({cls}) needs exactly {self._n_inputs} inputs. Received "
                             f"{len(input_shape)}, of shapes {_shapes_text(input_shape)}.")
        batches = {s[0] for s in input_shape if len(s)} - {None}
        if len(batches) > 1:
            raise ValueError(f"Layer '{self.name}' ({cls}) cannot merge inputs with different batch sizes. "
                             f"Received shapes {_shapes_text(input_shape)}.")

    def _broadcast(self, input_shape):
        """Output shape: per axis None if any input's size is unknown, else the size that is not 1."""
        rank = max(len(s) for s in input_shape)
        out = None
        for shape in input_shape:
            rest = (1,) * (rank - len(shape)) + tuple(shape[1:])  # Keras adds axes after the batch
            if out is None:
                out = list(rest)
                continue
            for i, d in enumerate(rest):
                if out[i] is None or d is None:
                    out[i] = None
                elif out[i] == 1:
                    out[i] = d
                elif d != 1 and d != out[i]:
                    raise ValueError(
                        f"Layer '{self.name}' ({type(self).__name__}) cannot merge inputs of shapes "
                        f"{_shapes_text(input_shape)}: their sizes on axis {i + 1} are neither equal nor 1. "
                        f"Make the inputs the same shape, e.g. with a Dense or Reshape layer before it.")
        batches = {s[0] for s in input_shape if len(s)} - {None}
        return (batches.pop() if len(batches) == 1 else None,) + tuple(out)

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self._broadcast(input_shape)

    def call(self, inputs, mask=None):
        xs = list(inputs)
        rank = max(x.dim() for x in xs)
        xs = [x if x.dim() == rank else x.reshape((x.shape[0],) + (1,) * (rank - x.dim()) + tuple(x.shape[1:]))
              for x in xs]
        if mask is not None and any(m is not None for m in mask) and self._merge_masked is not None:
            return self._merge_masked(xs, [None if m is None else _feature_mask(m, x) for m, x in zip(mask, xs)])
        return self._merge(xs)

    def compute_mask(self, inputs, mask=None):
        """Keras 3: the OR of the inputs' masks, or no mask when some input has none."""
        if mask is None or any(m is None for m in mask):
            return None
        return functools.reduce(torch.logical_or, [m.to(torch.bool) for m in mask])

    # The merge when some inputs carry masks, ``_merge_masked(xs, masks)`` with each mask broadcast
    # to its input's shape: only the merges whose values depend on the masks in Keras 3 define it.
    _merge_masked = None

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        return self._broadcast(input_shape)

    def _merge(self, xs):
        raise NotImplementedError


def _feature_mask(mask, x):
    """A (batch, steps) mask broadcast to its input's shape (batch, steps, features)."""
    mask = mask.to(torch.bool)
    while mask.dim() < x.dim():
        mask = mask.unsqueeze(-1)
    return mask.expand_as(x)


def _or_merge_masked(op, xs, masks):
    """Keras 3's merge for Maximum/Minimum under masks: a masked value takes the running result's
    place (and the other way round), so masked positions do not take part; the output mask is
    the OR of the masks, or none when some input has none."""
    out, out_mask = xs[0], masks[0]
    for x, m in zip(xs[1:], masks[1:]):
        if m is not None:
            x = torch.where(m, x, out)
        if out_mask is not None:
            out = torch.where(out_mask, out, x)
        out_mask = out_mask | m if m is not None and out_mask is not None else None
        out = op(out, x)
    return out


class Add(_Merge):
    """Sums its inputs element-wise.

    Input: a list of tensors of the same shape (or broadcastable). Output: the same shape.

    Example:
        >>> y = Add()([x1, x2])
    """

    def _merge(self, xs):
        return xs[0] + xs[1] if len(xs) == 2 else functools.reduce(torch.add, xs)


class Subtract(_Merge):
    """Subtracts the second input from the first: ``inputs[0] - inputs[1]``.

    Input: a list of exactly 2 tensors of the same shape. Output: the same shape.

    Example:
        >>> y = Subtract()([x1, x2])
    """

    _n_inputs = 2

    def _merge(self, xs):
        return xs[0] - xs[1]


class Multiply(_Merge):
    """Multiplies its inputs element-wise.

    Example:
        >>> y = Multiply()([x1, x2])
    """

    def _merge(self, xs):
        return functools.reduce(torch.mul, xs)

    def _merge_masked(self, xs, masks):
        # Keras 3: masked values count as 1; with every input masked, masked outputs are 0
        out = functools.reduce(torch.mul, [x if m is None else torch.where(m, x, torch.ones_like(x))
                                           for x, m in zip(xs, masks)])
        if all(m is not None for m in masks):
            out = torch.where(functools.reduce(torch.logical_or, masks), out, torch.zeros_like(out))
        return out


class Average(_Merge):
    """Averages its inputs element-wise.

    Example:
        >>> y = Average()([x1, x2, x3])
    """

    def _merge(self, xs):
        return functools.reduce(torch.add, xs) / len(xs)


class Maximum(_Merge):
    """Element-wise maximum of its inputs.

    Example:
        >>> y = Maximum()([x1, x2])
    """

    def _merge(self, xs):
        return functools.reduce(torch.maximum, xs)

    def _merge_masked(self, xs, masks):
        return _or_merge_masked(torch.maximum, xs, masks)


class Minimum(_Merge):
    """Element-wise minimum of its inputs.

    Example:
        >>> y = Minimum()([x1, x2])
    """

    def _merge(self, xs):
        return functools.reduce(torch.minimum, xs)

    def _merge_masked(self, xs, masks):
        return _or_merge_masked(torch.minimum, xs, masks)


class Concatenate(_Merge):
    """Concatenates its inputs along ``axis``; all other sizes must match.

    Args:
        axis: int (default -1), the axis to join along.

    Input: a list of tensors of equal rank. Output: the sizes along ``axis`` summed.

    Example:
        >>> y = Concatenate(axis=-1)([x1, x2])  # (None, 8, 8, 16) + (None, 8, 8, 32) -> (None, 8, 8, 48)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"Concatenate expects axis to be an int. Received: axis={axis!r}.")
        self.axis = axis

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        rank = len(input_shape[0])
        bad = None
        if any(len(s) != rank for s in input_shape):
            bad = "all inputs need the same rank"
        elif not -rank <= self.axis < rank:
            bad = f"axis {self.axis} is out of range for rank {rank}"
        if bad is None:
            axis = self.axis % rank
            out = list(input_shape[0])
            for shape in input_shape[1:]:
                for i, d in enumerate(shape):
                    if i == axis:
                        out[i] = None if out[i] is None or d is None else out[i] + d
                    elif out[i] is None:
                        out[i] = d
                    elif d is not None and d != out[i] and bad is None:
                        bad = f"axis {i} differs"
            if bad is None:
                return tuple(out)
        raise ValueError(f"Layer '{self.name}' (Concatenate) needs inputs with matching shapes except along "
                         f"axis {self.axis} ({bad}). Received shapes {_shapes_text(input_shape)}. Resize or "
                         f"reshape the inputs so only axis {self.axis} differs, or choose another axis.")

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, inputs, mask=None):
        return torch.cat(list(inputs), dim=self.axis)

    def compute_mask(self, inputs, mask=None):
        """Keras 3: the masks (all-true for inputs without one) joined like the inputs, then
        true where any value of the last axis is."""
        if mask is None or all(m is None for m in mask):
            return None
        full = [torch.ones_like(x, dtype=torch.bool) if m is None else _feature_mask(m, x)
                for x, m in zip(inputs, mask)]
        return torch.cat(full, dim=self.axis).any(dim=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of :class:`Concatenate`: ``concatenate([x1, x2], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs, **kwargs):
    """Functional form of :class:`Add`: ``add([x1, x2])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of :class:`Subtract`: ``subtract([x1, x2])``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of :class:`Multiply`: ``multiply([x1, x2])``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of :class:`Average`: ``average([x1, x2])``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of :class:`Maximum`: ``maximum([x1, x2])``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of :class:`Minimum`: ``minimum([x1, x2])``."""
    return Minimum(**kwargs)(inputs)
