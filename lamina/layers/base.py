"""The Layer base class: a ``torch.nn.Module`` with Keras's contract.

A layer is ``__init__`` (validate and store arguments), ``build(input_shape)``
(create weights once the input size is known), ``call(inputs, training=None)``
(a few torch calls), ``compute_output_shape(input_shape)`` and ``get_config()``
(exactly the init arguments).

Shapes given to ``build``/``compute_output_shape`` are Keras shapes: tuples with
``None`` for the batch axis. Weights are stored in torch layout (Linear
``(out, in)``, Conv ``(out, in, kh, kw)``) and converted to Keras layout only by
``get_weights``/``set_weights``.
"""
from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .. import config as _config
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from .._naming import reserve_name, to_snake_case, unique_name
from ..graph import KerasTensor, nest, symbolic_call
from .._registry import register, serialize
from ..mixed_precision.policy import LayerPolicyMixin

__all__ = ["Layer", "InputSpec", "LossScope", "current_loss_scope"]


@dataclass
class InputSpec:
    """What a layer accepts: exact or minimum rank, and fixed sizes on some axes."""

    ndim: int | None = None
    min_ndim: int | None = None
    max_ndim: int | None = None
    axes: dict[int, int] = field(default_factory=dict)


@dataclass
class _WeightRecord:
    attr: str            # attribute / state_dict key on the layer
    name: str            # Keras weight name: 'kernel', 'bias', 'moving_mean', ...
    to_keras: tuple | None   # permutation from torch layout to Keras layout
    trainable: bool
    regularizer: Any = None
    constraint: Any = None   # applied in Keras layout after each optimizer step


# The add_loss() values and activity penalties of the forward pass running in this
# thread. Each outermost layer call opens its own scope, and the training step opens one
# around its forward pass and loss, so concurrent calls on one model never see each
# other's losses. (A threading.local rather than a ContextVar: torch.compile traces it.)
_LOCAL = threading.local()


class LossScope:
    """Collects the losses layers add during one forward pass (``with LossScope() as scope:``).

    ``scope.losses`` lists the values in the order they were added. Used by the training
    step; a plain ``model(x)`` call opens one itself and publishes what it collected to
    ``layer.losses`` of the layers that added them.
    """

    __slots__ = ("entries", "_token")

    def __init__(self):
        self.entries: list = []   # (layer, value)

    @property
    def losses(self) -> list:
        return [v for _, v in self.entries]

    def add(self, layer, value) -> None:
        self.entries.append((layer, value))

    def __enter__(self) -> "LossScope":
        self._token = getattr(_LOCAL, "scope", None)
        _LOCAL.scope = self
        return self

    def __exit__(self, *exc) -> None:
        _LOCAL.scope = self._token


def current_loss_scope() -> "LossScope | None":
    """The loss scope of the forward pass running in this thread, or None."""
    return getattr(_LOCAL, "scope", None)


def _is_symbolic(x) -> bool:
    return any(isinstance(v, KerasTensor) for v in nest.flatten(x))


def _shape_of(x):
    """Keras shape (batch axis -> None) of a tensor or nested list of tensors."""
    if isinstance(x, (list, tuple)):
        return [_shape_of(v) for v in x]
    if isinstance(x, dict):
        return {k: _shape_of(v) for k, v in x.items()}
    return (None,) + tuple(int(d) for d in x.shape[1:])


def _as_tensor(x, device=None):
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(_as_tensor(v, device) for v in x)
    if isinstance(x, dict):
        return {k: _as_tensor(v, device) for k, v in x.items()}
    arr = np.asarray(x)
    t = torch.from_numpy(np.ascontiguousarray(arr))
    if t.is_floating_point() or t.dtype in (torch.uint8, torch.bool):
        t = t.to(_config.dtype())
    return t.to(device) if device is not None else t


def format_shape(shape) -> str:
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class Layer(LayerPolicyMixin, nn.Module):
    """Base class of every lamina layer (and of Model)."""

    input_spec: InputSpec | None = None
    # True when call() returns an output shaped like its input (activations, dropout, ...).
    _elementwise = False

    # A class-level hook, (cls, args, kwargs) -> (args, kwargs), run before the constructor binds
    # its arguments. lamina's own classes have none; the classic ``lamina.keras`` namespace
    # defines subclasses that translate Keras 1 arguments with it.
    _argument_translator = None
    # Keras 1/2 ``weights=[...]`` (classic namespace only): arrays set_weights() gets right after build.
    _initial_weights = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        params = inspect.signature(cls.call).parameters
        cls._call_takes_training = "training" in params or any(
            p.kind is p.VAR_KEYWORD for p in params.values())
        # Masks (Keras compute_mask): which layers take a mask= argument, which may create one.
        cls._call_takes_mask = "mask" in params
        if not isinstance(inspect.getattr_static(cls, "_makes_mask", None), property):  # a model decides per instance
            cls._makes_mask = cls.compute_mask is not Layer.compute_mask
        if "__init__" in cls.__dict__:
            cls.__init__ = _checked_init(cls, cls.__dict__["__init__"])
        # Private bases (_Conv, _Pooling, ...) are not loadable names, and the classic namespace's
        # twins (lamina.keras) load under their lamina class's name.
        if not cls.__name__.startswith("_") and not cls.__dict__.get("_keras_namespace"):
            register("layer")(cls)

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None,
                 batch_input_shape=None, input_dim=None, batch_size=None,
                 activity_regularizer=None, **kwargs):
        super().__init__()
        if kwargs:
            self._reject_kwargs(kwargs)
        cls_name = type(self).__name__
        if name is None:
            name = unique_name(to_snake_case(cls_name))
        elif not isinstance(name, str) or not name:
            raise ValueError(f"{cls_name} expects name to be a non-empty string. Received: name={name!r}.")
        else:
            reserve_name(name)
        self.name = name
        self._trainable = bool(trainable)
        self._init_dtype_policy(dtype)  # dtype_policy, compute_dtype, variable_dtype (lamina.mixed_precision)
        self.built = False
        self._weight_records: list[_WeightRecord] = []
        self._inbound_nodes: list = []
        self._build_shape = None
        self.activity_regularizer = _regularizers.get(activity_regularizer)
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            if isinstance(input_shape, int):
                input_shape = (input_shape,)
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        else:
            self._batch_input_shape = None
        # Keras layers run in inference mode unless called with training=True;
        # model.train() (plain torch) switches the default.
        self.train(False)

    def _reject_kwargs(self, kwargs):
        cls_name = type(self).__name__
        own = [p for p in inspect.signature(type(self).__init__).parameters if p not in ("self", "kwargs")]
        base = ["trainable", "name", "dtype", "input_shape", "batch_input_shape", "input_dim",
                "batch_size", "activity_regularizer"]
        valid = sorted(set(own + base))
        from .._errors import did_you_mean
        bad = sorted(kwargs)
        _refuse_initial_weights(cls_name, bad)
        hint = did_you_mean(bad[0], valid)
        raise TypeError(f"{cls_name} got unexpected keyword argument(s) {', '.join(map(repr, bad))}. "
                        f"Valid arguments: {', '.join(valid)}{hint or '.'}")

    # ------------------------------------------------------------------ contract
    def build(self, input_shape) -> None:
        """Create the layer's weights. Layers without weights need not override it."""

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} must implement call(inputs).")

    def compute_output_shape(self, input_shape):
        """Output shape for a Keras input shape. Override for speed and for None sizes."""
        if self._elementwise:
            return input_shape
        return self._probe_output_shape(input_shape)

    # Masks: a layer with supports_masking (or an elementwise one) passes its input's mask on; a layer that
    # creates or changes one (Embedding(mask_zero=True), Masking, RNN) overrides compute_mask.
    supports_masking = False
    _call_takes_mask = _makes_mask = False

    def compute_mask(self, inputs, mask=None):
        """The mask of this layer's output (None: no mask), given its inputs and their mask."""
        return mask if self.supports_masking or self._elementwise else None

    def get_config(self) -> dict:
        cfg = {"name": self.name, "trainable": self.trainable}
        if self._dtype is not None:
            cfg["dtype"] = self._dtype
        if self._batch_input_shape is not None:
            cfg["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            cfg["activity_regularizer"] = serialize(self.activity_regularizer)
        return cfg

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def forward(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def __prepare_scriptable__(self):
        raise TypeError(f"torch.jit.script cannot compile '{self.name}' ({type(self).__name__}): lamina layers run "
                        f"Keras's Python logic (lazy build, shape checks, dtype policies) that TorchScript cannot "
                        f"compile. Use torch.jit.trace(model, example_input), or model.export(path, "
                        f"format='torchscript' | 'torch_export' | 'onnx').")

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        inputs = args[0] if args else kwargs.get("inputs")
        if not isinstance(inputs, torch.Tensor):
            if _is_symbolic(inputs):
                return symbolic_call(self, args, kwargs)
            inputs, args, kwargs = self._convert_inputs(inputs, args, kwargs)
        if not self.built:
            self._build_for(_shape_of(inputs), device=_first_device(inputs))
        if "training" in kwargs and not self._call_takes_training:
            del kwargs["training"]
        scope = getattr(_LOCAL, "scope", None)
        if scope is not None:
            return self._run_call(scope, inputs, args, kwargs)
        with LossScope() as scope:   # the outermost call: its losses are this call's own
            out = self._run_call(scope, inputs, args, kwargs)
        self._publish_losses(scope)
        return out

    def _run_call(self, scope, inputs, args, kwargs):
        try:
            out = (nn.Module.__call__(self, *args, **kwargs) if self._policy_call is None
                   else self._policy_call(self, args, kwargs))  # autocast / input casts of a dtype policy
        except RuntimeError as err:
            self._explain_runtime_error(inputs, err)
            raise
        if self.activity_regularizer is not None and not torch.is_inference_mode_enabled():
            for o in (out if isinstance(out, (list, tuple)) else [out]):
                # tf.keras divides the activity penalty by the batch size.
                scope.add(self, self.activity_regularizer(o) / o.shape[0])
        return out

    def _publish_losses(self, scope) -> None:
        """Record the losses of a finished outermost call on the layers that added them
        (what ``layer.losses`` reports); a call that adds none clears earlier ones."""
        if not scope.entries and not self.__dict__.get("_published_losses", False):
            return
        for layer in self._flatten_layers():
            layer.__dict__["_call_losses"] = []
        for layer, value in scope.entries:
            layer.__dict__.setdefault("_call_losses", []).append(value)
        self.__dict__["_published_losses"] = bool(scope.entries)

    def _convert_inputs(self, inputs, args, kwargs):
        """numpy arrays (or lists of them) -> tensors on the layer's device, as Keras accepts."""
        if inputs is None or isinstance(inputs, dict) or (
                isinstance(inputs, (list, tuple)) and inputs and isinstance(inputs[0], torch.Tensor)):
            return inputs, args, kwargs
        inputs = _as_tensor(inputs, self._device_hint())
        if args:
            args = (inputs,) + tuple(args[1:])
        else:
            kwargs["inputs"] = inputs
        return inputs, args, kwargs

    def add_loss(self, value, inputs=None) -> None:
        """Add a term to the loss from inside ``call()`` (Keras ``add_loss``).

        The value counts for the forward pass that is running: the training step adds it
        to the loss of that batch, and ``layer.losses`` reports it after the call.
        ``inputs`` is Keras 2's conditioning argument, accepted and ignored as Keras 2 itself
        did for losses added in ``call()``.
        """
        if not isinstance(value, torch.Tensor):
            value = torch.as_tensor(value, dtype=_config.dtype())
        scope = getattr(_LOCAL, "scope", None)
        if scope is not None:
            scope.add(self, value)
        else:   # call() run by hand (layer.call(x)): report it until the next call
            self.__dict__.setdefault("_call_losses", []).append(value)

    def _build_for(self, input_shape, device=None) -> None:
        self._check_input_spec(input_shape)
        self.build(input_shape)
        self._build_shape = input_shape
        self.built = True
        if device is not None and self._weight_records:
            self.to(device)
        if self._initial_weights is not None:
            self._apply_initial_weights()

    def _set_initial_weights(self, weights) -> None:
        """Keras 1/2 ``Layer(weights=[...])``: keep the arrays (Keras layout) for set_weights at build."""
        self._initial_weights = [weights] if isinstance(weights, np.ndarray) else list(weights)
        if self.built:
            self._apply_initial_weights()

    def _apply_initial_weights(self) -> None:
        weights, self._initial_weights = self._initial_weights, None
        try:
            self.set_weights(weights)
        except ValueError as err:
            raise ValueError(f"{type(self).__name__}(weights=[...]) for layer '{self.name}' does not fit the "
                             f"weights it built: {err} Pass the arrays in the order and Keras layout of "
                             f"layer.get_weights().") from None

    def _device_hint(self):
        for t in self._own_tensors():
            return t.device
        return None

    def _probe_output_shape(self, input_shape):
        """Find the output shape by running call() on zeros (batch of 1)."""
        def zeros(shape):
            if isinstance(shape, list):
                return [zeros(s) for s in shape]
            if any(d is None for d in shape[1:]):
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) cannot infer its output shape for input "
                    f"shape {format_shape(shape)} with unknown sizes. Implement compute_output_shape() "
                    f"or give the input a fixed shape.")
            return torch.zeros((1,) + tuple(shape[1:]), device=self._device_hint())
        was_built = self.built
        if not was_built:
            self._build_for(input_shape)
        with torch.no_grad(), LossScope():
            out = self.call(zeros(input_shape))
        return _shape_of(out)

    # ------------------------------------------------------------------ checks
    def _check_input_spec(self, input_shape) -> None:
        spec = self.input_spec
        if spec is None or isinstance(input_shape, list):
            return
        ndim = len(input_shape)
        problem = None
        if spec.ndim is not None and ndim != spec.ndim:
            problem = f"expects {spec.ndim}-D input"
        elif spec.min_ndim is not None and ndim < spec.min_ndim:
            problem = f"expects input of at least {spec.min_ndim} dimensions"
        elif spec.max_ndim is not None and ndim > spec.max_ndim:
            problem = f"expects input of at most {spec.max_ndim} dimensions"
        else:
            for axis, size in spec.axes.items():
                got = input_shape[axis] if -ndim <= axis < ndim else None
                if got is not None and got != size:
                    problem = f"expects axis {axis} of its input to have size {size}"
                    break
        if problem:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) {problem}{self._layout_hint()}. "
                             f"Received shape {format_shape(input_shape)}.{self._shape_fix_hint(input_shape)}")

    def _layout_hint(self) -> str:
        """E.g. ' (batch, rows, cols, channels)' for a Conv2D."""
        return ""

    def _shape_fix_hint(self, input_shape) -> str:
        return ""

    def _explain_runtime_error(self, inputs, err) -> None:
        if not isinstance(inputs, torch.Tensor):
            return
        msg = str(err)
        if "shape" not in msg and "size" not in msg and "dimension" not in msg:
            return
        shape = _shape_of(inputs)
        self._check_input_spec(shape)
        expected = self._build_shape
        if expected is not None and not isinstance(expected, list) and expected[1:] != shape[1:]:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) was built for input shape "
                f"{format_shape(expected)} but received shape {format_shape(shape)}. "
                f"Reshape the data to {format_shape(expected)} or build a new model for this shape."
            ) from err

    # ------------------------------------------------------------------ weights
    def add_weight(self, name=None, shape=None, initializer="glorot_uniform", regularizer=None,
                   trainable=True, dtype=None, constraint=None):
        """Create a weight of the given (Keras) shape, as in Keras custom layers.

        Returns an ``nn.Parameter`` (trainable) or a registered buffer (non-trainable).
        """
        if shape is None:
            raise ValueError(f"Layer '{self.name}': add_weight needs a shape, e.g. add_weight(shape=(784, 10)).")
        name = name or f"weight_{len(self._weight_records)}"
        return self._add_weight(name, tuple(int(d) for d in shape), initializer, regularizer,
                                trainable, to_torch=None, dtype=dtype, constraint=constraint)

    def _add_weight(self, name, keras_shape, initializer, regularizer=None, trainable=True,
                    to_torch: tuple | None = None, dtype=None, constraint=None, memory_format=None):
        """Create a weight initialised in Keras layout and stored permuted by ``to_torch``.

        ``memory_format`` (default ``torch.contiguous_format``) is the torch memory format of the
        stored tensor; ``set_weights`` and loading copy into the tensor, so it is kept.
        """
        init = _initializers.get(initializer)
        dt = getattr(torch, dtype) if isinstance(dtype, str) else (dtype or self._weight_dtype())
        with torch.no_grad():
            value = init(keras_shape, dtype=dt)
            if not isinstance(value, torch.Tensor):
                value = torch.as_tensor(np.asarray(value), dtype=dt)
            value = value.to(dt)
            if tuple(value.shape) != tuple(keras_shape):
                raise ValueError(f"Initializer {init!r} returned shape {tuple(value.shape)} for weight "
                                 f"'{name}' of layer '{self.name}'; expected {tuple(keras_shape)}.")
            if to_torch is not None:
                value = value.permute(*to_torch)
            if to_torch is not None or memory_format is not None:
                value = value.contiguous(memory_format=memory_format or torch.contiguous_format)
        attr = name
        if trainable:
            tensor = nn.Parameter(value, requires_grad=self._trainable)
            self.register_parameter(attr, tensor)
        else:
            self.register_buffer(attr, value)
            tensor = getattr(self, attr)
        to_keras = None if to_torch is None else tuple(int(i) for i in np.argsort(to_torch))
        from .. import constraints as _constraints
        self._weight_records.append(_WeightRecord(attr, name, to_keras, trainable,
                                                  _regularizers.get(regularizer), _constraints.get(constraint)))
        return tensor

    def __setattr__(self, name, value):
        # `self.w = self.add_weight(...)` must not register the same tensor twice.
        if isinstance(value, torch.Tensor) and "_weight_records" in self.__dict__:
            for rec in self._weight_records:
                if rec.attr != name and self._tensor(rec) is value:
                    object.__setattr__(self, name, value)
                    return
        super().__setattr__(name, value)

    def _tensor(self, rec: _WeightRecord) -> torch.Tensor:
        return self._parameters.get(rec.attr) if rec.attr in self._parameters else self._buffers[rec.attr]

    def _own_tensors(self):
        return [self._tensor(r) for r in self._weight_records]

    def _sublayers(self) -> list["Layer"]:
        """Direct child layers, in the order they were assigned."""
        return [m for m in self._modules.values() if isinstance(m, Layer)]

    def _flatten_layers(self, include_self=True):
        seen = set()
        stack = [self] if include_self else list(self._sublayers())
        out = []
        while stack:
            layer = stack.pop(0)
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack[0:0] = layer._sublayers()
        return out

    def _weight_items(self, include_sublayers=True):
        """(layer, record) pairs in creation order, each weight once."""
        items, seen = [], set()
        layers = self._flatten_layers() if include_sublayers else [self]
        for layer in layers:
            for rec in layer._weight_records:
                t = layer._tensor(rec)
                if id(t) not in seen:
                    seen.add(id(t))
                    items.append((layer, rec))
        return items

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = value
            for rec in layer._weight_records:
                if rec.trainable:
                    layer._tensor(rec).requires_grad_(value and layer._all_parents_trainable())

    def _all_parents_trainable(self) -> bool:
        return self._trainable

    def _is_trainable_weight(self, layer, rec) -> bool:
        return rec.trainable and layer._trainable and self._trainable

    @property
    def weights(self) -> list[torch.Tensor]:
        return [layer._tensor(rec) for layer, rec in self._weight_items()]

    @property
    def variables(self):
        return self.weights

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        return [layer._tensor(rec) for layer, rec in self._weight_items() if self._is_trainable_weight(layer, rec)]

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        return [layer._tensor(rec) for layer, rec in self._weight_items()
                if not self._is_trainable_weight(layer, rec)]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f"You called {what} on layer '{self.name}', which is not built yet: its weights are "
                f"created once it knows its input size. Call it on data, call build(input_shape), or "
                f"give the first layer input_shape=... .")

    def count_params(self) -> int:
        self._require_built("count_params()")
        return int(sum(t.numel() for t in self.weights))

    def get_weights(self) -> list[np.ndarray]:
        """Weights as numpy arrays in Keras layout (Dense kernel (in, out), Conv2D (kh, kw, in, out))."""
        out = []
        for layer, rec in self._weight_items():
            t = layer._tensor(rec).detach()
            if rec.to_keras is not None:
                t = t.permute(*rec.to_keras)
            out.append(t.cpu().numpy().copy())
        return out

    def set_weights(self, weights) -> None:
        """Set weights from numpy arrays in Keras layout (the order of get_weights())."""
        items = self._weight_items()
        weights = list(weights)
        if len(weights) != len(items):
            want = ", ".join(f"{layer.name}/{rec.name} {self._keras_shape(layer, rec)}" for layer, rec in items)
            raise ValueError(f"Layer '{self.name}' expects {len(items)} weight arrays ({want}); "
                             f"received {len(weights)}. Pass the list get_weights() returns.")
        for (layer, rec), w in zip(items, weights):
            arr = np.asarray(w)
            want = self._keras_shape(layer, rec)
            if tuple(arr.shape) != want:
                raise ValueError(f"Weight '{rec.name}' of layer '{layer.name}' has Keras shape {want}; "
                                 f"received an array of shape {tuple(arr.shape)}.")
            t = layer._tensor(rec)
            value = torch.as_tensor(arr, dtype=t.dtype)
            if rec.to_keras is not None:
                value = value.permute(*np.argsort(rec.to_keras).tolist())
            with torch.no_grad():
                t.copy_(value)

    @staticmethod
    def _keras_shape(layer, rec) -> tuple:
        shape = tuple(layer._tensor(rec).shape)
        return shape if rec.to_keras is None else tuple(shape[i] for i in rec.to_keras)

    @property
    def losses(self) -> list[torch.Tensor]:
        """The weight regularization penalties of this layer and its sublayers, then the
        ``add_loss`` values and activity penalties of their most recent call, as tensors."""
        penalties = [rec.regularizer(layer._tensor(rec)) for layer, rec in self._weight_items()
                     if rec.regularizer is not None]
        added = [v for layer in self._flatten_layers() for v in layer.__dict__.get("_call_losses", ())]
        return penalties + added

    # ------------------------------------------------------------------ shapes
    def _first_node(self, what):
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer '{self.name}' has no {what} yet: it has not been connected to a symbolic input. "
                f"Use it in a Sequential with input_shape=..., or call it on lamina.Input(...).")
        return self._inbound_nodes[0]

    @property
    def input(self):
        node = self._first_node("input")
        return node.input_tensors[0] if len(node.input_tensors) == 1 else list(node.input_tensors)

    @property
    def output(self):
        node = self._first_node("output")
        return node.output_tensors[0] if len(node.output_tensors) == 1 else list(node.output_tensors)

    @property
    def input_shape(self):
        if self._inbound_nodes:
            shapes = [t.shape for t in self._inbound_nodes[0].input_tensors]
            return shapes[0] if len(shapes) == 1 else shapes
        if self._build_shape is not None:
            return self._build_shape
        if self._batch_input_shape is not None:
            return self._batch_input_shape
        raise AttributeError(f"Layer '{self.name}' has no input_shape yet: it has not been built or called.")

    @property
    def output_shape(self):
        if self._inbound_nodes:
            shapes = [t.shape for t in self._inbound_nodes[0].output_tensors]
            return shapes[0] if len(shapes) == 1 else shapes
        return self.compute_output_shape(self.input_shape)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


def _first_device(x):
    return next((t.device for t in nest.flatten(x) if isinstance(t, torch.Tensor)), None)


def _checked_init(cls, init):
    """Wrap a layer's __init__ so bad arguments get lamina's error instead of Python's."""
    import functools

    sig = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        # Only at the outermost constructor, not in super().__init__ chains; a class that
        # inherits its __init__ (Conv2D from _Conv) is checked as itself.
        if type(self).__init__ is __init__:
            owner = type(self)
            translate = owner._argument_translator
            if translate is not None:
                args, kwargs = translate(owner, args, kwargs)
            try:
                sig.bind(self, *args, **kwargs)
            except TypeError as err:
                _explain_bad_arguments(owner, sig, args, kwargs, err)
        init(self, *args, **kwargs)
    return __init__


def _refuse_initial_weights(cls_name, unknown):
    if unknown == ["weights"]:  # Keras 1/2's initial weights; Keras 3 refuses them too
        raise TypeError(f"{cls_name} does not take weights= (initial weights are a Keras 1/2 argument; Keras 3 "
                        f"refuses it too). Build the layer, then call layer.set_weights([...]) with the same arrays, "
                        f"or use the layer of the classic namespace (lamina.keras.layers), which still takes "
                        f"weights=.") from None


def _explain_bad_arguments(cls, sig, args, kwargs, err):
    from .._errors import did_you_mean
    params = [p for p in sig.parameters.values() if p.name != "self"]
    named = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    base = ["trainable", "name", "dtype", "input_shape", "batch_input_shape", "input_dim", "batch_size",
            "activity_regularizer"]
    valid = sorted(set(named + base))
    takes_var_kw = any(p.kind is p.VAR_KEYWORD for p in params)
    unknown = sorted(k for k in kwargs if k not in valid or (not takes_var_kw and k not in named))
    _refuse_initial_weights(cls.__name__, unknown)
    if unknown:
        raise TypeError(f"{cls.__name__} got unexpected keyword argument(s) {', '.join(map(repr, unknown))}. "
                        f"Valid arguments: {', '.join(valid)}{did_you_mean(unknown[0], valid) or '.'}") from None
    required = [p.name for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                                               p.KEYWORD_ONLY)]
    missing = [n for i, n in enumerate(required) if i >= len(args) and n not in kwargs]
    if missing:
        raise TypeError(f"{cls.__name__} requires argument(s) {', '.join(map(repr, missing))}. Received: "
                        f"args={args!r}, kwargs={kwargs!r}. Example: {cls.__name__}("
                        f"{', '.join(m + '=...' for m in missing)}).") from None
    raise TypeError(f"{cls.__name__}: {err}. Received: args={args!r}, kwargs={kwargs!r}.") from None
