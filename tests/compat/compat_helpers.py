"""Helpers to run code through ``python -m lamina.compat`` in a fresh interpreter, as a user does."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_compat(path, *args, cwd=None, env=None, timeout=900, cli=False):
    """Run ``python -m lamina.compat PATH ARGS`` (or ``lamina compat``); returns the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update({"MPLBACKEND": "Agg", "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1"})
    full_env.pop("KERAS_BACKEND", None)
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "lamina.cli", "compat"] if cli else [sys.executable, "-m", "lamina.compat"]
    return subprocess.run(cmd + [str(path), *map(str, args)], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)


def write_notebook(path, cells, execution_counts=None):
    """A minimal nbformat-4 notebook with one code cell per source string."""
    nb = {"nbformat": 4, "nbformat_minor": 2, "metadata": {},
          "cells": [{"cell_type": "code", "execution_count": (execution_counts or [None] * len(cells))[i],
                     "metadata": {}, "outputs": [], "source": src.splitlines(True)} for i, src in enumerate(cells)]}
    nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": ["# a course notebook"]})
    with open(path, "w") as f:
        json.dump(nb, f)
    return path
