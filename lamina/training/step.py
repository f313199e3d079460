"""The training step, as Keras 3 defines it: ``train_step``, ``test_step``,
``predict_step``, ``compute_loss``, ``compute_metrics`` and ``metrics``.

``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` methods call these once per
batch, so a subclass that overrides them (a GAN with two optimizers, a VAE, any custom
objective) is what runs. The default step never changes a shared object:

- a softmax/sigmoid output tensor carries the logits it came from (``_keras_logits``),
  and crossentropy reads them to compute the loss in log space; no layer is touched;
- ``add_loss`` values are collected by a :class:`~lamina.layers.LossScope` opened for
  the forward pass of that batch;
- loss and metric state belongs to the run (one ``fit``/``evaluate`` call): a run that
  starts while another is using the model's metrics gets private copies, so many
  threads may evaluate one model at once.
"""
from __future__ import annotations

import copy
import threading
import warnings
from collections.abc import Mapping

import torch

from ..layers.base import LossScope, current_loss_scope
from ..metrics import Mean, MeanMetricWrapper
from ..utils.data_utils import unpack_x_y_sample_weight

__all__ = ["StepMixin", "MetricsResult", "check_step_logs"]

# The runs (fit/evaluate calls) active in this thread: {id(model): _RunMetrics}.
_LOCAL = threading.local()


def _active_runs() -> dict:
    return getattr(_LOCAL, "runs", None) or {}


class MetricsResult(Mapping):
    """What ``compute_metrics`` returns: metric names mapped to their current results.

    Values are computed when read (``logs["accuracy"]``), so a step that returns this
    costs nothing until the progress display or a callback looks.
    """

    __slots__ = ("_items",)

    def __init__(self, items):
        self._items = items   # [(name, metric)]

    def __getitem__(self, key):
        for name, metric in self._items:
            if name == key:
                return metric.result()
        raise KeyError(key)

    def __iter__(self):
        return (name for name, _ in self._items)

    def __len__(self):
        return len(self._items)

    def __repr__(self):
        return f"MetricsResult({dict(self)!r})"


class _RunMetrics:
    """The loss trackers and compiled metrics one run updates."""

    def __init__(self, loss_tracker, output_trackers, output_metrics, output_weighted, log_names, regularized,
                 constrained):
        self.loss_tracker = loss_tracker            # Mean(name='loss')
        self.output_trackers = output_trackers      # one Mean per output when there are several
        self.output_metrics = output_metrics        # [[Metric]] per output
        self.output_weighted = output_weighted      # [[Metric]] per output, updated with sample weights
        self.log_names = log_names                  # [[str]] per output: metrics, then weighted metrics
        self.regularized = regularized              # [(regularizer, weight)]
        self.constrained = constrained              # [(constraint, weight, to_keras)]
        per_output = [ms + ws for ms, ws in zip(output_metrics, output_weighted)]
        self.items = ([("loss", loss_tracker)]
                      + [(t.name, t) for t in output_trackers]
                      + [(n, m) for names, ms in zip(log_names, per_output) for n, m in zip(names, ms)])

    @property
    def metrics(self) -> list:
        return [m for _, m in self.items]

    def private_copy(self) -> "_RunMetrics":
        copied = copy.deepcopy((self.loss_tracker, self.output_trackers, self.output_metrics, self.output_weighted))
        run = _RunMetrics(*copied, self.log_names, self.regularized, self.constrained)
        for m in run.metrics:
            m.reset_state()
        return run


def check_step_logs(logs, what: str):
    """The logs a train/test step returned, or a clear TypeError when they are not a dict."""
    if isinstance(logs, Mapping):
        return logs
    raise TypeError(f"{what}() must return a dict of metric names to values, e.g. {{'loss': loss}} or "
                    f"self.compute_metrics(x, y, y_pred, sample_weight). Received {type(logs).__name__}"
                    f"{'' if logs is None else f': {str(logs)[:80]}'}.")


class StepMixin:
    """The per-batch step of Keras 3, mixed into Model."""

    # ------------------------------------------------------------------ run state
    def _make_run_metrics(self) -> _RunMetrics:
        """The canonical trackers and metrics, made when the outputs are resolved."""
        outputs = self._outputs or []
        trackers = [Mean(name=f"{s.name}_loss") for s in outputs] if len(outputs) > 1 else []
        from .compile_utils import unique_log_names
        items = self._weight_items()
        regularized = [(rec.regularizer, layer._tensor(rec)) for layer, rec in items if rec.regularizer is not None]
        constrained = [(rec.constraint, layer._tensor(rec), rec.to_keras) for layer, rec in items
                       if rec.constraint is not None]
        return _RunMetrics(Mean(name="loss"), trackers, [list(s.metrics) for s in outputs],
                           [list(s.weighted_metrics) for s in outputs], unique_log_names(outputs) if outputs else [],
                           regularized, constrained)

    def _begin_run(self):
        """Claim the model's metrics for this run, or private copies if another run holds them.

        Returns (run, release): call ``release()`` when the run ends.
        """
        lock = self.__dict__.setdefault("_run_lock", threading.Lock())
        with lock:
            canonical = self.__dict__.get("_run_metrics")
            if canonical is None:
                canonical = self._run_metrics = self._make_run_metrics()
            if self.__dict__.get("_runs_active", 0) == 0:
                run = canonical
            else:
                run = canonical.private_copy()
            self._runs_active = self.__dict__.get("_runs_active", 0) + 1
        previous = _active_runs()
        _LOCAL.runs = {**previous, id(self): run}

        def release():
            _LOCAL.runs = previous
            with lock:
                self._runs_active -= 1
        return run, release

    def _current_run(self) -> _RunMetrics:
        run = _active_runs().get(id(self))
        if run is not None:
            return run
        run = self.__dict__.get("_run_metrics")
        if run is None:
            run = self._run_metrics = self._make_run_metrics()
        return run

    # ------------------------------------------------------------------ public API
    @property
    def metrics(self) -> list:
        """The metric objects fit/evaluate update and reset each epoch: the loss tracker,
        per-output loss trackers and the compiled metrics (after the first batch).

        A subclass with its own trackers overrides this property to list them, as in Keras.
        """
        if not self.compiled or self._outputs is None:
            return []
        return self._current_run().metrics

    @property
    def metrics_names(self) -> list[str]:
        """Names of the values ``evaluate`` returns, in order: 'loss', then the metrics."""
        if not self.compiled or self._outputs is None:
            return ["loss"]
        return [name for name, _ in self._current_run().items]

    def reset_metrics(self) -> None:
        """Reset the state of every metric in ``self.metrics``."""
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self) -> MetricsResult:
        """The current results of the compiled loss tracker and metrics, by name."""
        return MetricsResult(self._current_run().items)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of one batch: the compiled losses (weighted per output), the weight
        penalties, and the ``add_loss`` values of the forward pass that produced ``y_pred``.

        A softmax or sigmoid output that carries its logits (``y_pred._keras_logits``) is
        scored in log space, which equals the clipped form and stays finite on huge logits.
        """
        if self._outputs is None and y is not None:
            self._resolve_from_batch(y, y_pred)
        run = self._current_run()
        total = None
        if self._outputs is not None and y is not None:
            outs = [y_pred] if isinstance(y_pred, torch.Tensor) else (
                [y_pred[n] for n in self.output_names] if isinstance(y_pred, dict) else list(y_pred))
            ys = [y] if isinstance(y, torch.Tensor) else (
                [y[n] for n in self.output_names] if isinstance(y, dict) else list(y))
            batch = None
            for i, (spec, target, out) in enumerate(zip(self._outputs, ys, outs)):
                logits = getattr(out, "_keras_logits", None)
                fused = logits is not None and spec.loss.fused_kind is not None and \
                    _FUSABLE.get(spec.loss.fused_kind) == out._keras_activation
                masked = _masked_batch(getattr(out, "_keras_mask", None), target, out, sample_weight,
                                       logits if fused else None)
                if masked is not None:   # a sequence mask: the mean over the kept steps (Keras 3)
                    target_m, out_m, weights, logits_m = masked
                    per = (spec.loss.per_sample_from_logits(target_m, logits_m) if fused
                           else spec.loss.per_sample(target_m, out_m))
                    valid = out._keras_mask.count_nonzero()   # Keras divides by the kept steps, 0/0 -> 0
                    value = (per * weights).sum() / valid.clamp_min(1)
                else:
                    if fused:
                        per = spec.loss.per_sample_from_logits(target, logits)
                    else:
                        per = spec.loss.per_sample(target, out)
                    if sample_weight is not None:
                        per = per * sample_weight.reshape((-1,) + (1,) * (per.dim() - 1))
                    value = per.mean()
                if run.output_trackers:
                    batch = batch or _batch_size(x, out)
                    run.output_trackers[i].update_state(value.detach(), sample_weight=batch)
                term = value if spec.weight == 1.0 else value * spec.weight
                total = term if total is None else total + term
        for reg, weight in run.regularized:
            total = reg(weight) if total is None else total + reg(weight)
        scope = current_loss_scope()
        added = scope.losses if scope is not None else [v for layer in self._flatten_layers()
                                                        for v in layer.__dict__.get("_call_losses", ())]
        for extra in added:   # summed to a scalar, as Keras 3 does
            extra = extra.sum() if extra.dim() else extra
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError(f"Model '{self.name}' has no loss to minimize: compile(loss=...) was not given, "
                             f"and no layer called add_loss(). Pass loss= to compile(), or override "
                             f"train_step() for a custom objective.")
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with one batch; return every metric's result by name."""
        if self._outputs is None and y is not None:
            self._resolve_from_batch(y, y_pred)
        run = self._current_run()
        if self._outputs is not None and y is not None:
            outs = [y_pred] if isinstance(y_pred, torch.Tensor) else (
                [y_pred[n] for n in self.output_names] if isinstance(y_pred, dict) else list(y_pred))
            ys = [y] if isinstance(y, torch.Tensor) else (
                [y[n] for n in self.output_names] if isinstance(y, dict) else list(y))
            with torch.no_grad():
                for metrics, weighted, target, out in zip(run.output_metrics, run.output_weighted, ys, outs):
                    mask = getattr(out, "_keras_mask", None)
                    if mask is not None:
                        self._update_masked_metrics(metrics, weighted, mask, target, out.detach(), sample_weight)
                        continue
                    for m in metrics:
                        m.update_state(target, out.detach())
                    for m in weighted:
                        m.update_state(target, out.detach(), sample_weight=sample_weight)
        return MetricsResult(run.items)

    @staticmethod
    def _update_masked_metrics(metrics, weighted, mask, target, out, sample_weight):
        """Metrics of an output with a sequence mask: as in Keras 3, the mean-of-a-function metrics
        (accuracy, mse, ...) count only the kept steps; the others see the whole output."""
        plain = _masked_batch(mask, target, out, None, None)
        with_weights = _masked_batch(mask, target, out, sample_weight, None) if weighted else None
        for m, masked in [(m, plain) for m in metrics] + [(m, with_weights) for m in weighted]:
            if masked is not None and isinstance(m, MeanMetricWrapper):
                m.update_state(masked[0], masked[1], sample_weight=masked[2])
            else:
                m.update_state(target, out, **({"sample_weight": sample_weight} if m in weighted else {}))

    def train_step(self, data):
        """One gradient step on one batch ``data`` = ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

        Returns the metric results by name (``{'loss': ..., 'accuracy': ...}``). Override it for
        a custom objective; fit() calls it for every batch.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        run = self._current_run()
        with LossScope() as scope:
            forward = self._jit_forward_loss() if self._jit_compile else self._forward_loss
            loss, y_pred = forward(x, y, sample_weight)
        self._publish_losses(scope)
        run.loss_tracker.update_state(loss.detach(), sample_weight=_batch_size(x, y_pred))
        params = self._trainable_params()
        optimizer = self.optimizer
        optimizer.zero_grad(set_to_none=True)
        scaled = optimizer.scale_loss(loss) if self._auto_scale_loss and hasattr(optimizer, "scale_loss") else loss
        scaled.backward(inputs=params)
        optimizer.step()
        if run.constrained:
            with torch.no_grad():
                for constraint, weight, to_keras in run.constrained:
                    keras_view = weight if to_keras is None else weight.permute(*to_keras)
                    keras_view.copy_(constraint(keras_view))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _forward_loss(self, x, y, sample_weight):
        y_pred = self(x, training=True)
        return self.compute_loss(x, y, y_pred, sample_weight, training=True), y_pred

    def _jit_forward_loss(self):
        """The forward pass and loss as one ``torch.compile``d function (``compile(jit_compile=True)``);
        torch's AOT autograd compiles the backward pass with it. Compiled on first use."""
        fn = self.__dict__.get("_compiled_forward")
        if fn is None:
            fn = self._compiled_forward = torch.compile(self._forward_loss)
        return fn

    def test_step(self, data):
        """Loss and metrics of one batch, without updating weights; returns results by name."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        run = self._current_run()
        with LossScope() as scope:
            y_pred = self(x, training=False)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        run.loss_tracker.update_state(loss, sample_weight=_batch_size(x, y_pred))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs for one batch (``data`` = ``(x,)`` or ``(x, y, ...)``)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _resolve_from_batch(self, y, y_pred) -> None:
        """Resolve the compiled losses and metrics from one batch's shapes (when compute_loss or
        compute_metrics is called before fit/evaluate saw data)."""
        if not self.compiled:
            raise RuntimeError(f"Model '{self.name}' is not compiled: call compile(optimizer=..., loss=...) "
                               f"before compute_loss() or compute_metrics().")
        from .compile_utils import resolve_outputs

        def shapes(v):
            flat = [v] if isinstance(v, torch.Tensor) else list(v.values() if isinstance(v, dict) else v)
            return [tuple(t.shape) for t in flat]
        args = self._compile_args
        out_shapes = [(None,) + s[1:] for s in shapes(y_pred)]
        self._outputs = resolve_outputs(self, args["loss"], args["loss_weights"], args["metrics"], shapes(y),
                                        out_shapes, args["weighted_metrics"])
        self._run_metrics = None

    # ------------------------------------------------------------------ trainable snapshot
    def _trainable_params(self) -> list:
        """The weights this model trains: those trainable when it was compiled (as in Keras)."""
        snapshot = self.__dict__.get("_trainable_snapshot")
        if snapshot is None:
            snapshot = self._snapshot_trainable()
        return snapshot

    def _snapshot_trainable(self) -> list:
        params = [p for p in self.trainable_weights if isinstance(p, torch.nn.Parameter)]
        self._trainable_snapshot = params
        return params

    def _check_trainable_snapshot(self) -> list:
        """Before training: make sure the compiled weights take gradients, and warn once when
        ``trainable`` changed since compile() (it takes effect at the next compile)."""
        params = self._trainable_params()
        if not params:
            raise ValueError(f"Model '{self.name}' has no trainable weights to optimize: it was compiled while "
                             f"all its layers were frozen. Set layer.trainable = True on the layers to train, "
                             f"then call compile() again.")
        if not self.__dict__.get("_warned_trainable"):
            now = {id(p) for p in self.trainable_weights if isinstance(p, torch.nn.Parameter)}
            if now != {id(p) for p in params}:
                self._warned_trainable = True
                warnings.warn(f"Model '{self.name}': the trainable weights changed since compile() (a layer's "
                              f"'trainable' was set afterwards). Training still updates the weights that were "
                              f"trainable at compile time, as Keras does; call compile() again to apply the "
                              f"change.", UserWarning, stacklevel=3)
        for p in params:
            if not p.requires_grad:
                p.requires_grad_(True)
        return params


_FUSABLE = {"categorical": "softmax", "sparse_categorical": "softmax", "binary": "sigmoid"}


def _masked_batch(mask, target, out, sample_weight, logits):
    """An output with a Keras mask of shape (batch, steps, ...) seen as one batch of its steps:
    ``(target, output, weights, logits)`` with the masked axes flattened into the first and
    ``weights`` the mask (times the per-sample weight), or None when there is no mask or the
    targets do not line up with it (the mask is then not applied)."""
    if mask is None or not isinstance(target, torch.Tensor) or mask.dim() < 2:
        return None
    lead = tuple(mask.shape)
    k = len(lead)
    if tuple(out.shape[:k]) != lead or out.dim() <= k or tuple(target.shape[:k]) != lead:
        return None
    n = mask.numel()
    weights = mask.reshape(n).to(torch.float32)
    if sample_weight is not None:
        sw = torch.as_tensor(sample_weight, dtype=torch.float32, device=weights.device)
        sw = sw.reshape(sw.shape + (1,) * (k - sw.dim())) if sw.dim() < k else sw
        weights = weights * torch.broadcast_to(sw, lead).reshape(n)
    target = target.reshape((n,) + tuple(target.shape[k:]))
    flat = out.reshape((n,) + tuple(out.shape[k:]))
    flat_logits = None if logits is None else logits.reshape((n,) + tuple(logits.shape[k:]))
    return target, flat, weights, flat_logits


def _batch_size(x, y_pred) -> int:
    for t in (x, y_pred):
        while isinstance(t, (list, tuple)) and t:
            t = t[0]
        if isinstance(t, dict) and t:
            t = next(iter(t.values()))
        if isinstance(t, torch.Tensor) and t.dim():
            return int(t.shape[0])
    return 1

