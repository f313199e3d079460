"""lamina's thread policy (lamina.threads); its speed is measured in benchmarks/bench_contention.py."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lamina import threads

REPO = Path(__file__).resolve().parents[1]
_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME", "OMP_NUM_THREADS", "LAMINA_THREAD_POLICY")


def _expected_threads():
    cpus = threads.available_cpus()
    assert 1 <= cpus <= os.cpu_count()
    return {"OMP_NUM_THREADS": str(cpus)} if cpus < os.cpu_count() else {}


def test_auto_sets_only_the_thread_count_and_only_when_fewer_cpus_are_available():
    assert threads.default_environment({}) == _expected_threads()


def test_shared_makes_waiting_threads_sleep():
    env = threads.default_environment({"LAMINA_THREAD_POLICY": "shared"})
    assert env == {"OMP_WAIT_POLICY": "PASSIVE", "KMP_BLOCKTIME": "0", **_expected_threads()}


def test_user_settings_win_and_off_keeps_torch_defaults():
    user = {"LAMINA_THREAD_POLICY": "shared", "OMP_WAIT_POLICY": "ACTIVE", "KMP_BLOCKTIME": "200",
            "OMP_NUM_THREADS": "3"}
    assert threads.default_environment(user) == {}
    assert "OMP_WAIT_POLICY" not in threads.default_environment({"LAMINA_THREAD_POLICY": "shared",
                                                                 "GOMP_SPINCOUNT": "1000"})
    assert threads.default_environment({"LAMINA_THREAD_POLICY": "off"}) == {}


def test_unknown_policy_warns_and_uses_auto():
    with pytest.warns(UserWarning, match="LAMINA_THREAD_POLICY must be one of 'auto', 'shared', 'off'; "
                                         "received 'shard'.*did you mean 'shared'"):
        assert threads.default_environment({"LAMINA_THREAD_POLICY": "shard"}) == _expected_threads()


def _after_import(code: str, extra_env: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _VARS}
    env.update(extra_env, PYTHONPATH=str(REPO))
    script = code + "\nimport json, os\nprint(json.dumps({k: os.environ.get(k) for k in %r}))" % (_VARS,)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_lamina_applies_the_policy_before_torch_and_respects_the_user():
    shared = {"LAMINA_THREAD_POLICY": "shared"}
    assert _after_import("import lamina", shared)["OMP_WAIT_POLICY"] == "PASSIVE"
    assert _after_import("import lamina", {})["OMP_WAIT_POLICY"] is None
    assert _after_import("import lamina", {**shared, "OMP_WAIT_POLICY": "ACTIVE"})["OMP_WAIT_POLICY"] == "ACTIVE"
    # torch loaded first: its pool's settings are fixed, so lamina changes nothing.
    assert _after_import("import torch, lamina", shared)["OMP_WAIT_POLICY"] is None
