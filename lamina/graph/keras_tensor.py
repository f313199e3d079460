"""KerasTensor: a placeholder with a shape, flowing through the functional API.

Arithmetic, comparisons and slicing of symbolic tensors (``out[:, :, :, 3] * 2``) record
operation nodes (see :mod:`lamina.graph.ops`), so such tensors work in
``Model(inputs, outputs)`` and in ``K.function``.
"""
from __future__ import annotations

import operator

import torch

__all__ = ["KerasTensor"]


def symbolic_op(fn, args, kwargs=None, name="op"):
    from .ops import symbolic_op as _record   # ops builds on KerasTensor, so it is imported late
    return _record(fn, args, kwargs, name=name)


class KerasTensor:
    """A placeholder with a shape (``None`` for unknown sizes) and a dtype."""

    __slots__ = ("shape", "dtype", "name", "_keras_history", "__weakref__")

    def __init__(self, shape, dtype: str = "float32", name: str | None = None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name
        self._keras_history = history  # (layer, node_index, tensor_index)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def node(self):
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __len__(self):
        raise TypeError(f"A symbolic tensor has no length: {self!r}. Its shape[1:] is known; its batch size "
                        f"is not until real data arrives.")

    def __bool__(self):
        raise TypeError(f"A symbolic tensor has no truth value: {self!r}. Build the model first, then call "
                        f"it on real data.")

    def __array__(self, *args, **kwargs):
        raise TypeError(f"A symbolic tensor cannot become a numpy array: {self!r}. Call model.predict(x) "
                        f"on real data instead.")

    def __iter__(self):
        raise TypeError(f"A symbolic tensor is not iterable: {self!r}. Index it instead, e.g. x[:, 0].")

    # numpy defers to the reflected operators below (array * tensor -> tensor.__rmul__).
    __array_ufunc__ = None

    def get_shape(self):
        """The shape as a tuple (TensorFlow's spelling, used by classic Keras code)."""
        return self.shape

    # ------------------------------------------------------------------ operators (op nodes)
    def __getitem__(self, index):
        return symbolic_op(operator.getitem, (self, index), name="getitem")

    def __neg__(self):
        return symbolic_op(torch.neg, (self,), name="neg")

    def __pos__(self):
        return self

    def __abs__(self):
        return symbolic_op(torch.abs, (self,), name="abs")

    def __add__(self, other):
        return symbolic_op(operator.add, (self, other), name="add")

    def __radd__(self, other):
        return symbolic_op(operator.add, (other, self), name="add")

    def __sub__(self, other):
        return symbolic_op(operator.sub, (self, other), name="subtract")

    def __rsub__(self, other):
        return symbolic_op(operator.sub, (other, self), name="subtract")

    def __mul__(self, other):
        return symbolic_op(operator.mul, (self, other), name="multiply")

    def __rmul__(self, other):
        return symbolic_op(operator.mul, (other, self), name="multiply")

    def __truediv__(self, other):
        return symbolic_op(operator.truediv, (self, other), name="divide")

    def __rtruediv__(self, other):
        return symbolic_op(operator.truediv, (other, self), name="divide")

    def __floordiv__(self, other):
        return symbolic_op(operator.floordiv, (self, other), name="floor_divide")

    def __pow__(self, other):
        return symbolic_op(operator.pow, (self, other), name="power")

    def __rpow__(self, other):
        return symbolic_op(operator.pow, (other, self), name="power")

    def __matmul__(self, other):
        return symbolic_op(operator.matmul, (self, other), name="matmul")

    def __rmatmul__(self, other):
        return symbolic_op(operator.matmul, (other, self), name="matmul")

    def __lt__(self, other):
        return symbolic_op(operator.lt, (self, other), name="less")

    def __le__(self, other):
        return symbolic_op(operator.le, (self, other), name="less_equal")

    def __gt__(self, other):
        return symbolic_op(operator.gt, (self, other), name="greater")

    def __ge__(self, other):
        return symbolic_op(operator.ge, (self, other), name="greater_equal")
