"""Hostile and careless .lamina files: every failure is one LoadError naming the file and the member,
raised before anything large is read or allocated; optional members never stop a load."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

from hostile import config_of, deflate_bomb, members_of, rewrite, small_model, write_members, write_raw_zip
from lamina import layers as L
from lamina.models import Model, load_model
from lamina.saving import LoadError, read_history


@pytest.fixture
def saved(tmp_path):
    model = small_model()
    x = np.random.default_rng(0).normal(size=(16, 6)).astype("float32")
    model.fit(x, np.arange(16) % 3, epochs=1, verbose=0)
    path = tmp_path / "m.lamina"
    model.save(path)
    return path, model, x


def test_load_error_is_public_and_a_value_error():
    assert issubclass(LoadError, ValueError)
    import lamina.saving
    assert "LoadError" in lamina.saving.__all__


def test_zip_bomb_config_is_refused_before_reading(tmp_path, saved):
    path, _, _ = saved
    bomb, size = deflate_bomb(2 << 30)
    members = dict(members_of(path))
    bad = tmp_path / "bomb.lamina"
    write_raw_zip(bad, [("config.json", bomb, 8, size, 0),
                        ("model.weights.safetensors", members["model.weights.safetensors"], 0,
                         len(members["model.weights.safetensors"]), None)])
    assert os.path.getsize(bad) < 4 << 20
    start = time.perf_counter()
    with pytest.raises(LoadError, match=r"bomb\.lamina' \(config\.json\) declares 2,147,483,648 bytes "
                                        r"uncompressed; lamina reads at most") as info:
        load_model(bad)
    assert time.perf_counter() - start < 2
    assert info.value.member == "config.json" and info.value.path == str(bad)


def test_zip_bomb_refused_quickly_under_a_memory_cap(tmp_path, saved):
    """The issue's case: under a 3 GiB cap the old loader died after 13 s with a bare MemoryError."""
    path, _, _ = saved
    bomb, size = deflate_bomb(2 << 30)
    members = dict(members_of(path))
    bad = tmp_path / "bomb.lamina"
    weights = members["model.weights.safetensors"]
    write_raw_zip(bad, [("config.json", bomb, 8, size, 0), ("model.weights.safetensors", weights, 0,
                                                             len(weights), None)])
    code = textwrap.dedent(f"""
        import resource, time
        import lamina.models
        from lamina.saving import LoadError
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        used = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()
        cap = used + (512 << 20)  # half a GiB above what the imports took: far below the 2 GiB bomb
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        start = time.perf_counter()
        try:
            lamina.models.load_model({str(bad)!r})
        except LoadError as err:
            print("REFUSED", round(time.perf_counter() - start, 2), str(err)[:80])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("REFUSED"), out.stdout + out.stderr[-2000:]
    assert float(out.stdout.split()[1]) < 2.0


def test_compression_ratio_is_checked_for_every_member(tmp_path, saved):
    path, _, _ = saved
    bomb, size = deflate_bomb(64 << 20)
    members = dict(members_of(path))
    bad = tmp_path / "ratio.lamina"
    write_raw_zip(bad, [("config.json", members["config.json"], 0, len(members["config.json"]), None),
                        ("model.weights.safetensors", bomb, 8, size, 0)])
    with pytest.raises(LoadError, match=r"\(model\.weights\.safetensors\) inflates [\d,]+ bytes to 67,108,864 "
                                        r"\(ratio [\d,]+:1, limit 200:1\)"):
        load_model(bad)


def test_duplicate_members_are_refused(tmp_path, saved):
    path, _, _ = saved
    members = members_of(path)
    cfg = dict(members)["config.json"]
    write_members(tmp_path / "dup.lamina", members + [("config.json", cfg)])
    with pytest.raises(LoadError, match=r"\(config\.json\): the zip holds two members named 'config\.json'"):
        load_model(tmp_path / "dup.lamina")


@pytest.mark.parametrize("units", [10 ** 12, 10 ** 6])
def test_huge_dense_in_config_is_refused_before_allocation(saved, units):
    path, _, _ = saved
    rewrite(path, "config.json", lambda b: b.replace(b'"units": 4', f'"units": {units}'.encode()))
    with pytest.raises(LoadError, match=r"m\.lamina' \(model\.weights\.safetensors\)"):
        load_model(path)


def test_huge_input_shape_is_refused_before_allocation(saved):
    path, _, _ = saved

    def grow(b):
        cfg = json.loads(b)
        cfg["config"]["layers"][0]["config"]["batch_input_shape"] = [None, 10 ** 9]
        return json.dumps(cfg).encode()
    rewrite(path, "config.json", grow)
    with pytest.raises(LoadError, match=r"batch_input_shape=\[None, 1000000000\], but the weights file holds only"):
        load_model(path)


def test_config_that_does_not_fit_weights_names_both_shapes(saved):
    path, _, _ = saved
    rewrite(path, "config.json", lambda b: b.replace(b'"units": 4', b'"units": 5'))
    with pytest.raises(LoadError, match=r"weight 'dense/kernel' has shape \(6, 4\) in the file but \(6, 5\) in the "
                                        r"model.*checked before anything was allocated"):
        load_model(path)


@pytest.mark.parametrize("header", [b"\xff" * 8, (2 ** 40).to_bytes(8, "little"), (50).to_bytes(8, "little")])
def test_safetensors_header_is_checked_before_json(saved, header):
    path, _, _ = saved
    rewrite(path, "model.weights.safetensors", lambda b: header + b[8:])
    with pytest.raises(LoadError, match=r"\(model\.weights\.safetensors\) is not a valid safetensors file"):
        load_model(path)


def test_safetensors_offsets_outside_the_data(saved):
    path, _, _ = saved

    def lie(b):
        n = int.from_bytes(b[:8], "little")
        header = json.loads(b[8:8 + n])
        key = next(k for k in header if k != "__metadata__")
        header[key]["data_offsets"][1] += 10 ** 9
        new = json.dumps(header).encode()
        return len(new).to_bytes(8, "little") + new + b[8 + n:]
    rewrite(path, "model.weights.safetensors", lie)
    with pytest.raises(LoadError, match=r"data offsets .* outside the [\d,]+ bytes of data"):
        load_model(path)


@pytest.mark.parametrize("version", ['"abc"', "[1]", "null"])
def test_format_version_that_is_not_a_number(saved, version):
    path, _, _ = saved
    rewrite(path, "metadata.json", lambda b: b.replace(b'"format_version": 1', f'"format_version": {version}'.encode()))
    with pytest.raises(LoadError, match=r"\(metadata\.json\): format_version must be an integer"):
        load_model(path)


@pytest.mark.parametrize("history", [b"[1, 2, 3]", b"{not json", b'{"loss": ["a"]}'])
def test_damaged_history_only_warns(saved, history):
    path, model, x = saved
    rewrite(path, "history.json", lambda b: history)
    with pytest.warns(UserWarning, match=r"history.*optional"):
        again = load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_damaged_optimizer_state_only_warns(saved):
    path, model, x = saved
    rewrite(path, "optimizer.json", lambda b: b"[[[[")
    with pytest.warns(UserWarning, match=r"optimizer"):
        again = load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_history_bomb_is_skipped_not_fatal(tmp_path, saved):
    path, model, x = saved
    bomb, size = deflate_bomb(32 << 20)
    members = members_of(path)
    bad = tmp_path / "hb.lamina"
    write_raw_zip(bad, [(n, d, 0, len(d), None) for n, d in members if n != "history.json"]
                  + [("history.json", bomb, 8, size, 0)])
    with pytest.warns(UserWarning, match=r"\(history\.json\) inflates .* optional member is ignored"):
        again = load_model(bad)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_read_history_of_a_damaged_file_is_a_load_error(tmp_path):
    (tmp_path / "x.lamina").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(LoadError, match=r"x\.lamina' is not a \.lamina file"):
        read_history(tmp_path / "x.lamina")


def test_deeply_nested_json_is_a_load_error(saved):
    path, _, _ = saved
    rewrite(path, "config.json", lambda b: b"[" * 100000 + b"]" * 100000)
    with pytest.raises(LoadError, match=r"\(config\.json\) is JSON nested too deeply"):
        load_model(path)
    rewrite(path, "config.json", lambda b: b'{"a":' * 500 + b"1" + b"}" * 500)
    with pytest.raises(LoadError, match=r"\(config\.json\) is nested more than 128 levels deep"):
        load_model(path)


@pytest.mark.parametrize("cfg", [b"[]", b'{"class_name": 3, "config": {}}', b'{"config": {}}',
                                 b'{"class_name": "Sequential", "config": 7}', b'"x"'])
def test_bad_config_shapes_are_load_errors(saved, cfg):
    path, _, _ = saved
    rewrite(path, "config.json", lambda b: cfg)
    with pytest.raises(LoadError, match=r"m\.lamina"):
        load_model(path)


def _functional(tmp_path):
    inp = L.Input((6,), name="inp")
    out = L.Dense(2, name="head")(L.Dropout(0.5, name="drop")(inp))
    model = Model(inp, out)
    path = tmp_path / "f.lamina"
    model.save(path)
    return path


@pytest.mark.parametrize("kwargs", [{"mask": "x"}, {"training": "yes"}, {"mask": [1, 2]}])
def test_inbound_call_keywords_are_checked_at_load(tmp_path, kwargs):
    path = _functional(tmp_path)

    def poison(b):
        cfg = json.loads(b)
        for layer in cfg["config"]["layers"]:
            if layer["name"] == "drop":
                layer["inbound_nodes"][0][0][3] = kwargs
        return json.dumps(cfg).encode()
    rewrite(path, "config.json", poison)
    with pytest.raises(LoadError, match=r"call keyword (mask|training)=.* is not valid"):
        load_model(path)


@pytest.mark.parametrize("safe_mode", [True, False])
def test_lambda_in_a_file_is_refused_with_either_safe_mode(saved, safe_mode):
    path, _, _ = saved

    def add_lambda(b):
        cfg = json.loads(b)
        cfg["config"]["layers"].insert(1, {"class_name": "Lambda", "config": {
            "name": "evil", "function": ["4wEAAAAAAAAA", None, None], "function_type": "lambda"}})
        return json.dumps(cfg).encode()
    rewrite(path, "config.json", add_lambda)
    with pytest.raises(LoadError, match=r"Lambda layer 'evil'.*lamina never runs code from a file, with "
                                        r"safe_mode=True or False.*load_weights"):
        load_model(path, safe_mode=safe_mode)


def test_truncated_and_random_files_are_load_errors(tmp_path, saved):
    path, _, _ = saved
    blob = path.read_bytes()
    (tmp_path / "t.lamina").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(LoadError, match=r"t\.lamina' is not a \.lamina file"):
        load_model(tmp_path / "t.lamina")
    (tmp_path / "r.lamina").write_bytes(np.random.default_rng(1).bytes(5000))
    with pytest.raises(LoadError, match=r"r\.lamina' is not a \.lamina file"):
        load_model(tmp_path / "r.lamina")


def test_safetensors_weights_file_errors(tmp_path, saved):
    _, model, _ = saved
    model.save_weights(tmp_path / "w.weights.safetensors")
    blob = (tmp_path / "w.weights.safetensors").read_bytes()
    (tmp_path / "t.weights.safetensors").write_bytes(blob[:-10])
    with pytest.raises(LoadError, match=r"t\.weights\.safetensors' is not a valid safetensors file"):
        model.load_weights(tmp_path / "t.weights.safetensors")
    (tmp_path / "e.weights.safetensors").write_bytes(b"")
    with pytest.raises(LoadError, match=r"fewer than the 8-byte header length"):
        model.load_weights(tmp_path / "e.weights.safetensors")


# ---------------------------------------------------------------------------- stale temporary files
def test_stale_temp_of_a_dead_process_is_removed_by_the_next_save(tmp_path):
    model = small_model()
    target = tmp_path / "m.lamina"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".m.lamina.{dead.pid}-0123abcd.tmp"
    stale.write_bytes(b"x" * 1000)
    old_style = tmp_path / ".m.lamina.89abcdef.tmp"
    old_style.write_bytes(b"x")
    os.utime(old_style, (time.time() - 7200, time.time() - 7200))
    live = tmp_path / f".m.lamina.{os.getppid()}-fedcba98.tmp"  # a running process: never touched
    live.write_bytes(b"x")
    other = tmp_path / f".other.lamina.{dead.pid}-0123abcd.tmp"
    other.write_bytes(b"x")
    model.save(target)
    assert not stale.exists() and not old_style.exists()
    assert live.exists() and other.exists() and target.exists()


@pytest.mark.parametrize("ext", ["lamina", "h5"])
def test_save_killed_midway_leaves_a_temp_that_the_next_save_removes(tmp_path, ext):
    target = tmp_path / f"big.{ext}"
    code = textwrap.dedent(f"""
        import sys, time
        from lamina import layers as L
        from lamina.models import Sequential
        from lamina.saving import _files
        real = _files.atomic_write
        m = Sequential([L.Input((512,)), L.Dense(2048), L.Dense(2048)])
        import h5py
        orig = h5py.File.create_dataset if hasattr(h5py.File, 'create_dataset') else None
        def slow(group, *a, **k):
            print('WRITING', flush=True); time.sleep(60)
        h5py.Group.create_dataset = slow
        import zipfile
        zipfile.ZipFile.writestr = lambda self, *a, **k: (print('WRITING', flush=True), time.sleep(60))
        m.save({str(target)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert proc.stdout.readline().strip() == "WRITING"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    leftovers = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    assert len(leftovers) == 1 and str(proc.pid) in leftovers[0]
    small_model().save(target)
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert load_model(target).count_params() == small_model().count_params()
