"""lamina.inspect on recurrent models: states and gates over time, the report and `lamina inspect`."""
import re

import numpy as np
import pytest
import torch

from lamina import inspect, layers, models, utils
from lamina.cli import main


def _rows_model(recurrent, **kwargs):
    """A model reading a 28 x 28 image as 28 steps of 28 values."""
    utils.set_random_seed(7)
    return models.Sequential([layers.Input((28, 28)), recurrent(12, **kwargs),
                              layers.Dense(10, activation="softmax")])


def _digit(digits, i=0):
    return digits[0][i, ..., 0]


@pytest.mark.parametrize("recurrent, kwargs", [
    (layers.LSTM, {}), (layers.GRU, {}), (layers.GRU, {"reset_after": False}), (layers.SimpleRNN, {}),
    (layers.LSTM, {"go_backwards": True}),
])
def test_outputs_at_every_step_equal_the_layer_run_with_return_sequences(digits, recurrent, kwargs):
    model = _rows_model(recurrent, return_sequences=True, **kwargs)
    x = _digit(digits)
    run = inspect.recurrent_states(model, x)
    sequence_model = models.Model(model.inputs, model.layers[0].output)
    expected = sequence_model.predict(x[None], verbose=0)[0]
    assert run["outputs"].shape == (28, 12)
    np.testing.assert_allclose(run["outputs"], expected, atol=1e-5)
    want_steps = np.arange(28)[::-1] if kwargs.get("go_backwards") else np.arange(28)
    np.testing.assert_array_equal(run["steps"], want_steps)
    np.testing.assert_allclose(run["input"], x, atol=0)


def test_last_output_is_what_the_next_layer_receives(digits):
    model = _rows_model(layers.LSTM)
    x = _digit(digits, 3)
    run = inspect.recurrent_states(model, x)
    features = models.Model(model.inputs, model.layers[0].output).predict(x[None], verbose=0)[0]
    np.testing.assert_allclose(run["outputs"][-1], features, atol=1e-5)


def test_lstm_gates_and_states_obey_the_lstm_equations(digits):
    model = _rows_model(layers.LSTM)
    run = inspect.recurrent_states(model, _digit(digits, 1))
    g = run["gates"]
    assert sorted(g) == ["candidate", "forget", "input", "output"]
    h, c = run["states"]
    c_prev = np.vstack([np.zeros((1, 12), np.float32), c[:-1]])
    np.testing.assert_allclose(c, g["forget"] * c_prev + g["input"] * g["candidate"], atol=1e-5)
    np.testing.assert_allclose(h, g["output"] * np.tanh(c), atol=1e-5)
    for name in ("input", "forget", "output"):        # sigmoid gates
        assert 0.0 <= g[name].min() and g[name].max() <= 1.0


def test_gru_gates_give_the_state(digits):
    model = _rows_model(layers.GRU)
    run = inspect.recurrent_states(model, _digit(digits, 2))
    z, hh = run["gates"]["update"], run["gates"]["candidate"]
    h = run["states"][0]
    h_prev = np.vstack([np.zeros((1, 12), np.float32), h[:-1]])
    np.testing.assert_allclose(h, z * h_prev + (1 - z) * hh, atol=1e-5)


def test_simple_rnn_has_no_gates(digits):
    run = inspect.recurrent_states(_rows_model(layers.SimpleRNN), _digit(digits))
    assert run["gates"] == {} and len(run["states"]) == 1


def _token_model(wrapper=None):
    utils.set_random_seed(3)
    recurrent = layers.LSTM(6)
    return models.Sequential([layers.Input((10,), dtype="int32"), layers.Embedding(40, 5, mask_zero=True),
                              wrapper(recurrent) if wrapper else recurrent,
                              layers.Dense(1, activation="sigmoid")])


def test_masked_steps_carry_the_states_over():
    model = _token_model()
    ids = np.array([4, 9, 13, 2, 0, 0, 0, 0, 0, 0])
    run = inspect.recurrent_states(model, ids)
    np.testing.assert_array_equal(run["mask"], ids != 0)
    for state in run["states"]:
        np.testing.assert_array_equal(state[4:], np.repeat(state[3:4], 6, axis=0))
    full = models.Model(model.inputs, model.layers[1].output).predict(ids[None], verbose=0)[0]
    np.testing.assert_allclose(run["outputs"][-1], full, atol=1e-5)


def test_bidirectional_gives_both_directions():
    model = _token_model(layers.Bidirectional)
    ids = np.array([4, 9, 13, 2, 7, 0, 0, 0, 0, 0])
    run = inspect.recurrent_states(model, ids)
    assert run["type"] == "Bidirectional" and run["layer"] == model.layers[1].name
    np.testing.assert_array_equal(run["backward"]["steps"], np.arange(10)[::-1])
    both = models.Model(model.inputs, model.layers[1].output).predict(ids[None], verbose=0)[0]
    np.testing.assert_allclose(np.concatenate([run["outputs"][-1], run["backward"]["outputs"][-1]]), both,
                               atol=1e-5)
    assert [l.name for l in inspect.recurrent_layers(model)] == [model.layers[1].name]


def test_looking_leaves_weights_and_held_states_as_they_were(digits):
    utils.set_random_seed(5)
    layer = layers.LSTM(4, stateful=True, dropout=0.5, return_sequences=True)
    model = models.Sequential([layers.Input((28, 28), batch_size=1), layer])
    x = _digit(digits)
    model(x[None])                                  # the layer now holds the states this batch left
    held = [s.clone() for s in layer.states]
    weights = [w.copy() for w in model.get_weights()]
    run = inspect.recurrent_states(model, x)
    again = inspect.recurrent_states(model, x)      # no dropout, and no drift of the held states
    np.testing.assert_array_equal(run["outputs"], again["outputs"])
    for w0, w1 in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(w0, w1)
    for a, b in zip(held, layer.states):
        assert torch.equal(a, b)
    # it started from the held states, as the next call will
    np.testing.assert_allclose(run["outputs"], model.predict(x[None], verbose=0, batch_size=1)[0], atol=1e-5)


def test_stateful_layer_starts_from_its_held_states(digits):
    utils.set_random_seed(5)
    layer = layers.GRU(4, stateful=True)
    model = models.Sequential([layers.Input((28, 28), batch_size=1), layer])
    x = _digit(digits)
    fresh = layer.trajectory(x[None])["outputs"]
    model(x[None])
    held = layer.trajectory(x[None])["outputs"]
    assert np.abs(fresh - held).max() > 1e-4          # starts where the last batch ended, as a call would
    layer.reset_states()
    np.testing.assert_allclose(layer.trajectory(x[None])["outputs"], fresh, atol=0)


@pytest.mark.parametrize("call, message", [
    (lambda m, x: inspect.recurrent_states(m, np.zeros((3, 28, 28))), r"one input of shape \(28,28\)"),
    (lambda m, x: inspect.recurrent_states(m, x, layer="dense"), r"'dense' \(Dense\) is not a recurrent layer"),
    (lambda m, x: inspect.recurrent_states(m, x, layer="nope"), r"nope"),
    (lambda m, x: inspect.recurrent_states(m, np.full((28, 28), "a")), r"expects numbers"),
])
def test_bad_calls_say_what_was_expected(digits, call, message):
    model = _rows_model(layers.LSTM)
    with pytest.raises(ValueError, match=message):
        call(model, _digit(digits))


def test_a_model_without_recurrent_layer_is_refused(digits):
    model = models.Sequential([layers.Input((28, 28)), layers.Flatten(), layers.Dense(3)])
    with pytest.raises(ValueError, match="has no recurrent layer"):
        inspect.recurrent_states(model, _digit(digits))


def test_trajectory_checks_the_mask_shape():
    layer = layers.LSTM(3)
    with pytest.raises(ValueError, match=r"mask of shape \(1, 5\)"):
        layer.trajectory(np.zeros((1, 5, 2), np.float32), mask=np.ones((1, 4), bool))


def test_plot_has_a_row_of_panels_per_direction(digits):
    fig = inspect.plot_recurrent_states(_rows_model(layers.LSTM), _digit(digits))
    assert len(fig.axes) == 3 + 1                       # input, outputs (+ colour bar), gates
    fig = inspect.plot_recurrent_states(_token_model(layers.Bidirectional), np.array([3, 4, 0, 0, 0, 0, 0, 0, 0, 0]))
    assert len(fig.axes) == 2 * (3 + 1)


def _sections(html):
    return re.findall(r"<h2>(.*?)</h2>", html)


def test_report_of_a_row_reading_model_shows_the_recurrent_layer(digits):
    model = _rows_model(layers.LSTM)
    x, y = digits[0][:60, ..., 0], digits[1][:60]
    html = inspect.html_report(model, x, y)
    assert "Recurrent layer over time" in _sections(html)
    body = html.split('id="recurrent"')[1].split("</section>")[0]
    assert body.count("<img") == 2                       # the first two inputs
    assert "data:image/png;base64," in body


def test_report_of_a_token_model_lists_mistakes_as_a_table():
    model = _token_model()
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    rng = np.random.RandomState(0)
    ids = rng.randint(1, 40, (40, 10))
    labels = (ids[:, 0] > 20).astype(np.float32)
    html = inspect.html_report(model, ids, labels, mistakes_k=5)
    assert "Recurrent layer over time" in _sections(html)
    mistakes = html.split("most confident mistakes")[1]
    first = re.search(r"<td>(\d+)</td><td>([01])</td><td>([01])</td><td>([\d.]+)</td><td>([\d ]+?)( \.\.\.)?</td>",
                      mistakes)
    assert first, "the mistakes are listed with their token ids"
    index = int(first.group(1))
    assert first.group(5).split() == [str(v) for v in ids[index]]
    assert int(first.group(2)) == int(labels[index]) != int(first.group(3))


def test_cli_inspects_a_row_reading_model(tmp_path, digits, capsys):
    model = _rows_model(layers.GRU)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path / "rows.lamina"
    model.save(path)
    out = tmp_path / "report.html"
    assert main(["inspect", str(path), "--out", str(out)]) == 0
    html = out.read_text()
    assert "Recurrent layer over time" in _sections(html)
    assert "Test data: confusion matrix and mistakes" in _sections(html)


def test_cli_refuses_a_token_model_with_the_python_way(tmp_path, capsys):
    path = tmp_path / "tokens.lamina"
    model = _token_model()
    model.save(path)
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert "(None, 10)" in err and "lamina.inspect.write_report" in err
