"""lamina's thread policy, set by ``import lamina`` before torch starts its OpenMP pool.

torch runs CPU kernels on an OpenMP pool whose threads spin while they wait for each other.
That is fastest on a quiet machine, but when another process keeps a core busy every
parallel region waits for the thread that shares that core, and an epoch gets 3-5x slower
(``benchmarks/bench_contention.py``). No fixed setting is best for both cases, so lamina offers
these policies, chosen with the environment variable ``LAMINA_THREAD_POLICY``:

- ``auto`` (default): ``OMP_NUM_THREADS`` = the CPUs this process may actually use (its
  affinity mask and cgroup quota) when that is fewer than the machine has, so a container
  limited to 2 CPUs of 64 does not start 64 threads; torch's spinning waits stay (quiet speed
  unchanged). While ``fit``/``evaluate`` run, a :class:`ThreadGovernor` watches how much CPU
  other processes take (``/proc/stat``, twice a second) and lowers the thread count of the
  training thread to the cores they leave free, raising it again when they go quiet; the
  count the run started with is restored at its end. On Linux only; elsewhere it does nothing.
- ``fixed``: as ``auto`` without the governor (the thread count never changes during a run).
- ``shared``: also ``OMP_WAIT_POLICY=PASSIVE`` (GNU OpenMP, used by torch's Linux wheels) and
  ``KMP_BLOCKTIME=0`` (Intel OpenMP): waiting threads sleep at once and give their core back.
  Beside one busy process an epoch then slows 0.6-1.4x instead of 3-5x, but on a quiet
  machine it is 1.2-2.8x slower (small models suffer most). Use it on a shared machine.
- ``off``: torch's defaults.

Variables you set yourself always win, and nothing changes when torch was imported before
lamina (its pool's settings are fixed by then).

Example:
    >>> import lamina.threads
    >>> lamina.threads.default_environment({"LAMINA_THREAD_POLICY": "shared"})["OMP_WAIT_POLICY"]
    'PASSIVE'
"""
from __future__ import annotations

import math
import os
import sys
import time
import warnings

from ._errors import did_you_mean

__all__ = ["available_cpus", "default_environment", "apply_default_policy", "ThreadGovernor", "governor_for_run"]


def available_cpus() -> int:
    """The CPUs this process may use: its affinity mask, capped by a cgroup v2 CPU quota."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def policy_name(environ=None) -> str:
    """The thread policy in force: ``LAMINA_THREAD_POLICY`` lower-cased, 'auto' when unset or unknown."""
    policy = str((os.environ if environ is None else environ).get("LAMINA_THREAD_POLICY", "auto")).lower()
    return policy if policy in _POLICIES else "auto"


def default_environment(environ) -> dict[str, str]:
    """The variables lamina's policy would set, given the environment ``environ`` (a mapping):
    only those left unset. An unknown ``LAMINA_THREAD_POLICY`` warns and counts as 'auto'."""
    policy = str(environ.get("LAMINA_THREAD_POLICY", "auto")).lower()
    if policy not in _POLICIES:
        warnings.warn(f"LAMINA_THREAD_POLICY must be one of {', '.join(map(repr, _POLICIES))}; received "
                      f"{policy!r}{did_you_mean(policy, _POLICIES) or '.'} Using 'auto'.", UserWarning, stacklevel=2)
        policy = "auto"
    if policy == "off":
        return {}
    out = {}
    if "OMP_NUM_THREADS" not in environ:
        cpus = available_cpus()
        if cpus < (os.cpu_count() or cpus):
            out["OMP_NUM_THREADS"] = str(cpus)
    if policy == "shared":
        if "OMP_WAIT_POLICY" not in environ and "GOMP_SPINCOUNT" not in environ:
            out["OMP_WAIT_POLICY"] = "PASSIVE"
        if "KMP_BLOCKTIME" not in environ:
            out["KMP_BLOCKTIME"] = "0"
    return out


_POLICIES = ("auto", "fixed", "shared", "off")


def apply_default_policy() -> dict[str, str]:
    """Set the policy's variables in ``os.environ`` if torch is not loaded yet; returns what was set."""
    if "torch" in sys.modules:
        return {}
    values = default_environment(os.environ)
    os.environ.update(values)
    return values


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_seconds(cpus: frozenset[int], path: str = "/proc/stat") -> float | None:
    """CPU seconds spent busy (not idle, not waiting on I/O) so far on ``cpus``; None where unreadable."""
    try:
        with open(path, encoding="ascii") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    ticks = 0
    for line in lines:
        if not line.startswith("cpu") or line.startswith("cpu "):
            continue
        name, *fields = line.split()
        try:
            if int(name[3:]) not in cpus:
                continue
            values = [int(v) for v in fields[:8]]
        except ValueError:
            return None
        # user nice system idle iowait irq softirq steal: busy = all but idle and iowait
        ticks += sum(values) - values[3] - values[4]
    return ticks / _CLOCK_TICKS


def _own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


class ThreadGovernor:
    """Keeps torch's thread count at the cores other processes leave free, during one run.

    torch's threads spin while they wait for each other, so when another process keeps a core
    busy every parallel region waits for the thread that shares it, and an epoch gets 3-5x
    slower. The governor measures, every ``interval`` seconds, the CPU time all processes spent
    on this process's CPUs minus its own: that is the load of the others. The thread count of
    the calling thread becomes the cores they leave free (at least 1, at most what it was when
    the run began); a core counts as taken once the others use more than ``tolerance`` of it
    (a quiet machine reads 0.0-0.1 cores, one busy process beside lamina's threads 0.6-1.3).
    It lowers the count at once and raises it only when two readings in a row agree, so a
    short burst does not make it swing. Only the calling thread's count changes (torch's OpenMP
    thread count is per thread), so other threads' ``predict`` calls are not affected. :meth:`close` restores the starting count.

    ``tick()`` is cheap (a clock read) and meant to be called once per step. The first reading
    comes after 0.1 s, so a busy machine is seen right after the first step of a run.

    Args:
        cpus: how many CPUs the readings cover (default: those in this process's affinity mask).
        interval: seconds between readings.
        tolerance: the others' load, in cores, that does not yet take a core away.
        busy_seconds, own_seconds, clock, set_threads, get_threads: the readers and setters,
            replaceable for tests.
    """

    def __init__(self, cpus: int | None = None, interval: float = 0.5, tolerance: float = 0.3, *,
                 busy_seconds=None, own_seconds=None,
                 clock=time.monotonic, set_threads=None, get_threads=None):
        import torch
        self._set = set_threads or torch.set_num_threads
        get = get_threads or torch.get_num_threads
        affinity = frozenset(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else frozenset(range(os.cpu_count() or 1))
        self.cpus = cpus or len(affinity)   # the CPUs the readings cover
        self.interval = float(interval)
        self.tolerance = float(tolerance)
        self._busy = busy_seconds or (lambda: _busy_seconds(affinity))
        self._own = own_seconds or _own_cpu_seconds
        self._clock = clock
        self.start_threads = self.threads = max(1, int(get()))
        self._pending_raise = None
        self._readings = 0
        self._last = self._reading()
        self.enabled = self._last is not None and self.start_threads > 1
        self.changes: list[tuple[float, int, float]] = []   # (time, new count, others' load in cores)

    def _reading(self):
        busy = self._busy()
        return None if busy is None else (self._clock(), busy, self._own())

    def tick(self) -> int:
        """Call once per step: takes a reading when ``interval`` has passed; returns the thread count."""
        wait = self.interval if self._readings else min(self.interval, 0.1)
        if not self.enabled or self._clock() - self._last[0] < wait:
            return self.threads
        now = self._reading()
        if now is None:
            self.enabled = False
            return self.threads
        elapsed = now[0] - self._last[0]
        others = max(0.0, ((now[1] - self._last[1]) - (now[2] - self._last[2])) / elapsed)
        self._last = now
        self._readings += 1
        taken = max(0, math.ceil(others - self.tolerance))
        want = max(1, min(self.start_threads, self.cpus - taken))
        if want < self.threads:
            self._pending_raise = None
            self._change(want, others)
        elif want > self.threads:
            if self._pending_raise is not None:
                self._change(min(self._pending_raise, want), others)
                self._pending_raise = None
            else:
                self._pending_raise = want
        else:
            self._pending_raise = None
        return self.threads

    def _change(self, threads: int, others: float) -> None:
        self._set(threads)
        self.threads = threads
        self.changes.append((self._clock(), threads, round(others, 2)))

    def close(self) -> None:
        """Restore the thread count the run started with."""
        if self.threads != self.start_threads:
            self._set(self.start_threads)
            self.threads = self.start_threads


class _NoGovernor:
    enabled = False
    changes: list = []

    def tick(self) -> int:
        return 0

    def close(self) -> None:
        """Nothing was changed, so nothing to restore."""


def governor_for_run():
    """A :class:`ThreadGovernor` for one fit/evaluate run under the 'auto' policy, else a no-op one.

    Results in float32 differ in the last bits (about 1e-8) between thread counts, so a seeded
    run that must repeat bit for bit on a busy machine sets ``LAMINA_THREAD_POLICY=fixed``; with
    ``torch.use_deterministic_algorithms(True)`` the count never changes either."""
    import torch
    if policy_name() != "auto" or torch.are_deterministic_algorithms_enabled():
        return _NoGovernor()
    governor = ThreadGovernor()
    return governor if governor.enabled else _NoGovernor()
