"""Fuzzing: random mutations of valid .lamina, .h5 and .keras files always end in a loaded model or a
LoadError, never another exception, within fixed time and memory limits.

A few hundred cases run in ``make test``; set ``LAMINA_FUZZ_EXAMPLES=N`` for N cases per file kind
(e.g. 5000 for a long run). Generation is derandomized, so a run is reproducible.
"""
import collections
import json
import os
import resource
import shutil
import time
import warnings
import zipfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hostile import members_of, small_model, write_members  # noqa: E402
from lamina.models import load_model  # noqa: E402
from lamina.saving import LoadError  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "keras", "fixtures")
EXAMPLES = int(os.environ.get("LAMINA_FUZZ_EXAMPLES", "0")) or None
SECONDS_PER_CASE = 10.0          # a generous bound on a shared 2-core machine; typical cases take ~10 ms
MEMORY_GROWTH_LIMIT = 1 << 30    # peak RSS may grow by at most 1 GiB over a whole fuzz run

COUNTS: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

# ---------------------------------------------------------------------------- mutations
INTERESTING = [10 ** 12, -1, 0, 2 ** 63, 1.5, "x", None, True, [], {}, [None, 10 ** 9], "Lambda", "Functional",
               [[["x", 0, 0, {}]]], {"class_name": "Dense"}]

byte_mutation = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.floats(0, 1, exclude_max=True), st.just(0)),
    st.tuples(st.just("insert"), st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), st.floats(0, 1, exclude_max=True), st.integers(1, 64)),
)


def apply_bytes(data: bytes, mutations) -> bytes:
    out = bytearray(data)
    for kind, where, arg in mutations:
        if not out:
            break
        i = int(where * len(out))
        if kind == "flip":
            out[i] = arg
        elif kind == "truncate":
            del out[i:]
        elif kind == "insert":
            out[i:i] = arg
        else:
            del out[i:i + arg]
    return bytes(out)


json_mutation = st.tuples(st.floats(0, 1, exclude_max=True), st.sampled_from(["set", "delete", "wrap"]),
                          st.sampled_from(INTERESTING))


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def apply_json(text: bytes, mutations) -> bytes:
    value = json.loads(text)
    for where, op, new in mutations:
        paths = [p for p in _paths(value) if p]
        if not paths:
            break
        path = paths[int(where * len(paths))]
        parent = value
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        if op == "delete":
            del parent[key]
        elif op == "wrap":
            parent[key] = [parent[key]]
        else:
            parent[key] = json.loads(json.dumps(new))
    return json.dumps(value).encode()


# ---------------------------------------------------------------------------- the check
def check_one(kind: str, path) -> None:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = load_model(path)
        except LoadError as err:
            assert str(path) in str(err) or "config" in str(err), f"a LoadError must name the file: {err}"
            COUNTS[kind]["clear error (LoadError)"] += 1
        except Exception as err:  # anything else is an opaque error: the test fails and names it
            COUNTS[kind]["opaque"] += 1
            raise AssertionError(f"{kind}: {type(err).__name__} instead of LoadError: {err}") from err
        else:
            shape = model.input_shape
            if isinstance(shape, tuple) and all(d is not None for d in shape[1:]) and np.prod(shape[1:]) < 1e6:
                try:  # a loaded model must also run: "loads, then fails at the first predict" is not allowed
                    out = model.predict(np.zeros((2,) + tuple(shape[1:]), "float32"), verbose=0)
                except Exception as err:
                    COUNTS[kind]["opaque"] += 1
                    raise AssertionError(f"{kind}: loaded, then predict failed: {type(err).__name__}: {err}") \
                        from err
                assert np.asarray(out[0] if isinstance(out, list) else out).shape[0] == 2
            COUNTS[kind]["loaded"] += 1
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS_PER_CASE, f"{kind}: one load took {elapsed:.1f} s"


def _settings(default):
    return settings(max_examples=EXAMPLES or default, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-valid")
    model = small_model()
    model.fit(np.zeros((8, 6), "float32"), np.arange(8) % 3, epochs=1, verbose=0)
    model.save(root / "m.lamina")
    model.save(root / "m.h5")
    shutil.copy(os.path.join(FIXTURES, "mlp.keras"), root / "m.keras")
    return root


@pytest.fixture(scope="module", autouse=True)
def memory_bound():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    yield
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert grown < MEMORY_GROWTH_LIMIT, f"the fuzz run grew peak memory by {grown:,} bytes"
    report = os.environ.get("LAMINA_FUZZ_REPORT")
    if report:
        with open(report, "a") as f:
            f.write(json.dumps({k: dict(v) for k, v in COUNTS.items()}) + "\n")


def _zip_member_case(valid, tmp, ext, member_choice, json_muts, byte_muts):
    src = valid / f"m.{ext}"
    members = members_of(src)
    names = [n for n, _ in members]
    target = names[int(member_choice * len(names))]
    out = []
    for name, data in members:
        if name == target:
            if json_muts and name.endswith(".json"):
                try:
                    data = apply_json(data, json_muts)
                except (ValueError, KeyError, IndexError, TypeError):
                    pass
            else:
                data = apply_bytes(data, byte_muts)
        out.append((name, data))
    path = tmp / f"case.{ext}"
    write_members(path, out, zipfile.ZIP_DEFLATED)
    return path


@pytest.mark.parametrize("ext", ["lamina", "keras"])
def test_fuzz_zip_files_raw_bytes(valid, tmp_path, ext):
    @_settings(40)
    @given(st.lists(byte_mutation, min_size=1, max_size=4))
    def run(mutations):
        path = tmp_path / f"raw.{ext}"
        path.write_bytes(apply_bytes((valid / f"m.{ext}").read_bytes(), mutations))
        check_one(f".{ext} raw bytes", path)
    run()


@pytest.mark.parametrize("ext", ["lamina", "keras"])
def test_fuzz_zip_members(valid, tmp_path, ext):
    @_settings(60)
    @given(st.floats(0, 1, exclude_max=True), st.booleans(),
           st.lists(st.one_of(byte_mutation, json_mutation), min_size=1, max_size=3))
    def run(member_choice, as_json, mutations):
        json_muts = [m for m in mutations if not isinstance(m[0], str)]
        byte_muts = [m for m in mutations if isinstance(m[0], str)]
        path = _zip_member_case(valid, tmp_path, ext, member_choice, json_muts if as_json else [],
                                byte_muts or [("flip", 0.5, 0)])
        check_one(f".{ext} members", path)
    run()


def test_fuzz_h5_files(valid, tmp_path):
    import h5py

    @_settings(60)
    @given(st.booleans(), st.lists(byte_mutation, min_size=1, max_size=3), st.lists(json_mutation, min_size=1,
                                                                                      max_size=3))
    def run(raw, mutations, json_muts):
        path = tmp_path / "case.h5"
        if raw:
            path.write_bytes(apply_bytes((valid / "m.h5").read_bytes(), mutations))
        else:
            shutil.copy(valid / "m.h5", path)
            with h5py.File(path, "a") as f:
                cfg = f.attrs["model_config"]
                cfg = cfg.encode() if isinstance(cfg, str) else bytes(cfg)
                try:
                    f.attrs["model_config"] = apply_json(cfg, json_muts)
                except (ValueError, KeyError, IndexError, TypeError):
                    pass
        check_one(".h5", path)
    run()
