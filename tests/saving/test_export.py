"""model.export: ONNX (read back by onnxruntime), TorchScript and torch.export programs give the
model's predictions for any batch size; torch.jit.script says what to use instead."""
import importlib.util

import numpy as np
import pytest
import torch

import lamina
from lamina import layers as L


def course_cnn():
    return lamina.Sequential([
        L.Conv2D(10, (5, 5), strides=(2, 2), activation="relu", padding="same", input_shape=(28, 28, 1)),
        L.Conv2D(40, (5, 5), strides=(2, 2), activation="relu", padding="same"),
        L.Conv2D(80, (5, 5), strides=(1, 1), activation="relu", padding="same"),
        L.Dropout(0.5), L.Flatten(), L.Dense(50, activation="relu"), L.Dropout(0.5),
        L.Dense(10, activation="softmax")])


def mlp():
    return lamina.Sequential([L.Dense(500, activation="relu", input_shape=(784,)), L.BatchNormalization(),
                              L.Dense(500, activation="relu"), L.Dense(10, activation="softmax")])


def two_inputs():
    a, b = L.Input((6,), name="a"), L.Input((4, 4, 2), name="b")
    h = L.Concatenate()([L.Dense(8)(a), L.Flatten()(L.Conv2D(3, 3, padding="same")(b))])
    return lamina.Model([a, b], [L.Dense(2, activation="softmax")(h), L.Dense(1)(h)])


def _run(path, fmt, xs):
    if fmt == "onnx":
        import onnxruntime as ort
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        assert [i.shape[0] for i in session.get_inputs()] == ["batch"] * len(xs)  # a dynamic batch axis
        return session.run(None, {i.name: x for i, x in zip(session.get_inputs(), xs)})
    module = torch.jit.load(str(path)) if fmt == "torchscript" else torch.export.load(str(path)).module()
    out = module(*[torch.from_numpy(x) for x in xs])
    return [o.detach().numpy() for o in (out if isinstance(out, tuple) else (out,))]


FORMATS = ["torchscript", "torch_export",
           pytest.param("onnx", marks=pytest.mark.skipif(
               any(importlib.util.find_spec(m) is None for m in ("onnx", "onnxscript", "onnxruntime")),
               reason="the export extra (onnx, onnxscript, onnxruntime) is not installed"))]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("build,shapes", [(course_cnn, [(28, 28, 1)]), (mlp, [(784,)]),
                                          (two_inputs, [(6,), (4, 4, 2)])], ids=["course_cnn", "mlp", "two_inputs"])
def test_export_round_trip_gives_the_predictions(tmp_path, fmt, build, shapes):
    model = build()
    rng = np.random.default_rng(0)
    if any(isinstance(layer, L.BatchNormalization) for layer in model.layers):  # real moving statistics
        bn = next(layer for layer in model.layers if isinstance(layer, L.BatchNormalization))
        bn.moving_mean.data.normal_(0, 0.5)
        bn.moving_variance.data.uniform_(0.5, 2.0)
    path = tmp_path / {"onnx": "model.onnx", "torchscript": "model.pt", "torch_export": "model.pt2"}[fmt]
    model.export(path, format=fmt)
    assert not model.training
    for batch in (1, 7):  # exported with another batch size: the batch axis is dynamic
        xs = [rng.uniform(0, 1, (batch,) + s).astype("float32") for s in shapes]
        expected = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        expected = expected if isinstance(expected, list) else [expected]
        got = _run(path, fmt, xs)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.shape == e.shape
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_torch_jit_script_points_to_trace_and_export():
    model = mlp()
    with pytest.raises(TypeError, match=r"torch\.jit\.script cannot compile 'sequential' \(Sequential\).* Use "
                                        r"torch\.jit\.trace\(model, example_input\), or model\.export\(path, "
                                        r"format='torchscript' \| 'torch_export' \| 'onnx'\)"):
        torch.jit.script(model)
    traced = torch.jit.trace(model, torch.zeros(2, 784))  # what the message suggests works
    x = torch.rand(3, 784)
    np.testing.assert_allclose(traced(x).detach().numpy(), model(x).detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("call,error,match", [
    (lambda m, p: m.export(p, format="tf_saved_model"), ValueError,
     r"lamina runs on PyTorch and cannot write a TensorFlow SavedModel\. Received: format='tf_saved_model'\. Use "
     r"format='onnx'"),
    (lambda m, p: m.export(p, format="onxx"), ValueError,
     r"export expects format to be one of 'onnx', 'torchscript', 'torch_export'\. Received: format='onxx'"),
    (lambda m, p: m.export(p, format="torch_export"), ValueError,
     r"export\(format='torch_export'\) writes a \.pt2 archive, which torch\.export\.load opens only by that "
     r"extension\. Received: filepath='.*m\.out'\. Use e\.g\. 'model\.pt2'"),
    (lambda m, p: m.export(p, format="torchscript", opset_version=18), TypeError,
     r"export\(format='torchscript'\) takes no extra arguments\. Received: opset_version"),
    (lambda m, p: lamina.Sequential([L.Dense(3)]).export(p), ValueError,
     r"Model 'sequential_1' has no known input shape to export with\. Build it first"),
    (lambda m, p: lamina.Sequential([L.Input((None, None, 3)), L.Conv2D(2, 3)]).export(p, format="torchscript"),
     ValueError, r"export needs every size but the batch axis\. Input 'input_layer(_\d+)?' has shape "
                 r"\(None, None, None, 3\)\. Pass input_signature"),
], ids=["tf_saved_model", "unknown_format", "pt2_extension", "extra_kwargs", "unbuilt", "unknown_sizes"])
def test_bad_arguments(tmp_path, call, error, match):
    with pytest.raises(error, match=match):
        call(mlp(), tmp_path / "m.out")


def test_input_signature_fixes_unknown_sizes(tmp_path):
    model = lamina.Sequential([L.Input((None, None, 3)), L.Conv2D(2, 3), L.GlobalAveragePooling2D()])
    model.export(tmp_path / "m.pt", format="torchscript", input_signature=[(None, 16, 16, 3)])
    x = np.random.default_rng(1).uniform(size=(3, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(_run(tmp_path / "m.pt", "torchscript", [x])[0], model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_onnx_without_its_packages_says_what_to_install(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxscript" else real(name, *a))
    with pytest.raises(ImportError, match=r"export\(format='onnx'\) needs the onnxscript package .* pip install "
                                          r"'lamina\[export\]'"):
        mlp().export(tmp_path / "m.onnx")
