"""`lamina train --nproc-per-node 2` relaunches itself under torchrun (2 gloo processes)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lamina.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_train_with_two_processes_on_the_bundled_sample(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "lamina.cli", "train", "--model", "logreg", "--epochs", "1",
                           "--nproc-per-node", "2", "--output", str(out), "--verbose", "0"],
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.count("test accuracy:") == 1          # rank 0 alone prints
    assert proc.stdout.count("Total params") == 1
    assert {"model.lamina", "history.json", "curves.png"} <= set(os.listdir(out))
    record = json.loads((out / "history.json").read_text())
    assert record["epochs_run"] == 1
    assert record["test_accuracy"] > 0.8


def test_nproc_per_node_must_be_positive(capsys):
    assert main(["train", "--nproc-per-node", "0"]) == 2
    assert "--nproc-per-node must be a positive integer; received 0" in capsys.readouterr().err
