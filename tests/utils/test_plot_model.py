"""plot_model / model_to_dot: the pictures Graphviz writes, read back (SVG nodes and arrows, PNG pixels)."""
import base64
import re
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

import lamina
from lamina import layers
from lamina.utils import model_to_dot, plot_model

pytest.importorskip("pydot", reason="pydot is in the dev extra; `make test` installs it")
if not __import__("shutil").which("dot"):
    pytest.fail("Graphviz's dot program is missing: `make graphviz` (a step of `make test`) installs it")

_SVG = "{http://www.w3.org/2000/svg}"


def _read_svg(path_or_bytes):
    """(boxes, arrows): the layer name in each box, and (from, to) name pairs of the arrows."""
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else open(path_or_bytes, "rb").read()
    root = ET.fromstring(data)
    names, arrows = {}, []
    for g in root.iter(f"{_SVG}g"):
        title = g.find(f"{_SVG}title").text
        if g.get("class") == "node":
            bold = [t.text for t in g.iter(f"{_SVG}text") if t.get("font-weight") == "bold"]
            names[title] = bold[0]
        elif g.get("class") == "edge":
            arrows.append(tuple(title.split("->")))
    return sorted(names.values()), sorted((names[a], names[b]) for a, b in arrows), root


def _branchy():
    a = lamina.Input((8,), name="in_a")
    b = lamina.Input((8,), name="in_b")
    shared = layers.Dense(4, activation="relu", name="shared")
    x = layers.concatenate([shared(a), shared(b)], name="cat")
    out1 = layers.Dense(1, activation="sigmoid", name="out1")(x)
    out2 = layers.Dense(3, activation="softmax", name="out2")(x)
    return lamina.Model([a, b], [out1, out2], name="branchy")


def test_sequential_svg_has_a_box_per_layer_and_a_chain_of_arrows(tmp_path):
    model = lamina.Sequential([layers.Conv2D(4, 3, activation="relu", input_shape=(12, 12, 1), name="conv"),
                               layers.Flatten(name="flat"), layers.Dense(10, activation="softmax", name="probs")])
    out = plot_model(model, to_file=tmp_path / "seq.svg", show_layer_names=True, show_shapes=True)
    assert out is None or out.filename.endswith("seq.svg")
    boxes, arrows, root = _read_svg(str(tmp_path / "seq.svg"))
    input_name = model.inputs[0].node.layer.name
    assert boxes == sorted([input_name, "conv", "flat", "probs"])
    assert arrows == sorted([(input_name, "conv"), ("conv", "flat"), ("flat", "probs")])
    text = " ".join(t.text or "" for t in root.iter(f"{_SVG}text"))
    assert "(None, 10, 10, 4)" in text and "(None, 400)" in text and "(None, 10)" in text


def test_functional_graph_with_two_inputs_two_outputs_and_a_shared_layer(tmp_path):
    model = _branchy()
    plot_model(model, to_file=str(tmp_path / "g.svg"), show_layer_names=True)
    boxes, arrows, _ = _read_svg(str(tmp_path / "g.svg"))
    assert boxes == sorted(layer.name for layer in model.layers)  # the shared Dense is one box
    assert arrows == sorted([("in_a", "shared"), ("in_b", "shared"), ("shared", "cat"),
                             ("cat", "out1"), ("cat", "out2")])


def test_keras3_default_draws_class_names_and_options_add_rows():
    model = _branchy()
    boxes, _, root = _read_svg(model_to_dot(model, show_layer_names=False).create(format="svg"))
    assert boxes == sorted(["InputLayer", "InputLayer", "Dense", "Concatenate", "Dense", "Dense"])
    dot = model_to_dot(model, show_dtype=True, show_trainable=True, show_layer_activations=True)
    text = " ".join(t.text or "" for t in ET.fromstring(dot.create(format="svg")).iter(f"{_SVG}text"))
    assert "relu" in text and "softmax" in text and "float32" in text and "Trainable" in text
    model.get_layer("out1").trainable = False
    dot = model_to_dot(model, show_trainable=True)
    assert "Non-trainable" in dot.to_string()


def test_nested_model_is_one_box_or_expanded(tmp_path):
    inner = lamina.Sequential([layers.Dense(5, activation="relu", input_shape=(8,), name="inner_a"),
                               layers.Dense(3, name="inner_b")], name="encoder")
    x = lamina.Input((8,), name="x")
    y = layers.Dense(2, name="head")(inner(x))
    model = lamina.Model(x, y)
    boxes, arrows, _ = _read_svg(model_to_dot(model).create(format="svg"))
    assert boxes == ["encoder", "head", "x"]
    assert arrows == [("encoder", "head"), ("x", "encoder")]
    plot_model(model, to_file=tmp_path / "nested.svg", show_layer_names=True, expand_nested=True)
    boxes, arrows, root = _read_svg(str(tmp_path / "nested.svg"))
    inner_input = inner.inputs[0].node.layer.name
    assert boxes == sorted(["x", inner_input, "inner_a", "inner_b", "head"])
    assert arrows == sorted([("x", inner_input), (inner_input, "inner_a"), ("inner_a", "inner_b"),
                             ("inner_b", "head")])
    clusters = [g for g in root.iter(f"{_SVG}g") if g.get("class") == "cluster"]
    assert [c.find(f"{_SVG}text").text for c in clusters] == ["encoder"]


def test_png_is_a_real_picture_scaled_by_dpi(tmp_path):
    model = _branchy()
    plot_model(model, to_file=tmp_path / "a.png", dpi=50, rankdir="LR")
    plot_model(model, to_file=tmp_path / "b.png", dpi=100, rankdir="LR")
    small, big = Image.open(tmp_path / "a.png"), Image.open(tmp_path / "b.png")
    assert small.format == big.format == "PNG"
    assert small.width > small.height  # left to right
    assert abs(big.width / small.width - 2) < 0.1
    pixels = np.asarray(big.convert("L"))
    assert pixels.min() < 50 and pixels.max() > 200  # dark boxes on a light page, not a blank image


def test_classic_namespace_defaults_show_layer_names(tmp_path):
    from lamina.keras.utils import plot_model as classic_plot
    from lamina.keras.utils.vis_utils import model_to_dot as classic_dot
    model = _branchy()
    classic_plot(model, to_file=str(tmp_path / "m.svg"))
    boxes, _, _ = _read_svg(str(tmp_path / "m.svg"))
    assert "shared" in boxes
    assert classic_dot(model).get("dpi") == "96"


def test_bad_arguments_and_unbuilt_models_say_what_to_do():
    with pytest.raises(ValueError, match="rankdir to be one of 'TB', 'LR'.*Received: rankdir='XY'"):
        model_to_dot(_branchy(), rankdir="XY")
    with pytest.raises(ValueError, match="not built yet.*input_shape"):
        model_to_dot(lamina.Sequential([layers.Dense(2)]))
    with pytest.raises(TypeError, match="show_shape'.*did you mean 'show_shapes'"):
        model_to_dot(_branchy(), show_shape=True)


def test_missing_pydot_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pydot", None)  # `import pydot` now raises ImportError
    with pytest.raises(ImportError, match=r"pydot is not installed.*pip install pydot.*apt-get install graphviz"):
        plot_model(_branchy(), to_file=tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()


def test_missing_graphviz_program_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on PATH
    with pytest.raises(ImportError, match=r"Graphviz's 'dot' program.*apt-get install graphviz"):
        plot_model(_branchy(), to_file=tmp_path / "m.png")


def test_report_has_the_architecture_picture(tmp_path, monkeypatch):
    from lamina import inspect
    model = _branchy()
    from lamina.inspect.architecture import architecture_html
    body = architecture_html(model)
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', body).group(1))
    boxes, _, _ = _read_svg(svg)
    assert boxes == sorted(layer.name for layer in model.layers)
    seq = lamina.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,), name="d")])
    text = inspect.html_report(seq)
    assert '<section id="architecture"><h2>Architecture</h2><img alt="Architecture of' in text
    monkeypatch.setenv("PATH", str(tmp_path))
    text = inspect.html_report(seq)
    assert "Not available: plot_model needs Graphviz" in text
