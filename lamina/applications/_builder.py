"""What every application does around its layers: check the arguments, make the input, add the
top or the pooling, name the model and load its weights."""
from __future__ import annotations

import os

from .. import config as _config
from .._errors import check_choice, positive_int
from ..layers import Dense, GlobalAveragePooling2D, GlobalMaxPooling2D, Input
from ..models.functional import Model
from ..graph import KerasTensor
from . import imagenet_utils, weights as _weights

__all__: list[str] = []


def check_arguments(arch, weights, include_top, pooling, classes) -> int:
    """Keras's argument checks, with lamina's errors. Returns ``classes`` as an int."""
    name = arch.name
    if not (weights is None or (isinstance(weights, str) and weights == "imagenet")):
        if not isinstance(weights, (str, os.PathLike)):
            raise ValueError(f"{name} expects weights to be None (random initialization), 'imagenet' or the path "
                             f"of a weights file. Received: weights={weights!r}.")
        if not os.path.isfile(weights):
            raise FileNotFoundError(f"{name}: no weights file at {os.fspath(weights)!r}. Pass None (random "
                                    f"initialization), 'imagenet' or the path of a Keras .h5 file or a torchvision "
                                    f".pth state dict (current directory: {os.getcwd()!r}).")
    classes = positive_int(name, "classes", classes, "Pass the number of classes of the top, e.g. classes=1000.")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"{name} with weights='imagenet' and include_top=True has the 1000 ImageNet classes. "
                         f"Received: classes={classes}. For {classes} classes of your own, use "
                         f"include_top=False and add a new classifier on top (transfer learning).")
    if pooling is not None:
        check_choice(name, "pooling", pooling, ["avg", "max"])
    return classes


def image_input(arch, input_tensor, input_shape, include_top, weights, default_size=224, min_size=32):
    """(the tensor the network starts from, the model's inputs)."""
    if input_tensor is not None:
        if not isinstance(input_tensor, KerasTensor):
            raise TypeError(f"{arch.name} expects input_tensor to be a symbolic tensor, e.g. "
                            f"lamina.Input(shape=(150, 150, 3)) or a layer's output. Received "
                            f"{type(input_tensor).__name__}. To run the network on data, build it and call "
                            f"model.predict(x).")
        if input_shape is None:
            input_shape = input_tensor.shape[1:]
    shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=min_size, data_format=_config.image_data_format(),
        require_flatten=include_top, weights=weights, model_name=arch.name)
    if input_tensor is None:
        x = Input(shape=shape)
        return x, x
    return input_tensor, source_inputs(input_tensor)


def source_inputs(tensor):
    """The ``Input`` tensors a symbolic tensor is computed from (Keras's get_source_inputs)."""
    from ..layers.core import InputLayer
    found, seen, stack = [], set(), [tensor]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        node = t.node
        if isinstance(node.layer, InputLayer):
            found.append(t)
        else:
            stack.extend(reversed(node.input_tensors))
    return found[0] if len(found) == 1 else found


def top_or_pooling(arch, x, include_top, pooling, classes, classifier_activation, weights,
                   pool_names=(None, None)):
    """Add a global pooling (+ the classifier) the way Keras's applications do."""
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights, arch.name)
        return Dense(classes, activation=classifier_activation, name="predictions")(x)
    avg_name, max_name = pool_names
    if pooling == "avg":
        return GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name=max_name)(x)
    return x


def finish(arch, inputs, outputs, name, weights, include_top, imagenet_file=None):
    """The Model, with its weights loaded from the cache, a download, or a file."""
    model = Model(inputs, outputs, name=name)
    if weights == "imagenet":
        fname, origin, file_hash = imagenet_file
        path = _weights.get_file(fname, origin, file_hash, what=f"{arch.name}(weights='imagenet', "
                                                                f"include_top={include_top})")
        _weights.load_weights(model, path, arch)
    elif weights is not None:
        _weights.load_weights(model, weights, arch)
    return model
