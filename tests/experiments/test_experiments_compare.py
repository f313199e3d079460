"""lamina compare / lamina.experiments: the table, parallel runs, resuming, reproducibility, errors."""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lamina.cli import main
from lamina.experiments import ARCHITECTURES, Candidate, compare, suite

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def two_by_two(tmp_path_factory):
    """LR and the course CNN x seeds 0, 1 in --quick mode, two worker processes, through the CLI."""
    out = tmp_path_factory.mktemp("cmp") / "lr-cnn"
    code = main(["compare", "logreg", "cnn", "--seeds", "0", "1", "--quick", "--workers", "2", "--out", str(out),
                 "--verbose", "0"])
    assert code == 0
    return out


def test_table_has_exact_parameter_counts_and_mean_std(two_by_two):
    md = (two_by_two / "table.md").read_text()
    lines = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert lines[0].startswith("| model | parameters | runs | epochs | best epoch | train acc | val acc | test acc")
    lr, cnn = lines[1].split(" | "), lines[2].split(" | ")
    assert lr[0] == "| logreg" and lr[1] == "7,850" and lr[2] == "2"
    assert cnn[0] == "| cnn" and cnn[1] == "286,940" and cnn[2] == "2"
    assert all(" ± " in cell for cell in lr[3:10])   # mean ± std of every statistic
    # the table's numbers are the mean and sample std of the two recorded runs
    runs = [json.loads(p.read_text()) for p in sorted((two_by_two / "runs").glob("logreg-*.json"))]
    assert [r["seed"] for r in runs] == [0, 1] and all(r["params"] == 7850 for r in runs)
    accs = [r["test_accuracy"] for r in runs]
    mean, std = sum(accs) / 2, abs(accs[0] - accs[1]) / 2 ** 0.5
    assert lr[7] == f"{mean:.4f} ± {std:.4f}"


def test_csv_files_hold_every_model_and_run(two_by_two):
    rows = list(csv.DictReader((two_by_two / "table.csv").open()))
    assert [(r["model"], r["params"], r["runs"]) for r in rows] == [("logreg", "7850", "2"), ("cnn", "286940", "2")]
    assert {"test_accuracy_mean", "test_accuracy_std", "epochs_run_mean", "wall_seconds_std"} <= set(rows[0])
    runs = list(csv.DictReader((two_by_two / "runs.csv").open()))
    assert sorted((r["model"], r["seed"]) for r in runs) == [("cnn", "0"), ("cnn", "1"), ("logreg", "0"),
                                                             ("logreg", "1")]
    assert all(0.0 <= float(r["test_accuracy"]) <= 1.0 and r["epochs_run"] == "1" for r in runs)


def test_each_run_is_recorded_with_its_model(two_by_two):
    rec = json.loads(next((two_by_two / "runs").glob("cnn-*-s1.json")).read_text())
    for key in ("params", "epochs_run", "best_epoch", "train_accuracy", "train_loss", "val_accuracy", "val_loss",
                "test_accuracy", "test_loss", "wall_seconds", "settings", "seed", "history"):
        assert key in rec, key
    assert rec["settings"]["lr"] == 0.01 and rec["settings"]["batch_size"] == 50 and rec["threads"] == 1
    assert (rec["train_images"], rec["val_images"], rec["test_images"]) == (540, 60, 500)
    assert (two_by_two / "runs" / f"{rec['id']}.lamina").is_file()


def test_builtin_architectures_have_the_handouts_counts():
    counts = {name: ARCHITECTURES[name]((28, 28, 1), 10).count_params()
              for name in ("logreg", "mlp50", "mlp200", "mlp1000", "mlp500x2", "cnn-shallow", "cnn-plain", "cnn")}
    assert counts == {"logreg": 7850, "mlp50": 39760, "mlp200": 159010, "mlp1000": 795010, "mlp500x2": 648010,
                      "cnn-shallow": 98820, "cnn-plain": 286940, "cnn": 286940}


def test_same_seed_same_numbers_in_process_and_in_a_worker(two_by_two, tmp_path):
    """The in-process run (workers=1) repeats the worker process's run bit for bit."""
    result = compare(["logreg"], seeds=[1], quick=True, workers=1, out=tmp_path / "again", verbose=0)
    again = result.runs[0]
    first = json.loads(next((two_by_two / "runs").glob("logreg-*-s1.json")).read_text())
    for key in ("test_accuracy", "test_loss", "train_loss", "val_loss", "history"):
        assert again[key] == first[key], key


def _records(out):
    return sorted((out / "runs").glob("*.json"))


def test_a_killed_comparison_resumes_where_it_stopped(tmp_path):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "lamina.cli", "compare", "cnn", "logreg", "--seeds", "0", "1", "--quick",
           "--workers", "1", "--out", str(out), "--verbose", "0"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (out / "runs").is_dir() or not _records(out):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p.name: (p.stat().st_mtime_ns, p.read_text()) for p in _records(out)}
    assert 1 <= len(before) < 4
    assert not (out / "table.md").exists()

    result = compare(["cnn", "logreg"], seeds=[0, 1], quick=True, workers=1, out=out, verbose=0)
    after = {p.name: (p.stat().st_mtime_ns, p.read_text()) for p in _records(out)}
    assert len(after) == 4 and len(result.runs) == 4
    assert all(after[name] == value for name, value in before.items())   # finished runs were not redone
    assert (out / "table.md").is_file()
    # a third call finds everything done and trains nothing
    t0 = time.perf_counter()
    again = compare(["cnn", "logreg"], seeds=[0, 1], quick=True, workers=1, out=out, verbose=0)
    assert {p.name: p.stat().st_mtime_ns for p in _records(out)} == {k: v[0] for k, v in after.items()}
    assert [r["test_accuracy"] for r in again.runs] == [r["test_accuracy"] for r in result.runs]
    assert time.perf_counter() - t0 < 10


def test_settings_variants_and_published_column(tmp_path):
    rows = [Candidate("LR", "logreg", {"lr": 0.05}, published=0.889)]
    result = compare(rows, seeds=[0], settings=[{"batch_size": 100}, {"batch_size": 200}], quick=True,
                     workers=1, out=tmp_path / "grid", verbose=0)
    assert [r["model"] for r in result.rows] == ["LR (batch_size=100)", "LR (batch_size=200)"]
    assert [r["settings"]["batch_size"] for r in result.runs] == [100, 200]
    assert all(r["settings"]["lr"] == 0.05 for r in result.runs)
    header, cells = result.table()
    assert header[-2:] == ["published", "Δ points"] and cells[0][-2] == "0.8890"
    assert cells[0][-1] == f"{(result.rows[0]['test_accuracy_mean'] - 0.889) * 100:+.2f}"


def test_suites_have_the_tables_rows():
    title, rows, notes, budget = suite("cs4487")
    assert len(rows) == 10 and budget == 40
    assert [r.published for r in rows] == [0.8890, 0.9373, 0.9431, 0.9453, 0.9523, 0.9537, 0.9693, 0.9756,
                                           0.9843, 0.9911]
    assert rows[-1].settings["noise"] == 0.05 and rows[-1].settings["patience"] is None
    _, nrows, nnotes, _ = suite("nielsen")
    assert nrows[-1].ensemble == 5 and nrows[4].settings["expand"] == "shift1"
    assert any("50,000" in n and "5,400" in n for n in nnotes)


def _square(input_shape, num_classes):
    import lamina
    from lamina import layers
    return lamina.Sequential([layers.Input(input_shape), layers.Flatten(), layers.Dense(num_classes,
                                                                                      activation="softmax")])


def test_errors_say_what_was_expected(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown architecture 'mlp5'.*did you mean 'mlp50'"):
        compare(["mlp5"], seeds=[0], quick=True, workers=1, out=tmp_path / "a", verbose=0)
    with pytest.raises(ValueError, match=r"unknown setting 'learning_rate'.*Expected one of"):
        compare(["logreg"], settings={"learning_rate": 0.1}, out=tmp_path / "b", verbose=0)
    with pytest.raises(ValueError, match=r"distinct int seeds.*Received: seeds=\[0, 0\]"):
        compare(["logreg"], seeds=[0, 0], out=tmp_path / "c", verbose=0)
    with pytest.raises(ValueError, match=r"cannot be sent to worker processes.*workers=1"):
        compare([lambda s, n: _square(s, n)], seeds=[0, 1], quick=True, workers=2, out=tmp_path / "d", verbose=0)
    with pytest.raises(ValueError, match=r"Unknown suite 'cs4478'.*did you mean 'cs4487'"):
        suite("cs4478")
    assert main(["compare", "logreg", "--suite", "cs4487", "--out", str(tmp_path / "e")]) == 2


def test_a_callable_and_a_build_model_file(tmp_path):
    path = tmp_path / "net.py"
    path.write_text("import lamina\nfrom lamina import layers\n\ndef build_model():\n"
                    "    return lamina.Sequential([layers.Input((28, 28, 1)), layers.Flatten(),\n"
                    "                              layers.Dense(10, activation='softmax')])\n")
    result = compare([_square, str(path)], seeds=[0], quick=True, workers=1, out=tmp_path / "f", verbose=0)
    assert [(r["model"], r["params"]) for r in result.rows] == [("_square", 7850), ("net", 7850)]


def test_an_ensemble_row_averages_its_members_and_shares_runs(tmp_path):
    import numpy as np

    from lamina.experiments.data import load_split, prepare
    from lamina.models import load_model

    rows = ["logreg", Candidate("LR ensemble of 2", "logreg", ensemble=2)]
    result = compare(rows, seeds=[0], quick=True, workers=1, out=tmp_path / "ens", verbose=0)
    runs = tmp_path / "ens" / "runs"
    assert len(list(runs.glob("*.json"))) == 3   # logreg seed 0 is shared by both rows, + seed 1000, + the ensemble
    ens = result.runs[1]
    assert ens["kind"] == "ensemble" and len(ens["members"]) == 2 and ens["params"] == 2 * 7850
    assert ens["members"][0] == result.runs[0]["id"]
    data = prepare(load_split("mnist-sample", 0.1, True), True, None)
    xt, yt = data["test"]
    probs = np.mean([load_model(runs / f"{m}.lamina").predict(xt, verbose=0) for m in ens["members"]], axis=0)
    assert ens["test_accuracy"] == pytest.approx(float(np.mean(probs.argmax(1) == yt)))
