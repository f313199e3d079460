"""TensorBoard: event files for TensorBoard, written through ``torch.utils.tensorboard``.

The layout is Keras's: ``log_dir/train`` and ``log_dir/validation`` hold one run each, with
scalars ``epoch_loss``, ``epoch_accuracy``, ... per epoch (the validation run drops the
``val_`` prefix, so TensorBoard draws the two curves in one chart), ``batch_loss`` ... every
``update_freq`` batches, weight histograms ``<layer>/<weight>/histogram`` every
``histogram_freq`` epochs, and the model graph.
"""
from __future__ import annotations

import logging
import os
import time
import warnings

import numpy as np
import torch

from .base import _BATCH_HOOKS, Callback

__all__ = ["TensorBoard"]

_log = logging.getLogger(__name__)
_INSTALL = "pip install tensorboard (or pip install 'lamina[tensorboard]')"


def _summary_writer_class():
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ImportError(f"The TensorBoard callback writes event files through torch.utils.tensorboard, which "
                          f"needs the tensorboard package; it is not installed. Install it: {_INSTALL}. To log "
                          f"without it, use CSVLogger('log.csv').") from None
    return SummaryWriter


def _profile_range(profile_batch):
    error = (f"TensorBoard expects profile_batch to be a non-negative int, a pair (start, stop) of positive ints "
             f"with start <= stop, or a string 'start,stop'. Received: profile_batch={profile_batch!r}. "
             f"Pass e.g. profile_batch=2 or profile_batch=(10, 20); 0 turns profiling off.")
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(v) for v in value.split(",")]
        except ValueError:
            raise ValueError(error) from None
        value = value[0] if len(value) == 1 else value
    if isinstance(value, bool):
        raise ValueError(error)
    if isinstance(value, (int, np.integer)):
        start = stop = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        start, stop = int(value[0]), int(value[1])
    else:
        raise ValueError(error)
    if start < 0 or stop < start or (start == 0) != (stop == 0):
        raise ValueError(error)
    return start, stop


class TensorBoard(Callback):
    """Write training curves, weight histograms and the graph for TensorBoard.

    Run ``tensorboard --logdir logs`` and open the address it prints. Needs the
    ``tensorboard`` package (``pip install tensorboard``).

    Args:
        log_dir: folder of the event files (default ``'logs'``); ``train/`` and
            ``validation/`` are created inside.
        histogram_freq: write a histogram of every weight every this many epochs
            (default 0: never).
        write_graph: write the model's graph (traced with ``torch.jit.trace`` on a zero
            batch) when training starts (default True). A model that cannot be traced
            gets a warning, not an error.
        write_images: with ``histogram_freq``, also write the weights as images
            (Dense kernels as one picture, convolution kernels one picture per filter).
        write_steps_per_second: also log the training speed, ``epoch_steps_per_second``
            and ``batch_steps_per_second``.
        update_freq: ``'epoch'`` (default) writes epoch scalars only; ``'batch'`` also
            writes ``batch_<metric>`` after every batch, an int ``N`` every N batches. The
            batch step counts batches from the start of training, starting at 1; batch values
            are the running means over the epoch so far, as in the progress bar.
        profile_batch: profile the training batches in this range with ``torch.profiler``
            and write the trace (``*.pt.trace.json``) into ``log_dir/train``, where the
            TensorBoard PyTorch profiler plugin (``pip install torch-tb-profiler``) and
            ``chrome://tracing`` read it. An int ``N`` profiles batch N, a pair ``(start,
            stop)`` batches start..stop (counted from 1 across epochs); 0 (default) is off.
        embeddings_freq: every this many epochs, write the matrices of layers with an
            ``embeddings`` weight (Embedding layers) to TensorBoard's projector (default 0).
        embeddings_metadata: a file of labels (one per line, TSV) for the rows of every
            embedding matrix, or a dict ``{layer_name: file}``.

    Example:
        >>> model.fit(x, y, epochs=5, validation_split=0.1,
        ...           callbacks=[TensorBoard(log_dir="logs", histogram_freq=1)])  # doctest: +SKIP
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        self._writer_class = _summary_writer_class()
        try:
            self.log_dir = os.fspath(log_dir)
        except TypeError:
            raise TypeError(f"TensorBoard expects log_dir to be a path (str or os.PathLike). "
                            f"Received: log_dir={log_dir!r}.") from None
        self.histogram_freq = self._non_negative("histogram_freq", histogram_freq)
        self.embeddings_freq = self._non_negative("embeddings_freq", embeddings_freq)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (not isinstance(update_freq, (int, np.integer))
                                       or isinstance(update_freq, bool) or update_freq < 1):
            raise ValueError(f"TensorBoard expects update_freq to be 'epoch', 'batch' or a positive int (write "
                             f"batch values every N batches). Received: update_freq={update_freq!r}.")
        self.update_freq = update_freq if update_freq == "epoch" else int(update_freq)
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, os.PathLike, dict)):
            raise TypeError(f"TensorBoard expects embeddings_metadata to be a file path or a dict "
                            f"{{layer_name: file}}. Received: embeddings_metadata={embeddings_metadata!r}.")
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers = {}
        self._global_train_batch = 0
        self._profiler = None
        self._epoch_steps = 0
        self._embedding_layer_names = None  # all layers; keras.callbacks.TensorBoard may restrict them

    @staticmethod
    def _non_negative(arg, value):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"TensorBoard expects {arg} to be a non-negative int (0 turns it off). "
                             f"Received: {arg}={value!r}.")
        return int(value)

    # Batch hooks cost a host sync per batch; run them only when something is written per batch.
    def _overrides(self, hook):
        if hook in _BATCH_HOOKS:
            wants = self.update_freq != "epoch" or self.write_steps_per_second or self._start_batch > 0
            return wants and hook in ("on_train_batch_begin", "on_train_batch_end")
        return super()._overrides(hook)

    def _writer(self, which):
        if which not in self._writers:
            folder = self._train_dir if which == "train" else self._val_dir
            self._writers[which] = self._writer_class(log_dir=folder)
        return self._writers[which]

    # ------------------------------------------------------------------ events
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        if self.write_graph:
            self._write_graph()

    def on_train_end(self, logs=None):
        self._stop_profiler()
        self._close()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_steps = 0

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_steps += 1
        self._batch_start = time.perf_counter()
        if self._start_batch and self._global_train_batch == self._start_batch:
            self._start_profiler()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        writer = self._writer("train")
        if self.write_steps_per_second:
            writer.add_scalar("batch_steps_per_second", 1.0 / max(time.perf_counter() - self._batch_start, 1e-9),
                              step)
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            for name, value in (logs or {}).items():
                writer.add_scalar(f"batch_{name}", float(value), step)
        if self._profiler is not None:
            self._profiler.step()
            if step >= self._stop_batch:
                self._stop_profiler()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if "learning_rate" not in train and optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = optimizer.learning_rate
        if self.write_steps_per_second:
            train["steps_per_second"] = self._epoch_steps / max(time.perf_counter() - self._epoch_start, 1e-9)
        for which, values in (("train", train), ("validation", val)):
            if values:
                writer = self._writer(which)
                for name, value in values.items():
                    if _is_scalar(value):
                        writer.add_scalar(f"epoch_{name}", float(value), epoch)
                writer.flush()
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._write_embeddings(epoch)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if not logs or optimizer is None or not hasattr(optimizer, "iterations"):
            return
        writer = self._writer("validation")
        for name, value in logs.items():
            if _is_scalar(value):
                writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value), int(optimizer.iterations))
        writer.flush()

    # ------------------------------------------------------------------ pieces
    def _named_weights(self):
        """(tag, tensor in Keras layout) for every weight, tagged ``<layer>/<weight>`` as Keras does."""
        for layer in self.model.layers:
            names = {id(t): n for n, t in [*layer.named_parameters(), *layer.named_buffers()]}
            for tensor, value in zip(layer.weights, layer.get_weights()):
                name = names.get(id(tensor), "weight").replace(".", "/")
                yield f"{layer.name}/{name}", value

    def _write_weights(self, epoch):
        writer = self._writer("train")
        for tag, value in self._named_weights():
            writer.add_histogram(f"{tag}/histogram", value, epoch)
            if self.write_images:
                image = _weight_image(value)
                if image is not None:
                    writer.add_images(f"{tag}/image", image, epoch, dataformats="NHWC")
        writer.flush()

    def _write_embeddings(self, epoch):
        writer = self._writer("train")
        found = False
        for tag, value in self._named_weights():
            layer_name, _, weight = tag.rpartition("/")
            if weight != "embeddings" or value.ndim != 2:
                continue
            if self._embedding_layer_names is not None and layer_name not in self._embedding_layer_names:
                continue
            found = True
            metadata = self._metadata_for(layer_name, len(value))
            writer.add_embedding(torch.as_tensor(value), metadata=metadata, tag=layer_name, global_step=epoch)
        if not found:
            warnings.warn(f"TensorBoard(embeddings_freq={self.embeddings_freq}): model '{self.model.name}' has no "
                          f"layer with an 'embeddings' weight (an Embedding layer); nothing was written to the "
                          f"projector.", stacklevel=2)
        writer.flush()

    def _metadata_for(self, layer_name, rows):
        source = self.embeddings_metadata
        if isinstance(source, dict):
            source = source.get(layer_name)
        if source is None:
            return None
        with open(source, encoding="utf-8") as f:
            labels = [line.rstrip("\n") for line in f if line.strip()]
        if len(labels) != rows:
            raise ValueError(f"TensorBoard: embeddings_metadata file {os.fspath(source)!r} has {len(labels)} labels "
                             f"but layer '{layer_name}' has {rows} embedding rows; give one label per row.")
        return labels

    def _example_input(self):
        inputs = getattr(self.model, "inputs", None)
        if not inputs:
            raise ValueError("the model has no symbolic inputs (a subclassed model); build it with lamina.Input")
        shapes = [t.shape for t in inputs]
        if any(d is None for s in shapes for d in s[1:]):
            raise ValueError(f"its input shapes {shapes} have unknown sizes")
        device = next((p.device for p in self.model.parameters()), torch.device("cpu"))
        zeros = [torch.zeros((1,) + tuple(s[1:]), device=device) for s in shapes]
        return zeros[0] if len(zeros) == 1 else zeros

    def _write_graph(self):
        was_training = self.model.training
        try:
            example = self._example_input()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.jit.trace's TracerWarnings about Python branches
                self._writer("train").add_graph(self.model, example)
        except Exception as err:  # a graph that cannot be traced must not stop training
            first = str(err).splitlines()[0] if str(err) else ""
            warnings.warn(f"TensorBoard(write_graph=True) could not trace model '{self.model.name}' for the graph "
                          f"view ({type(err).__name__}: {first}); training continues without it. Pass "
                          f"write_graph=False to skip it.", stacklevel=2)
        finally:
            self.model.train(was_training)

    def _start_profiler(self):
        activities = [torch.profiler.ProfilerActivity.CPU]
        if torch.cuda.is_available():
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        os.makedirs(self._train_dir, exist_ok=True)
        self._profiler = torch.profiler.profile(
            activities=activities, on_trace_ready=torch.profiler.tensorboard_trace_handler(self._train_dir))
        self._profiler.__enter__()

    def _stop_profiler(self):
        if self._profiler is not None:
            profiler, self._profiler = self._profiler, None
            profiler.__exit__(None, None, None)
            _log.info("TensorBoard: profiled batches %d-%d into %s", self._start_batch, self._stop_batch,
                      self._train_dir)

    def _close(self):
        for writer in self._writers.values():
            writer.flush()
            writer.close()
        self._writers = {}


def _is_scalar(value) -> bool:
    return isinstance(value, (int, float, np.number)) or getattr(value, "ndim", None) == 0


def _weight_image(value):
    """A weight as a batch of grey images (N, H, W, 1), as Keras draws them; None when it cannot be drawn."""
    w = np.squeeze(np.asarray(value, dtype=np.float32))
    if w.ndim == 1:  # bias
        w = w.reshape(1, 1, -1, 1)
    elif w.ndim == 2:  # Dense kernel
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:  # conv kernel (kh, kw, n) after squeeze: one image per channel
        w = np.transpose(w, (2, 0, 1))[..., None]
    else:
        return None
    lo, hi = float(w.min()), float(w.max())
    return (w - lo) / (hi - lo) if hi > lo else np.zeros_like(w)
