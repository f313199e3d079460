"""Array helpers with Keras's names and semantics: to_categorical, normalize."""
from __future__ import annotations

import numpy as np

from .._errors import positive_int

__all__ = ["to_categorical", "normalize"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """Convert integer class labels to one-hot rows, as ``keras.utils.to_categorical``.

    Args:
        y: array-like of class labels 0 .. num_classes-1: shape (N,), (N, 1),
            or any shape (a trailing axis of size 1 is dropped, as in Keras).
            Integral floats such as 3.0 are accepted; 2.5 is an error.
            A torch tensor gives a torch tensor on the same device.
        num_classes: int (default None: the largest label + 1).
        dtype: dtype of the result (default 'float32').

    Returns:
        An array of shape ``y.shape + (num_classes,)`` (after dropping a trailing
        axis of size 1) with a single 1 in each row.

    Raises:
        ValueError: a label is negative, not an integer, or >= num_classes.

    Example:
        >>> to_categorical([0, 2, 1])
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    as_torch = _is_torch(y)
    labels = _integer_labels(y.detach().cpu().numpy() if as_torch else y)
    given_shape = shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    _check_non_negative(labels, given_shape)
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("to_categorical cannot infer num_classes from empty labels. "
                             "Pass num_classes, e.g. to_categorical(y, num_classes=10).")
        num_classes = int(labels.max()) + 1
    num_classes = positive_int("to_categorical", "num_classes", num_classes,
                               "Pass the number of classes, e.g. num_classes=10.")
    _check_below(labels, num_classes, given_shape)
    out_dtype = _numpy_dtype(dtype)
    one_hot = np.zeros((labels.size, num_classes), dtype=out_dtype)
    one_hot[np.arange(labels.size), labels] = 1
    one_hot = one_hot.reshape(shape + (num_classes,))
    if as_torch:
        import torch
        return torch.from_numpy(one_hot).to(y.device)
    return one_hot


def normalize(x, axis=-1, order=2):
    """Scale vectors to unit norm, as ``keras.utils.normalize``: ``x / ||x||`` along ``axis``.

    Vectors whose norm is 0 stay 0. Integer input gives float64, as in Keras;
    float input keeps its dtype. A torch tensor gives a torch tensor. The
    result always has the input's shape (Keras turns a 1-D input into a
    (1, n) array; lamina does not).

    Args:
        x: array-like or torch tensor.
        axis: int, the axis holding the vectors (default -1).
        order: the norm's order, as ``np.linalg.norm``'s ``ord`` (default 2; 1, np.inf, ...).

    Example:
        >>> normalize([[3.0, 4.0], [0.0, 0.0]])
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"normalize expects axis to be an int. Received: axis={axis!r}.")
    axis = int(axis)
    if _is_torch(x):
        import torch
        if not (x.is_floating_point() or x.is_complex()):
            x = x.to(torch.float64)
        _check_axis(axis, x.ndim)
        norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
        return x / torch.where(norm == 0, torch.ones_like(norm), norm)
    x = np.asarray(x)
    _check_axis(axis, x.ndim)
    norm = np.linalg.norm(x, order, axis, keepdims=True)
    return x / np.where(norm == 0, np.ones_like(norm), norm)


def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def _integer_labels(y) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind in "iub":
        return y.astype(np.int64, copy=False)
    if y.dtype.kind != "f":
        raise ValueError(f"to_categorical expects integer class labels. Received: y of dtype "
                         f"{y.dtype.name} and shape {y.shape}.")
    bad = ~np.isfinite(y) | (y != np.round(y))
    if bad.any():
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(f"to_categorical expects integer class labels. Received: y[{_index(i, y.shape)}]"
                         f"={y.reshape(-1)[i].item()!r}. Round or map the labels to 0..num_classes-1 first.")
    return y.astype(np.int64)


def _check_non_negative(labels: np.ndarray, shape: tuple) -> None:
    bad = labels < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"to_categorical expects class labels >= 0. Received: y[{_index(i, shape)}]="
                         f"{int(labels[i])}{_count(bad)}. Class labels start at 0; shift them, "
                         f"e.g. y - y.min().")


def _check_below(labels: np.ndarray, num_classes: int, shape: tuple) -> None:
    bad = labels >= num_classes
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"to_categorical expects class labels below num_classes={num_classes}. "
                         f"Received: y[{_index(i, shape)}]={int(labels[i])}{_count(bad)}. Pass "
                         f"num_classes={int(labels.max()) + 1} or more, or check the labels.")


def _count(bad: np.ndarray) -> str:
    n = int(bad.sum())
    return f" ({n} such labels in all)" if n > 1 else ""


def _numpy_dtype(dtype) -> np.dtype:
    name = str(dtype).removeprefix("torch.")
    try:
        return np.dtype(name)
    except TypeError:
        raise ValueError(f"to_categorical expects a dtype such as 'float32', 'int64' or 'uint8'. "
                         f"Received: dtype={dtype!r}.") from None


def _check_axis(axis: int, ndim: int) -> None:
    if ndim == 0:
        raise ValueError("normalize expects an array of vectors. Received: a scalar (0 axes).")
    if not -ndim <= axis < ndim:
        raise ValueError(f"normalize got axis={axis} for an input with {ndim} axes. "
                         f"Pass an axis in [{-ndim}, {ndim - 1}].")


def _index(flat: int, shape: tuple) -> str:
    return ", ".join(str(int(i)) for i in np.unravel_index(flat, shape)) if shape else "()"
