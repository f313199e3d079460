"""TensorBoard: event files from real fits, read back with TensorBoard's own EventAccumulator."""
import glob
import json
import os
import sys

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import CallbackList, LambdaCallback, TensorBoard

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator",
    reason="tensorboard is in the dev extra; `make test` installs it")


def _read(folder):
    acc = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0,
                                                                          "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def _data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return x, y


def _model(seed=0):
    lamina.utils.set_random_seed(seed)
    model = lamina.Sequential([layers.Dense(8, activation="relu", input_shape=(6,), name="hidden"),
                               layers.Dense(2, activation="softmax", name="probs")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_epoch_scalars_in_train_and_validation_runs(tmp_path):
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=3, batch_size=20, validation_split=0.2, verbose=0,
                        callbacks=[TensorBoard(log_dir=tmp_path / "logs")])
    train, val = _read(tmp_path / "logs" / "train"), _read(tmp_path / "logs" / "validation")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(train.Tags()["scalars"])
    assert set(val.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy"}
    for acc, prefix in ((train, ""), (val, "val_")):
        for name in ("loss", "accuracy"):
            steps, values = zip(*_scalars(acc, f"epoch_{name}"))
            assert steps == (0, 1, 2)
            np.testing.assert_allclose(values, history.history[prefix + name], rtol=1e-6)
    assert [v for _, v in _scalars(train, "epoch_learning_rate")] == pytest.approx([0.001] * 3)
    assert not train.Tags()["histograms"]  # histogram_freq=0


@pytest.mark.parametrize("update_freq,steps", [("batch", list(range(1, 9))), (3, [3, 6])])
def test_batch_scalars_every_update_freq_batches(tmp_path, update_freq, steps):
    x, y = _data(80)
    seen = []
    record = LambdaCallback(on_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    _model().fit(x, y, epochs=2, batch_size=20, verbose=0, shuffle=False,
                 callbacks=[TensorBoard(log_dir=tmp_path, update_freq=update_freq), record])
    train = _read(tmp_path / "train")
    batch = _scalars(train, "batch_loss")
    assert [s for s, _ in batch] == steps       # counted from 1 across epochs
    np.testing.assert_allclose([v for _, v in batch], [seen[s - 1] for s in steps], rtol=1e-6)
    assert "batch_accuracy" in train.Tags()["scalars"]


def test_epoch_update_freq_asks_for_no_batch_logs(tmp_path):
    cbs = CallbackList([TensorBoard(log_dir=tmp_path)])
    assert not cbs.wants_batch_logs("train")    # no per-batch host sync unless something is written per batch
    assert CallbackList([TensorBoard(log_dir=tmp_path, update_freq=5)]).wants_batch_logs("train")


def test_weight_histograms_images_and_graph(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=4, batch_size=25, verbose=0,
              callbacks=[TensorBoard(log_dir=tmp_path, histogram_freq=2, write_images=True)])
    train = _read(tmp_path / "train")
    tags = set(train.Tags()["histograms"])
    assert tags == {"hidden/kernel/histogram", "hidden/bias/histogram", "probs/kernel/histogram",
                    "probs/bias/histogram"}
    kernel = train.Histograms("probs/kernel/histogram")
    assert [h.step for h in kernel] == [0, 2]
    hist = kernel[-1].histogram_value
    final = model.get_layer("probs").get_weights()[0]
    assert hist.num == final.size == 16
    assert hist.min == pytest.approx(final.min(), abs=0.05) and hist.max == pytest.approx(final.max(), abs=0.05)
    images = train.Images("hidden/kernel/image")
    assert [im.step for im in images] == [0, 2] and (images[0].width, images[0].height) == (8, 6)
    graph = train.Graph()
    assert len(graph.node) > 3


def test_graph_that_cannot_be_traced_is_a_warning_not_a_crash(tmp_path):
    class Doubler(lamina.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2, activation="softmax")

        def call(self, inputs, training=None):
            return self.dense(inputs)

    x, y = _data(40)
    model = Doubler()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match="could not trace model.*write_graph=False"):
        history = model.fit(x, y, epochs=2, batch_size=20, verbose=0, callbacks=[TensorBoard(log_dir=tmp_path)])
    assert len(history.history["loss"]) == 2
    assert [s for s, _ in _scalars(_read(tmp_path / "train"), "epoch_loss")] == [0, 1]


def test_profile_batch_writes_a_torch_profiler_trace(tmp_path):
    x, y = _data(80)
    _model().fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[TensorBoard(log_dir=tmp_path,
                                                                                 profile_batch=(2, 3))])
    traces = glob.glob(str(tmp_path / "train" / "*.pt.trace.json"))
    assert len(traces) == 1
    with open(traces[0]) as f:
        events = json.load(f)["traceEvents"]
    assert any("addmm" in e.get("name", "") or "linear" in e.get("name", "") for e in events)


def test_embeddings_go_to_the_projector(tmp_path):
    class Lookup(layers.Layer):
        def build(self, input_shape):
            self.embeddings = self.add_weight(name="embeddings", shape=(5, 3))

        def call(self, inputs):
            return inputs @ self.embeddings

    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([Lookup(input_shape=(5,), name="lookup"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    meta = tmp_path / "labels.tsv"
    meta.write_text("a\nb\nc\nd\ne\n")
    model.fit(np.eye(5, dtype=np.float32), np.ones((5, 1), np.float32), epochs=1, verbose=0,
              callbacks=[TensorBoard(log_dir=tmp_path / "logs", embeddings_freq=1, embeddings_metadata=meta)])
    config = (tmp_path / "logs" / "train" / "projector_config.pbtxt").read_text()
    assert 'tensor_name: "lookup:00000"' in config
    folder = tmp_path / "logs" / "train" / "00000" / "lookup"
    rows = (folder / "tensors.tsv").read_text().splitlines()
    np.testing.assert_allclose(np.array([r.split("\t") for r in rows], float),
                               model.get_layer("lookup").get_weights()[0], rtol=1e-5)
    assert (folder / "metadata.tsv").read_text().split() == list("abcde")


def test_evaluate_writes_evaluation_scalars_against_iterations(tmp_path):
    x, y = _data(40)
    model = _model()
    model.fit(x, y, epochs=1, batch_size=20, verbose=0)
    loss = model.evaluate(x, y, verbose=0, callbacks=[TensorBoard(log_dir=tmp_path)])[0]
    val = _read(tmp_path / "validation")
    assert _scalars(val, "evaluation_loss_vs_iterations") == [(2, pytest.approx(loss, rel=1e-6))]


def test_bad_arguments_say_what_is_expected(tmp_path):
    with pytest.raises(ValueError, match="update_freq to be 'epoch', 'batch' or a positive int.*'step'"):
        TensorBoard(log_dir=tmp_path, update_freq="step")
    with pytest.raises(ValueError, match="profile_batch.*Received: profile_batch=\\(5, 2\\)"):
        TensorBoard(log_dir=tmp_path, profile_batch=(5, 2))
    with pytest.raises(ValueError, match="histogram_freq to be a non-negative int.*-1"):
        TensorBoard(log_dir=tmp_path, histogram_freq=-1)
    with pytest.raises(TypeError, match="log_dir to be a path.*Received: log_dir=3"):
        TensorBoard(log_dir=3)


def test_missing_tensorboard_package_names_the_pip_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ImportError, match=r"needs the tensorboard package.*pip install tensorboard"):
        TensorBoard(log_dir=tmp_path)


def test_classic_signature_and_acc_names(tmp_path):
    from lamina.keras.callbacks import TensorBoard as ClassicTensorBoard
    from lamina import keras
    x, y = _data(40)
    keras.utils.set_random_seed(0)
    model = keras.models.Sequential([keras.layers.Dense(2, input_dim=6, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    tb = ClassicTensorBoard(str(tmp_path), 1, 32, True)   # Keras 2's order: log_dir, histogram_freq, batch_size
    assert tb.histogram_freq == 1 and tb.write_graph
    with pytest.warns(DeprecationWarning, match="write_grads"):
        ClassicTensorBoard(str(tmp_path / "other"), write_grads=True)
    model.fit(x, y, epochs=2, batch_size=20, validation_data=(x, y), verbose=0, callbacks=[tb])
    assert {"epoch_loss", "epoch_acc"} <= set(_read(tmp_path / "train").Tags()["scalars"])
    assert {"epoch_loss", "epoch_acc"} == set(_read(tmp_path / "validation").Tags()["scalars"])
    assert os.path.isdir(tmp_path / "validation")
