"""Fuzzing image files: random mutations of valid PNG, JPEG, BMP and GIF files always end in an image or an
UnreadableImageError naming the file, never another exception, within fixed time and memory limits.
``LAMINA_FUZZ_EXAMPLES=N`` runs N cases per format (derandomized, reproducible)."""
import collections
import io
import json
import os
import resource
import time
import warnings

import numpy as np
import pytest
from PIL import Image

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lamina.preprocessing.image import load_img  # noqa: E402
from lamina.preprocessing._pil import UnreadableImageError  # noqa: E402

EXAMPLES = int(os.environ.get("LAMINA_FUZZ_EXAMPLES", "0")) or None
COUNTS: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

mutation = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.floats(0, 1, exclude_max=True), st.just(0)),
    st.tuples(st.just("insert"), st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("big"), st.floats(0, 0.1), st.sampled_from([b"\xff\xff", b"\x7f\xff\xff\xff", b"\0\0"])),
)


def mutate(data: bytes, mutations) -> bytes:
    out = bytearray(data)
    for kind, where, arg in mutations:
        if not out:
            break
        i = int(where * len(out))
        if kind == "flip":
            out[i] = arg
        elif kind == "truncate":
            del out[i:]
        else:  # insert / overwrite header fields with large values
            out[i:i + (len(arg) if kind == "big" else 0)] = arg
    return bytes(out)


def _valid(fmt: str) -> bytes:
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 255, (12, 10, 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture(scope="module", autouse=True)
def memory_bound():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    yield
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert grown < 1 << 30, f"the image fuzz run grew peak memory by {grown:,} bytes"
    report = os.environ.get("LAMINA_FUZZ_REPORT")
    if report:
        with open(report, "a") as f:
            f.write(json.dumps({k: dict(v) for k, v in COUNTS.items()}) + "\n")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF"])
def test_fuzz_image_files(tmp_path, fmt):
    valid = _valid(fmt)
    kind = f"image {fmt}"

    @settings(max_examples=EXAMPLES or 40, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(mutation, min_size=1, max_size=4))
    def run(mutations):
        path = tmp_path / f"case.{fmt.lower()}"
        path.write_bytes(mutate(valid, mutations))
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                img = load_img(path, target_size=(8, 8))
            except UnreadableImageError as err:
                assert str(path) in str(err)
                COUNTS[kind]["clear error (UnreadableImageError)"] += 1
            except Exception as err:
                COUNTS[kind]["opaque"] += 1
                raise AssertionError(f"{fmt}: {type(err).__name__} instead of UnreadableImageError: {err}") from err
            else:
                assert img.size == (8, 8)
                COUNTS[kind]["loaded"] += 1
        assert time.perf_counter() - start < 10.0
    run()
