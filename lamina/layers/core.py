"""Core layers: Input, Dense, Activation, Lambda."""
from __future__ import annotations

import torch.nn.functional as F

from .. import activations as _activations
from .. import config as _config
from .. import constraints as _constraints
from .._errors import positive_int
from .._registry import serialize
from .base import InputSpec, Layer, format_shape

__all__ = ["InputLayer", "Input", "Dense", "Activation", "Lambda"]


class InputLayer(Layer):
    """The entry point of a functional graph; created by :func:`Input`."""

    _captures_global_policy = False  # its dtype is the input's, not a mixed-precision policy

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None,
                 input_shape=None, batch_input_shape=None, **kwargs):
        if batch_input_shape is not None:
            batch_shape = batch_input_shape
        if input_shape is not None and shape is None:
            shape = input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input needs a shape (without the batch axis), e.g. Input(shape=(28, 28, 1)).")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        for d in batch_shape[1:]:
            if d is not None and d <= 0:
                raise ValueError(f"Input expects positive sizes. Received: shape={batch_shape[1:]}.")
        super().__init__(name=name, dtype=dtype, **kwargs)
        self._batch_input_shape = batch_shape
        self.built = True
        self._build_shape = batch_shape
        from ..graph import KerasTensor, Node
        tensor = KerasTensor(batch_shape, dtype or _config.floatx(), name=self.name)
        Node(self, (), {}, [tensor])

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {"batch_shape": list(self._batch_input_shape), "dtype": self._dtype, "name": self.name}

    @property
    def output(self):
        return self._inbound_nodes[0].output_tensors[0]


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None, tensor=None, **kwargs):
    """A symbolic input for the functional API: ``x = Input(shape=(28, 28, 1))``."""
    if tensor is not None:
        return tensor
    layer = InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                       batch_shape=batch_shape, **kwargs)
    return layer.output


class Dense(Layer):
    """Fully connected layer: ``output = activation(inputs @ kernel + bias)``.

    Args:
        units: positive int, the output width.
        activation: name or callable (default None: linear).
        use_bias: bool (default True).
        kernel_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.

    Input shape: (batch, ..., input_dim). Output shape: (batch, ..., units).

    Example:
        >>> layer = Dense(10, activation="softmax", input_shape=(784,))
    """

    input_spec = InputSpec(min_ndim=2)
    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.kernel_constraint = _constraints.get(kernel_constraint)
        self.bias_constraint = _constraints.get(bias_constraint)
        self.units = positive_int("Dense", "units", units, "Pass the output width, e.g. Dense(64).")
        self.activation = _activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer

    def _shape_fix_hint(self, input_shape):
        if len(input_shape) < 2:
            return " Give each sample at least one feature axis, e.g. x.reshape(-1, 1)."
        return ""

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f"Layer '{self.name}' (Dense) needs the last axis of its input to be known. "
                             f"Received shape {format_shape(input_shape)}.")
        self.kernel = self._add_weight("kernel", (in_dim, self.units), self.kernel_initializer,
                                       self.kernel_regularizer, to_torch=(1, 0), constraint=self.kernel_constraint)
        self.bias = (self._add_weight("bias", (self.units,), self.bias_initializer, self.bias_regularizer,
                                      constraint=self.bias_constraint) if self.use_bias else None)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})

    def call(self, inputs):
        return _activations.apply_to_fresh(self.activation, F.linear(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": _activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": serialize(self.kernel_initializer),
                "bias_initializer": serialize(self.bias_initializer),
                "kernel_regularizer": serialize(self.kernel_regularizer),
                "bias_regularizer": serialize(self.bias_regularizer),
                "kernel_constraint": serialize(self.kernel_constraint),
                "bias_constraint": serialize(self.bias_constraint)}

    def extra_repr(self):
        act = getattr(self.activation, "__name__", "custom")
        return f"name={self.name!r}, units={self.units}, activation={act}"


class Activation(Layer):
    """Applies an activation function: ``Activation('relu')``."""

    _elementwise = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = _activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": _activations.serialize(self.activation)}


class Lambda(Layer):
    """Wraps an arbitrary function of the input.

    lamina never stores or runs code from a file: a model with a Lambda cannot be saved
    whole (save its weights with ``model.save_weights``), and a Keras file that holds a
    Lambda (marshalled bytecode) is refused by ``load_model`` with a ``LoadError``, with
    ``safe_mode=True`` or ``False``. Rebuild such a model in code and call
    ``model.load_weights(path)``.

    Example:
        >>> layer = Lambda(lambda x: x * 2)
    """

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda expects a callable. Received: function={function!r}.")
        self.function = function
        self._output_shape = output_shape
        self.arguments = arguments or {}

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return self._probe_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return (input_shape[0] if not isinstance(input_shape, list) else None,) + tuple(self._output_shape)

    def get_config(self):
        raise ValueError(
            f"Lambda layer '{self.name}' wraps Python code, which lamina never stores in a model file. "
            f"Replace it with a registered custom layer (lamina.saving.register_serializable), or save "
            f"only the weights with model.save_weights().")


