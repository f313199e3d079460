"""compile / fit / evaluate / predict: the loops around the training step.

The loops are built for speed: arrays go to the device once and batches are index
slices; each batch goes through the public step (:mod:`lamina.training.step`), whose
loss and metrics accumulate on the device; the host reads them only when the progress
bar refreshes and at epoch end.
"""
from __future__ import annotations

import numpy as np
import torch

from .. import config as _config
from .. import distribution as _distribution
from .. import threads as _threads
from .._errors import positive_int
from ..callbacks.base import CallbackList, History
from ..utils.data_utils import pack_x_y_sample_weight
from . import data_adapters as _data
from .data_adapters import _flat
from .compile_utils import resolve_outputs
from .progress import Progress, resolve_verbose
from .step import MetricsResult, StepMixin, check_step_logs
from .trainer import Trainer

__all__ = ["TrainingMixin", "logs_to_floats"]

_FIT_ARGS = ["x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data",
             "shuffle", "class_weight", "sample_weight", "initial_epoch", "steps_per_epoch", "validation_steps",
             "validation_batch_size", "validation_freq"]


def _shape(v) -> tuple:
    return tuple(int(d) for d in v.shape)


def reject_arguments(method: str, kwargs: dict, valid: list[str]) -> None:
    """A TypeError naming the unexpected keyword arguments, the valid ones and a close match."""
    from .._errors import did_you_mean
    bad = sorted(kwargs)
    raise TypeError(f"{method}() got unexpected keyword argument(s) {', '.join(map(repr, bad))}. Valid arguments: "
                    f"{', '.join(valid)}{did_you_mean(bad[0], valid) or '.'}")


def logs_to_floats(logs, prefix: str = "") -> dict:
    """A step's logs as Python floats, read from the device in one transfer."""
    out, keys, tensors = {}, [], []
    for k, v in logs.items():
        if isinstance(v, torch.Tensor) and v.numel() == 1:
            keys.append(k)
            tensors.append(v.detach().reshape(()))
        elif isinstance(v, torch.Tensor):
            out[prefix + k] = v.detach().cpu().numpy()
        else:
            out[prefix + k] = float(v) if isinstance(v, (int, float, np.number)) else v
    if tensors:
        device = tensors[0].device
        values = torch.stack([t.to(device=device, dtype=torch.float32) for t in tensors]).tolist()
        out.update({prefix + k: v for k, v in zip(keys, values)})
    return {prefix + k: out[prefix + k] for k in logs}


class TrainingMixin(StepMixin):
    """Keras's training API, mixed into Model."""

    def _init_training_state(self) -> None:
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._outputs = None
        self._jit_compile = False
        self._auto_scale_loss = True
        self._compile_args = None

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile=False, auto_scale_loss=True, **kwargs):
        """Configure training: ``compile(optimizer='sgd', loss='categorical_crossentropy', metrics=['accuracy'])``.

        The weights that are trainable now are the ones fit() trains, as in Keras: changing a
        layer's ``trainable`` afterwards takes effect at the next compile().

        Args:
            optimizer: name ('sgd', 'rmsprop', 'adam', ...) or a lamina optimizer instance.
            loss: name, function or Loss instance; a list or dict for several outputs. May be None
                when the model adds its own losses (``add_loss``) or overrides ``train_step``.
            loss_weights: list or dict of scalars weighting each output's loss.
            metrics: list of names/Metric instances (applied to every output), or a dict by output name.
            weighted_metrics: metrics that also weigh each sample by ``sample_weight``/``class_weight``.
            run_eagerly: accepted; lamina runs eagerly unless ``jit_compile=True``, and this wins over it.
            steps_per_execution: accepted (a positive int) and ignored: each step is dispatched on its own,
                which costs nothing measurable here, and batch callbacks see every batch.
            jit_compile: compile the forward pass and loss with ``torch.compile`` (see ``fit``).
            auto_scale_loss: with a ``LossScaleOptimizer``, scale the loss in the default step.
        """
        from .. import losses as _losses
        from .. import metrics as _metrics
        from .. import optimizers as _optimizers

        if kwargs:
            reject_arguments("compile", kwargs, ["optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
                                                 "run_eagerly", "steps_per_execution", "jit_compile",
                                                 "auto_scale_loss"])
        steps_per_execution = positive_int("compile", "steps_per_execution", steps_per_execution)
        for arg, value in (("run_eagerly", run_eagerly), ("jit_compile", jit_compile),
                           ("auto_scale_loss", auto_scale_loss)):
            if not isinstance(value, bool) and not (arg == "jit_compile" and value == "auto"):
                raise TypeError(f"compile expects {arg} to be True or False. Received: {arg}={value!r}.")
        _losses.validate(loss)   # a typo fails here, with "did you mean", not at the first fit
        _metrics.validate(metrics)
        _metrics.validate(weighted_metrics)
        self.optimizer = _optimizers.get(optimizer)
        self.loss = loss
        self._compile_args = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                              "weighted_metrics": weighted_metrics}
        self._jit_compile = jit_compile is True and not run_eagerly
        self._auto_scale_loss = auto_scale_loss
        self._outputs = None
        self._run_metrics = None
        self._compiled_forward = None
        self._warned_trainable = False
        self._trainable_snapshot = None
        if self.built:
            self._snapshot_trainable()
        self.compiled = True
        self._place_on_device()

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
        """Hand the optimizer the weights trainable at compile time (fit does it; loading a saved
        optimizer state calls it too)."""
        self.optimizer.build(self._check_trainable_snapshot())

    def _start_training(self) -> None:
        self._build_optimizer()

    # ------------------------------------------------------------------ preparation
    def _prepare(self, x_sample, y_sample, what: str) -> None:
        """Build the model for the data, check shapes, resolve losses and metrics (first call only)."""
        x_shape = _data._map(x_sample, lambda v: (None,) + _shape(v)[1:]) if not isinstance(x_sample, torch.Tensor) \
            else (None,) + _shape(x_sample)[1:]
        if isinstance(x_shape, dict) and getattr(self, "_is_graph_network", False):
            _data.check_input_names(x_sample, self.input_names, what)
            x_shape = [x_shape[n] for n in self.input_names]
        if not self.built or (not getattr(self, "_is_graph_network", False) and self._build_shape is None
                              and self._defines_call()):
            self._build_for(x_shape)
            self._place_on_device()
        self._check_input_spec(x_shape)
        if not self.compiled or what == "predict":
            return
        args = self._compile_args
        if y_sample is None:
            if self._outputs is None and args["loss"] is None:
                self._outputs = []   # trained by add_loss() or a custom train_step alone
                self._run_metrics = None
            return
        y_shapes = [_shape(v) for v in _flat(y_sample)]
        if self._outputs is None or (not self._outputs and args["loss"] is not None):
            out_shapes = self._output_shapes(x_sample)
            self._outputs = resolve_outputs(self, args["loss"], args["loss_weights"], args["metrics"],
                                            y_shapes, out_shapes, args["weighted_metrics"])
            self._run_metrics = None
        elif self._outputs:
            out_shapes = self._output_shapes(x_sample)
            for spec, ys, os_ in zip(self._outputs, y_shapes, out_shapes):
                if hasattr(spec.loss, "check_targets"):
                    spec.loss.check_targets(ys, tuple(os_))
        else:
            return
        # the label values (range, whole numbers) of the whole target array, once per fit/evaluate call
        # (of the first batch for a generator): a clear error instead of a torch IndexError or silent truncation
        ys = [y_sample.get(s.name) for s in self._outputs] if isinstance(y_sample, dict) else _flat(y_sample)
        _data.check_target_values(ys, [s.loss for s in self._outputs], out_shapes, what)

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

    # ------------------------------------------------------------------ the epoch loop
    def _run_epoch(self, data, trainer, callbacks, progress, training: bool, governor=None):
        """One pass over ``data`` through train_step or test_step; returns (logs as floats, steps).

        ``governor`` (a :class:`lamina.threads.ThreadGovernor`) is ticked once per step."""
        self.reset_metrics()
        step_fn = self.train_step if training else self.test_step
        what = "train_step" if training else "test_step"
        mode = "train" if training else "test"
        wants_batch = callbacks is not None and callbacks.wants_batch_logs(mode)
        device = self._data_device()
        cw = getattr(data, "class_weight", None)
        logs = None
        step = 0
        for xb, yb, wb, n in data.batches(trainer.generator if trainer else None):
            if cw is not None:
                wb = torch.as_tensor(_class_sample_weights(yb, cw, wb), device=device)
            if wants_batch:
                getattr(callbacks, f"on_{mode}_batch_begin")(step, {})
            logs = step_fn(pack_x_y_sample_weight(xb, yb, wb))
            if governor is not None:
                governor.tick()
            if step == 0:
                check_step_logs(logs, what)
            step += 1
            if wants_batch:
                getattr(callbacks, f"on_{mode}_batch_end")(step - 1, logs_to_floats(logs))
                if training and (self.stop_training or trainer.stop_training):
                    break
            if progress is not None and progress.due():
                progress.update(step, logs_to_floats(logs))
        if step == 0:
            raise ValueError("The dataset produced no batches for this epoch. Check steps_per_epoch and the data.")
        reduce_logs = getattr(data, "reduce_logs", None)   # DataParallel: the logs of all processes
        if reduce_logs is None:
            return logs_to_floats(logs), step
        return reduce_logs(self, logs, logs_to_floats, isinstance(logs, MetricsResult)), step

    def _run_eval(self, data, callbacks=None, governor=None):
        with torch.no_grad():
            return self._run_epoch(data, None, callbacks, None, training=False, governor=governor)

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1, **kwargs):
        """Train for ``epochs`` epochs; returns a History whose ``history`` dict holds per-epoch logs.

        Every batch goes through ``train_step`` (and validation batches through ``test_step``),
        so a subclass that overrides them trains its own way.
        """
        if kwargs:
            reject_arguments("fit", kwargs, _FIT_ARGS)
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
        parallel = _distribution.loop_for(self)   # None on a single process
        if parallel is not None:
            train, val, verbose = parallel.shard(train, pad=True), parallel.shard(val), parallel.verbose(verbose)
        self._start_training()

        trainer = Trainer(self)
        self.stop_training = False
        history = self._new_history()
        self.history = history
        progress = Progress(verbose, train.steps, epochs) if verbose else None
        trainer.progress = progress
        cbs = CallbackList(list(callbacks or []) + [history], model=self,
                           params={"epochs": epochs, "steps": train.steps, "verbose": verbose,
                                   "do_validation": val is not None}, trainer=trainer)
        trainer.initial_epoch = initial_epoch
        _, release = self._begin_run()
        if parallel is not None:
            release = parallel.begin_fit(self, trainer, release)
        governor = trainer.thread_governor = _threads.governor_for_run()
        logs = {}
        try:
            cbs.on_train_begin()
            for epoch in range(trainer.initial_epoch, epochs):
                trainer.epoch = epoch
                cbs.on_epoch_begin(epoch)
                if progress is not None:
                    progress.start(epoch)
                self.train(True)
                logs, steps_done = self._run_epoch(train, trainer, cbs, progress, training=True, governor=governor)
                self.train(False)
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs, _ = self._run_eval(val, cbs, governor)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, logs)
                if progress is not None:  # after the callbacks, so logs they add (learning_rate) show
                    progress.finish(steps_done, logs)
                if self.stop_training or trainer.stop_training:
                    break
        finally:
            self.train(False)
            governor.close()
            release()
        cbs.on_train_end(logs)
        return history

    def _new_history(self) -> History:
        return History()

    def _validation_data(self, validation_data, batch_size, steps):
        if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3) \
                and _data.is_array_like(validation_data[0]):
            vx, vy = validation_data[0], validation_data[1]
            vw = validation_data[2] if len(validation_data) == 3 else None
            return self._make_data(vx, vy, vw, batch_size, False, steps, "validation_data")
        return self._make_data(validation_data, None, None, batch_size, False, steps, "validation_data")

    # ------------------------------------------------------------------ evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on the given data: a float, a list [loss, *metrics], or a dict.

        Safe to call from several threads on one model at once.
        """
        if kwargs:
            reject_arguments("evaluate", kwargs, ["x", "y", "batch_size", "verbose", "sample_weight", "steps",
                                                  "callbacks", "return_dict"])
        self._require_compiled("evaluate")
        verbose = resolve_verbose(verbose)
        batch_size = 32 if batch_size is None else positive_int("evaluate", "batch_size", batch_size)
        data = self._make_data(x, y, sample_weight, batch_size, False, steps, "evaluate")
        parallel = _distribution.loop_for(self)   # None on a single process
        if parallel is not None:
            data, verbose = parallel.shard(data), parallel.verbose(verbose)
        cbs = CallbackList(callbacks, model=self, params={"steps": data.steps, "verbose": verbose})
        _, release = self._begin_run()
        governor = _threads.governor_for_run()
        try:
            cbs.on_test_begin()
            progress = Progress(verbose, data.steps) if verbose else None
            if progress is not None:
                progress.start()
            logs, steps_done = self._run_eval(data, cbs, governor)
            if progress is not None:
                progress.finish(steps_done, logs)
        finally:
            governor.close()
            release()
        cbs.on_test_end(logs)
        return self._format_logs(logs, return_dict)

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """Model outputs for the inputs, as numpy arrays (a list or dict for several outputs).

        Every batch goes through ``predict_step``. Safe to call from several threads at once.
        """
        if kwargs:
            reject_arguments("predict", kwargs, ["x", "batch_size", "verbose", "steps", "callbacks"])
        verbose = resolve_verbose(verbose)
        batch_size = 32 if batch_size is None else positive_int("predict", "batch_size", batch_size)
        if _data.is_array_like(x):
            self._check_not_one_sample(x)
            first = x[:1] if isinstance(x, (np.ndarray, torch.Tensor)) else _data._map(x, lambda v: v[:1])
            self._prepare(first, None, "predict")
        data = _data.make_data(x, None, None, batch_size, False, self._data_device(), None, steps, "predict")
        if isinstance(data, _data.IterableData):
            xs, _, _ = data.peek()
            self._prepare(xs, None, "predict")
        parallel = _distribution.loop_for(self)   # None on a single process
        if parallel is not None:
            data, verbose = parallel.shard(data), parallel.verbose(verbose)
        cbs = CallbackList(callbacks, model=self, params={"steps": data.steps, "verbose": verbose}) \
            if callbacks else None
        if cbs is not None:
            cbs.on_predict_begin()
        progress = Progress(verbose, data.steps) if verbose else None
        if progress is not None:
            progress.start()
        chunks: list = []
        step = 0
        with torch.inference_mode():
            for xb, _, _, _ in data.batches():
                if cbs is not None:
                    cbs.on_predict_batch_begin(step, {})
                out = self.predict_step((xb,))
                chunks.append(out)
                step += 1
                if cbs is not None:
                    cbs.on_predict_batch_end(step - 1, {"outputs": out})
                if progress is not None and progress.due():
                    progress.update(step, {})
            if not chunks:
                raise ValueError("predict received no data.")
            result = _concat_outputs(chunks)
        if parallel is not None:
            result = parallel.gather_predictions(result, data)
        if progress is not None:
            progress.finish(step, {})
        if cbs is not None:
            cbs.on_predict_end()
        return result

    def _check_not_one_sample(self, x) -> None:
        """predict(x[0]) on a model whose input is shaped like x[0]: say that predict takes a batch."""
        inputs = getattr(self, "inputs", None) if getattr(self, "_is_graph_network", False) else None
        if not inputs or len(inputs) != 1 or not isinstance(x, (np.ndarray, torch.Tensor)):
            return
        want, got = tuple(inputs[0].shape), _shape(x)
        if len(got) == len(want) - 1 and want[-1] != 1 and all(w is None or w == g for w, g in zip(want[1:], got)):
            raise ValueError(f"predict expects a batch of inputs of shape {want}; received one sample of shape "
                             f"{got}. Add the batch axis: model.predict(x[None]) (or np.expand_dims(x, 0)).")

    # ------------------------------------------------------------------ on_batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True,
                       return_dict=False):
        """One gradient step (through ``train_step``) on one batch; returns the loss (and metrics)
        of that batch, or their running values with ``reset_metrics=False``. Under
        ``lamina.distribution.DataParallel`` each process takes its share of the batch, the
        gradients are all-reduced and the returned figures are those of the whole batch."""
        self._require_compiled("train_on_batch")
        data = self._make_data(x, y, sample_weight, _batch_len(x), False, None, "train_on_batch", class_weight)
        parallel = _distribution.loop_for(self)   # None on a single process
        if parallel is not None:
            data = parallel.shard(data, pad=True)
        self._start_training()
        self.train(True)
        _, release = self._begin_run()
        if parallel is not None:   # same weights on every process, gradients all-reduced at the step
            release = parallel.begin_fit(self, Trainer(self), release)
        try:
            logs = self._batch_logs(data, training=True, reset=reset_metrics)
        finally:
            self.train(False)
            release()
        return self._format_logs(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        """Loss and metrics of one batch (through ``test_step``), without updating weights."""
        self._require_compiled("test_on_batch")
        data = self._make_data(x, y, sample_weight, _batch_len(x), False, None, "test_on_batch")
        parallel = _distribution.loop_for(self)   # None on a single process
        if parallel is not None:
            data = parallel.shard(data)
        _, release = self._begin_run()
        try:
            with torch.no_grad():
                logs = self._batch_logs(data, training=False, reset=reset_metrics)
        finally:
            release()
        return self._format_logs(logs, return_dict)

    def _batch_logs(self, data, training, reset):
        if reset:
            self.reset_metrics()
        xb, yb, wb, _ = next(iter(data.batches()))
        step = self.train_step if training else self.test_step
        logs = check_step_logs(step(pack_x_y_sample_weight(xb, yb, wb)), "train_step" if training else "test_step")
        reduce_logs = getattr(data, "reduce_logs", None)   # DataParallel: the logs of the whole batch
        if reduce_logs is None:
            return logs_to_floats(logs)
        return reduce_logs(self, logs, logs_to_floats, isinstance(logs, MetricsResult))

    @staticmethod
    def _format_logs(logs, return_dict):
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict_on_batch(self, x):
        """Outputs for one batch, as numpy arrays."""
        return self.predict(x, batch_size=_batch_len(x), verbose=0)


def _batch_len(x) -> int:
    return max(len(_flat(x)[0]) if not isinstance(x, (np.ndarray, torch.Tensor)) else len(x), 1)


def _concat_outputs(chunks: list):
    """Batches of outputs (tensors, lists or dicts of tensors) -> numpy arrays of the same structure."""
    first = chunks[0]

    def cat(parts):
        t = torch.cat(parts) if len(parts) > 1 else parts[0]
        return (t.float() if t.dtype == torch.bfloat16 else t).cpu().numpy()   # numpy has no bfloat16
    if isinstance(first, torch.Tensor):
        return cat(chunks)
    if isinstance(first, dict):
        return {k: cat([c[k] for c in chunks]) for k in first}
    if isinstance(first, (list, tuple)):
        arrays = [cat([c[i] for c in chunks]) for i in range(len(first))]
        return arrays[0] if len(arrays) == 1 else arrays
    raise TypeError(f"predict_step() must return a tensor, or a list or dict of tensors. Received "
                    f"{type(first).__name__}.")


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

