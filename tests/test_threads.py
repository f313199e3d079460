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
    with pytest.warns(UserWarning, match="LAMINA_THREAD_POLICY must be one of 'auto', 'fixed', 'shared', 'off'; "
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


# ---------------------------------------------------------------- the governor (policy 'auto')
class _Machine:
    """A fake clock and CPU counters: the others' load and our own use, in cores, per second."""

    def __init__(self, others=0.0, own=2.0):
        self.t, self.busy, self.own_s = 0.0, 0.0, 0.0
        self.others, self.own = others, own
        self.threads = 2
        self.sets = []

    def advance(self, seconds):
        self.t += seconds
        self.busy += (self.others + self.own) * seconds
        self.own_s += self.own * seconds

    def set_threads(self, n):
        self.threads = n
        self.sets.append(n)

    def governor(self, **kwargs):
        kwargs = {"cpus": 2, "interval": 0.5, **kwargs}
        return threads.ThreadGovernor(busy_seconds=lambda: self.busy, own_seconds=lambda: self.own_s,
                                      clock=lambda: self.t, set_threads=self.set_threads,
                                      get_threads=lambda: self.threads, **kwargs)


def test_governor_gives_a_busy_core_back_at_the_first_reading_and_only_then():
    m = _Machine(others=0.7, own=1.3)
    g = m.governor()
    m.advance(0.05)
    assert g.tick() == 2 and m.sets == []          # the first reading comes after 0.1 s
    m.advance(0.1)
    assert g.tick() == 1 and m.sets == [1]
    assert g.changes == [(pytest.approx(0.15), 1, 0.7)]
    m.others = 0.0
    for _ in range(2):                              # later readings wait the full 0.5 s: one reading
        m.advance(0.3)                              # here, so the raise is only pending
        assert g.tick() == 1
    assert m.sets == [1]
    m.others, m.own = 1.0, 1.0
    for _ in range(5):
        m.advance(0.5)
        assert g.tick() == 1
    assert m.sets == [1]


def test_governor_raises_the_count_only_after_two_quiet_readings_and_close_restores_it():
    m = _Machine(others=1.0, own=1.0)
    g = m.governor()
    m.advance(0.5)
    g.tick()
    m.others = 0.05
    m.advance(0.5)
    assert g.tick() == 1                          # one quiet reading: a burst ends, maybe
    m.others = 1.0
    m.advance(0.5)
    assert g.tick() == 1                          # it was a burst: the pending raise is dropped
    m.others = 0.05
    m.advance(0.5)
    assert g.tick() == 1
    m.advance(0.5)
    assert g.tick() == 2 and m.sets == [1, 2]
    m.others = 0.9
    m.advance(0.5)
    g.tick()
    g.close()
    assert m.threads == 2 and m.sets == [1, 2, 1, 2]


def test_governor_never_goes_above_the_starting_count_or_below_one():
    m = _Machine(others=0.0)
    m.threads = 1
    assert not m.governor().enabled                # one thread: nothing to govern
    m = _Machine(others=5.0)
    g = m.governor()
    m.advance(0.5)
    assert g.tick() == 1
    m = _Machine(others=0.0)
    g = m.governor(cpus=8)
    for _ in range(4):
        m.advance(0.5)
        assert g.tick() == 2


def test_governor_tolerates_light_background_load():
    m = _Machine(others=0.28, own=1.72)
    g = m.governor()
    for _ in range(4):
        m.advance(0.5)
        assert g.tick() == 2
    assert m.governor(tolerance=0.2).tick() == 2   # no reading yet at t=0
    strict = m.governor(tolerance=0.2)
    m.advance(0.5)
    assert strict.tick() == 1


def test_governor_is_off_where_proc_stat_cannot_be_read():
    m = _Machine()
    g = threads.ThreadGovernor(cpus=2, busy_seconds=lambda: None, own_seconds=lambda: 0.0, clock=lambda: m.t,
                               set_threads=m.set_threads, get_threads=lambda: 2)
    assert not g.enabled and g.tick() == 2 and m.sets == []


def test_busy_seconds_reads_only_the_cpus_of_this_process(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  400 0 100 900 50 0 0 0 0 0\n"
                    "cpu0 100 0 50 400 20 0 0 0 0 0\n"
                    "cpu1 300 0 50 500 30 0 0 10 0 0\n"
                    "intr 1 2 3\n")
    hz = threads._CLOCK_TICKS
    assert threads._busy_seconds(frozenset({0}), str(stat)) == pytest.approx(150 / hz)
    assert threads._busy_seconds(frozenset({0, 1}), str(stat)) == pytest.approx(510 / hz)
    assert threads._busy_seconds(frozenset({0}), str(tmp_path / "missing")) is None


@pytest.mark.parametrize("policy", ["fixed", "shared", "off"])
def test_only_the_auto_policy_governs(monkeypatch, policy):
    monkeypatch.setenv("LAMINA_THREAD_POLICY", policy)
    assert not threads.governor_for_run().enabled


def test_deterministic_algorithms_keep_the_count_fixed(monkeypatch):
    import torch
    monkeypatch.setenv("LAMINA_THREAD_POLICY", "auto")
    monkeypatch.setattr(torch, "are_deterministic_algorithms_enabled", lambda: True)
    assert not threads.governor_for_run().enabled


@pytest.mark.skipif(not os.path.exists("/proc/stat") or len(os.sched_getaffinity(0)) < 2,
                    reason="the governor reads /proc/stat (Linux) and needs 2 CPUs to lower a count")
def test_fit_beside_a_busy_process_runs_on_fewer_threads_and_restores_the_count(monkeypatch):
    import numpy as np
    import torch

    import lamina
    monkeypatch.setenv("LAMINA_THREAD_POLICY", "auto")
    x = np.random.default_rng(0).random((2000, 64), dtype=np.float32)
    y = (x.sum(1) > 32).astype("int64")
    model = lamina.Sequential([lamina.layers.Dense(256, activation="relu", input_shape=(64,)),
                               lamina.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    seen = []
    recorder = lamina.callbacks.LambdaCallback(on_batch_end=lambda b, logs: seen.append(torch.get_num_threads()))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        model.fit(x, y, batch_size=20, epochs=100, verbose=0,
                  callbacks=[recorder, lamina.callbacks.LambdaCallback(
                      on_batch_end=lambda b, logs: model.stop_training or (
                          setattr(model, "stop_training", len(seen) > 50 and seen[-1] == 1)))])
        governor = recorder.trainer.thread_governor
        assert torch.get_num_threads() == 2         # restored at the end of the run
    finally:
        for p in spinners:
            p.kill()
            p.wait()
        torch.set_num_threads(before)
    assert seen[-1] == 1, seen[::20]
    assert governor.changes and governor.changes[0][1] == 1
