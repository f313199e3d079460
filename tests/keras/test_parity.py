"""lamina against the real Keras 3 (torch backend): same weights, same inputs, same outputs (atol 1e-5).

Every layer type lamina shares with Keras, in both data formats where it has one, 'same'
padding with stride 2, BatchNormalization in inference and in training (outputs and the
updated moving statistics), and one update (three steps) of each optimizer. Skipped only
where the keras package is not installed.
"""
import os

import numpy as np
import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")
try:
    import keras
except ImportError:  # pragma: no cover - CI installs keras through the dev extra
    keras = None

from lamina import layers as L  # noqa: E402
from lamina import optimizers as lopt  # noqa: E402

pytestmark = [pytest.mark.skipif(keras is None, reason="the keras package is not installed (pip install 'keras>=3')"),
              pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")]
ATOL = 1e-5


def _np(x):
    return keras.ops.convert_to_numpy(x) if keras is not None else x


def _compare(lamina_layer, keras_layer, *inputs, training=False, atol=ATOL):
    """Build both on the inputs, copy lamina's weights into Keras, compare the outputs."""
    xs = [np.asarray(x, dtype="float32") for x in inputs]
    arg = xs if len(xs) > 1 else xs[0]
    ours = lamina_layer([torch.from_numpy(x) for x in xs] if len(xs) > 1 else torch.from_numpy(xs[0]),
                       training=training)
    keras_layer(arg if len(xs) > 1 else arg)  # builds
    weights = lamina_layer.get_weights()
    if weights:
        keras_layer.set_weights(weights)
    theirs = _np(keras_layer(arg, training=training))
    np.testing.assert_allclose(ours.detach().numpy(), theirs, atol=atol, rtol=1e-5)
    return ours, theirs


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _randomize(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") * 0.5 for w in layer.get_weights()])


# ---------------------------------------------------------------------------- core and convolution
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "softmax", "elu", "selu", "softplus", "softsign",
                                        "linear", "hard_sigmoid", "swish", "gelu", "exponential"])
def test_dense_with_each_activation(activation):
    ours = L.Dense(7, activation=activation)
    ours(torch.zeros(1, 5))
    _randomize(ours)
    _compare(ours, keras.layers.Dense(7, activation=activation), _x(4, 5))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding,strides,dilation", [("valid", 1, 1), ("same", 1, 1), ("same", 2, 1),
                                                      ("valid", 2, 1), ("same", 1, 2), ("valid", 1, 2)])
def test_conv2d(data_format, padding, strides, dilation):
    shape = (2, 9, 10, 3) if data_format == "channels_last" else (2, 3, 9, 10)
    args = dict(filters=4, kernel_size=(3, 2), strides=strides, padding=padding, dilation_rate=dilation,
                data_format=data_format, activation="relu")
    ours = L.Conv2D(**args)
    ours(torch.zeros(shape))
    _randomize(ours)
    _compare(ours, keras.layers.Conv2D(**args), _x(*shape))


@pytest.mark.parametrize("data_format,padding,strides", [
    (fmt, pad, st) for fmt in ("channels_last", "channels_first") for pad, st in
    (("valid", 1), ("same", 2), ("causal", 1), ("valid", 2)) if not (pad == "causal" and fmt == "channels_first")])
def test_conv1d(data_format, padding, strides):
    """(Keras has causal padding for channels_last only.)"""
    shape = (2, 11, 3) if data_format == "channels_last" else (2, 3, 11)
    args = dict(filters=4, kernel_size=3, strides=strides, padding=padding, data_format=data_format)
    ours = L.Conv1D(**args)
    ours(torch.zeros(shape))
    _randomize(ours)
    _compare(ours, keras.layers.Conv1D(**args), _x(*shape))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding,strides", [("valid", 1), ("same", 2), ("valid", 2), ("same", 1)])
def test_conv2d_transpose(data_format, padding, strides):
    shape = (2, 5, 6, 3) if data_format == "channels_last" else (2, 3, 5, 6)
    args = dict(filters=2, kernel_size=3, strides=strides, padding=padding, data_format=data_format)
    ours = L.Conv2DTranspose(**args)
    ours(torch.zeros(shape))
    _randomize(ours)
    _compare(ours, keras.layers.Conv2DTranspose(**args), _x(*shape))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kind", ["DepthwiseConv2D", "SeparableConv2D"])
def test_depthwise_and_separable(kind, data_format):
    shape = (2, 8, 8, 3) if data_format == "channels_last" else (2, 3, 8, 8)
    args = dict(kernel_size=3, strides=2, padding="same", data_format=data_format)
    if kind == "SeparableConv2D":
        args["filters"] = 5
    ours = getattr(L, kind)(**args)
    ours(torch.zeros(shape))
    _randomize(ours)
    _compare(ours, getattr(keras.layers, kind)(**args), _x(*shape))


# ---------------------------------------------------------------------------- pooling and reshaping
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kind", ["MaxPooling2D", "AveragePooling2D"])
@pytest.mark.parametrize("pool,strides,padding", [(2, None, "valid"), (3, 2, "same"), (2, 2, "same"), (3, 1, "valid")])
def test_pooling2d(kind, data_format, pool, strides, padding):
    shape = (2, 7, 8, 3) if data_format == "channels_last" else (2, 3, 7, 8)
    args = dict(pool_size=pool, strides=strides, padding=padding, data_format=data_format)
    if kind == "AveragePooling2D" and (pool, strides, padding) == (3, 2, "same"):
        # Here the 'same' padding is uneven (8 columns: 0 left, 1 right). Keras's torch backend then pads by
        # replicating the edge and averages the copies; TensorFlow (and lamina) average the real cells only.
        x = _x(*shape)
        ours = getattr(L, kind)(**args)(torch.from_numpy(x)).numpy()
        cl = x if data_format == "channels_last" else x.transpose(0, 2, 3, 1)
        want = _tf_average_pool_same(cl, pool, strides)
        np.testing.assert_allclose(ours if data_format == "channels_last" else ours.transpose(0, 2, 3, 1), want,
                                   atol=ATOL)
        return
    _compare(getattr(L, kind)(**args), getattr(keras.layers, kind)(**args), _x(*shape))


def _tf_average_pool_same(x, k, s):
    """TensorFlow's 'same' average pooling (channels_last): windows clipped to the input, real cells averaged."""
    n, h, w, c = x.shape
    oh, ow = -(-h // s), -(-w // s)
    top = max((oh - 1) * s + k - h, 0) // 2
    left = max((ow - 1) * s + k - w, 0) // 2
    out = np.zeros((n, oh, ow, c), "float32")
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - top, j * s - left
            win = x[:, max(r0, 0):min(r0 + k, h), max(c0, 0):min(c0 + k, w)]
            out[:, i, j] = win.mean(axis=(1, 2))
    return out


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kind", ["MaxPooling1D", "AveragePooling1D"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling1d(kind, data_format, padding):
    shape = (2, 9, 3) if data_format == "channels_last" else (2, 3, 9)
    args = dict(pool_size=2, strides=2, padding=padding, data_format=data_format)
    _compare(getattr(L, kind)(**args), getattr(keras.layers, kind)(**args), _x(*shape))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kind", ["GlobalMaxPooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
                                  "GlobalAveragePooling1D"])
def test_global_pooling(kind, data_format):
    shape = (2, 5, 6, 3) if kind.endswith("2D") else (2, 5, 3)
    if data_format == "channels_first":
        shape = (shape[0], shape[-1]) + shape[1:-1]
    _compare(getattr(L, kind)(data_format=data_format), getattr(keras.layers, kind)(data_format=data_format),
             _x(*shape))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_flatten(data_format):
    _compare(L.Flatten(data_format=data_format), keras.layers.Flatten(data_format=data_format), _x(2, 3, 4, 5))


def test_reshape_and_permute():
    _compare(L.Reshape((4, -1)), keras.layers.Reshape((4, -1)), _x(2, 3, 4, 2))
    _compare(L.Permute((3, 1, 2)), keras.layers.Permute((3, 1, 2)), _x(2, 3, 4, 5))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_zero_padding_and_upsampling(data_format):
    x = _x(2, 4, 5, 3) if data_format == "channels_last" else _x(2, 3, 4, 5)
    _compare(L.ZeroPadding2D(((1, 2), (0, 3)), data_format=data_format),
             keras.layers.ZeroPadding2D(((1, 2), (0, 3)), data_format=data_format), x)
    for interpolation in ("nearest", "bilinear"):
        _compare(L.UpSampling2D((2, 3), data_format=data_format, interpolation=interpolation),
                 keras.layers.UpSampling2D((2, 3), data_format=data_format, interpolation=interpolation), x)


# ---------------------------------------------------------------------------- normalization and regularization
@pytest.mark.parametrize("axis,shape", [(-1, (6, 4, 5, 3)), (1, (6, 3, 4, 5)), (-1, (8, 7))])
def test_batch_normalization_inference(axis, shape):
    ours = L.BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-3)
    ours(torch.zeros(shape))
    rng = np.random.default_rng(3)
    n = shape[axis]
    ours.set_weights([rng.normal(size=n).astype("float32"), rng.normal(size=n).astype("float32"),
                      rng.normal(size=n).astype("float32"), rng.uniform(0.5, 2, size=n).astype("float32")])
    _compare(ours, keras.layers.BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-3), _x(*shape))


@pytest.mark.parametrize("axis,shape", [(-1, (6, 4, 5, 3)), (1, (6, 3, 4, 5)), (-1, (8, 7))])
def test_batch_normalization_training_and_moving_statistics(axis, shape):
    ours = L.BatchNormalization(axis=axis, momentum=0.8)
    theirs = keras.layers.BatchNormalization(axis=axis, momentum=0.8)
    x = _x(*shape) * 3 + 1
    ours(torch.from_numpy(x))
    theirs(x)
    _randomize(ours)
    theirs.set_weights(ours.get_weights())
    for step in range(2):  # two updates of the moving statistics
        a = ours(torch.from_numpy(x + step), training=True).detach().numpy()
        b = _np(theirs(x + step, training=True))
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("make", [lambda m: m.Dropout(0.5), lambda m: m.SpatialDropout2D(0.5),
                                  lambda m: m.GaussianNoise(0.3), lambda m: m.GaussianDropout(0.3)])
def test_regularization_layers_are_identity_at_inference(make):
    _compare(make(L), make(keras.layers), _x(2, 4, 4, 3))


def test_dropout_in_training_scales_kept_units_like_keras():
    x = np.ones((200, 50), "float32")
    ours = L.Dropout(0.4)(torch.from_numpy(x), training=True).numpy()
    theirs = _np(keras.layers.Dropout(0.4)(x, training=True))
    assert set(np.unique(ours)) == set(np.unique(theirs)) == {0.0, np.float32(1 / 0.6)}


# ---------------------------------------------------------------------------- activations and merging
@pytest.mark.parametrize("make", [
    lambda m: m.ReLU(), lambda m: m.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2),
    lambda m: m.LeakyReLU(negative_slope=0.2), lambda m: m.ELU(alpha=0.7), lambda m: m.Softmax(axis=1),
    lambda m: m.Activation("tanh"), lambda m: m.Activation("relu6")])
def test_activation_layers(make):
    _compare(make(L), make(keras.layers), _x(3, 4, 5))


def test_prelu_with_shared_axes():
    ours = L.PReLU(shared_axes=[1, 2])
    ours(torch.zeros(1, 4, 5, 3))
    _randomize(ours)
    _compare(ours, keras.layers.PReLU(shared_axes=[1, 2]), _x(2, 4, 5, 3))


@pytest.mark.parametrize("kind", ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"])
def test_merge_layers(kind):
    n = 2 if kind == "Subtract" else 3
    _compare(getattr(L, kind)(), getattr(keras.layers, kind)(), *[_x(2, 4, 3, seed=i) for i in range(n)])


@pytest.mark.parametrize("axis", [-1, 1])
def test_concatenate(axis):
    _compare(L.Concatenate(axis=axis), keras.layers.Concatenate(axis=axis), _x(2, 3, 4), _x(2, 3, 4, seed=2))


# ---------------------------------------------------------------------------- a whole model
def test_seed_cnn_gives_keras_outputs_with_keras_weights():
    """The seeds' CS4487 CNN (channels_first, 'same' stride 2): Keras weights in lamina, same predictions."""
    def build(m, **seq):
        return [m.Conv2D(10, (5, 5), strides=(2, 2), activation="relu", padding="same", data_format="channels_first"),
                m.Conv2D(40, (5, 5), strides=(2, 2), activation="relu", padding="same", data_format="channels_first"),
                m.Conv2D(80, (5, 5), strides=(1, 1), activation="relu", padding="same", data_format="channels_first"),
                m.Flatten(), m.Dense(50, activation="relu"), m.Dense(10, activation="softmax")]
    import lamina
    theirs = keras.Sequential([keras.Input((1, 28, 28))] + build(keras.layers))
    ours = lamina.Sequential([lamina.Input((1, 28, 28))] + build(L))
    assert ours.count_params() == theirs.count_params() == 286940
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).random((5, 1, 28, 28)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), _np(theirs(x)), atol=ATOL)


# ---------------------------------------------------------------------------- optimizers
OPTIMIZERS = [
    ("SGD", dict(learning_rate=0.1)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    ("RMSprop", dict(learning_rate=0.01)),
    ("RMSprop", dict(learning_rate=0.01, momentum=0.5, centered=True)),
    ("Adam", dict(learning_rate=0.01)),
    ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    ("AdamW", dict(learning_rate=0.01, weight_decay=0.1)),
    ("Adadelta", dict(learning_rate=1.0)),
    ("Adagrad", dict(learning_rate=0.1)),
    ("Adamax", dict(learning_rate=0.01)),
    ("Nadam", dict(learning_rate=0.01)),
    ("SGD", dict(learning_rate=0.1, clipnorm=0.5)),
    ("Adam", dict(learning_rate=0.01, global_clipnorm=0.3)),
]


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{n}-{'-'.join(k)}" for n, k in OPTIMIZERS])
def test_optimizer_steps_match_keras(name, kwargs):
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(4, 3)).astype("float32")
    grads = [rng.normal(size=(4, 3)).astype("float32") for _ in range(3)]
    param = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    ours = getattr(lopt, name)(**kwargs)
    ours.build([param])
    var = keras.Variable(w0.copy())
    theirs = getattr(keras.optimizers, name)(**kwargs)
    for g in grads:
        param.grad = torch.from_numpy(g.copy())
        ours.step()
        theirs.apply_gradients([(keras.ops.convert_to_tensor(g), var)])
        np.testing.assert_allclose(param.detach().numpy(), _np(var), atol=ATOL, rtol=1e-5)


def test_keras2_decay_matches_the_inverse_time_schedule_keras_uses():
    """Keras 2's decay=d is lr / (1 + d * t); Keras 3 spells it InverseTimeDecay(lr, 1, d)."""
    from lamina.keras import optimizers as legacy
    rng = np.random.default_rng(1)
    w0 = rng.normal(size=(5,)).astype("float32")
    param = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    ours = legacy.SGD(0.1, 0.9, 0.01)
    ours.build([param])
    var = keras.Variable(w0.copy())
    schedule = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.01)
    theirs = keras.optimizers.SGD(learning_rate=schedule, momentum=0.9)
    for _ in range(4):
        g = rng.normal(size=(5,)).astype("float32")
        param.grad = torch.from_numpy(g.copy())
        ours.step()
        theirs.apply_gradients([(keras.ops.convert_to_tensor(g), var)])
    np.testing.assert_allclose(param.detach().numpy(), _np(var), atol=ATOL)


# ---------------------------------------------------------------------------- preprocessing layers
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_sizing_layers(data_format):
    x = _x(2, 9, 12, 3) if data_format == "channels_last" else _x(2, 3, 9, 12)
    _compare(L.CenterCrop(5, 7, data_format=data_format), keras.layers.CenterCrop(5, 7, data_format=data_format), x)
    for interpolation in ("nearest", "bilinear"):
        _compare(L.Resizing(6, 8, interpolation=interpolation, data_format=data_format),
                 keras.layers.Resizing(6, 8, interpolation=interpolation, data_format=data_format), x, atol=1e-4)


def test_rescaling_and_normalization():
    x = _x(4, 5, 3)
    _compare(L.Rescaling(1 / 255.0, offset=-0.5), keras.layers.Rescaling(1 / 255.0, offset=-0.5), x)
    mean, var = [0.5, -1.0, 2.0], [4.0, 0.25, 1.0]
    _compare(L.Normalization(mean=mean, variance=var), keras.layers.Normalization(mean=mean, variance=var), x)


@pytest.mark.parametrize("make", [lambda m: m.RandomFlip(), lambda m: m.RandomRotation(0.2),
                                  lambda m: m.RandomZoom(0.2), lambda m: m.RandomTranslation(0.1, 0.1),
                                  lambda m: m.RandomContrast(0.3)])
def test_random_augmentation_layers_are_identity_at_inference(make):
    _compare(make(L), make(keras.layers), np.abs(_x(2, 8, 8, 3)) * 50)
