"""Model: the functional graph (``Model(inputs, outputs)``) and subclassing
(``class MyModel(Model): def call(self, inputs): ...``).

Training methods (compile, fit, evaluate, predict) come from
:class:`lamina.training.engine.TrainingMixin`; saving from
:class:`lamina.saving.api.SavingMixin`.
"""
from __future__ import annotations

import torch

from .._naming import unique_name, to_snake_case
from ..layers.base import Layer, LossScope, current_loss_scope, format_shape
from ..layers.core import InputLayer
from ..saving.api import SavingMixin
from ..training.engine import TrainingMixin
from ..graph import GraphPlan, KerasTensor, flatten, is_shape, pack_like, topological_nodes

__all__ = ["Model"]


class Model(TrainingMixin, SavingMixin, Layer):
    """A network: layers connected in a graph, with training and saving methods.

    Functional: ``Model(inputs=x_in, outputs=y)``. Subclassed: define layers in
    ``__init__`` and the forward pass in ``call(self, inputs, training=None)``.
    """

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", None)
        outputs = kwargs.pop("outputs", None)
        if args:
            if len(args) > 2:
                raise TypeError(f"Model takes (inputs, outputs); received {len(args)} positional arguments.")
            inputs = args[0]
            outputs = args[1] if len(args) > 1 else outputs
        if inputs is None and outputs is not None or inputs is not None and outputs is None:
            raise ValueError("A functional Model needs both inputs and outputs: Model(inputs=x_in, outputs=y).")
        self._is_graph_network = inputs is not None
        if kwargs.get("name") is None:
            base = "functional" if self._is_graph_network or type(self) is Model else to_snake_case(type(self).__name__)
            kwargs["name"] = unique_name(base)
        Layer.__init__(self, **{k: v for k, v in kwargs.items() if k in ("name", "trainable", "dtype")})
        rest = {k: v for k, v in kwargs.items() if k not in ("name", "trainable", "dtype")}
        if rest:
            self._reject_kwargs(rest)
        self._init_training_state()
        if self._is_graph_network:
            self._init_graph(inputs, outputs)

    # ------------------------------------------------------------------ graph
    def _init_graph(self, inputs, outputs) -> None:
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        flat_in = flatten(inputs)
        flat_out = flatten(outputs)
        if not flat_in or not flat_out:
            raise ValueError(f"Model inputs and outputs must be symbolic tensors (from lamina.Input and layer "
                             f"calls). Received inputs={inputs!r}, outputs={outputs!r}.")
        for t in flat_in:
            if not isinstance(t._keras_history[0], InputLayer):
                raise ValueError(f"Model inputs must be tensors returned by lamina.Input(). Received {t!r}, "
                                 f"which comes from layer '{t._keras_history[0].name}'.")
        self.inputs = flat_in
        self.outputs = flat_out
        nodes = topological_nodes(flat_in, flat_out)
        layers: list[Layer] = []
        for t in flat_in:
            if t._keras_history[0] not in layers:
                layers.append(t._keras_history[0])
        for node in nodes:   # operations on symbolic tensors (x[:, 0], K.mean) are steps, not layers
            if isinstance(node.layer, Layer) and node.layer not in layers:
                layers.append(node.layer)
        names = [layer.name for layer in layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"All layer names in a model must be unique; {', '.join(map(repr, dup))} appears "
                             f"more than once. Pass a distinct name= to each layer.")
        self._graph_layers = layers
        self._graph_nodes = nodes
        self._symbolic_losses = []
        for layer in layers:
            self._register_layer(layer)
        self._compile_plan()
        self.built = True
        shapes = [t.shape for t in flat_in]
        self._build_shape = shapes[0] if len(shapes) == 1 else shapes

    def _register_layer(self, layer: Layer) -> None:
        key = layer.name.replace(".", "_")
        if key in self._modules and self._modules[key] is layer:
            return
        if hasattr(type(self), key) or key in self.__dict__ or key in self._modules:
            key = f"layer_{key}"
        self.add_module(key, layer)

    def _compile_plan(self) -> None:
        self._plan = GraphPlan(self.inputs, self.outputs, self._symbolic_losses)

    @property
    def graph_plan(self) -> GraphPlan:
        """The steps a forward pass runs (:class:`lamina.graph.GraphPlan`): layers and operations in
        order, with numbered slots for tensors."""
        self._require_graph("graph_plan")
        return self._plan

    def _run_graph(self, inputs, training=None, mask=None):
        def apply(layer, a, kwargs, takes_training):
            return layer(a, training=training, **kwargs) if takes_training else layer(a, **kwargs)
        flat = [cast_to_input_dtype(v, t) for v, t in zip(self._flatten_inputs(inputs), self.inputs)]
        input_masks = None if mask is None else list(mask) if isinstance(mask, (list, tuple)) else [mask]
        outs, losses = self._plan.run(flat, apply, masks=True, input_masks=input_masks)
        scope = current_loss_scope()
        if scope is not None:
            for value in losses:
                scope.add(self, value)
            for fn in self._callable_losses:
                scope.add(self, fn())
        if isinstance(self._nested_outputs, KerasTensor):
            return outs[0]
        return pack_like(self._nested_outputs, outs, is_leaf=lambda t: isinstance(t, KerasTensor))

    def _flatten_inputs(self, inputs) -> list:
        n = len(self.inputs)
        if isinstance(inputs, dict):
            names = [t._keras_history[0].name for t in self.inputs]
            missing = [k for k in names if k not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}' expects inputs named {names}; missing {missing}. "
                                 f"Received keys {sorted(inputs)}.")
            return [inputs[k] for k in names]
        if isinstance(inputs, (list, tuple)) and n > 1:
            if len(inputs) != n:
                raise ValueError(f"Model '{self.name}' expects {n} inputs "
                                 f"({', '.join(format_shape(t.shape) for t in self.inputs)}); received "
                                 f"{len(inputs)}. Pass a list with one array per input.")
            return list(inputs)
        if n > 1:
            raise ValueError(f"Model '{self.name}' expects {n} inputs; received a single array. Pass a list "
                             f"with one array per input: "
                             f"{', '.join(format_shape(t.shape) for t in self.inputs)}.")
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
            return list(inputs)
        return [inputs]

    # ------------------------------------------------------------------ Layer API
    @property
    def _callable_losses(self) -> list:
        return self.__dict__.get("_zero_arg_losses", [])

    def add_loss(self, value) -> None:
        """Add a loss term. Inside ``call()``: a tensor, for that forward pass. On a functional
        model (the Keras 2 pattern): a symbolic tensor computed from the model's inputs and layers
        (``vae.add_loss(K.mean(kl))``), or a function of no arguments (``lambda: 1e-3 * K.sum(w ** 2)``);
        either is then added to every training batch's loss."""
        if isinstance(value, KerasTensor) or (isinstance(value, (list, tuple)) and flatten(value)):
            if not self._is_graph_network:
                raise ValueError(f"Model '{self.name}': add_loss() of a symbolic tensor needs a functional model "
                                 f"(Model(inputs, outputs)). In a subclassed model call self.add_loss(tensor) "
                                 f"inside call().")
            tensors = flatten(value)
            self._symbolic_losses.extend(tensors)
            self._compile_plan()
            self._graph_nodes = self._plan.nodes
            return
        if callable(value) and not isinstance(value, torch.Tensor):
            self.__dict__.setdefault("_zero_arg_losses", []).append(value)
            return
        Layer.add_loss(self, value)

    def call(self, inputs, training=None, mask=None):
        if not self._is_graph_network:
            raise NotImplementedError(
                f"Model subclass {type(self).__name__} must define call(self, inputs, training=None).")
        return self._run_graph(inputs, training=training, mask=mask)

    # Nested in another model, a model passes masks on as Keras 3 does: it takes the masks its
    # inputs arrive with (mask=), and its outputs' masks are those its own graph computed.
    _mask_from_output = True

    @property
    def _makes_mask(self) -> bool:
        if "_seq_makes_masks" in self.__dict__:
            return self._seq_makes_masks
        plan = self.__dict__.get("_plan")
        return plan is not None and plan.makes_masks

    def _defines_call(self) -> bool:
        """True for a graph model or a subclass with its own call() (a GAN that only overrides
        train_step has none, so there is nothing to build by calling it)."""
        return self._is_graph_network or type(self).call is not Model.call

    def build(self, input_shape):
        if self._is_graph_network:
            return
        # Subclassed model: run call() once on zeros so every sublayer creates its weights.
        def zeros(shape):
            if isinstance(shape, list):
                return [zeros(s) for s in shape]
            if any(d is None for d in shape[1:]):
                raise ValueError(f"Model '{self.name}' cannot be built for input shape {format_shape(shape)} "
                                 f"with unknown sizes; pass concrete sizes, e.g. build((None, 28, 28, 1)).")
            return torch.zeros((1,) + tuple(shape[1:]))
        shape = list(input_shape) if isinstance(input_shape, list) else tuple(input_shape)
        with torch.no_grad(), LossScope():
            self.call(zeros(shape))
        self.built = True
        self._build_shape = shape

    def _build_for(self, input_shape, device=None):
        if self._is_graph_network:
            return
        Layer._build_for(self, input_shape, device=None)
        if device is not None:
            self.to(device)

    def compute_output_shape(self, input_shape):
        if self._is_graph_network:
            return self._infer_output_shapes(input_shape)
        return self._probe_output_shape(input_shape)

    def _infer_output_shapes(self, input_shape):
        in_shapes = input_shape if isinstance(input_shape, list) and not is_shape(input_shape) else [input_shape]
        if [tuple(s) for s in in_shapes] == [t.shape for t in self.inputs]:
            outs = [t.shape for t in self.outputs]
        else:
            outs, _ = self._plan.run([tuple(shp) for shp in in_shapes],
                                     lambda layer, a, kwargs, _: layer.compute_output_shape(a))
        return outs[0] if len(outs) == 1 else outs

    def _check_input_spec(self, input_shape):
        if not self._is_graph_network:
            return
        in_shapes = input_shape if isinstance(input_shape, list) and not is_shape(input_shape) else [input_shape]
        if len(in_shapes) != len(self.inputs):
            return
        for t, shp in zip(self.inputs, in_shapes):
            want = t.shape
            if len(shp) != len(want) or any(w is not None and g is not None and w != g
                                             for w, g in zip(want[1:], shp[1:])):
                first = self._first_layer_after(t)
                at = f" (first layer '{first.name}' ({type(first).__name__}))" if first is not None else ""
                raise ValueError(
                    f"Model '{self.name}' expects input shape {format_shape(want)}{at}; received shape "
                    f"{format_shape(tuple(shp))}.{_reshape_hint(want, shp)}")

    def _first_layer_after(self, tensor):
        return self._plan.first_consumer(tensor)

    # ------------------------------------------------------------------ access
    @property
    def layers(self) -> list[Layer]:
        if self._is_graph_network:
            return list(self._graph_layers)
        return self._sublayers()

    def get_layer(self, name=None, index=None) -> Layer:
        layers = self.layers
        if index is not None:
            if name is not None:
                raise ValueError("get_layer takes name or index, not both.")
            if not isinstance(index, int) or not -len(layers) <= index < len(layers):
                raise ValueError(f"Model '{self.name}' has {len(layers)} layers (indices 0..{len(layers) - 1}); "
                                 f"received index={index!r}.")
            return layers[index]
        if name is None:
            raise ValueError("get_layer needs name=... or index=... .")
        for layer in layers:
            if layer.name == name:
                return layer
        from .._errors import unknown_name_error
        raise unknown_name_error(f"layer name in model '{self.name}':", name, [l.name for l in layers])

    @property
    def input(self):
        self._require_graph("input")
        return self.inputs[0] if len(self.inputs) == 1 else list(self.inputs)

    @property
    def output(self):
        self._require_graph("output")
        return self.outputs[0] if len(self.outputs) == 1 else list(self.outputs)

    @property
    def input_shape(self):
        if self._is_graph_network:
            shapes = [t.shape for t in self.inputs]
            return shapes[0] if len(shapes) == 1 else shapes
        return Layer.input_shape.fget(self)

    @property
    def output_shape(self):
        if self._is_graph_network:
            shapes = [t.shape for t in self.outputs]
            return shapes[0] if len(shapes) == 1 else shapes
        return self.compute_output_shape(self.input_shape)

    @property
    def input_names(self):
        return [t._keras_history[0].name for t in self.inputs]

    @property
    def output_names(self):
        return [t._keras_history[0].name for t in self.outputs]

    def _require_graph(self, what):
        if not self._is_graph_network:
            raise AttributeError(
                f"Model '{self.name}' has no symbolic {what}: it is not a graph of layers yet. Give the first "
                f"layer input_shape=..., start with lamina.Input(...), or call the model on data first.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False):
        """Print the Keras layer table (Layer (type) | Output Shape | Param #) and parameter totals."""
        from .summary import summary_text
        text = summary_text(self, line_length=line_length, positions=positions,
                            expand_nested=expand_nested, show_trainable=show_trainable)
        if print_fn is None:
            print(text)
        else:
            for line in text.split("\n"):
                print_fn(line)

    def get_config(self):
        if self._is_graph_network:
            from ..saving.config import functional_config
            return functional_config(self)
        cfg = {"name": self.name, "trainable": self.trainable}
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            from ..saving.config import functional_from_config
            return functional_from_config(cls, config, custom_objects)
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}"


def cast_to_input_dtype(value, input_tensor):
    """Integer (or bool) data fed to a float ``Input`` becomes that float type, as Keras 3 converts each
    input to its Input's dtype; integer Inputs (``Input(..., dtype='int64')``) keep their data as it is."""
    if not isinstance(value, torch.Tensor) or value.is_floating_point() or value.is_complex():
        return value
    want = input_tensor.dtype if isinstance(input_tensor.dtype, torch.dtype) else getattr(
        torch, str(input_tensor.dtype), None)
    return value.to(want) if isinstance(want, torch.dtype) and want.is_floating_point else value


def _reshape_hint(want, got) -> str:
    import math
    want_rest, got_rest = want[1:], tuple(got[1:])
    if None not in want_rest and None not in got_rest and math.prod(want_rest) == math.prod(got_rest):
        return f" The sizes match: reshape the data with x.reshape((-1,) + {tuple(want_rest)})."
    if len(want_rest) == 3 and len(got_rest) == 2:
        return f" Add the channel axis: x.reshape((-1,) + {tuple(want_rest)})."
    return ""
