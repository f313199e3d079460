"""The four networks: Keras's layer names, parameter counts and shapes; arguments and their errors."""
import numpy as np
import pytest
import torch
from weightfiles import keras_module

from lamina import Input, config
from lamina import layers as L
from lamina.applications import VGG16, VGG19, MobileNetV2, ResNet50


@pytest.mark.parametrize("factory,kwargs,total", [
    (VGG16, dict(include_top=False, input_shape=(150, 150, 3)), 14_714_688),
    (VGG16, {}, 138_357_544),
    (VGG19, {}, 143_667_240),
    (ResNet50, {}, 25_636_712),
    (MobileNetV2, {}, 3_538_984),
], ids=["vgg16_notop_150", "vgg16", "vgg19", "resnet50", "mobilenet_v2"])
def test_parameter_counts_are_keras_counts(factory, kwargs, total):
    with torch.device("meta"):  # full-size networks without allocating their weights
        model = factory(weights=None, **kwargs)
    assert model.count_params() == total


def test_vgg16_conv_base_at_150_is_the_seeds_table():
    conv_base = VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
    assert conv_base.name == "vgg16"
    rows = [(layer.name, type(layer).__name__, layer.output_shape, layer.count_params())
            for layer in conv_base.layers[1:7]]
    assert rows == [("block1_conv1", "Conv2D", (None, 150, 150, 64), 1792),
                    ("block1_conv2", "Conv2D", (None, 150, 150, 64), 36928),
                    ("block1_pool", "MaxPooling2D", (None, 75, 75, 64), 0),
                    ("block2_conv1", "Conv2D", (None, 75, 75, 128), 73856),
                    ("block2_conv2", "Conv2D", (None, 75, 75, 128), 147584),
                    ("block2_pool", "MaxPooling2D", (None, 37, 37, 128), 0)]
    assert conv_base.layers[-1].name == "block5_pool" and conv_base.output_shape == (None, 4, 4, 512)
    text = []
    conv_base.summary(print_fn=text.append)
    assert "block1_conv1 (Conv2D)        (None, 150, 150, 64)      1792" in [line.rstrip() for line in text]
    assert "Total params: 14,714,688" in text
    # kernels are held in channels_last memory (faster convolutions of channels_last data), same values
    kernel = conv_base.get_layer("block2_conv1").kernel
    assert kernel.shape == (128, 64, 3, 3) and kernel.is_contiguous(memory_format=torch.channels_last)


def test_no_top_default_input_takes_any_size():
    model = VGG16(weights=None, include_top=False)
    assert model.input_shape == (None, None, None, 3)
    out = model.predict(np.zeros((1, 40, 56, 3), "float32"), verbose=0)
    assert out.shape == (1, 1, 1, 512)


@pytest.mark.parametrize("family,kwargs", [
    ("VGG16", dict(include_top=False, input_shape=(32, 32, 3))),
    ("VGG19", dict(include_top=True, input_shape=(32, 32, 3), classes=3, classifier_activation=None)),
    ("ResNet50", dict(include_top=False, input_shape=(40, 48, 3), pooling="max")),
    ("ResNet50", dict(include_top=True, input_shape=(32, 32, 3), classes=4)),
    ("MobileNetV2", dict(include_top=True, input_shape=(33, 35, 3), classes=5, alpha=0.5)),
    ("MobileNetV2", dict(include_top=False, input_shape=(32, 32, 3), pooling="avg", alpha=1.3)),
], ids=["vgg16", "vgg19_top", "resnet50_max", "resnet50_top", "mobilenet_v2_odd_alpha05", "mobilenet_v2_alpha13"])
def test_layers_match_keras(family, kwargs):
    keras = keras_module()
    keras.backend.clear_session()  # Keras's auto-names start again, as lamina's do in every test
    import lamina.applications as A
    ours = getattr(A, family)(weights=None, **kwargs)
    theirs = getattr(keras.applications, family)(weights=None, **kwargs)

    def rows(model):
        return [(layer.name, type(layer).__name__, tuple(layer.output.shape), layer.count_params())
                for layer in model.layers[1:]]
    assert ours.name == theirs.name and ours.count_params() == theirs.count_params()
    assert tuple(ours.output_shape) == tuple(theirs.output_shape)
    if family == "ResNet50":
        # Same layers; the order of model.layers differs in branching graphs (lamina lists a block's
        # shortcut before its main path, Keras orders by depth from the output).
        assert sorted(rows(ours)) == sorted(rows(theirs))
    else:
        assert rows(ours) == rows(theirs)
    for a in ours.layers:
        if isinstance(a, L.BatchNormalization):
            b = theirs.get_layer(a.name)
            assert (a.axis % 4, a.epsilon, a.momentum) == (b.axis % 4, b.epsilon, b.momentum), a.name


def test_input_tensor_and_its_source_input():
    x_in = Input(shape=(48, 48, 3))
    scaled = L.Rescaling(1 / 255.0)(x_in)
    model = VGG19(weights=None, include_top=False, input_tensor=scaled, pooling="avg")
    assert model.inputs == [x_in] and model.output_shape == (None, 512)
    assert [layer.name for layer in model.layers[:3]] == [x_in._keras_history[0].name, "rescaling", "block1_conv1"]
    x = np.random.rand(2, 48, 48, 3).astype("float32") * 255
    direct = VGG19(weights=None, include_top=False, input_shape=(48, 48, 3), pooling="avg", name="direct")
    direct.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), direct.predict(x / 255.0, verbose=0), rtol=1e-4, atol=1e-5)


def test_channels_first_computes_the_same_as_channels_last():
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    last = ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))
    config.set_image_data_format("channels_first")
    try:
        first = ResNet50(weights=None, include_top=False, input_shape=(3, 32, 32), name="cf")
        assert first.get_layer("conv1_bn").axis == 1
    finally:
        config.set_image_data_format("channels_last")
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(first.predict(x.transpose(0, 3, 1, 2), verbose=0).transpose(0, 2, 3, 1),
                               last.predict(x, verbose=0), rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call,error,match", [
    (lambda: VGG16(weights=None, include_top=False, input_shape=(28, 28, 3)), ValueError,
     r"VGG16 needs inputs of at least 32x32 pixels \(its downsampling would shrink smaller images to nothing\)\. "
     r"Received: input_shape=\(28, 28, 3\)\. Resize the images up"),
    (lambda: MobileNetV2(weights=None, include_top=False, input_shape=(32, 16, 3)), ValueError,
     r"MobileNetV2 needs inputs of at least 32x32 pixels"),
    (lambda: VGG16(weights="imagenet", classes=2), ValueError,
     r"VGG16 with weights='imagenet' and include_top=True has the 1000 ImageNet classes\. Received: classes=2\. "
     r"For 2 classes of your own, use include_top=False"),
    (lambda: ResNet50(weights="imagenet", input_shape=(150, 150, 3)), ValueError,
     r"ResNet50 with include_top=True and weights='imagenet' takes input_shape=\(224, 224, 3\)"),
    (lambda: VGG16(weights="imagenet", include_top=False, input_shape=(150, 150, 1)), ValueError,
     r"VGG16 with pretrained weights needs 3 input channels \(RGB\)\. Received: input_shape=\(150, 150, 1\)"),
    (lambda: VGG16(weights=None, input_shape=(None, None, 3)), ValueError,
     r"VGG16 with include_top=True needs a fixed input size"),
    (lambda: VGG16(weights=None, include_top=False, input_shape=(150, 150)), ValueError,
     r"VGG16 expects input_shape to be a tuple of 3 ints \(rows, cols, channels\)\. Received: "
     r"input_shape=\(150, 150\)"),
    (lambda: VGG16(weights=None, include_top=False, pooling="mean"), ValueError,
     r"VGG16 expects pooling to be one of 'avg', 'max'\. Received: pooling='mean'"),
    (lambda: VGG16(weights=3), ValueError, r"VGG16 expects weights to be None \(random initialization\), 'imagenet' "
                                           r"or the path of a weights file\. Received: weights=3"),
    (lambda: VGG16(weights=None, classes=0), ValueError, r"VGG16 expects classes to be a positive int"),
    (lambda: VGG16(weights=None, include_top=False, input_tensor=np.zeros((1, 32, 32, 3))), TypeError,
     r"VGG16 expects input_tensor to be a symbolic tensor"),
    (lambda: MobileNetV2(weights="imagenet", alpha=0.6), ValueError,
     r"MobileNetV2 has imagenet weights for alpha in \(0\.35, 0\.5, 0\.75, 1\.0, 1\.3, 1\.4\)\. Received: alpha=0\.6"),
    (lambda: MobileNetV2(weights="imagenet", classifier_activation="sigmoid"), ValueError,
     r"MobileNetV2 with pretrained weights and include_top=True allows classifier_activation=None \(logits\) or "
     r"'softmax'\. Received: classifier_activation='sigmoid'"),
], ids=["too_small", "too_small_mobilenet", "classes_with_imagenet_top", "imagenet_top_size", "imagenet_grey",
        "top_unknown_size", "shape_rank", "pooling", "weights_type", "classes_zero", "input_tensor_array",
        "mobilenet_alpha", "classifier_activation"])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_model_too_small_for_its_input_says_so_at_predict():
    model = VGG16(weights=None, include_top=False)
    with pytest.raises(ValueError, match=r"block5_pool"):
        model.predict(np.zeros((1, 16, 16, 3), "float32"), verbose=0)
