"""BatchNormalization(synchronized=True) under DataParallel (2 CPU processes, gloo, torchrun).

Two processes with half of each batch and synchronized batch statistics train exactly as one
process with the whole batch: weights, moving statistics and predictions agree to 1e-5. Without
synchronization each process normalizes its half with its own statistics and the results differ
(the test checks that too, so it can tell the two apart).
"""
from __future__ import annotations

import os
import textwrap
import numpy as np
import pytest

from lamina import layers

WORKER = textwrap.dedent('''
    import os, sys
    import numpy as np
    import lamina
    from lamina import distribution, layers

    mode, synchronized, out = sys.argv[1], sys.argv[2] == "sync", sys.argv[3]
    rank = int(os.environ.get("RANK", 0))
    lamina.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(loc=2.0, scale=3.0, size=(96, 6, 6, 2)).astype("float32")
    y = rng.integers(0, 3, 96)
    model = lamina.Sequential([layers.Input((6, 6, 2)), layers.Conv2D(4, 3),
                               layers.BatchNormalization(synchronized=synchronized, momentum=0.9),
                               layers.Activation("relu"), layers.Flatten(), layers.Dense(5),
                               layers.BatchNormalization(synchronized=synchronized, momentum=0.9),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer=lamina.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy")
    if mode == "dist":
        distribution.set_distribution(distribution.DataParallel())
    model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    distribution.set_distribution(None)
    pred = model.predict(x[:10], verbose=0)
    weights = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    np.savez(os.path.join(out, f"{mode}_{sys.argv[2]}_{rank}.npz"), pred=pred, **weights)
''')


@pytest.fixture(scope="module")
def results(tmp_path_factory, launch):
    out = tmp_path_factory.mktemp("syncbn")
    script = out / "worker.py"
    script.write_text(WORKER)
    launch(script, ["single", "sync", str(out)])
    launch(script, ["dist", "sync", str(out)], nproc=2)
    launch(script, ["dist", "local", str(out)], nproc=2)
    return {name[:-4]: dict(np.load(out / name)) for name in os.listdir(out) if name.endswith(".npz")}


def _assert_same(a, b, atol=1e-5):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], atol=atol, err_msg=key)


def test_synchronized_two_processes_train_as_one_process_with_the_whole_batch(results):
    _assert_same(results["dist_sync_0"], results["single_sync_0"])
    _assert_same(results["dist_sync_1"], results["dist_sync_0"], atol=0)


def test_per_process_statistics_differ_from_the_whole_batch(results):
    single, local = results["single_sync_0"], results["dist_local_0"]
    # moving means of the first BatchNormalization (gamma, beta, moving_mean, moving_variance after the conv)
    differs = [not np.allclose(single[k], local[k], atol=1e-4) for k in single]
    assert any(differs)


def test_synchronized_is_a_no_op_on_one_process():
    x = np.random.default_rng(1).normal(size=(16, 5)).astype("float32")
    plain, synced = layers.BatchNormalization(), layers.BatchNormalization(synchronized=True)
    np.testing.assert_array_equal(plain(x, training=True).detach().numpy(), synced(x, training=True).detach().numpy())
    assert synced.get_config()["synchronized"] is True
    assert layers.BatchNormalization.from_config(synced.get_config()).synchronized is True


def test_synchronized_must_be_a_bool():
    with pytest.raises(ValueError, match="synchronized to be True or False"):
        layers.BatchNormalization(synchronized="yes")
