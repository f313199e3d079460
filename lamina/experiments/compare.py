"""``compare()``: models x seeds x settings -> recorded runs -> a table, in parallel processes.

Each run trains one network in its own process with one thread (on N cores, up
to N runs at once), writes its record (JSON) and model (``.lamina``) into the
output folder, and reports its epochs to one progress display. A run whose
record is already there, made from the same recipe and seed, is not run again,
so a killed comparison continues where it stopped.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import pickle
import queue
import re
import time
from pathlib import Path

from .progress import Display
from .results import Comparison
from .run import evaluate_ensemble, read_record, train_run
from .spec import recipe_hash, resolve_candidates

__all__ = ["compare"]

# Seeds of ensemble members: member k of the run with seed s uses seed s + k * _MEMBER_STRIDE
# (member 0 is the run with seed s itself, so an ensemble row reuses its base row's runs).
_MEMBER_STRIDE = 1000


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "model"


def _build_label(build) -> str:
    """Runs are named by what they build, so rows with the same recipe share them."""
    if isinstance(build, str):
        return Path(build).stem if build.endswith(".py") else build
    return getattr(build, "__name__", type(build).__name__)


def _check_seeds(seeds):
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = [seeds]
    seeds = list(seeds)
    bad = [s for s in seeds if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s < 2**31]
    if not seeds or bad or len(set(seeds)) != len(seeds):
        raise ValueError(f"compare expects distinct int seeds in [0, 2**31). Received: seeds={seeds!r}. "
                         f"Pass e.g. seeds=[0, 1, 2].")
    return seeds


def _positive(name, value, allow_none=True):
    if value is None and allow_none:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"compare expects {name} to be a positive int{' or None' if allow_none else ''}. "
                         f"Received: {name}={value!r}.")
    return value


def _plan(rows, seeds, data, quick, budget, threads, out_dir, save_models):
    """Training tasks (deduplicated: ensembles share their members' runs) and ensemble tasks."""
    trainings, ensembles, row_runs = {}, [], {}
    for row in rows:
        settings = row.settings
        rhash = recipe_hash(row, settings, data, quick)
        ids = []
        for seed in seeds:
            member_seeds = [seed + k * _MEMBER_STRIDE for k in range(row.ensemble or 1)]
            member_ids = []
            for ms in member_seeds:
                run_id = f"{_slug(_build_label(row.build))}-{rhash}-s{ms}"
                member_ids.append(run_id)
                if run_id not in trainings:
                    trainings[run_id] = {
                        "run_id": run_id, "build": row.build, "settings": settings, "seed": ms, "data": data,
                        "quick": quick, "budget": budget, "threads": threads, "out_dir": str(out_dir),
                        "save_model": save_models or bool(row.ensemble),
                        "identity": {"id": run_id, "model": row.name, "seed": ms, "recipe": rhash,
                                     "build": row.build_ref(), "settings": settings, "data": data,
                                     "quick": quick, "epoch_budget": budget}}
            if row.ensemble:
                ens_id = f"{_slug(row.name)}-{rhash}-x{row.ensemble}-s{seed}"
                ensembles.append(({"run_id": ens_id, "settings": settings, "data": data, "quick": quick,
                                   "threads": threads, "out_dir": str(out_dir), "save_model": False,
                                   "identity": {"id": ens_id, "model": row.name, "seed": seed, "recipe": rhash,
                                                "build": row.build_ref(), "settings": settings, "data": data,
                                                "quick": quick, "epoch_budget": budget,
                                                "ensemble": row.ensemble}}, member_ids))
                ids.append(ens_id)
            else:
                ids.extend(member_ids)
        row_runs[row.name] = ids
    return trainings, ensembles, row_runs


def _finished(out_dir: Path, task: dict):
    rec = read_record(out_dir / f"{task['run_id']}.json")
    ident = task["identity"]
    if rec is None or any(rec.get(k) != ident[k] for k in ("recipe", "seed", "epoch_budget")):
        return None   # not run yet, or run with another recipe, seed or epoch budget: run it (again)
    if task.get("save_model") and not (out_dir / f"{task['run_id']}.lamina").is_file():
        return None
    return rec


def _worker_init(events):
    import torch
    global _EVENTS
    _EVENTS = events
    torch.set_num_threads(1)


def _worker_train(task):
    return train_run(task, _EVENTS.put)


def compare(models, seeds=(0, 1, 2), settings=None, *, out="comparison", data="mnist-sample", epochs=None,
            quick=False, workers=None, threads=1, save_models=True, verbose=1, title=None, notes=()):
    """Train every model with every seed (and settings variant), record each run, and tabulate.

    Args:
        models: a list of built-in architecture names (``lamina.experiments.ARCHITECTURES``),
            paths of Python files defining ``build_model()``, callables returning a
            model, or :class:`Candidate` objects (a model with its own recipe).
        seeds: the seeds to train each model with (default ``(0, 1, 2)``).
        settings: None, a dict, or a list of dicts of training settings (see
            ``lamina.experiments.DEFAULT_SETTINGS``); every model is run with each.
        out: the folder for run records, models and the table files (default
            ``'comparison'``). Running again with the same folder skips finished runs.
        data: the dataset (default ``'mnist-sample'``: 6,000 training / 4,000 test digits;
            10% of the training images, the same for every run, are held out for validation).
        epochs: an epoch budget capping every recipe's epochs (default: none).
        quick: train 1 epoch on 600 training images and test on 500 (for tests and smoke runs).
        workers: runs at once, each in its own process (default: the number of
            CPU cores, at most the number of runs). 1 runs them one after another
            in this process.
        threads: torch threads per run (default 1).
        save_models: keep each trained network as ``<run>.lamina`` (default True).
        verbose: 0 silent, 1 one progress display (redrawn on a terminal, one line
            per finished run otherwise).
        title: a title for the table and page (default: 'Comparison').
        notes: lines shown under the table (e.g. how the data differ from a paper's).

    Returns:
        A :class:`Comparison` holding every run record and the per-model table;
        its files (``table.md``, ``table.csv``, ``runs.csv``, ``comparison.html``)
        are already written into ``out``.

    Raises:
        ValueError: unknown models or settings, bad seeds, or a callable that
            cannot be sent to worker processes.
        RuntimeError: a run failed (finished runs stay recorded).

    Example:
        >>> from lamina.experiments import compare
        >>> result = compare(["logreg", "mlp50", "cnn"], seeds=[0, 1], epochs=20)
        >>> print(result.to_markdown())
    """
    rows = resolve_candidates(models, settings)
    seeds = _check_seeds(seeds)
    epochs, threads = _positive("epochs", epochs), _positive("threads", threads, allow_none=False)
    workers = _positive("workers", workers)
    if quick:
        epochs = 1
    out_dir = Path(out)
    runs_dir = out_dir / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    trainings, ensembles, row_runs = _plan(rows, seeds, data, quick, epochs, threads, runs_dir, save_models)

    records, todo = {}, []
    for run_id, task in trainings.items():
        rec = _finished(runs_dir, task)
        if rec is not None:
            records[run_id] = rec
        else:
            todo.append(task)
    ens_todo = []
    for task, member_ids in ensembles:
        rec = _finished(runs_dir, task)
        if rec is not None:
            records[task["run_id"]] = rec
        else:
            ens_todo.append((task, member_ids))
    if workers is None:
        workers = max(1, min(os.cpu_count() or 1, len(todo)))
    labels = {t["run_id"]: (t["identity"]["model"], t["identity"]["seed"]) for t in todo}
    labels.update({t["run_id"]: (t["identity"]["model"], t["identity"]["seed"]) for t, _ in ens_todo})
    display = Display(len(todo) + len(ens_todo), len(records), labels, verbose)
    start = time.perf_counter()
    try:
        if workers == 1 or len(todo) <= 1:
            for task in todo:
                records[task["run_id"]] = train_run(task, display.event)
        else:
            records.update(_run_pool(todo, workers, display))
        for task, member_ids in ens_todo:
            records[task["run_id"]] = evaluate_ensemble(task, member_ids, display.event)
    finally:
        display.close()
    result = Comparison(rows, row_runs, records, title=title or "Comparison", notes=list(notes),
                        wall_seconds=time.perf_counter() - start, seeds=seeds, quick=quick, epoch_budget=epochs)
    result.write(out_dir)
    return result


def _run_pool(todo, workers, display):
    for task in todo:
        try:
            pickle.dumps(task["build"])
        except Exception:  # noqa: BLE001 - any pickling failure means the same fix
            raise ValueError(f"Model {task['identity']['model']!r}: its builder {task['build']!r} cannot be sent to "
                             f"worker processes (lambdas and functions defined inside functions cannot). Define it "
                             f"at module level, put it in a .py file with build_model(), or pass workers=1.") from None
    # Longest first, so the last runs do not leave a core idle: runs without early stopping, then runs that
    # augment (every batch transformed) or expand the data (5x the images); row order otherwise.
    todo = sorted(todo, key=_expected_cost, reverse=True)
    ctx = multiprocessing.get_context("spawn")  # fork after torch has started threads can hang the child
    events = ctx.Queue()
    records = {}
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                                initargs=(events,)) as pool:
        futures = {pool.submit(_worker_train, task): task for task in todo}
        pending = set(futures)
        try:
            while pending:
                done, pending = cf.wait(pending, timeout=0.25, return_when=cf.FIRST_COMPLETED)
                _drain(events, display)
                for fut in done:
                    task = futures[fut]
                    try:
                        records[task["run_id"]] = fut.result()
                    except cf.process.BrokenProcessPool as err:
                        raise RuntimeError(
                            f"A worker process died while running {task['run_id']} ({task['identity']['model']}, "
                            f"seed {task['seed']}). Worker processes start by importing your main script: call "
                            f"compare() under `if __name__ == '__main__':`, or pass workers=1. If it was killed "
                            f"(out of memory?), run the comparison again: finished runs are kept.") from err
                    except Exception as err:
                        raise RuntimeError(f"Run {task['run_id']} ({task['identity']['model']}, seed "
                                           f"{task['seed']}) failed: {type(err).__name__}: {err}. Finished runs "
                                           f"are kept; fix the cause and run the comparison again to continue."
                                           ) from err
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    _drain(events, display)   # the workers have exited: their last events are all in the queue now
    return records


def _expected_cost(task) -> float:
    settings = task["settings"]
    epochs = settings["epochs"] if task["budget"] is None else min(settings["epochs"], task["budget"])
    cost = epochs * (1.0 if settings["patience"] is None else 0.5)
    cost *= 1.5 if settings["augment"] or settings["noise"] else 1.0
    return cost * (5.0 if settings["expand"] else 1.0)


def _drain(events, display):
    while True:
        try:
            display.event(events.get_nowait())
        except queue.Empty:
            return
