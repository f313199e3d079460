""".h5 and .keras files: written by real Keras 3 (committed fixtures, see fixtures/make_fixtures.py) and read by
lamina; written by lamina in Keras 2's HDF5 layout and read back by lamina and by Keras 3."""
import json
import os

import h5py
import numpy as np
import pytest

import lamina
from lamina import layers as L
from lamina.models import load_model, model_from_json

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
FILES = [("mlp", "h5"), ("mlp", "keras"), ("cnn", "h5"), ("cnn", "keras"), ("cnn_cf", "h5"), ("cnn_cf", "keras"),
         ("graph", "h5"), ("graph", "keras"), ("nested", "h5")]
PARAMS = {"mlp": 259, "cnn": 363, "cnn_cf": 155, "graph": 186, "nested": 418}


def _data(name):
    d = np.load(os.path.join(HERE, f"{name}.npz"))
    return d["x"], d["y"]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name,ext", FILES)
def test_keras3_files_load_and_predict_as_keras_did(name, ext):
    model = load_model(os.path.join(HERE, f"{name}.{ext}"))
    x, y = _data(name)
    np.testing.assert_allclose(model.predict(x, verbose=0), y, atol=1e-5)
    assert model.count_params() == PARAMS[name]


def test_keras3_h5_training_config_compiles_the_model():
    model = load_model(os.path.join(HERE, "mlp.h5"))
    assert isinstance(model.optimizer, lamina.optimizers.Adam)
    assert model.optimizer.learning_rate == pytest.approx(0.002)
    x, y = _data("mlp")
    model.fit(x, y, epochs=1, verbose=0)  # compiled with the file's loss and metrics
    assert "accuracy" in model.history.history


def test_keras_file_compile_config_restores_the_optimizer():
    model = load_model(os.path.join(HERE, "cnn.keras"))
    assert isinstance(model.optimizer, lamina.optimizers.SGD)
    assert (model.optimizer.momentum, model.optimizer.nesterov) == (pytest.approx(0.9), True)
    assert load_model(os.path.join(HERE, "cnn.keras"), compile=False).compiled is False


def test_layer_names_and_graph_survive():
    model = load_model(os.path.join(HERE, "graph.keras"))
    names = [layer.name for layer in model.layers]
    assert {"features", "hidden", "branch_a", "branch_b", "merge", "add", "out"} <= set(names)
    nested = load_model(os.path.join(HERE, "nested.h5"))
    assert nested.layers[0].name == "base" and [l.name for l in nested.layers[0].layers][1:] == ["base_conv", "base_bn"]


def test_load_weights_from_keras3_weights_file_and_keras_file():
    template = load_model(os.path.join(HERE, "cnn.h5"), compile=False)
    x, y = _data("cnn")
    fresh = model_from_json(template.to_json())
    fresh.load_weights(os.path.join(HERE, "cnn.weights.h5"))
    np.testing.assert_allclose(fresh.predict(x, verbose=0), y, atol=1e-5)
    fresh = model_from_json(template.to_json())
    fresh.load_weights(os.path.join(HERE, "cnn.keras"))
    np.testing.assert_allclose(fresh.predict(x, verbose=0), y, atol=1e-5)


def test_load_weights_into_the_same_architecture_built_in_lamina():
    """A Keras-written .h5 into a model written in lamina (other auto-names): matched by order, as Keras 2 did."""
    model = lamina.Sequential([L.Input((8,)), L.Dense(16, activation="relu", name="first"), L.BatchNormalization(),
                               L.Dropout(0.3), L.Dense(3, activation="softmax")])
    model.load_weights(os.path.join(HERE, "mlp.h5"))
    x, y = _data("mlp")
    np.testing.assert_allclose(model.predict(x, verbose=0), y, atol=1e-5)


def test_load_weights_by_name_skips_unknown_layers():
    from lamina import keras  # noqa: F401 - load_weights(by_name=...) is the Keras 2 form
    src = load_model(os.path.join(HERE, "mlp.h5"), compile=False)
    model = lamina.Sequential([L.Input((8,)), L.Dense(16, activation="relu", name="dense"),
                               L.Dense(16, name="extra")])
    model.load_weights(os.path.join(HERE, "mlp.h5"), by_name=True)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], src.get_layer("dense").get_weights()[0])


def test_wrong_architecture_is_refused_with_the_counts():
    model = lamina.Sequential([L.Input((8,)), L.Dense(16), L.Dense(3)])
    with pytest.raises(ValueError, match="weights for 3 layers.*model has 2 layers"):
        model.load_weights(os.path.join(HERE, "mlp.h5"))


def _lamina_cnn():
    model = lamina.Sequential([
        L.Conv2D(4, 3, strides=2, padding="same", activation="relu", input_shape=(12, 12, 3)),
        L.BatchNormalization(), L.MaxPooling2D(), L.Flatten(), L.Dropout(0.2), L.Dense(3, activation="softmax")])
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(0).random((8, 12, 12, 3)).astype("float32")
    y = np.eye(3)[np.random.default_rng(1).integers(0, 3, 8)]
    model.fit(x, y, epochs=2, verbose=0)
    return model, x


def test_h5_written_by_lamina_has_keras2_layout(tmp_path):
    model, _ = _lamina_cnn()
    path = tmp_path / "model.h5"
    model.save(path)
    with h5py.File(path, "r") as f:
        version = f.attrs["keras_version"]
        assert (version.decode() if isinstance(version, bytes) else version) == "2.2.4"
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        assert config["config"]["layers"][0]["class_name"] == "InputLayer"
        training = json.loads(f.attrs["training_config"])
        assert training["optimizer_config"]["class_name"] == "SGD" and training["loss"] == "categorical_crossentropy"
        group = f["model_weights"]
        assert [n.decode() for n in group.attrs["layer_names"]] == [l.name for l in model.layers]
        names = [n.decode() for n in group["conv2d"].attrs["weight_names"]]
        assert names == ["conv2d/kernel:0", "conv2d/bias:0"]
        assert group["conv2d"]["conv2d/kernel:0"].shape == (3, 3, 3, 4)  # Keras layout (kh, kw, in, out)
        bn = [n.decode() for n in group["batch_normalization"].attrs["weight_names"]]
        assert [n.split("/")[1] for n in bn] == ["gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"]


def test_h5_round_trip_in_lamina(tmp_path):
    model, x = _lamina_cnn()
    model.save(tmp_path / "m.h5")
    again = load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    assert again.compiled and isinstance(again.optimizer, lamina.optimizers.SGD)
    assert again.optimizer.momentum == pytest.approx(0.9)
    model.save_weights(tmp_path / "w.h5")
    fresh = model_from_json(model.to_json())
    fresh.load_weights(tmp_path / "w.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_functional_h5_round_trip(tmp_path):
    inp = lamina.Input((10,))
    h = L.Dense(8, activation="tanh")(inp)
    a, b = L.Dense(4)(h), L.Dense(4)(h)
    out = L.Dense(2, activation="softmax")(L.Concatenate()([a, L.Add()([a, b])]))
    model = lamina.Model(inp, out)
    model.save(tmp_path / "f.h5")
    x = np.random.default_rng(0).random((5, 10)).astype("float32")
    np.testing.assert_array_equal(load_model(tmp_path / "f.h5").predict(x, verbose=0), model.predict(x, verbose=0))


def test_saving_keras_format_says_what_lamina_writes(tmp_path):
    model, _ = _lamina_cnn()
    with pytest.raises(ValueError, match=r"reads Keras 3 \.keras files.*\.lamina"):
        model.save(tmp_path / "m.keras")


def test_weights_only_file_given_to_load_model_explains():
    with pytest.raises(ValueError, match="no model_config"):
        load_model(os.path.join(HERE, "cnn.weights.h5"))


os.environ.setdefault("KERAS_BACKEND", "torch")
try:
    import keras
except ImportError:  # pragma: no cover - CI installs keras through the dev extra
    keras = None


@pytest.mark.skipif(keras is None, reason="the keras package is not installed (pip install 'keras>=3')")
@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
def test_real_keras_loads_the_h5_lamina_writes(tmp_path):
    model, x = _lamina_cnn()
    model.save(tmp_path / "m.h5")
    theirs = keras.models.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(x)), model.predict(x, verbose=0), atol=1e-5)
    assert type(theirs.optimizer).__name__ == "SGD"
    model.save_weights(tmp_path / "w.h5")
    theirs.load_weights(tmp_path / "w.h5")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(x)), model.predict(x, verbose=0), atol=1e-5)
