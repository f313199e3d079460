""".h5, .keras and .pth files that are damaged or hostile: one LoadError naming the file, never a raw
h5py/json/KeyError, and nothing large allocated."""
import json
import os
import shutil
import zipfile

import h5py
import numpy as np
import pytest

from hostile import members_of, rewrite, small_model, write_members
from lamina.models import load_model
from lamina.saving import LoadError

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "keras", "fixtures")


@pytest.fixture
def h5_file(tmp_path):
    path = tmp_path / "m.h5"
    small_model().save(path)
    return path


@pytest.fixture
def keras_file(tmp_path):
    path = tmp_path / "mlp.keras"
    shutil.copy(os.path.join(FIXTURES, "mlp.keras"), path)
    return path


def test_random_and_truncated_h5(tmp_path, h5_file):
    (tmp_path / "r.h5").write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(LoadError, match=r"r\.h5' is not a readable HDF5 file"):
        load_model(tmp_path / "r.h5")
    blob = h5_file.read_bytes()
    (tmp_path / "t.h5").write_bytes(blob[: len(blob) // 3])
    with pytest.raises(LoadError, match=r"t\.h5'"):
        load_model(tmp_path / "t.h5")
    with pytest.raises(LoadError, match=r"r\.h5' is not a readable HDF5 file"):
        small_model().load_weights(tmp_path / "r.h5")


def test_missing_groups_are_named(h5_file):
    with h5py.File(h5_file, "a") as f:
        del f["model_weights"]["dense"]
    with pytest.raises(LoadError, match=r"m\.h5': the weights group of layer 'dense' is missing"):
        load_model(h5_file)


def test_missing_model_weights_group(h5_file):
    with h5py.File(h5_file, "a") as f:
        del f["model_weights"]
    with pytest.raises(LoadError, match=r"m\.h5': group 'model_weights' is missing"):
        load_model(h5_file)


def test_missing_weight_dataset_is_named(h5_file):
    with h5py.File(h5_file, "a") as f:
        del f["model_weights"]["dense_1"]["dense_1"]["bias:0"]
    with pytest.raises(LoadError, match=r"layer 'dense_1''s weight 'dense_1/bias:0' is missing"):
        load_model(h5_file)


@pytest.mark.parametrize("value", [b"{not json", b"[1, 2]", b'{"config": {}}', b"[" * 5000])
def test_bad_model_config_attribute(h5_file, value):
    with h5py.File(h5_file, "a") as f:
        f.attrs["model_config"] = value
    with pytest.raises(LoadError, match=r"m\.h5' \(attribute model_config\)"):
        load_model(h5_file)


def test_bad_training_config_only_warns(h5_file):
    with h5py.File(h5_file, "a") as f:
        f.attrs["training_config"] = b"{broken"
    with pytest.warns(UserWarning, match=r"training settings are optional"):
        model = load_model(h5_file)
    assert not model.compiled


def test_h5_dense_of_10_to_the_12_is_refused_before_allocation(h5_file):
    with h5py.File(h5_file, "a") as f:
        cfg = json.loads(f.attrs["model_config"])
        for layer in cfg["config"]["layers"]:
            if layer["config"].get("name") == "dense":
                layer["config"]["units"] = 10 ** 12
        f.attrs["model_config"] = json.dumps(cfg).encode()
    with pytest.raises(LoadError, match=r"units=1000000000000, but the weights file holds only"):
        load_model(h5_file)


def test_h5_compression_bomb_dataset_is_refused(tmp_path, h5_file):
    with h5py.File(h5_file, "a") as f:
        f["model_weights"].create_dataset("zeros", shape=(64 << 20,), dtype="float32", compression="gzip",
                                          chunks=(1 << 20,), fillvalue=0)
        f["model_weights"]["zeros"][:] = 0
    with pytest.raises(LoadError, match=r"dataset 'zeros' declares 268,435,456 bytes but stores"):
        load_model(h5_file)


def test_h5_weight_shape_checked_before_reading(h5_file):
    with h5py.File(h5_file, "a") as f:
        g = f["model_weights"]["dense"]["dense"]
        del g["kernel:0"]
        g.create_dataset("kernel:0", shape=(6, 5), dtype="float32")
    with pytest.raises(LoadError, match=r"weight 'kernel' of layer 'dense' has Keras shape \(6, 4\); the file "
                                        r"holds shape \(6, 5\)"):
        load_model(h5_file)


@pytest.mark.parametrize("config", [b"{bad json", b'{"config": {}}', b"[]", b'{"class_name": "Sequential"}'])
def test_keras_file_bad_config(keras_file, config):
    rewrite(keras_file, "config.json", lambda b: config)
    with pytest.raises(LoadError, match=r"mlp\.keras' \(config\.json\)"):
        load_model(keras_file)


def test_keras_file_garbage_weights(keras_file):
    rewrite(keras_file, "model.weights.h5", lambda b: b"garbage" * 100)
    with pytest.raises(LoadError, match=r"mlp\.keras' \(model\.weights\.h5\) is not a readable HDF5 file"):
        load_model(keras_file)


def test_keras_file_missing_member_and_not_a_zip(tmp_path, keras_file):
    write_members(tmp_path / "x.keras", [(n, d) for n, d in members_of(keras_file) if n != "model.weights.h5"])
    with pytest.raises(LoadError, match=r"x\.keras' is not a complete \.keras file: it lacks model\.weights\.h5"):
        load_model(tmp_path / "x.keras")
    (tmp_path / "y.keras").write_bytes(b"hello")
    with pytest.raises(LoadError, match=r"y\.keras' is not a Keras \.keras file"):
        load_model(tmp_path / "y.keras")


def test_keras_file_duplicate_member(tmp_path, keras_file):
    members = members_of(keras_file)
    write_members(tmp_path / "d.keras", members + [("config.json", dict(members)["config.json"])])
    with pytest.raises(LoadError, match=r"two members named 'config\.json'"):
        load_model(tmp_path / "d.keras")


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_pth_files_are_load_errors(tmp_path):
    from lamina.applications import weights as app_weights
    arch = app_weights.Architecture(name="Net", torchvision=lambda m: {})
    (tmp_path / "bad.pth").write_bytes(b"\x80" + b"junk" * 10)
    model = small_model()
    with pytest.raises(LoadError, match=r"Cannot read '.*bad\.pth' as a torch state dict"):
        app_weights.load_weights(model, tmp_path / "bad.pth", arch)
    with zipfile.ZipFile(tmp_path / "z.pth", "w") as zf:
        zf.writestr("archive/data.pkl", b"\0" * (8 << 20), zipfile.ZIP_DEFLATED)
    with pytest.raises(LoadError, match=r"z\.pth' \(archive/data\.pkl\) inflates"):
        app_weights.load_weights(model, tmp_path / "z.pth", arch)


def test_stale_h5_temp_of_old_naming_is_removed(tmp_path):
    import subprocess
    import sys
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"m.h5.tmp{dead.pid}"
    stale.write_bytes(b"x")
    small_model().save(tmp_path / "m.h5")
    assert not stale.exists()
