"""feature_maps and activation_model against the layers run by hand."""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from lamina import inspect
from lamina.models import Model

from inspect_models import MODELS, as_model_input, channels_first_cnn, course_cnn, subclassed_cnn


def test_course_cnn_feature_map_shapes(digits):
    maps = inspect.feature_maps(course_cnn(), digits[0][0])
    # Dropout hands its input through at inference, so it is not repeated by default.
    assert {k: v.shape for k, v in maps.items()} == {"conv2d": (14, 14, 10), "conv2d_1": (7, 7, 40),
                                                     "conv2d_2": (7, 7, 80)}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_feature_maps_equal_the_layers_run_one_by_one(kind, digits):
    model = MODELS[kind]()
    image = as_model_input(kind, digits[0][:1])
    maps = inspect.feature_maps(model, image[0])
    x = torch.from_numpy(image)
    expected = {}
    with torch.no_grad():
        for layer in model.layers:
            if type(layer).__name__ == "InputLayer":
                continue
            x = layer(x)
            if x.dim() == 4 and type(layer).__name__ != "Dropout":
                arr = x[0].numpy()
                expected[layer.name] = arr.transpose(1, 2, 0) if kind == "channels_first" else arr
    assert list(maps) == list(expected)
    for name in expected:
        np.testing.assert_allclose(maps[name], expected[name], rtol=1e-5, atol=1e-6)


def test_channels_first_maps_are_returned_rows_cols_channels(digits):
    maps = inspect.feature_maps(channels_first_cnn(), digits[0][0].transpose(2, 0, 1))
    assert maps["conv2d"].shape == (14, 14, 10) and maps["conv2d_2"].shape == (7, 7, 80)


def test_chosen_layers_by_name_index_and_object(digits):
    model = course_cnn()
    maps = inspect.feature_maps(model, digits[0][0], layers=["conv2d_1", 0, model.layers[5]])
    assert list(maps) == ["conv2d_1", "conv2d", "dense"]
    assert maps["dense"].shape == (50,)


def test_plot_returns_a_figure_with_a_panel_per_layer(digits):
    maps, fig = inspect.feature_maps(course_cnn(), digits[0][0], plot=True)
    assert isinstance(fig, Figure) and len(fig.axes) == len(maps) == 3


def test_activation_model_matches_the_seeds_hand_built_model(digits):
    model = course_cnn()
    x = digits[0][:5]
    # The seeds: Model(inputs=model.input, outputs=[layer.output for layer in model.layers[:4]])
    by_hand = Model(inputs=model.input, outputs=[layer.output for layer in model.layers[:4]]).predict(x, verbose=0)
    act = inspect.activation_model(model, model.layers[:4])
    ours = act.predict(x, verbose=0)
    assert [a.shape for a in ours] == [(5, 14, 14, 10), (5, 7, 7, 40), (5, 7, 7, 80), (5, 7, 7, 80)]
    for a, b in zip(ours, by_hand):
        np.testing.assert_array_equal(a, b)
    # It reuses the model's own graph: each layer runs once.
    assert [step[0].name for step in act.graph_plan.steps] == ["conv2d", "conv2d_1", "conv2d_2", "dropout"]


def test_activation_model_of_a_subclassed_model(digits):
    model = subclassed_cnn()
    act = inspect.activation_model(model, ["conv_a", "conv_b"])
    a, b = act.predict(digits[0][:3], verbose=0)
    with torch.no_grad():
        x = torch.from_numpy(digits[0][:3])
        ea = model.conv_a(x)
        eb = model.conv_b(model.pool(ea))
    np.testing.assert_allclose(a, ea.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b, eb.numpy(), rtol=1e-6)
    # Its weights stay the subclassed model's own.
    assert sum(p.numel() for p in act.parameters()) == sum(p.numel() for p in model.parameters())


def test_activation_model_default_is_every_layer(digits):
    model = course_cnn()
    outs = inspect.activation_model(model).predict(digits[0][:2], verbose=0)
    assert len(outs) == len(model.layers) and outs[-1].shape == (2, 10)
    np.testing.assert_allclose(outs[-1], model.predict(digits[0][:2], verbose=0), rtol=1e-6)


def test_a_nested_convolutional_base(digits):
    """The seeds' `model.add(conv_base)`: the base's layers are found by name inside the outer model."""
    import lamina
    from lamina.layers import Conv2D, Dense, Flatten, MaxPooling2D
    base = lamina.Sequential([Conv2D(4, 3, activation="relu", input_shape=(28, 28, 1), name="block1_conv1"),
                              MaxPooling2D(2, name="block1_pool"),
                              Conv2D(8, 3, activation="relu", name="block2_conv1")], name="conv_base")
    model = lamina.Sequential([base, Flatten(), Dense(10, activation="softmax")])
    image = digits[0][0]
    maps = inspect.feature_maps(model, image)
    assert {k: v.shape for k, v in maps.items()} == {"block1_conv1": (26, 26, 4), "block1_pool": (13, 13, 4),
                                                     "block2_conv1": (11, 11, 8)}
    cam = inspect.grad_cam(model, image)
    assert cam["layer"] == "block2_conv1" and cam["heatmap"].shape == (11, 11)
    sizes = {r["name"]: r["size"][0] for r in inspect.receptive_fields(model)}
    assert sizes["block1_conv1"] == 3 and sizes["block1_pool"] == 4 and sizes["block2_conv1"] == 8
    top = inspect.top_activating_patches(model, "block2_conv1", 1, digits[0][:20], k=3)
    assert top["receptive_field"] == (8, 8)


def test_figures_never_touch_pyplot(tmp_path):
    """No window can open: figures are built without pyplot (checked in a fresh process)."""
    import subprocess
    import sys
    code = ("import sys, numpy as np\n"
            "from lamina import inspect\n"
            "from lamina.cli import zoo\n"
            "m = zoo.build('cnn', (28, 28, 1), 10)\n"
            "img = np.random.rand(28, 28, 1).astype('float32')\n"
            "inspect.feature_maps(m, img, plot=True); inspect.grad_cam(m, img, plot=True)\n"
            "inspect.conv_filters(m, plot=True); inspect.receptive_fields(m, plot=True)\n"
            "inspect.show_images(np.random.rand(4, 8, 8)); inspect.plot_history({'loss': [1, 0.5]})\n"
            f"inspect.write_report({str(tmp_path / 'r.html')!r}, m, np.random.rand(20, 28, 28, 1), np.arange(20) % 10)\n"
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
