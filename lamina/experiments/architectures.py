"""The networks of the two comparison tables, by name.

CS4487 (lecture 9b): logistic regression, MLPs on 784-pixel vectors, and the
course CNNs on 28x28x1 images (Conv 10@5x5 stride 2, Conv 40@5x5 stride 2,
Conv 80@5x5, Dense 50; 286,940 parameters). The handout's table writes the
second and third convolutions as "50x3x3" and "80x3x3", but its code and its
parameter count (286,940) are 40@5x5 and 80@5x5, which these follow.

Nielsen, "Neural Networks and Deep Learning", chapter 6 (network3.py): a
100-unit sigmoid layer, then one and two conv(5x5)-maxpool(2x2) layers with 20
and 40 maps, ReLU with L2 weight decay, a second 100-unit layer, and 1,000-unit
layers with dropout.

Every builder takes ``(input_shape, num_classes)``; vector networks flatten the
shape they are given into one input axis.
"""
from __future__ import annotations

import math

__all__ = ["ARCHITECTURES", "build_architecture"]

# network3.py's L2 term is 0.5 * lmbda * sum(w**2) / (training mini-batches); with lmbda=0.1 and
# 540 mini-batches of 10 (the sample's 5,400 training images) that is 9.3e-5 per batch loss.
_NIELSEN_L2 = 0.5 * 0.1 / 540


def _vector(widths, input_shape, num_classes, name):
    from .. import Sequential
    from ..layers import Dense, Input
    layers = [Input((math.prod(input_shape),))]
    layers += [Dense(w, activation="relu") for w in widths]
    layers.append(Dense(num_classes, activation="softmax"))
    return Sequential(layers, name=name)


def logreg(input_shape, num_classes):
    """Logistic regression: output(10), 7,850 parameters on MNIST."""
    return _vector([], input_shape, num_classes, "logreg")


def mlp50(input_shape, num_classes):
    """MLP: ReLU(50), output(10), 39,760 parameters."""
    return _vector([50], input_shape, num_classes, "mlp50")


def mlp200(input_shape, num_classes):
    """MLP: ReLU(200), output(10), 159,010 parameters."""
    return _vector([200], input_shape, num_classes, "mlp200")


def mlp1000(input_shape, num_classes):
    """MLP: ReLU(1000), output(10), 795,010 parameters."""
    return _vector([1000], input_shape, num_classes, "mlp1000")


def mlp500x2(input_shape, num_classes):
    """MLP: ReLU(500), ReLU(500), output(10), 648,010 parameters."""
    return _vector([500, 500], input_shape, num_classes, "mlp500x2")


def cnn_shallow(input_shape, num_classes):
    """Conv(10@5x5, stride 2), ReLU(50), output(10): 98,820 parameters."""
    from .. import Sequential
    from ..layers import Conv2D, Dense, Flatten, Input
    return Sequential([Input(tuple(input_shape)),
                       Conv2D(10, (5, 5), strides=(2, 2), activation="relu", padding="same"),
                       Flatten(), Dense(50, activation="relu"), Dense(num_classes, activation="softmax")],
                      name="cnn_shallow")


def _course_cnn(input_shape, num_classes, dropout, name):
    from .. import Sequential
    from ..layers import Conv2D, Dense, Dropout, Flatten, Input
    layers = [Input(tuple(input_shape)),
              Conv2D(10, (5, 5), strides=(2, 2), activation="relu", padding="same"),
              Conv2D(40, (5, 5), strides=(2, 2), activation="relu", padding="same"),
              Conv2D(80, (5, 5), strides=(1, 1), activation="relu", padding="same")]
    layers += [Dropout(0.5)] if dropout else []
    layers += [Flatten(), Dense(50, activation="relu")]
    layers += [Dropout(0.5)] if dropout else []
    layers.append(Dense(num_classes, activation="softmax"))
    return Sequential(layers, name=name)


def cnn_plain(input_shape, num_classes):
    """The course CNN without dropout: 286,940 parameters."""
    return _course_cnn(input_shape, num_classes, False, "cnn_plain")


def cnn(input_shape, num_classes):
    """The course CNN with dropout 0.5 after the convolutions and after Dense(50): 286,940 parameters."""
    return _course_cnn(input_shape, num_classes, True, "cnn")


def _nielsen(input_shape, num_classes, *, convs, dense, activation, l2, dropout, name):
    from .. import Sequential
    from ..layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
    from ..regularizers import L2
    reg = (lambda: L2(l2)) if l2 else (lambda: None)
    layers = [Input(tuple(input_shape))]
    for maps in convs:
        layers += [Conv2D(maps, (5, 5), activation=activation, kernel_regularizer=reg()), MaxPooling2D((2, 2))]
    layers.append(Flatten())
    for width in dense:
        layers += [Dropout(0.5)] if dropout else []
        layers.append(Dense(width, activation=activation, kernel_regularizer=reg()))
    layers += [Dropout(0.5)] if dropout else []
    layers.append(Dense(num_classes, activation="softmax", kernel_regularizer=reg()))
    return Sequential(layers, name=name)


def nielsen_fc(input_shape, num_classes):
    """Chapter 6 baseline: one fully connected layer of 100 sigmoid neurons (79,510 parameters)."""
    return _nielsen(input_shape, num_classes, convs=(), dense=(100,), activation="sigmoid", l2=0.0,
                    dropout=False, name="nielsen_fc")


def nielsen_conv1(input_shape, num_classes):
    """Conv(20@5x5)-maxpool(2x2), sigmoid FC(100), softmax."""
    return _nielsen(input_shape, num_classes, convs=(20,), dense=(100,), activation="sigmoid", l2=0.0,
                    dropout=False, name="nielsen_conv1")


def nielsen_conv2(input_shape, num_classes):
    """Two conv-pool layers (20 and 40 maps of 5x5), sigmoid FC(100), softmax."""
    return _nielsen(input_shape, num_classes, convs=(20, 40), dense=(100,), activation="sigmoid", l2=0.0,
                    dropout=False, name="nielsen_conv2")


def nielsen_relu(input_shape, num_classes):
    """Two conv-pool layers with ReLU and L2 weight decay (lmbda=0.1)."""
    return _nielsen(input_shape, num_classes, convs=(20, 40), dense=(100,), activation="relu", l2=_NIELSEN_L2,
                    dropout=False, name="nielsen_relu")


def nielsen_relu_fc2(input_shape, num_classes):
    """Two conv-pool layers, two ReLU FC(100) layers, L2 weight decay."""
    return _nielsen(input_shape, num_classes, convs=(20, 40), dense=(100, 100), activation="relu",
                    l2=_NIELSEN_L2, dropout=False, name="nielsen_relu_fc2")


def nielsen_dropout(input_shape, num_classes):
    """Two conv-pool layers, two ReLU FC(1000) layers, dropout 0.5 on the fully connected part."""
    return _nielsen(input_shape, num_classes, convs=(20, 40), dense=(1000, 1000), activation="relu", l2=0.0,
                    dropout=True, name="nielsen_dropout")


ARCHITECTURES = {
    "logreg": logreg, "mlp50": mlp50, "mlp200": mlp200, "mlp1000": mlp1000, "mlp500x2": mlp500x2,
    "cnn-shallow": cnn_shallow, "cnn-plain": cnn_plain, "cnn": cnn,
    "nielsen-fc": nielsen_fc, "nielsen-conv1": nielsen_conv1, "nielsen-conv2": nielsen_conv2,
    "nielsen-relu": nielsen_relu, "nielsen-relu-fc2": nielsen_relu_fc2, "nielsen-dropout": nielsen_dropout,
}


def build_architecture(build, input_shape, num_classes):
    """A model from a built-in name, a ``.py`` file defining ``build_model()``, or a callable."""
    import importlib.util
    import inspect
    from pathlib import Path

    from ..models import Model

    if isinstance(build, str) and not build.endswith(".py"):
        if build not in ARCHITECTURES:
            from .._errors import did_you_mean
            raise ValueError(f"Unknown architecture {build!r}. Expected one of {', '.join(ARCHITECTURES)}, a "
                             f"Python file defining build_model(), or a callable"
                             f"{did_you_mean(build, ARCHITECTURES) or '.'}")
        return ARCHITECTURES[build](input_shape, num_classes)
    source = build
    if isinstance(build, str):
        path = Path(build)
        if not path.is_file():
            raise ValueError(f"Model file {build} does not exist. Pass a Python file that defines "
                             f"build_model(), e.g. my_net.py.")
        spec = importlib.util.spec_from_file_location(f"lamina_compare_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        build = getattr(module, "build_model", None)
        if not callable(build):
            raise ValueError(f"{source} must define build_model() returning a lamina model; it does not.")
    try:
        n_params = len(inspect.signature(build).parameters)
    except (TypeError, ValueError):
        n_params = 2
    model = build(tuple(input_shape), num_classes) if n_params >= 2 else build()
    if not isinstance(model, Model):
        raise ValueError(f"The builder {source!r} returned {type(model).__name__}; expected a lamina model "
                         f"(Sequential or Model).")
    return model
