"""train_on_batch / test_on_batch under DataParallel (2 CPU processes, gloo, torchrun).

The classic GAN-style loop of train_on_batch calls on 2 processes ends with the weights of the
same loop on one process (1e-5), and every process returns the whole batch's loss and metrics.
"""
from __future__ import annotations

import os
import textwrap
import numpy as np
import pytest

WORKER = textwrap.dedent('''
    import os, sys
    import numpy as np
    import lamina
    from lamina import distribution, layers

    mode, out = sys.argv[1], sys.argv[2]
    rank = int(os.environ.get("RANK", 0))
    lamina.utils.set_random_seed(rank)        # ranks start apart: train_on_batch must start them from rank 0
    rng = np.random.default_rng(0)
    model = lamina.Sequential([layers.Input((8,)), layers.Dense(16, activation="relu"),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer=lamina.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    if rank == 0 or mode == "single":
        np.save(os.path.join(out, f"init_{mode}.npy"), np.concatenate([w.ravel() for w in model.get_weights()]))
    if mode == "dist":
        distribution.set_distribution(distribution.DataParallel())
    losses, tests = [], []
    for step in range(6):
        x = rng.normal(size=(25, 8)).astype("float32")      # 25: shares of 13 and 12
        y = rng.integers(0, 3, 25)
        losses.append(model.train_on_batch(x, y))
        tests.append(model.test_on_batch(x, y))
    distribution.set_distribution(None)
    np.savez(os.path.join(out, f"{mode}_{rank}.npz"), losses=np.array(losses), tests=np.array(tests),
             **{f"w{i}": w for i, w in enumerate(model.get_weights())})
''')


@pytest.fixture(scope="module")
def results(tmp_path_factory, launch):
    out = tmp_path_factory.mktemp("onbatch")
    script = out / "worker.py"
    script.write_text(WORKER)
    launch(script, ["single", str(out)])
    launch(script, ["dist", str(out)], nproc=2)
    return {name[:-4]: dict(np.load(out / name)) for name in os.listdir(out) if name.endswith(".npz")}


def test_train_on_batch_on_two_processes_ends_where_one_process_does(results):
    single, rank0, rank1 = results["single_0"], results["dist_0"], results["dist_1"]
    for key in (k for k in single if k.startswith("w")):
        np.testing.assert_allclose(rank0[key], single[key], atol=1e-5, err_msg=key)
        np.testing.assert_array_equal(rank1[key], rank0[key])


def test_every_process_returns_the_whole_batch_figures(results):
    single, rank0, rank1 = results["single_0"], results["dist_0"], results["dist_1"]
    for key in ("losses", "tests"):
        np.testing.assert_allclose(rank0[key], single[key], atol=1e-5, err_msg=key)
        np.testing.assert_allclose(rank1[key], single[key], atol=1e-5, err_msg=key)
