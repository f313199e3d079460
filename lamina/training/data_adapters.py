"""Turn what users pass to fit/evaluate/predict into batches on the model's device.

In-memory arrays (numpy or torch) are moved to the device once; a batch is then
an index slice, never a Python-side DataLoader. Generators, iterators,
Keras-style Sequences and torch DataLoaders are consumed batch by batch.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Iterator

import numpy as np
import torch

from .. import config as _config

__all__ = ["ArrayData", "IterableData", "make_data", "is_array_like", "to_device_tensor", "check_target_values",
           "check_input_names", "warn_non_finite"]


def is_array_like(x) -> bool:
    if isinstance(x, (np.ndarray, torch.Tensor)):
        return True
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, (np.ndarray, torch.Tensor)) for v in x):
        return True
    if isinstance(x, dict) and x and all(isinstance(v, (np.ndarray, torch.Tensor)) for v in x.values()):
        return True
    return False


def _map(structure, fn):
    if isinstance(structure, dict):
        return {k: fn(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [fn(v) for v in structure]
    return fn(structure)


def _flat(structure) -> list:
    if structure is None:
        return []
    if isinstance(structure, dict):
        return list(structure.values())
    if isinstance(structure, (list, tuple)):
        return list(structure)
    return [structure]


def to_device_tensor(x, device, float_dtype=None, target_dtype=None) -> torch.Tensor:
    """One array -> tensor on device. Floats and uint8/bool images become the float type
    (Keras casts inputs to the model's dtype); integer labels stay integer unless asked."""
    if not isinstance(x, torch.Tensor):
        arr = np.asarray(x)
        if arr.dtype.kind in "USa":
            raise TypeError(f"Cannot train on an array of strings (dtype {arr.dtype}, shape {arr.shape}, first "
                            f"value {arr.reshape(-1)[0]!r} if any). Convert it to numbers first: class names to "
                            f"integer labels with np.unique(y, return_inverse=True)[1], numeric text with "
                            f"arr.astype('float32').")
        if arr.dtype == object:
            raise TypeError(f"Cannot convert an array of Python objects (shape {arr.shape}) to a tensor. "
                            f"Pass numeric numpy arrays or torch tensors.")
        if arr.dtype.byteorder == ">" or not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))
        x = torch.from_numpy(arr)
    if target_dtype is not None:
        x = x.to(target_dtype)
    elif x.is_floating_point() or x.dtype in (torch.uint8, torch.bool):
        x = x.to(float_dtype or _config.dtype())
    return x.to(device, non_blocking=True)


def _num_samples(structure, what: str) -> int:
    lengths = {int(v.shape[0]) if hasattr(v, "shape") and len(v.shape) else None for v in _flat(structure)}
    if None in lengths:
        raise ValueError(f"{what} must be arrays with a sample axis; received a scalar.")
    if len(lengths) > 1:
        raise ValueError(f"All {what} arrays must have the same number of samples; received lengths "
                         f"{sorted(lengths)}.")
    return lengths.pop()


class ArrayData:
    """Arrays already on the device, served as index slices."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, device=None,
                 y_dtypes=None, steps=None, what="fit"):
        self.device = device
        self.n = _num_samples(x, "x")
        if y is not None:
            ny = _num_samples(y, "y")
            if ny != self.n:
                raise ValueError(f"x and y have different lengths: x has {self.n} samples, y has {ny}. "
                                 f"Pass exactly one label per sample.")
        if sample_weight is not None:
            nw = _num_samples(sample_weight, "sample_weight")
            if nw != self.n:
                raise ValueError(f"sample_weight has {nw} values for {self.n} samples. Pass one weight per "
                                 f"sample.")
        if self.n == 0:
            raise ValueError(f"{what} received an empty dataset (0 samples). Pass at least one sample.")
        self.x = _map(x, lambda v: to_device_tensor(v, device))
        y_flat = _flat(y)
        dtypes = list(y_dtypes or [None] * max(1, len(y_flat)))
        self.y = None if y is None else _targets_to_device(y, device, dtypes)
        warn_non_finite(self.x, f"{what} x")  # once per array, not per batch
        if self.y is not None:
            warn_non_finite(self.y, f"{what} y")
        self.w = None if sample_weight is None else to_device_tensor(sample_weight, device)
        self.batch_size = batch_size
        self.shuffle = shuffle
        full = math.ceil(self.n / batch_size)
        self.steps = full if steps is None else int(steps)

    def batches(self, generator: torch.Generator | None = None) -> Iterator[tuple[Any, Any, Any, int]]:
        bs, n = self.batch_size, self.n
        if self.shuffle == "batch":
            order = torch.randperm(math.ceil(n / bs), generator=generator)
            perm = torch.cat([torch.arange(b * bs, min((b + 1) * bs, n)) for b in order.tolist()]).to(self.device)
        elif self.shuffle:
            perm = torch.randperm(n, generator=generator).to(self.device)
        else:
            perm = None
        full = math.ceil(n / bs)
        for step in range(self.steps):
            b = step % full
            start, stop = b * bs, min((b + 1) * bs, n)
            if perm is None:
                take = lambda v: v[start:stop]  # noqa: E731 - a view, no copy
            else:
                idx = perm[start:stop]
                take = lambda v: v.index_select(0, idx)  # noqa: E731
            xb = _map(self.x, take) if not isinstance(self.x, torch.Tensor) else take(self.x)
            yb = None if self.y is None else (take(self.y) if isinstance(self.y, torch.Tensor) else _map(self.y, take))
            wb = None if self.w is None else take(self.w)
            yield xb, yb, wb, stop - start


def _unpack(item, what):
    """Keras's rule: a tuple (or list) of 1-3 items is (x, y, sample_weight); anything else is x."""
    if isinstance(item, list):
        item = tuple(item)
    if not isinstance(item, tuple):
        return item, None, None
    if len(item) == 1:
        return item[0], None, None
    if len(item) == 2:
        return item[0], item[1], None
    if len(item) == 3:
        return item
    raise ValueError(f"{what}: a generator must yield (x,), (x, y) or (x, y, sample_weight); received a tuple "
                     f"of {len(item)} items.")


def _target(v, device, dtype):
    t = to_device_tensor(v, device, target_dtype=None if dtype is not None and not (
        dtype.is_floating_point or dtype == torch.bool) else dtype)
    if dtype is not None and not dtype.is_floating_point and dtype != torch.bool and t.is_floating_point():
        if not bool(torch.isfinite(t).all()):
            raise ValueError("The targets must be integer class labels, but they hold NaN or inf. Remove or fix "
                             "those samples.")
        frac = t != torch.round(t)
        if bool(frac.any()):
            first = int(frac.reshape(frac.shape[0], -1).any(dim=1).nonzero()[0, 0]) if t.ndim else 0
            value = float(t.reshape(-1)[int(frac.reshape(-1).nonzero()[0, 0])])
            raise ValueError(f"The loss expects integer class labels, but sample {first} has label {value:g}, "
                             f"which is not a whole number (it would be truncated silently). Use labels "
                             f"0..classes-1, or a loss for continuous targets (e.g. 'mse').")
    return t.to(dtype) if dtype is not None and t.dtype != dtype else t


def _targets_to_device(y, device, dtypes):
    if isinstance(y, dict):
        return {k: _target(v, device, d) for (k, v), d in zip(y.items(), dtypes)}
    if isinstance(y, (list, tuple)):
        return [_target(v, device, d) for v, d in zip(y, dtypes)]
    return _target(y, device, dtypes[0])


def warn_non_finite(structure, what: str) -> None:
    """Warn (once per array) when float data holds NaN or inf, naming the first bad sample:
    such values make the loss NaN and training silently useless."""
    items = structure.items() if isinstance(structure, dict) else (
        enumerate(structure) if isinstance(structure, (list, tuple)) else [(None, structure)])
    for key, t in items:
        if not isinstance(t, torch.Tensor) or not t.is_floating_point() or t.numel() == 0:
            continue
        finite = torch.isfinite(t)
        if bool(finite.all()):
            continue
        bad = ~finite.reshape(t.shape[0], -1).all(dim=1) if t.ndim else ~finite.reshape(1)
        first = int(bad.nonzero()[0, 0])
        label = what if key is None else f"{what}[{key!r}]"
        warnings.warn(f"{label} holds NaN or inf in {int(bad.sum())} sample(s), the first at index {first}. The "
                      f"loss will become NaN and the model will learn nothing: clean the data (e.g. "
                      f"np.nan_to_num, or drop those rows), and consider callbacks=[TerminateOnNaN()] to stop "
                      f"early.", stacklevel=4)


def check_target_values(y, losses, output_shapes, what: str = "fit") -> None:
    """Each loss's ``check_target_values`` on its target array, once per array (not per batch).

    Args:
        y: the targets (an array, or a list/dict with one per output, in the outputs' order).
        losses: the Loss objects, one per output (None for an output without a loss).
        output_shapes: the model's output shapes, one per output.
    """
    ys = list(y.values()) if isinstance(y, dict) else (list(y) if isinstance(y, (list, tuple)) else [y])
    for target, loss, shape in zip(ys, losses, output_shapes):
        check = getattr(loss, "check_target_values", None)
        if check is None or target is None:
            continue
        if not isinstance(target, torch.Tensor):
            target = np.asarray(target)
            if target.dtype.kind not in "biuf":
                continue  # strings and objects: to_device_tensor refuses them with their own message
        t = target if isinstance(target, torch.Tensor) else torch.as_tensor(
            target.astype(target.dtype.newbyteorder("="), copy=False))
        try:
            check(t, tuple(shape))
        except ValueError as err:
            raise ValueError(f"{what}: {err}") from None


def check_input_names(x, input_names, what: str = "fit") -> None:
    """A dict of inputs must hold every model input by name (extra keys are ignored, as in Keras 3); when one
    is missing, the error names it, the keys that matched nothing, the valid names and a "did you mean"."""
    if not isinstance(x, dict):
        return
    from .._errors import did_you_mean
    names = list(input_names)
    missing = [n for n in names if n not in x]
    if not missing:
        return
    unknown = [k for k in x if k not in names]
    if unknown:
        raise ValueError(f"{what} is missing the model input(s) {missing} and received inputs named "
                         f"{sorted(map(str, unknown))}, which the model does not have. Its inputs are "
                         f"{names}{did_you_mean(str(unknown[0]), names) or '.'}")
    raise ValueError(f"{what} is missing the model input(s) {missing}; the dict has {sorted(map(str, x))}. "
                     f"Pass one array per input: {names}.")


class IterableData:
    """Batches from a generator, iterator, Keras-style Sequence or torch DataLoader."""

    def __init__(self, source, steps=None, device=None, y_dtypes=None, what="fit", class_weight=None):
        self.source = source
        self.device = device
        self.y_dtypes = y_dtypes
        self.class_weight = class_weight
        self.what = what
        self._iter = None
        self._yielded = 0
        length = None
        if hasattr(source, "__len__"):
            try:
                length = len(source)
            except TypeError:
                length = None
        if steps is not None:
            steps = float(steps)
            if not steps > 0:
                raise ValueError(f"{what} expects steps to be a positive number. Received: steps={steps!r}.")
            steps = math.ceil(steps)  # Keras 2 accepted len(x)/50 as a float
        self.steps = steps if steps is not None else length
        self._is_sequence = hasattr(source, "__getitem__") and length is not None and not isinstance(
            source, torch.utils.data.DataLoader)
        self._restartable = isinstance(source, torch.utils.data.DataLoader) or self._is_sequence
        if self.steps is None and not self._restartable and iter(source) is source:
            # An endless generator needs a step count, or fit would never end an epoch.
            raise ValueError(f"{what} received a generator without a length: pass steps_per_epoch "
                             f"(or steps=) so lamina knows when an epoch ends.")

    def _next_item(self, epoch_iter):
        try:
            return next(epoch_iter)
        except StopIteration:
            return None

    def batches(self, generator=None):
        if self._is_sequence:
            if hasattr(self.source, "on_epoch_end") and self._iter is not None:
                self.source.on_epoch_end()
            self._iter = True
            epoch_iter = (self.source[i] for i in range(len(self.source)))
        elif self._restartable or self._iter is None:
            epoch_iter = iter(self.source)
            if not self._restartable:
                self._iter = epoch_iter
        else:
            epoch_iter = self._iter
        step = 0
        while self.steps is None or step < self.steps:
            item = self._next_item(epoch_iter)
            if item is None:
                if self.steps is None or step == 0 and not self._restartable:
                    if step == 0 and self._yielded:
                        raise ValueError(f"{self.what}: the generator is exhausted. It yielded {self._yielded} "
                                         f"batch(es) in earlier epochs and has no more. Make it loop forever "
                                         f"('while True:') and pass steps_per_epoch, or pass a Sequence or "
                                         f"DataLoader, which restart each epoch.")
                    if step == 0:
                        raise ValueError(f"{self.what} received an empty dataset: the generator yielded no "
                                         f"batches.")
                    break
                if self._restartable:
                    epoch_iter = iter(self.source) if not self._is_sequence else (
                        self.source[i] for i in range(len(self.source)))
                    item = self._next_item(epoch_iter)
                    if item is None:
                        break
                else:
                    break
            x, y, w = _unpack(item, self.what)
            xb = _map(x, lambda v: to_device_tensor(v, self.device))
            yb = None
            if y is not None:
                yb = _targets_to_device(y, self.device, list(self.y_dtypes or [None] * len(_flat(y))))
            wb = None if w is None else to_device_tensor(w, self.device)
            n = int(_flat(xb)[0].shape[0])
            if n == 0:
                raise ValueError(f"{self.what} received an empty batch (0 samples) from the generator.")
            step += 1
            self._yielded += 1
            yield xb, yb, wb, n

    def peek(self):
        """The first batch, for building the model and checking shapes; kept for reuse."""
        if self._is_sequence:
            item = self.source[0]
        elif isinstance(self.source, torch.utils.data.DataLoader):
            item = next(iter(self.source))
        else:
            if self._iter is None:
                self._iter = iter(self.source)
            item = next(self._iter)
            first = item
            rest = self._iter

            def chained():
                yield first
                yield from rest
            self._iter = chained()
        x, y, w = _unpack(item, self.what)
        if y is None and self.what in ("fit", "evaluate", "validation_data") and not isinstance(item, (tuple, list)):
            raise ValueError(f"{self.what}: the generator yielded inputs only (a {type(item).__name__}), but "
                             f"{self.what} needs targets: yield (x, y) or (x, y, sample_weight) tuples. To get "
                             f"predictions from inputs alone, use predict().")
        return x, y, w


def make_data(x, y=None, sample_weight=None, batch_size=32, shuffle=False, device=None, y_dtypes=None,
              steps=None, what="fit", class_weight=None):
    if x is None:
        raise ValueError(f"{what} needs data: pass x (and y), or a generator/DataLoader of (x, y) batches.")
    if what == "validation_data" and isinstance(x, (tuple, list)) and len(x) == 1 and y is None:
        raise ValueError("validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight); received a "
                         "tuple of 1 item (inputs without targets). Pass validation_data=(x_val, y_val).")
    if not is_array_like(x) and isinstance(x, (list, tuple)) and _looks_numeric(x):
        x = np.asarray(x)  # nested Python lists of numbers
    if is_array_like(x):
        if y is not None and not is_array_like(y):
            y = np.asarray(y)
        return ArrayData(x, y, sample_weight, batch_size, shuffle, device, y_dtypes, steps, what)
    if y is not None:
        raise ValueError(f"{what}: when x is a generator or DataLoader it must yield (x, y) batches; do not "
                         f"pass y separately. Received y of type {type(y).__name__}.")
    return IterableData(x, steps, device, y_dtypes, what, class_weight)


def _looks_numeric(x) -> bool:
    try:
        return np.asarray(x).dtype.kind in "biuf"
    except (ValueError, TypeError):
        return False


def split_validation(x, y, sample_weight, validation_split: float):
    """Keras semantics: the last fraction of the samples, taken before any shuffling."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be a float in (0, 1). Received: validation_split="
                         f"{validation_split!r}.")
    n = _num_samples(x, "x")
    cut = int(n * (1.0 - validation_split))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={validation_split} of {n} samples leaves an empty training or "
                         f"validation set. Use more data or a different split.")

    def head(v):
        return v[:cut]

    def tail(v):
        return v[cut:]
    train = (_map(x, head), None if y is None else _map(y, head),
             None if sample_weight is None else sample_weight[:cut])
    val = (_map(x, tail), None if y is None else _map(y, tail),
           None if sample_weight is None else sample_weight[cut:])
    return train, val
