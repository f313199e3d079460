"""Launching the torchrun tests: a script under ``torch.distributed.run --standalone`` (2 CPU
processes, gloo, one thread each) or under plain python, with the repository on the path."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def torchrun_env() -> dict:
    """The environment of a launched script: one thread per process, no torchrun variables of
    an enclosing launch."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    return env


@pytest.fixture(scope="session")
def launch():
    """``launch(script, args, nproc=None, torchrun_args=())``: run the script on one process
    (nproc None) or under torchrun with nproc processes (and extra torchrun options such as
    ``--max-restarts=1``); fails the test with the script's output when it fails."""
    def run(script, args, nproc=None, torchrun_args=()):
        cmd = [sys.executable, str(script), *args] if nproc is None else [
            sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
            *torchrun_args, str(script), *args]
        proc = subprocess.run(cmd, env=torchrun_env(), capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc
    return run
