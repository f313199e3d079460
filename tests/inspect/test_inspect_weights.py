"""Weights as images, the output-unit bar chart, conv filters, curves and image grids."""
import numpy as np
import pytest
from matplotlib.figure import Figure

import lamina
from lamina import inspect
from lamina.layers import Conv2D, Dense, Flatten

from inspect_models import course_cnn


def seed_mlp(hidden=50):
    """The seeds' 1-hidden-layer MLP on 784 inputs."""
    return lamina.Sequential([Dense(hidden, input_dim=784, activation="relu"), Dense(10, activation="softmax")])


def test_dense_weights_as_images_are_the_reshaped_kernel_columns():
    model = seed_mlp()
    images = inspect.dense_weights_as_images(model)
    W = model.get_layer(index=0).get_weights()[0]           # Keras layout (784, 50)
    # The seeds: filter_list = [W[:, i].reshape((28, 28)) for i in range(W.shape[1])]
    expected = np.stack([W[:, i].reshape((28, 28)) for i in range(W.shape[1])])
    np.testing.assert_array_equal(images, expected)
    # A layer works too, and other image shapes.
    np.testing.assert_array_equal(inspect.dense_weights_as_images(model.layers[0], image_shape=(14, 56)),
                                  np.stack([W[:, i].reshape((14, 56)) for i in range(50)]))


def test_dense_weights_plot_and_bad_shape():
    images, fig = inspect.dense_weights_as_images(seed_mlp(), plot=True)
    assert isinstance(fig, Figure) and len([a for a in fig.axes if a.images]) == 50
    with pytest.raises(ValueError, match=r"has 784 inputs, which cannot be reshaped to image_shape=\(20, 20\)"):
        inspect.dense_weights_as_images(seed_mlp(), image_shape=(20, 20))


def test_output_unit_weights_marks_the_strongest_inputs():
    model = seed_mlp()
    out = model.get_layer(index=1)
    W = out.get_weights()[0]               # (50, 10)
    d = 5
    res = inspect.output_unit_weights(out, d, k=4)
    np.testing.assert_array_equal(res["weights"], W[:, d])
    pos = [i for i in np.argsort(-W[:, d]) if W[i, d] > 0][:4]
    neg = [i for i in np.argsort(W[:, d]) if W[i, d] < 0][:4]
    assert res["positive"].tolist() == pos and res["negative"].tolist() == neg
    # The seeds' threshold form: highlight_green=(W[:, d] > 0.2), highlight_red=(W[:, d] < -0.2)
    res = inspect.output_unit_weights(out, d, threshold=0.2)
    np.testing.assert_array_equal(res["positive_mask"], W[:, d] > 0.2)
    np.testing.assert_array_equal(res["negative_mask"], W[:, d] < -0.2)


def test_output_unit_weights_figure_shows_hidden_units_with_frames():
    model = seed_mlp()
    res, fig = inspect.output_unit_weights(model.layers[1], 3, model=model, plot=True)
    image_axes = [a for a in fig.axes if a.images]
    assert len(image_axes) == 50           # the hidden units as 28x28 images
    framed = [a for a in image_axes if a.spines["top"].get_linewidth() == 3]
    assert len(framed) == len(res["positive"]) + len(res["negative"])
    with pytest.raises(ValueError, match=r"has 10 units \(0..9\); received unit=10"):
        inspect.output_unit_weights(model.layers[1], 10)


def test_conv_filters_are_the_keras_kernels():
    model = course_cnn()
    filters = inspect.conv_filters(model.layers[0])
    W = model.layers[0].get_weights()[0]      # (5, 5, 1, 10)
    # The seeds: flist = [squeeze(W[:, :, :, c]) for c in range(10)]
    assert filters.shape == (10, 5, 5, 1)
    for c in range(10):
        np.testing.assert_array_equal(filters[c], W[:, :, :, c])
    _, fig = inspect.conv_filters(model, plot=True)     # a model: its first Conv2D
    assert len([a for a in fig.axes if a.images]) == 10


def test_colour_filters_for_three_input_channels():
    model = lamina.Sequential([Conv2D(4, 3, input_shape=(16, 16, 3)), Flatten(), Dense(2)])
    filters, fig = inspect.conv_filters(model.layers[0], plot=True)
    assert filters.shape == (4, 3, 3, 3)
    shown = [a.images[0].get_array() for a in fig.axes if a.images]
    assert all(np.asarray(s).shape == (3, 3, 3) for s in shown)


def test_unbuilt_layer_has_no_weights():
    with pytest.raises(ValueError, match="layer 'dense' is not built yet"):
        inspect.dense_weights_as_images(Dense(10))


def test_smooth_curve_is_the_seeds_running_average():
    points = [1.0, 3.0, 2.0, 5.0]
    expected, prev = [], None
    for p in points:   # the seeds' smooth_curve
        prev = p if prev is None else prev * 0.8 + p * 0.2
        expected.append(prev)
    np.testing.assert_allclose(inspect.smooth_curve(points), expected)


def test_plot_history_panels_and_smoothing():
    hist = {"loss": [1.0, 0.6, 0.5], "val_loss": [1.1, 0.8, 0.9], "acc": [0.5, 0.7, 0.8], "val_acc": [0.4, 0.6, 0.7]}
    fig = inspect.plot_history(hist)                     # 'accuracy' finds the legacy 'acc'
    assert [a.get_title() for a in fig.axes] == ["loss", "acc"]
    assert len(fig.axes[0].lines) == 2
    fig = inspect.plot_history(hist, metrics=("loss",), smooth=0.8)
    smoothed = [l for l in fig.axes[0].lines if "smoothed" in l.get_label()]
    np.testing.assert_allclose(smoothed[0].get_ydata(), inspect.smooth_curve(hist["loss"]))
    with pytest.raises(ValueError, match="found none of \\['mae'\\] in the history. It has: acc, loss"):
        inspect.plot_history(hist, metrics=("mae",))


def test_plot_history_from_fit():
    model = seed_mlp(8)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    history = model.fit(rng.random((64, 784), dtype=np.float32), rng.integers(0, 10, 64), epochs=2,
                        validation_split=0.25, verbose=0)
    for source in (history, model):
        fig = inspect.plot_history(source)
        assert [a.get_title() for a in fig.axes] == ["loss", "accuracy"]


def test_show_images_grid_titles_and_highlights():
    images = np.random.rand(12, 28, 28)
    green = np.zeros(12, bool)
    green[[1, 4]] = True
    red = np.zeros(12, bool)
    red[7] = True
    fig = inspect.show_images(images, titles="%d", ncols=5, highlight_green=green, highlight_red=red)
    axes = [a for a in fig.axes if a.images]
    assert len(axes) == 12 and [a.get_title() for a in axes[:3]] == ["0", "1", "2"]
    colours = {i: a.spines["top"].get_edgecolor() for i, a in enumerate(axes) if a.spines["top"].get_linewidth() == 4}
    assert sorted(colours) == [1, 4, 7]
    assert colours[7][:3] == (1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="12 images and a highlight_red mask of 3 values"):
        inspect.show_images(images, highlight_red=[True, False, True])


def test_show_images_colour_and_channels_first_and_labels():
    rgb_first = np.random.rand(3, 3, 8, 8)         # (n, channels, rows, cols)
    fig = inspect.show_images(rgb_first, labels=["cat", "dog", "cow"])
    axes = [a for a in fig.axes if a.images]
    assert [a.get_title() for a in axes] == ["cat", "dog", "cow"]
    assert axes[0].images[0].get_array().shape == (8, 8, 3)
    grid = inspect.image_grid(np.random.rand(6, 5, 5, 1), ncols=3, pad=1)
    assert grid.shape == (2 * 6 + 1, 3 * 6 + 1)
