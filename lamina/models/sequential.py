"""Sequential: a plain stack of layers, ``Sequential([Dense(64), Dense(10)])``."""
from __future__ import annotations

import torch

from .._naming import unique_name
from ..layers.base import Layer
from ..layers.core import Input, InputLayer
from .functional import Model, cast_to_input_dtype
from ..graph import KerasTensor

__all__ = ["Sequential"]


class Sequential(Model):
    """A linear stack of layers.

    Give the first layer ``input_shape=``/``input_dim=`` (or start with
    ``Input(...)``) and the model is built at once, so ``summary()`` works before
    training; otherwise it is built on the first batch it sees.

    Example:
        >>> model = Sequential([Dense(50, activation="relu", input_dim=784),
        ...                     Dense(10, activation="softmax")])
    """

    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name or unique_name("sequential"), trainable=trainable, **kwargs)
        self._seq_layers: list[Layer] = []
        self._seq_makes_masks = False   # some layer may create a mask: call() carries masks along
        self._input_tensor: KerasTensor | None = None
        if layers is not None:
            if isinstance(layers, Layer) or not isinstance(layers, (list, tuple)):
                layers = [layers]
            for layer in layers:
                self.add(layer)

    def add(self, layer) -> None:
        """Append a layer (or an ``Input(...)`` as the first item)."""
        if isinstance(layer, KerasTensor):
            if not isinstance(layer._keras_history[0], InputLayer) or self._seq_layers:
                raise ValueError("Sequential.add takes a symbolic tensor only as its first item, and only one "
                                 "from lamina.Input(...).")
            self._input_tensor = layer
            self._rebuild_graph()
            return
        if isinstance(layer, InputLayer):
            if self._seq_layers or self._input_tensor is not None:
                raise ValueError("An InputLayer can only be the first item of a Sequential.")
            self._input_tensor = layer.output
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a lamina layer, e.g. Dense(10). Received {layer!r} "
                            f"of type {type(layer).__name__}.")
        if any(existing.name == layer.name for existing in self._seq_layers):
            raise ValueError(f"Sequential '{self.name}' already has a layer named '{layer.name}'. "
                             f"Layer names in a model must be unique; pass name=... .")
        self._seq_layers.append(layer)
        self._seq_makes_masks = self._seq_makes_masks or layer._makes_mask
        self._register_layer(layer)
        if self._input_tensor is None and len(self._seq_layers) == 1:
            shape = layer._batch_input_shape
            if shape is None and isinstance(layer, Model) and layer._is_graph_network and len(layer.inputs) == 1:
                shape = layer.inputs[0].shape  # e.g. model.add(conv_base) with conv_base = VGG16(input_shape=...)
            if shape is not None:
                self._input_tensor = Input(batch_shape=shape)
        if self._input_tensor is not None:
            if self._is_graph_network and len(self._seq_layers) > 1:
                # Extend the graph instead of calling every layer again, so that layer.output stays
                # the tensor model.output is computed from (K.gradients(model.output, conv.output)).
                self._init_graph(self._input_tensor, layer(self.outputs[0]))
            else:
                self._rebuild_graph()
        else:
            self.built = False

    def pop(self) -> Layer:
        if not self._seq_layers:
            raise IndexError(f"Sequential '{self.name}' has no layers to pop.")
        layer = self._seq_layers.pop()
        self._seq_makes_masks = any(kept._makes_mask for kept in self._seq_layers)
        for key, mod in list(self._modules.items()):
            if mod is layer:
                del self._modules[key]
        if self._input_tensor is not None and self._seq_layers:
            self._rebuild_graph()
        return layer

    def _rebuild_graph(self) -> None:
        x = self._input_tensor
        for layer in self._seq_layers:
            x = layer(x)
        self._is_graph_network = True
        self._init_graph(self._input_tensor, x)

    def build(self, input_shape=None):
        if input_shape is None:
            if self._input_tensor is None:
                raise ValueError(f"Sequential '{self.name}' needs an input shape to build: "
                                 f"build((None, 784)), or give the first layer input_shape=... .")
            return
        if self._input_tensor is None:
            self._input_tensor = Input(batch_shape=tuple(input_shape))
        if self._seq_layers:
            self._rebuild_graph()
        self.built = True

    def _build_for(self, input_shape, device=None):
        if self._is_graph_network:
            return
        self.build(input_shape)
        self._build_shape = input_shape
        if device is not None:
            self.to(device)

    def call(self, inputs, training=None, mask=None):
        x = inputs if self._input_tensor is None else cast_to_input_dtype(inputs, self._input_tensor)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self._seq_makes_masks or mask is not None:
            return self._call_masked(x, training, mask)
        for layer in self._seq_layers:
            x = layer(x, training=training) if layer._call_takes_training else layer(x)
        return x

    def _call_masked(self, x, training, mask=None):
        """call() when some layer may create a mask (Embedding(mask_zero=True), Masking) or the
        input arrives with one: each layer whose call takes ``mask=`` receives it; the output
        carries it as ``_keras_mask``."""
        for layer in self._seq_layers:
            kw = {"mask": mask} if mask is not None and layer._call_takes_mask else {}
            y = layer(x, training=training, **kw) if layer._call_takes_training else layer(x, **kw)
            if getattr(layer, "_mask_from_output", False):     # a nested model: its graph made the mask
                mask = getattr(y, "_keras_mask", None) if isinstance(y, torch.Tensor) else None
            elif mask is not None or layer._makes_mask:
                mask = layer.compute_mask(x, mask)
            x = y
        if mask is not None and isinstance(x, torch.Tensor):
            x._keras_mask = mask
        return x

    @property
    def layers(self) -> list[Layer]:
        return list(self._seq_layers)

    def get_config(self):
        from ..saving.config import sequential_config
        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..saving.config import sequential_from_config
        return sequential_from_config(cls, config, custom_objects)
