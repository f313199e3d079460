"""InceptionV3, Xception and DenseNet: Keras's parameter counts, layer names, classes, shapes and
configurations layer by layer against real Keras 3, Keras-written weights giving Keras's outputs,
preprocessing per family, and the argument errors."""
import numpy as np
import pytest
import torch
from weightfiles import keras_module, write_keras_h5

from lamina import Input, config
from lamina import layers as L
from lamina.applications import (DenseNet121, DenseNet169, DenseNet201, InceptionV3, Xception, densenet,
                                 inception_v3, xception)

# Small inputs (the families' minimum sizes): each Keras model builds in about a second.
CASES = {
    "InceptionV3": (dict(include_top=True, input_shape=(75, 75, 3), classes=7),
                    dict(include_top=False, input_shape=(75, 75, 3), pooling="max")),
    "Xception": (dict(include_top=True, input_shape=(71, 71, 3), classes=3, classifier_activation=None),
                 dict(include_top=False, input_shape=(71, 80, 3))),
    "DenseNet121": (dict(include_top=True, input_shape=(32, 32, 3), classes=5),
                    dict(include_top=False, input_shape=(40, 32, 3), pooling="avg")),
}


@pytest.fixture(scope="module")
def keras_models():
    """{family: (Keras model with the top, without)}, each built after clear_session (fresh auto-names),
    with non-trivial BatchNormalization statistics so that loading them is a real check."""
    keras = keras_module()
    rng = np.random.default_rng(5)
    built = {}
    for family, kwargs in CASES.items():
        pair = []
        for kw in kwargs:
            keras.backend.clear_session()
            model = getattr(keras.applications, family)(weights=None, **kw)
            for w in model.weights:
                if "moving_variance" in w.path:
                    w.assign(rng.uniform(0.5, 2.0, w.shape).astype("float32"))
                elif "moving_mean" in w.path or "beta" in w.path or "bias" in w.path or "gamma" in w.path:
                    w.assign(rng.normal(0.1 if "gamma" in w.path else 0.0, 0.1, w.shape).astype("float32"))
            pair.append(model)
        built[family] = tuple(pair)
    return built


@pytest.mark.parametrize("factory,total", [
    (InceptionV3, 23_851_784), (Xception, 22_910_480), (DenseNet121, 8_062_504), (DenseNet169, 14_307_880),
    (DenseNet201, 20_242_984)], ids=["inception_v3", "xception", "densenet121", "densenet169", "densenet201"])
def test_parameter_counts_are_keras_counts(factory, total):
    with torch.device("meta"):  # full-size networks without allocating their weights
        model = factory(weights=None)
    assert model.count_params() == total
    assert model.input_shape == ((None, 299, 299, 3) if factory in (InceptionV3, Xception) else (None, 224, 224, 3))


def _rows(model):
    return sorted((layer.name, type(layer).__name__, tuple(layer.output.shape), layer.count_params())
                  for layer in model.layers[1:])


@pytest.mark.parametrize("top", [True, False], ids=["top", "notop"])
@pytest.mark.parametrize("family", list(CASES))
def test_layers_match_keras(keras_models, family, top):
    import lamina.applications as A
    kw = CASES[family][0 if top else 1]
    ours = getattr(A, family)(weights=None, **kw)
    theirs = keras_models[family][0 if top else 1]
    assert ours.name == theirs.name and ours.count_params() == theirs.count_params()
    assert tuple(ours.output_shape) == tuple(theirs.output_shape)
    # The same layers (names, classes, shapes, counts); model.layers orders branches differently.
    assert _rows(ours) == _rows(theirs)
    for a in ours.layers[1:]:
        b = theirs.get_layer(a.name)
        if isinstance(a, L.BatchNormalization):
            assert (a.axis % 4, a.epsilon, a.momentum, a.scale, a.center) == (
                b.axis % 4, b.epsilon, b.momentum, b.scale, b.center), a.name
        if isinstance(a, (L.Conv2D, L.SeparableConv2D, L.AveragePooling2D, L.MaxPooling2D)):
            assert (a.strides, a.padding) == (tuple(b.strides), b.padding), a.name
        if isinstance(a, L.Concatenate):
            assert a.axis % 4 == b.axis % 4, a.name


@pytest.mark.parametrize("family", list(CASES))
def test_keras3_weights_file_gives_keras_outputs(keras_models, family, tmp_path):
    keras = keras_module()
    import lamina.applications as A
    rng = np.random.default_rng(1)
    for kw, theirs in zip(CASES[family], keras_models[family]):
        path = tmp_path / f"{family}_{kw['include_top']}.weights.h5"
        theirs.save_weights(path)
        A.InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))  # our auto-names move on
        ours = getattr(A, family)(weights=str(path), **kw)
        x = rng.uniform(-1, 1, (2,) + kw["input_shape"]).astype("float32")
        np.testing.assert_allclose(ours.predict(x, verbose=0), keras.ops.convert_to_numpy(theirs(x)),
                                   rtol=1e-4, atol=1e-4)


def test_keras2_file_numbered_from_one_loads_by_creation_order(tmp_path):
    """Keras 2's Xception/InceptionV3 files name the auto-named layers conv2d_1, conv2d_2, ...;
    they load into a model whose own auto-names start elsewhere, matched by order of creation."""
    source = Xception(weights=None, include_top=False, input_shape=(71, 71, 3), pooling="avg", name="src")
    rng = np.random.default_rng(2)
    source.set_weights([rng.normal(0.0, 0.05, w.shape).astype("float32") + (1.0 if w.ndim == 1 else 0.0)
                        for w in source.get_weights()])
    layers = []
    for layer in source.layers:
        name = layer.name
        if name.startswith(("conv2d", "batch_normalization", "add")):  # Keras 2 counts from 1
            base, _, num = name.rpartition("_") if name[-1].isdigit() else (name, "", "0")
            name = f"{base}_{int(num) + 1}"
        weights = layer.get_weights()
        layers.append((name, [(f"{name}/w{i}:0", w) for i, w in enumerate(weights)]))
    path = tmp_path / "xception_keras2_notop.h5"
    write_keras_h5(path, layers)
    model = Xception(weights=str(path), include_top=False, input_shape=(71, 71, 3), pooling="avg")
    assert model.get_layer("conv2d_4").name == "conv2d_4"  # built second: its auto-names do not start at 0
    x = rng.uniform(-1, 1, (2, 71, 71, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), source.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_a_file_of_another_network_names_the_missing_layer(tmp_path, keras_models):
    path = tmp_path / "densenet.weights.h5"
    keras_models["DenseNet121"][1].save_weights(path)
    with pytest.raises(ValueError, match=r"Cannot load Keras weights file .*densenet\.weights\.h5' into InceptionV3 "
                                         r"'inception_v3': the file has no weights for layer"):
        InceptionV3(weights=str(path), include_top=False, input_shape=(75, 75, 3))


def test_input_tensor_and_channels_first():
    x_in = Input(shape=(75, 75, 3))
    model = InceptionV3(weights=None, include_top=False, input_tensor=L.Rescaling(1 / 127.5, offset=-1)(x_in),
                        pooling="avg")
    assert model.inputs == [x_in] and model.output_shape == (None, 2048)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 75, 75, 3)).astype("float32")
    config.set_image_data_format("channels_first")
    try:
        first = InceptionV3(weights=None, include_top=False, input_shape=(3, 75, 75), name="cf")
        assert first.get_layer("mixed10").axis == 1 and first.output_shape == (None, 2048, 1, 1)
    finally:
        config.set_image_data_format("channels_last")
    last = InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
    first.set_weights(last.get_weights())
    bns = [(a, b) for a, b in zip(last.layers, first.layers) if isinstance(a, L.BatchNormalization)]
    for a, b in bns:  # non-trivial statistics, so BatchNormalization's axis matters
        a.moving_variance.data.uniform_(0.5, 2.0)
        b.moving_variance.data.copy_(a.moving_variance)
    np.testing.assert_allclose(first.predict(x.transpose(0, 3, 1, 2), verbose=0).transpose(0, 2, 3, 1),
                               last.predict(x, verbose=0), rtol=1e-4, atol=1e-4)


def test_preprocess_input_per_family():
    x = np.array([[[[0.0, 127.5, 255.0]]]], "float32")
    for module in (inception_v3, xception):
        np.testing.assert_allclose(module.preprocess_input(x.copy()), [[[[-1.0, 0.0, 1.0]]]])
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(densenet.preprocess_input(x.copy()), (x / 255.0 - mean) / std, rtol=1e-6)
    np.testing.assert_allclose(densenet.preprocess_input(torch.from_numpy(x)).numpy(), (x / 255.0 - mean) / std,
                               rtol=1e-6)
    top = inception_v3.decode_predictions(np.eye(1000)[[386]], top=1)
    assert top == [[("n02504458", "African_elephant", 1.0)]]


def test_keras_module_paths():
    import lamina.keras.applications as KA
    from lamina.keras.applications.densenet import DenseNet121 as D
    from lamina.keras.applications.inception_v3 import preprocess_input
    assert D is DenseNet121 and KA.InceptionV3 is InceptionV3 and KA.Xception is Xception
    assert preprocess_input is inception_v3.preprocess_input
    assert KA.xception.preprocess_input is xception.preprocess_input


@pytest.mark.parametrize("call,error,match", [
    (lambda: InceptionV3(weights=None, include_top=False, input_shape=(74, 90, 3)), ValueError,
     r"InceptionV3 needs inputs of at least 75x75 pixels .* Received: input_shape=\(74, 90, 3\)"),
    (lambda: Xception(weights=None, include_top=False, input_shape=(70, 70, 3)), ValueError,
     r"Xception needs inputs of at least 71x71 pixels"),
    (lambda: DenseNet121(weights=None, include_top=False, input_shape=(31, 32, 3)), ValueError,
     r"DenseNet121 needs inputs of at least 32x32 pixels"),
    (lambda: InceptionV3(weights="imagenet", input_shape=(224, 224, 3)), ValueError,
     r"InceptionV3 with include_top=True and weights='imagenet' takes input_shape=\(299, 299, 3\)"),
    (lambda: Xception(weights="imagenet", classes=10), ValueError,
     r"Xception with weights='imagenet' and include_top=True has the 1000 ImageNet classes\. Received: classes=10"),
    (lambda: DenseNet121(weights="imagenet", classifier_activation="relu"), ValueError,
     r"DenseNet121 with pretrained weights and include_top=True allows classifier_activation=None \(logits\) or "
     r"'softmax'\. Received: classifier_activation='relu'"),
    (lambda: Xception(weights=None, include_top=False, pooling="sum"), ValueError,
     r"Xception expects pooling to be one of 'avg', 'max'\. Received: pooling='sum'"),
    (lambda: InceptionV3(weights="imagenet", include_top=False), FileNotFoundError,
     r"InceptionV3\(weights='imagenet', include_top=False\) needs the weights file "
     r"'inception_v3_weights_tf_dim_ordering_tf_kernels_notop\.h5', which is not in lamina's cache"),
    (lambda: DenseNet121(weights="imagenet", include_top=True), FileNotFoundError,
     r"needs the weights file 'densenet121_weights_tf_dim_ordering_tf_kernels\.h5'.*LAMINA_OFFLINE is set"),
], ids=["inception_small", "xception_small", "densenet_small", "imagenet_top_size", "imagenet_classes",
        "classifier_activation", "pooling", "offline_inception", "offline_densenet"])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_densenet_refuses_channels_first_as_keras_does():
    config.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match=r"DenseNet121 supports only channels_last data, as in Keras\. Received: "
                                             r"lamina\.config\.image_data_format\(\)='channels_first'\. Call "
                                             r"lamina\.config\.set_image_data_format\('channels_last'\)"):
            DenseNet121(weights=None, include_top=False, input_shape=(3, 64, 64))
    finally:
        config.set_image_data_format("channels_last")
