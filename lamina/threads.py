"""lamina's thread policy, set by ``import lamina`` before torch starts its OpenMP pool.

torch runs CPU kernels on an OpenMP pool whose threads spin while they wait for each other.
That is fastest on a quiet machine, but when another process keeps a core busy every
parallel region waits for the thread that shares that core, and an epoch gets 3-5x slower
(``benchmarks/bench_contention.py``). No fixed setting is best for both cases, so lamina offers
two policies, chosen with the environment variable ``LAMINA_THREAD_POLICY``:

- ``auto`` (default): ``OMP_NUM_THREADS`` = the CPUs this process may actually use (its
  affinity mask and cgroup quota) when that is fewer than the machine has, so a container
  limited to 2 CPUs of 64 does not start 64 threads; torch's spinning waits stay (quiet speed
  unchanged).
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
import warnings

from ._errors import did_you_mean

__all__ = ["available_cpus", "default_environment", "apply_default_policy"]


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


_POLICIES = ("auto", "shared", "off")


def apply_default_policy() -> dict[str, str]:
    """Set the policy's variables in ``os.environ`` if torch is not loaded yet; returns what was set."""
    if "torch" in sys.modules:
        return {}
    values = default_environment(os.environ)
    os.environ.update(values)
    return values
