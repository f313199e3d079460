"""compile / fit / evaluate / predict: the training loop.

The loop is built for speed: arrays go to the device once and batches are index
slices; loss and metrics accumulate on the device; the host reads them only when
the progress bar refreshes and at epoch end; a softmax/sigmoid output with a
crossentropy loss is computed from logits in log space (as TF-Keras did).
"""
from __future__ import annotations

import numpy as np
import torch

from .. import config as _config
from .._errors import positive_int
from ..activations import linear as _linear
from ..callbacks.base import CallbackList, History
from ..layers import base as _layer_base
from . import data_adapters as _data
from .data_adapters import _flat
from .compile_utils import resolve_outputs, unique_log_names
from .progress import Progress, resolve_verbose
from .trainer import Trainer

__all__ = ["TrainingMixin"]


def _shape(v) -> tuple:
    return tuple(int(d) for d in v.shape)


class TrainingMixin:
    """Keras's training API, mixed into Model."""

    def _init_training_state(self) -> None:
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._outputs = None
        self._jit_compile = False
        self._compiled_step = None
        self._compile_args = None

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile=False, auto_scale_loss=True, **kwargs):
        """Configure training: ``compile(optimizer='sgd', loss='categorical_crossentropy', metrics=['accuracy'])``.

        Args:
            optimizer: name ('sgd', 'rmsprop', 'adam', ...) or a lamina optimizer instance.
            loss: name, function or Loss instance; a list or dict for several outputs.
            metrics: list of names/Metric instances (applied to every output), or a dict by output name.
            loss_weights: list or dict of scalars weighting each output's loss.
            jit_compile: compile the forward pass and loss with ``torch.compile``.
        """
        if kwargs:
            kwargs = self._legacy_compile_kwargs(kwargs)
        from .. import optimizers as _optimizers

        self.optimizer = _optimizers.get(optimizer)
        self.loss = loss
        self._compile_args = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                              "weighted_metrics": weighted_metrics}
        self._jit_compile = jit_compile is True
        self._compiled_step = None
        self._outputs = None
        self.compiled = True
        self._place_on_device()

    def _legacy_compile_kwargs(self, kwargs):
        raise TypeError(f"compile() got unexpected keyword argument(s) {', '.join(map(repr, sorted(kwargs)))}. "
                        f"Valid arguments: optimizer, loss, metrics, loss_weights, weighted_metrics, "
                        f"jit_compile, run_eagerly, steps_per_execution.")

    def get_compile_config(self):
        """The compile() arguments as JSON-able data (used when saving), or None if not compiled."""
        if not self.compiled:
            return None
        from .. import losses as _losses
        from .._registry import serialize

        def ser_metric(m):
            return m if isinstance(m, str) else serialize(m)

        args = self._compile_args
        loss = args["loss"]
        if isinstance(loss, dict):
            loss_cfg = {k: _losses.serialize(_losses.get(v)) for k, v in loss.items()}
        elif isinstance(loss, (list, tuple)):
            loss_cfg = [_losses.serialize(_losses.get(v)) for v in loss]
        else:
            loss_cfg = None if loss is None else _losses.serialize(_losses.get(loss))
        metrics = args["metrics"]
        if isinstance(metrics, dict):
            metrics_cfg = {k: [ser_metric(m) for m in (v if isinstance(v, (list, tuple)) else [v])]
                           for k, v in metrics.items()}
        elif isinstance(metrics, (list, tuple)):
            metrics_cfg = [[ser_metric(x) for x in m] if isinstance(m, (list, tuple)) else ser_metric(m)
                           for m in metrics]
        else:
            metrics_cfg = None if metrics is None else [ser_metric(metrics)]
        return {"optimizer": serialize(self.optimizer), "loss": loss_cfg, "metrics": metrics_cfg,
                "loss_weights": args["loss_weights"], "jit_compile": self._jit_compile}

    def compile_from_config(self, config: dict) -> None:
        from .. import losses as _losses
        from .. import metrics as _metrics
        from .. import optimizers as _optimizers

        def de_loss(v):
            if isinstance(v, dict) and "class_name" not in v:
                return {k: _losses.get(x) for k, x in v.items()}
            if isinstance(v, list):
                return [_losses.get(x) for x in v]
            return None if v is None else _losses.get(v)

        def de_metric(m):
            if isinstance(m, list):
                return [de_metric(x) for x in m]
            if isinstance(m, dict) and "class_name" in m:
                return _metrics.get(m)
            return m

        metrics = config.get("metrics")
        if isinstance(metrics, dict):
            metrics = {k: de_metric(v) for k, v in metrics.items()}
        elif metrics is not None:
            metrics = [de_metric(m) for m in metrics]
        self.compile(optimizer=_optimizers.get(config["optimizer"]), loss=de_loss(config.get("loss")),
                     metrics=metrics, loss_weights=config.get("loss_weights"),
                     jit_compile=config.get("jit_compile", False))

    def _place_on_device(self) -> None:
        target = _config.device()
        current = self._model_device()
        if current is None or (current.type == "cpu" and target.type != "cpu"):
            self.to(target)

    def _model_device(self):
        for t in self.parameters():
            return t.device
        for t in self.buffers():
            return t.device
        return None

    def _data_device(self):
        return self._model_device() or _config.device()

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"You must compile the model before calling {what}(): "
                               f"model.compile(optimizer='sgd', loss='categorical_crossentropy', "
                               f"metrics=['accuracy']).")

    def _build_optimizer(self) -> None:
        """Hand the optimizer the trainable weights (done by fit; saving calls it to restore state)."""
        params = [p for p in self.trainable_weights if isinstance(p, torch.nn.Parameter)]
        if not params:
            raise ValueError(f"Model '{self.name}' has no trainable weights to optimize. Unfreeze some layers "
                             f"(layer.trainable = True) before fit().")
        self.optimizer.build(params)

    # ------------------------------------------------------------------ preparation
    def _prepare(self, x_sample, y_sample, what: str) -> None:
        """Build the model for the data, check shapes, resolve losses and metrics (first call only)."""
        x_shape = _data._map(x_sample, lambda v: (None,) + _shape(v)[1:]) if not isinstance(x_sample, torch.Tensor) \
            else (None,) + _shape(x_sample)[1:]
        if isinstance(x_shape, dict) and getattr(self, "_is_graph_network", False):
            x_shape = [x_shape[n] for n in self.input_names]
        if not self.built or (not getattr(self, "_is_graph_network", False) and self._build_shape is None):
            self._build_for(x_shape)
            self._place_on_device()
        self._check_input_spec(x_shape)
        if not self.compiled or y_sample is None:
            return
        y_shapes = [_shape(v) for v in _flat(y_sample)]
        out_shapes = self._output_shapes(x_sample)
        if self._outputs is None:
            args = self._compile_args
            self._outputs = resolve_outputs(self, args["loss"], args["loss_weights"], args["metrics"],
                                            y_shapes, out_shapes)
            self._log_names = unique_log_names(self._outputs)
        else:
            for spec, ys, os_ in zip(self._outputs, y_shapes, out_shapes):
                if hasattr(spec.loss, "check_targets"):
                    spec.loss.check_targets(ys, tuple(os_))

    def _output_shapes(self, x_sample) -> list:
        if getattr(self, "_is_graph_network", False):
            return [t.shape for t in self.outputs]
        one = _data._map(x_sample, lambda v: v[:1]) if not isinstance(x_sample, torch.Tensor) else x_sample[:1]
        one = _data._map(one, lambda v: _data.to_device_tensor(v, self._data_device())) \
            if not isinstance(one, torch.Tensor) else _data.to_device_tensor(one, self._data_device())
        with torch.no_grad():
            out = self(one, training=False)
        return [(None,) + _shape(o)[1:] for o in _flat(out)]

    def _y_dtypes(self):
        return [s.target_dtype for s in self._outputs] if self._outputs else None

    def _make_data(self, x, y, sample_weight, batch_size, shuffle, steps, what, class_weight=None):
        """Prepare the model from the raw data's shapes, then adapt the data to the device."""
        if _data.is_array_like(x) or isinstance(x, (list, tuple)) and _data._looks_numeric(x):
            x_arr = x if _data.is_array_like(x) else np.asarray(x)
            y_arr = y if y is None or _data.is_array_like(y) else np.asarray(y)
            self._prepare(_data._map(x_arr, lambda v: v[:2]) if not isinstance(x_arr, (np.ndarray, torch.Tensor))
                          else x_arr[:2], y_arr, what)
            if class_weight is not None:
                sample_weight = _class_sample_weights(y_arr, class_weight, sample_weight)
            return _data.make_data(x_arr, y_arr, sample_weight, batch_size, shuffle, self._data_device(),
                                   self._y_dtypes(), steps, what)
        data = _data.make_data(x, y, sample_weight, batch_size, shuffle, self._data_device(), None, steps, what,
                               class_weight)
        xs, ys, _ = data.peek()
        self._prepare(xs, ys, what)
        data.y_dtypes = self._y_dtypes()
        return data

    # ------------------------------------------------------------------ steps
    def _forward_loss(self, xb, yb, wb, training: bool):
        specs = self._outputs
        swapped = [s for s in specs if s.fused_layer is not None]
        collected: list = []
        _layer_base._loss_collector = collected
        for s in swapped:
            s.fused_layer.activation = _linear
        try:
            out = self(xb, training=training)
        finally:
            for s in swapped:
                s.fused_layer.activation = s.fused_activation
            _layer_base._loss_collector = None
        outs = _flat(out) if not isinstance(out, torch.Tensor) else [out]
        ys = [yb] if isinstance(yb, torch.Tensor) else (
            [yb[n] for n in self.output_names] if isinstance(yb, dict) else list(yb))
        total = None
        per_output = []
        for spec, y, o in zip(specs, ys, outs):
            if spec.fused_layer is not None:
                losses = spec.loss.per_sample_from_logits(y, o)
            else:
                losses = spec.loss.per_sample(y, o)
            if wb is not None:
                losses = losses * wb.reshape((-1,) + (1,) * (losses.dim() - 1))
            value = losses.mean()
            per_output.append(value)
            term = value if spec.weight == 1.0 else value * spec.weight
            total = term if total is None else total + term
        for reg, weight in self._regularized:
            total = total + reg(weight)
        for extra in collected:
            total = total + extra
        return total, per_output, outs, ys

    def _update_metrics(self, outs, ys):
        for spec, o, y in zip(self._outputs, outs, ys):
            if spec.metrics:
                pred = spec.fused_activation(o) if spec.fused_layer is not None else o
                for m in spec.metrics:
                    m.update_state(y, pred)

    def _train_step(self, xb, yb, wb):
        fn = self._compiled_step or self._forward_loss
        total, per_output, outs, ys = fn(xb, yb, wb, True)
        opt = self.optimizer
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        with torch.no_grad():
            for constraint, weight, to_keras in self._constrained:
                keras_view = weight if to_keras is None else weight.permute(*to_keras)
                keras_view.copy_(constraint(keras_view))
            self._update_metrics([o.detach() for o in outs], ys)
        return total.detach(), [p.detach() for p in per_output]

    def _test_step(self, xb, yb, wb):
        total, per_output, outs, ys = self._forward_loss(xb, yb, wb, False)
        self._update_metrics(outs, ys)
        return total, per_output

    def _collect_weight_terms(self) -> None:
        """The weights with penalties (added to every loss) and constraints (applied after every step)."""
        items = self._weight_items()
        self._regularized = [(rec.regularizer, layer._tensor(rec)) for layer, rec in items
                             if rec.regularizer is not None]
        self._constrained = [(rec.constraint, layer._tensor(rec), rec.to_keras) for layer, rec in items
                             if rec.constraint is not None]

    def _start_training(self) -> None:
        self._collect_weight_terms()
        self._build_optimizer()
        if self._jit_compile and self._compiled_step is None:
            self._compiled_step = torch.compile(self._forward_loss)

    # ------------------------------------------------------------------ epoch loops
    def _metric_objects(self):
        return [m for s in self._outputs for m in s.metrics]

    def _read_logs(self, loss_sum, out_sums, seen, prefix=""):
        """One host sync for all running values."""
        values = [loss_sum / seen]
        if len(self._outputs) > 1:
            values += [s / seen for s in out_sums]
        values += [m.result() for m in self._metric_objects()]
        device = loss_sum.device
        nums = torch.stack([v.detach().reshape(()).to(device=device, dtype=torch.float32) for v in values]).tolist()
        names = ["loss"]
        if len(self._outputs) > 1:
            names += [f"{s.name}_loss" for s in self._outputs]
        names += [n for group in self._log_names for n in group]
        return {prefix + n: v for n, v in zip(names, nums)}

    def _run_epoch(self, data, trainer, callbacks, progress, training: bool, prefix=""):
        for m in self._metric_objects():
            m.reset_state()
        device = self._data_device()
        loss_sum = torch.zeros((), device=device)
        out_sums = [torch.zeros((), device=device) for _ in self._outputs] if len(self._outputs) > 1 else []
        seen = 0
        step = 0
        mode = "train" if training else "test"
        wants_batch = callbacks is not None and callbacks.wants_batch_logs(mode)
        step_fn = self._train_step if training else self._test_step
        cw = getattr(data, "class_weight", None)
        for xb, yb, wb, n in (data.batches(trainer.generator if trainer else None)):
            if cw is not None:
                wb = torch.as_tensor(_class_sample_weights(yb, cw, wb), device=device)
            if wants_batch:
                getattr(callbacks, f"on_{mode}_batch_begin")(step, {})
            total, per_output = step_fn(xb, yb, wb)
            loss_sum += total * n
            for acc, v in zip(out_sums, per_output):
                acc += v * n
            seen += n
            step += 1
            if wants_batch:
                getattr(callbacks, f"on_{mode}_batch_end")(step - 1, self._read_logs(loss_sum, out_sums, seen))
                if training and (self.stop_training or trainer.stop_training):
                    break
            if progress is not None and progress.due():
                progress.update(step, self._read_logs(loss_sum, out_sums, seen))
        if seen == 0:
            raise ValueError("The dataset produced no batches for this epoch. Check steps_per_epoch and the data.")
        return self._read_logs(loss_sum, out_sums, seen, prefix), step

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1, **kwargs):
        """Train for ``epochs`` epochs; returns a History whose ``history`` dict holds per-epoch logs."""
        if kwargs:
            x, y, epochs, kwargs = self._legacy_fit_kwargs(x, y, epochs, kwargs)
        self._require_compiled("fit")
        verbose = resolve_verbose(verbose)
        epochs = positive_int("fit", "epochs", epochs, "Pass the number of passes over the data, e.g. epochs=10.")
        batch_size = 32 if batch_size is None else positive_int(
            "fit", "batch_size", batch_size, "Pass the number of samples per step, e.g. batch_size=32.")
        if initial_epoch < 0 or initial_epoch > epochs:
            raise ValueError(f"fit expects 0 <= initial_epoch <= epochs. Received: initial_epoch={initial_epoch}, "
                             f"epochs={epochs}.")
        if validation_split and validation_data is None:
            if not _data.is_array_like(x):
                raise ValueError("validation_split works only with in-memory arrays; for a generator or "
                                 "DataLoader pass validation_data=... instead.")
            (x, y, sample_weight), validation_data = _data.split_validation(x, y, sample_weight, validation_split)
        train = self._make_data(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, "fit", class_weight)
        val = None
        if validation_data is not None:
            val = self._validation_data(validation_data, validation_batch_size or batch_size, validation_steps)
        self._start_training()

        trainer = Trainer(self)
        self.stop_training = False
        history = History()
        self.history = history
        progress = Progress(verbose, train.steps, epochs) if verbose else None
        trainer.progress = progress
        cbs = CallbackList(list(callbacks or []) + [history], model=self,
                           params={"epochs": epochs, "steps": train.steps, "verbose": verbose,
                        "do_validation": val is not None}, trainer=trainer)
        trainer.initial_epoch = initial_epoch
        cbs.on_train_begin()
        logs = {}
        try:
            for epoch in range(trainer.initial_epoch, epochs):
                trainer.epoch = epoch
                cbs.on_epoch_begin(epoch)
                if progress is not None:
                    progress.start(epoch)
                self.train(True)
                logs, steps_done = self._run_epoch(train, trainer, cbs, progress, training=True)
                self.train(False)
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs, _ = self._run_eval(val, cbs)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, logs)
                if progress is not None:  # after the callbacks, so logs they add (learning_rate) show
                    progress.finish(steps_done, logs)
                if self.stop_training or trainer.stop_training:
                    break
        finally:
            self.train(False)
        cbs.on_train_end(logs)
        return history

    def _legacy_fit_kwargs(self, x, y, epochs, kwargs):
        raise TypeError(f"fit() got unexpected keyword argument(s) {', '.join(map(repr, sorted(kwargs)))}. "
                        f"Valid arguments: x, y, batch_size, epochs, verbose, callbacks, validation_split, "
                        f"validation_data, shuffle, class_weight, sample_weight, initial_epoch, "
                        f"steps_per_epoch, validation_steps, validation_batch_size, validation_freq.")

    def _validation_data(self, validation_data, batch_size, steps):
        if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3) \
                and _data.is_array_like(validation_data[0]):
            vx, vy = validation_data[0], validation_data[1]
            vw = validation_data[2] if len(validation_data) == 3 else None
            return self._make_data(vx, vy, vw, batch_size, False, steps, "validation_data")
        return self._make_data(validation_data, None, None, batch_size, False, steps, "validation_data")

    def _run_eval(self, data, callbacks=None):
        with torch.no_grad():
            return self._run_epoch(data, None, callbacks, None, training=False)

    # ------------------------------------------------------------------ evaluate
    @property
    def metrics_names(self) -> list[str]:
        if self._outputs is None:
            return ["loss"]
        names = ["loss"]
        if len(self._outputs) > 1:
            names += [f"{s.name}_loss" for s in self._outputs]
        return names + [n for group in self._log_names for n in group]

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on the given data: a float, a list [loss, *metrics], or a dict."""
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword argument(s) {sorted(kwargs)}.")
        self._require_compiled("evaluate")
        verbose = resolve_verbose(verbose)
        batch_size = 32 if batch_size is None else positive_int("evaluate", "batch_size", batch_size)
        data = self._make_data(x, y, sample_weight, batch_size, False, steps, "evaluate")
        self._collect_weight_terms()
        cbs = CallbackList(callbacks, model=self, params={"steps": data.steps, "verbose": verbose})
        cbs.on_test_begin()
        progress = Progress(verbose, data.steps) if verbose else None
        if progress is not None:
            progress.start()
        logs, steps_done = self._run_eval(data, cbs)
        if progress is not None:
            progress.finish(steps_done, logs)
        cbs.on_test_end(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for the inputs, as numpy arrays (a list for several outputs)."""
        verbose = resolve_verbose(verbose)
        batch_size = 32 if batch_size is None else positive_int("predict", "batch_size", batch_size)
        if _data.is_array_like(x):
            first = x[:1] if isinstance(x, (np.ndarray, torch.Tensor)) else _data._map(x, lambda v: v[:1])
            self._prepare(first, None, "predict")
        data = _data.make_data(x, None, None, batch_size, False, self._data_device(), None, steps, "predict")
        if isinstance(data, _data.IterableData):
            xs, _, _ = data.peek()
            self._prepare(xs, None, "predict")
        cbs = CallbackList(callbacks, model=self, params={"steps": data.steps, "verbose": verbose}) \
            if callbacks else None
        if cbs is not None:
            cbs.on_predict_begin()
        progress = Progress(verbose, data.steps) if verbose else None
        if progress is not None:
            progress.start()
        chunks: list[list[torch.Tensor]] = []
        step = 0
        with torch.inference_mode():
            for xb, _, _, _ in data.batches():
                if cbs is not None:
                    cbs.on_predict_batch_begin(step, {})
                out = self(xb, training=False)
                chunks.append(_flat(out) if not isinstance(out, torch.Tensor) else [out])
                step += 1
                if cbs is not None:
                    cbs.on_predict_batch_end(step - 1, {"outputs": out})
                if progress is not None and progress.due():
                    progress.update(step, {})
            if not chunks:
                raise ValueError("predict received no data.")
            outs = [torch.cat([c[i] for c in chunks]) if len(chunks) > 1 else chunks[0][i]
                    for i in range(len(chunks[0]))]
            arrays = [o.cpu().numpy() for o in outs]
        if progress is not None:
            progress.finish(step, {})
        if cbs is not None:
            cbs.on_predict_end()
        return arrays[0] if len(arrays) == 1 else arrays

    # ------------------------------------------------------------------ on_batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True,
                       return_dict=False):
        """One gradient step on one batch; returns the loss (and metrics) of that batch."""
        self._require_compiled("train_on_batch")
        n = len(_flat(x)[0]) if not isinstance(x, (np.ndarray, torch.Tensor)) else len(x)
        data = self._make_data(x, y, sample_weight, max(n, 1), False, None, "train_on_batch", class_weight)
        if not self._optimizer_ready():
            self._start_training()
        self.train(True)
        try:
            logs = self._batch_logs(data, training=True, reset=reset_metrics)
        finally:
            self.train(False)
        return self._format_batch_logs(logs, return_dict)

    def _optimizer_ready(self) -> bool:
        return bool(getattr(self.optimizer, "param_groups", None))

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        self._require_compiled("test_on_batch")
        n = len(_flat(x)[0]) if not isinstance(x, (np.ndarray, torch.Tensor)) else len(x)
        data = self._make_data(x, y, sample_weight, max(n, 1), False, None, "test_on_batch")
        self._collect_weight_terms()
        with torch.no_grad():
            logs = self._batch_logs(data, training=False, reset=reset_metrics)
        return self._format_batch_logs(logs, return_dict)

    def _batch_logs(self, data, training, reset):
        if reset:
            for m in self._metric_objects():
                m.reset_state()
        device = self._data_device()
        xb, yb, wb, n = next(iter(data.batches()))
        step = self._train_step if training else self._test_step
        total, per_output = step(xb, yb, wb)
        out_sums = [v * n for v in per_output] if len(self._outputs) > 1 else []
        return self._read_logs(total.to(device) * n, out_sums, n)

    @staticmethod
    def _format_batch_logs(logs, return_dict):
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=max(len(_flat(x)[0]) if not isinstance(x, (np.ndarray, torch.Tensor))
                                              else len(x), 1), verbose=0)

    def reset_metrics(self) -> None:
        for m in self._metric_objects() if self._outputs else []:
            m.reset_state()


def _class_sample_weights(y, class_weight: dict, sample_weight=None):
    """Per-sample weights from a {class: weight} dict (one-hot, integer or binary targets)."""
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("class_weight works only for models with a single output; use sample_weight for "
                         "several outputs.")
    arr = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if arr.ndim >= 2 and arr.shape[-1] > 1:
        cls = arr.argmax(axis=-1)
    else:
        cls = np.rint(arr.reshape(len(arr), -1)[:, 0]).astype(np.int64)
    cls = cls.reshape(len(arr))
    missing = sorted(set(np.unique(cls).tolist()) - {int(k) for k in class_weight})
    if missing:
        raise ValueError(f"class_weight has no weight for classes {missing}; it must cover every class in y. "
                         f"Received keys {sorted(int(k) for k in class_weight)}.")
    table = {int(k): float(v) for k, v in class_weight.items()}
    weights = np.array([table[int(c)] for c in cls], dtype=np.float32)
    if sample_weight is not None:
        sw = sample_weight.detach().cpu().numpy() if isinstance(sample_weight, torch.Tensor) else np.asarray(
            sample_weight)
        weights = weights * sw.astype(np.float32)
    return weights

