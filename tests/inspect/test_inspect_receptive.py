"""Receptive fields against hand-computed tables, conv_output_size against the CS231n notes."""
import numpy as np
import pytest
from matplotlib.figure import Figure

import lamina
from lamina import inspect
from lamina.layers import Concatenate, Conv2D, Dense, Flatten, MaxPooling2D, ZeroPadding2D

from inspect_models import channels_first_cnn, course_cnn


def table(model, **kw):
    """{name: (output size, jump, size, start)} for the row axis (the tests use square models)."""
    return {r["name"]: (r["output_size"][0], r["jump"][0], r["size"][0], r["start"][0])
            for r in inspect.receptive_fields(model, **kw)}


# Computed by hand with n_out = (n + 2p - k)/s + 1, j_out = j*s, r_out = r + (k-1)j,
# start_out = start + ((k-1)/2 - p_left) j, from (n, 1, 1, 0.5). 'same' with stride 2 on 28 pads
# 3 cells: 1 before (TensorFlow's rule), 2 after.
COURSE_CNN = {
    "input": (28, 1, 1, 0.5),
    "conv2d": (14, 2, 5, 1.5),        # k5 s2, p_left 1
    "conv2d_1": (7, 4, 13, 3.5),      # k5 s2, p_left 1
    "conv2d_2": (7, 4, 29, 3.5),      # k5 s1, p_left 2
    "dropout": (7, 4, 29, 3.5),
    "flatten": (1, 4, 53, 15.5),      # sees all 7 units: 29 + 6*4
    "dense": (1, 4, 53, 15.5),
    "dropout_1": (1, 4, 53, 15.5),
    "dense_1": (1, 4, 53, 15.5),
}


def test_course_cnn_table():
    assert table(course_cnn()) == COURSE_CNN


def test_channels_first_course_cnn_gives_the_same_fields():
    got = table(channels_first_cnn())
    assert [v for v in got.values()][:4] == [COURSE_CNN[k] for k in ("input", "conv2d", "conv2d_1", "conv2d_2")]


def test_deep_learning_with_python_convnet():
    """The seeds' convnet: 3x3 convs (valid) and 2x2 max pooling."""
    from lamina.cli import zoo
    got = table(zoo.build("convnet", (28, 28, 1), 10))
    assert list(got.values())[:6] == [(28, 1, 1, 0.5), (26, 1, 3, 1.5), (13, 2, 4, 2.0), (11, 2, 8, 4.0),
                                      (5, 4, 10, 5.0), (3, 4, 18, 9.0)]


def test_alexnet_table_of_the_seeds_reference():
    """The AlexNet table printed by the receptive-field answer the seeds link to."""
    model = lamina.Sequential([
        Conv2D(2, 11, strides=4, input_shape=(227, 227, 1), name="conv1"),
        MaxPooling2D(3, strides=2, name="pool1"),
        ZeroPadding2D(2, name="pad2"), Conv2D(2, 5, name="conv2"),
        MaxPooling2D(3, strides=2, name="pool2"),
        Conv2D(2, 3, padding="same", name="conv3"), Conv2D(2, 3, padding="same", name="conv4"),
        Conv2D(2, 3, padding="same", name="conv5"),
        MaxPooling2D(3, strides=2, name="pool5"),
        Conv2D(2, 6, name="fc6_conv"), Conv2D(2, 1, name="fc7_conv")])
    got = table(model)
    del got["pad2"]
    assert got == {"input": (227, 1, 1, 0.5), "conv1": (55, 4, 11, 5.5), "pool1": (27, 8, 19, 9.5),
                   "conv2": (27, 8, 51, 9.5), "pool2": (13, 16, 67, 17.5), "conv3": (13, 16, 99, 17.5),
                   "conv4": (13, 16, 131, 17.5), "conv5": (13, 16, 163, 17.5), "pool5": (6, 32, 195, 33.5),
                   "fc6_conv": (1, 32, 355, 113.5), "fc7_conv": (1, 32, 355, 113.5)}


def test_output_sizes_agree_with_the_layers():
    model = course_cnn()
    for row, layer in zip(inspect.receptive_fields(model)[1:5], model.layers):
        assert row["output_size"] == tuple(layer.output_shape[1:3])


def test_functional_branches_keep_the_larger_field():
    inp = lamina.Input((32, 32, 1))
    a = Conv2D(2, 3, padding="same", name="a")(inp)
    b = Conv2D(2, 7, padding="same", name="b")(inp)
    m = Concatenate(name="cat")([a, b])
    out = Dense(2, name="out")(Flatten(name="f")(Conv2D(2, 3, padding="same", name="c")(m)))
    got = table(lamina.Model(inp, out))
    assert got["a"][2] == 3 and got["b"][2] == 7 and got["cat"][2] == 7 and got["c"][2] == 9


def test_plot_and_unknown_input_size():
    rows, fig = inspect.receptive_fields(course_cnn(), plot=True)
    assert isinstance(fig, Figure) and len(rows) == 9
    open_model = lamina.Sequential([Conv2D(2, 3, input_shape=(None, None, 1)), MaxPooling2D()])
    with pytest.raises(ValueError, match=r"accepts any input size .*pass input_size="):
        inspect.receptive_fields(open_model)
    assert table(open_model, input_size=(10, 10))["max_pooling2d"] == (4, 2, 4, 2.0)


@pytest.mark.parametrize("W, F, S, P, out", [
    (7, 3, 1, 0, 5),      # CS231n: 7x7 input, 3x3 filter, stride 1, no pad -> 5x5
    (7, 3, 2, 0, 3),      # ... stride 2 -> 3x3
    (227, 11, 4, 0, 55),  # AlexNet's first layer
    (5, 3, 2, 1, 3),      # the CS231n demo: W=5, F=3, S=2, P=1
    (224, 3, 1, 1, 224),  # VGG: 3x3, stride 1, pad 1 keeps the size
    (32, 5, 1, 2, 32),    # P = (F - 1)/2 with S = 1 keeps the size
])
def test_conv_output_size_examples(W, F, S, P, out):
    assert inspect.conv_output_size(W, F, S, P) == out


def test_conv_output_size_agrees_with_valid_conv_layers():
    for w, f, s in [(28, 5, 1), (28, 3, 2), (31, 4, 3), (10, 10, 1)]:
        if (w - f) % s:
            continue
        layer = Conv2D(1, f, strides=s)
        assert layer.compute_output_shape((None, w, w, 1))[1] == inspect.conv_output_size(w, f, s, 0)


def test_invalid_configurations_are_explained():
    # CS231n: W=10, P=0, F=3 cannot use S=2 since (10 - 3 + 0)/2 + 1 = 4.5.
    with pytest.raises(ValueError, match=r"\(W - F \+ 2P\)/S \+ 1 = \(10 - 3 \+ 0\)/2 \+ 1 = 4\.5 is not an "
                                         r"integer.*Settings that fit: S=1, F=2, F=4"):
        inspect.conv_output_size(10, 3, 2, 0)
    # The AlexNet paper's 224: (224 - 11)/4 + 1 is not an integer.
    with pytest.raises(ValueError, match=r"= 54\.25 is not an integer.*Settings that fit: S=3, F=8, F=12\."):
        inspect.conv_output_size(224, 11, 4, 0)
    with pytest.raises(ValueError, match=r"the filter \(F=9\) is larger than the padded input \(W \+ 2P = 7\)"):
        inspect.conv_output_size(5, 9, 1, 1)
    with pytest.raises(ValueError, match="expects S to be a positive int. Received: S=0"):
        inspect.conv_output_size(5, 3, 0, 0)
    # The suggested fixes do work.
    assert inspect.conv_output_size(224, 11, 3, 0) == 72
    assert inspect.conv_output_size(224, 12, 4, 0) == 54
    with pytest.raises(ValueError, match=r"\(10 - 3 \+ 0\)/3 \+ 1 = 3\.33333 is not an integer.*Settings that "
                                         r"fit: P=1, S=1, F=1, F=4"):
        inspect.conv_output_size(10, 3, 3, 0)
    assert inspect.conv_output_size(10, 3, 3, 1) == 4
    assert np.isclose(inspect.conv_output_size(10, 3, 1, 0), 8)


@pytest.mark.parametrize("name, last, size", [
    # Published receptive fields (Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional
    # Neural Networks", Distill 2019, table of TF-Slim models): same Keras/TF 'same' padding rules.
    ("VGG16", "block5_pool", 212),
    ("ResNet50", "conv5_block3_out", 483),
    ("MobileNetV2", "out_relu", 491),
])
def test_published_receptive_fields_of_the_applications(name, last, size):
    import warnings
    from lamina import applications
    model = getattr(applications, name)(weights=None, include_top=False, input_shape=(224, 224, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # every layer has an exact rule
        rows = {r["name"]: r for r in inspect.receptive_fields(model)}
    assert rows[last]["size"] == (size, size) and rows[last]["jump"] == (32, 32)
    assert rows[last]["output_size"] == (7, 7)
