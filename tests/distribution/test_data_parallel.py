"""DataParallel under torchrun (2 CPU processes, gloo) against the same training on one process.

Each test writes a small script to tmp_path and launches it with
``python -m torch.distributed.run --standalone --nproc-per-node 2`` and with plain python;
the scripts save their results as .npz files that the test compares.

Tolerance: the two runs differ only in float32 summation order (two half-batch gradients
summed by all-reduce vs one batch), so weights, logs and predictions agree to 1e-5.
"""
from __future__ import annotations

import os
import sys
import textwrap

import numpy as np
import pytest
import torch

import lamina
from lamina import distribution

TOL = 1e-5

WORKER = textwrap.dedent('''
    import os, sys
    import numpy as np
    import lamina
    from lamina import callbacks, distribution, layers

    mode, out = sys.argv[1], sys.argv[2]
    rank = int(os.environ.get("RANK", 0))
    # Ranks start from different seeds: DataParallel must start them all from rank 0's weights and shuffle.
    lamina.utils.set_random_seed(rank)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(99, 8)).astype("float32")          # 99 = 3 batches of 32 + one of 3 (shares 2 and 1)
    y = rng.integers(0, 3, 99)
    xv = rng.normal(size=(50, 8)).astype("float32")
    yv = rng.integers(0, 3, 50)
    model = lamina.Sequential([layers.Input((8,)), layers.Dense(16, activation="relu"),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer=lamina.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    init = model.get_weights()[0]
    if mode == "dist":
        distribution.set_distribution(distribution.DataParallel())
    files = os.path.join(out, f"files_{mode}_{rank}")
    os.makedirs(files, exist_ok=True)
    cbs = [callbacks.CSVLogger(os.path.join(files, "log.csv")),
           callbacks.ModelCheckpoint(os.path.join(files, "ckpt.weights.safetensors"), save_weights_only=True)]
    hist = model.fit(x, y, batch_size=32, epochs=3, validation_data=(xv, yv), callbacks=cbs, verbose=0)
    model.save(os.path.join(files, "model.lamina"))
    distribution.set_distribution(None)

    class Batches:   # a Keras-style Sequence: every process reads each batch and keeps its share
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return xv[i * 20:(i + 1) * 20], yv[i * 20:(i + 1) * 20]

    def check():
        ev = model.evaluate(xv, yv, batch_size=20, return_dict=True, verbose=0)
        ev_seq = model.evaluate(Batches(), return_dict=True, verbose=0)
        return ev, ev_seq, model.predict(xv, batch_size=20, verbose=0)
    if mode == "dist":
        with distribution.DataParallel():
            ev, ev_seq, pred = check()
    else:
        ev, ev_seq, pred = check()
    result = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    result.update({f"h_{k}": np.asarray(v) for k, v in hist.history.items()})
    result.update({f"e_{k}": np.asarray(v) for k, v in ev.items()})
    result.update({f"s_{k}": np.asarray(v) for k, v in ev_seq.items()})
    np.savez(os.path.join(out, f"result_{mode}_{rank}.npz"), pred=pred, init=init, **result)
''')


@pytest.fixture(scope="module")
def runs(tmp_path_factory, launch):
    out = tmp_path_factory.mktemp("dp")
    script = out / "worker.py"
    script.write_text(WORKER)
    launch(script, ["dist", str(out)], nproc=2)
    launch(script, ["single", str(out)], nproc=None)
    load = lambda name: dict(np.load(out / name))  # noqa: E731
    return out, load("result_single_0.npz"), load("result_dist_0.npz"), load("result_dist_1.npz")


def test_parameters_identical_on_both_ranks(runs):
    _, _, r0, r1 = runs
    weights = sorted(k for k in r0 if k.startswith("w"))
    assert len(weights) == 4
    assert not np.allclose(r0["init"], r1["init"])   # the ranks started from different weights
    for k in weights:
        np.testing.assert_array_equal(r0[k], r1[k])


def test_two_processes_match_one_process_on_the_global_batch(runs):
    _, single, r0, _ = runs
    for k in (k for k in single if k.startswith("w")):
        np.testing.assert_allclose(r0[k], single[k], atol=TOL, rtol=0)
    np.testing.assert_array_equal(r0["init"], single["init"])
    assert np.abs(single["w0"] - single["init"]).max() > 1e-2   # training moved the weights


def test_history_is_global_on_every_rank(runs):
    _, single, r0, r1 = runs
    keys = sorted(k for k in single if k.startswith("h_"))
    assert keys == ["h_accuracy", "h_loss", "h_val_accuracy", "h_val_loss"]
    for k in keys:
        np.testing.assert_allclose(r0[k], single[k], atol=TOL, rtol=0)
        np.testing.assert_array_equal(r0[k], r1[k])


def test_evaluate_and_predict_equal_single_process(runs):
    _, single, r0, r1 = runs
    for k in ("e_loss", "e_accuracy", "s_loss", "s_accuracy"):
        np.testing.assert_allclose(r0[k], single[k], atol=TOL, rtol=0)
        np.testing.assert_array_equal(r0[k], r1[k])
    assert r0["pred"].shape == (50, 3)
    np.testing.assert_allclose(r0["pred"], single["pred"], atol=TOL, rtol=0)
    np.testing.assert_array_equal(r0["pred"], r1["pred"])


def test_only_rank_zero_writes_files(runs):
    out, *_ = runs
    assert sorted(os.listdir(out / "files_dist_0")) == ["ckpt.weights.safetensors", "log.csv", "model.lamina"]
    assert os.listdir(out / "files_dist_1") == []
    rows = (out / "files_dist_0" / "log.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("epoch,")


def test_data_parallel_without_torchrun_says_how_to_launch(monkeypatch):
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    assert not torch.distributed.is_initialized()
    with pytest.raises(RuntimeError, match=r"(?s)lacks RANK, WORLD_SIZE.*torchrun --standalone --nproc-per-node 2"):
        distribution.DataParallel()


def test_distribution_is_none_by_default_and_scopes_nest():
    assert distribution.distribution() is None
    outer, inner = distribution.Distribution(), distribution.Distribution()
    with outer:
        assert distribution.distribution() is outer
        with inner.scope():
            assert distribution.distribution() is inner
        assert distribution.distribution() is outer
    assert distribution.distribution() is None
    distribution.set_distribution(outer)
    try:
        assert distribution.distribution() is outer
        with inner:
            assert distribution.distribution() is inner
    finally:
        distribution.set_distribution(None)
    assert distribution.distribution() is None


def test_set_distribution_rejects_other_objects():
    with pytest.raises(TypeError, match="expects a lamina.distribution.Distribution.*Received: str"):
        distribution.set_distribution("data_parallel")


def test_fit_under_an_unknown_distribution_names_data_parallel():
    model = lamina.Sequential([lamina.layers.Input((2,)), lamina.layers.Dense(1)])
    model.compile("sgd", "mse")
    with distribution.Distribution():
        with pytest.raises(TypeError, match="DataParallel distributions only"):
            model.fit(np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32"), verbose=0)


def test_list_devices():
    assert distribution.list_devices("cpu") == ["cpu:0"]
    assert distribution.list_devices() == (["cuda:%d" % i for i in range(torch.cuda.device_count())]
                                           if torch.cuda.is_available() else ["cpu:0"])
    with pytest.raises(ValueError, match="did you mean 'gpu'"):
        distribution.list_devices("gpx")


def test_share_bounds_cover_every_sample_once():
    for n in (1, 2, 3, 7, 32):
        for world in (1, 2, 3):
            bounds = [distribution.share_bounds(n, r, world) for r in range(world)]
            assert bounds[0][0] == 0 and bounds[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
            assert max(hi - lo for lo, hi in bounds) - min(hi - lo for lo, hi in bounds) <= 1


RESTART_WORKER = textwrap.dedent('''
    import json, os, sys
    import numpy as np
    import torch.distributed as dist
    import lamina
    from lamina import callbacks, distribution, layers

    out, crash = sys.argv[1], sys.argv[2] == "crash"
    attempt = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", 0))
    lamina.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.integers(0, 3, 64)
    model = lamina.Sequential([layers.Input((8,)), layers.Dense(16, activation="relu"),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer=lamina.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    distribution.set_distribution(distribution.DataParallel())
    backup = callbacks.BackupAndRestore(os.path.join(out, "backup_" + sys.argv[2]), delete_checkpoint=False)

    def kill(epoch, logs):
        if crash and attempt == 0 and epoch == 2:
            dist.barrier()                    # rank 0 has written the backup of epoch 1
            if distribution.process_id() == 1:
                os._exit(3)                   # a worker dies mid-fit
    model.fit(x, y, batch_size=16, epochs=4, verbose=0,
              callbacks=[callbacks.LambdaCallback(on_epoch_begin=kill), backup])
    if distribution.process_id() == 0:
        np.savez(os.path.join(out, f"final_{sys.argv[2]}.npz"), *model.get_weights())
        with open(os.path.join(out, f"resume_{sys.argv[2]}.json"), "w") as f:
            json.dump({"attempt": attempt, "restored_epoch": backup.restored_epoch}, f)
''')


def test_killed_worker_restarts_and_resumes_with_backup_and_restore(tmp_path, launch):
    script = tmp_path / "restart.py"
    script.write_text(RESTART_WORKER)
    for mode in ("crash", "clean"):
        launch(script, [str(tmp_path), mode], nproc=2, torchrun_args=["--max-restarts=1"])
    import json
    resumed = json.loads((tmp_path / "resume_crash.json").read_text())
    assert resumed == {"attempt": 1, "restored_epoch": 1}
    assert json.loads((tmp_path / "resume_clean.json").read_text()) == {"attempt": 0, "restored_epoch": None}
    crash, clean = np.load(tmp_path / "final_crash.npz"), np.load(tmp_path / "final_clean.npz")
    for k in clean.files:
        np.testing.assert_allclose(crash[k], clean[k], atol=1e-6, rtol=0)
