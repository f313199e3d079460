"""Recurrent layers, Embedding and masks in lamina.layers (Keras 3 semantics): the fused and generic paths
agree, the gate orders map to torch's, masks travel through models, models save and load, errors explain."""
import numpy as np
import pytest
import torch

from lamina import layers as L
from lamina.models import Model, Sequential, load_model


def _x(*shape, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).normal(size=shape).astype("float32"))


def _twins(factory, x):
    """The same layer twice, with equal weights; the second always takes the generic loop."""
    a = factory()
    a(x)
    b = type(a).from_config(a.get_config())
    b(x)
    b.set_weights(a.get_weights())
    b.unroll = True
    return a, b


@pytest.mark.parametrize("factory", [
    lambda: L.LSTM(5, return_sequences=True, dropout=0.4, seed=3),
    lambda: L.GRU(5, return_state=True, dropout=0.4, seed=3),
    lambda: L.SimpleRNN(5, activation="relu", return_sequences=True, go_backwards=True, dropout=0.2, seed=3),
], ids=["lstm", "gru", "simple_rnn_relu"])
def test_fused_and_loop_paths_agree_in_training_with_dropout(factory):
    """Same seed -> same input dropout mask on both paths; outputs and gradients agree."""
    x = _x(3, 6, 4)
    a, b = _twins(factory, x)
    ya = a(x, training=True)
    yb = b(x, training=True)
    ya, yb = (ya if isinstance(ya, list) else [ya]), (yb if isinstance(yb, list) else [yb])
    for p, q in zip(ya, yb):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=1e-5)
    sum(p.square().sum() for p in ya).backward()
    sum(q.square().sum() for q in yb).backward()
    for p, q in zip(a.trainable_weights, b.trainable_weights):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-5, rtol=1e-4)


def test_lstm_matches_torch_nn_lstm_gate_order_i_f_c_o():
    x = _x(2, 5, 3)
    layer = L.LSTM(4, return_sequences=True)
    layer(x)
    ref = torch.nn.LSTM(3, 4, batch_first=True)
    kernel, recurrent, bias = layer.get_weights()
    with torch.no_grad():  # Keras (in, 4u) i,f,c,o == torch (4u, in) i,f,g,o transposed
        ref.weight_ih_l0.copy_(torch.from_numpy(kernel.T))
        ref.weight_hh_l0.copy_(torch.from_numpy(recurrent.T))
        ref.bias_ih_l0.copy_(torch.from_numpy(bias))
        ref.bias_hh_l0.zero_()
    torch.testing.assert_close(layer(x), ref(x)[0])


def test_gru_keras_z_r_h_maps_to_torch_r_z_n():
    x = _x(2, 5, 3)
    layer = L.GRU(4, return_sequences=True)
    layer(x)
    rng = np.random.default_rng(0)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    kernel, recurrent, bias = layer.get_weights()
    u = 4

    def to_torch(w):  # columns z, r, h -> rows r, z, n
        return np.concatenate([w[..., u:2 * u], w[..., :u], w[..., 2 * u:]], -1)
    ref = torch.nn.GRU(3, 4, batch_first=True)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.from_numpy(to_torch(kernel).T))
        ref.weight_hh_l0.copy_(torch.from_numpy(to_torch(recurrent).T))
        ref.bias_ih_l0.copy_(torch.from_numpy(to_torch(bias[0])))
        ref.bias_hh_l0.copy_(torch.from_numpy(to_torch(bias[1])))
    torch.testing.assert_close(layer(x), ref(x)[0])
    layer.unroll = True  # the generic loop computes the Keras formulas directly
    torch.testing.assert_close(layer(x), ref(x)[0])


def test_right_padded_mask_equals_running_on_the_unpadded_prefix():
    ids = torch.tensor([[4, 2, 7, 0, 0], [1, 2, 3, 4, 5], [6, 0, 0, 0, 0]])
    model = Sequential([L.Embedding(8, 3, mask_zero=True, input_shape=(5,)), L.LSTM(4)])
    out = model(ids)
    emb, lstm = model.layers
    for row, n in zip(range(3), (3, 5, 1)):
        alone = lstm(emb(ids[row:row + 1, :n]))
        torch.testing.assert_close(out[row:row + 1], alone)


def test_mask_travels_through_functional_graph_and_sequential_alike():
    ids = torch.tensor([[4, 2, 0, 0], [1, 0, 0, 0]])
    seq = Sequential([L.Embedding(8, 3, mask_zero=True, input_shape=(4,)), L.Dropout(0.1),
                      L.GRU(3, return_sequences=True), L.SimpleRNN(2)])
    inp = L.Input((4,))
    x = inp
    for layer in seq.layers:
        x = layer(x)
    graph = Model(inp, x)
    unmasked = Sequential([L.Embedding(8, 3, input_shape=(4,)), L.GRU(3, return_sequences=True), L.SimpleRNN(2)])
    unmasked.set_weights(seq.get_weights())
    torch.testing.assert_close(seq(ids), graph(ids))
    assert not torch.allclose(seq(ids), unmasked(ids))


def test_masking_layer_skips_steps():
    x = _x(2, 5, 3)
    x[:, 3:] = 0.0
    model = Sequential([L.Masking(0.0, input_shape=(5, 3)), L.SimpleRNN(4)])
    rnn = model.layers[1]
    torch.testing.assert_close(model(x), rnn(x[:, :3]))


def test_model_with_sequence_layers_saves_and_loads(tmp_path):
    inp = L.Input((6,))
    x = L.Embedding(12, 4, mask_zero=True)(inp)
    x = L.Bidirectional(L.LSTM(3, return_sequences=True))(x)
    x = L.TimeDistributed(L.Dense(2))(x)
    x = L.GRU(3, reset_after=False, go_backwards=True)(x)
    x = L.RepeatVector(2)(x)
    x = L.RNN([L.SimpleRNNCell(2), L.LSTMCell(2)])(x)
    model = Model(inp, x)
    ids = torch.tensor([[1, 5, 3, 0, 0, 0], [11, 2, 2, 2, 9, 1]])
    path = tmp_path / "seq.lamina"
    model.save(path)
    loaded = load_model(path)
    torch.testing.assert_close(loaded(ids), model(ids))
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]


def test_initial_state_in_a_functional_encoder_decoder():
    enc_in, dec_in = L.Input((5, 3)), L.Input((4, 2))
    _, h, c = L.LSTM(6, return_state=True)(enc_in)
    dec = L.LSTM(6, return_sequences=True)(dec_in, initial_state=[h, c])
    model = Model([enc_in, dec_in], L.Dense(2)(dec))
    assert model.output_shape == (None, 4, 2)
    a, b = _x(2, 5, 3), _x(2, 4, 2, seed=1)
    out = model([a, b])
    enc, dec_layer = model.layers[2], model.layers[3]
    _, h_, c_ = enc(a)
    torch.testing.assert_close(out, model.layers[-1](dec_layer(b, initial_state=[h_, c_])))


def test_stateful_keeps_states_between_batches_until_reset():
    layer = L.GRU(3, stateful=True, batch_size=2)
    model = Sequential([L.Input(batch_shape=(2, 4, 2)), layer])
    x = _x(2, 4, 2)
    first = model(x)
    assert not torch.allclose(model(x), first)
    layer.reset_states()
    torch.testing.assert_close(model(x), first)


# ---------------------------------------------------------------------------- errors
def test_2d_input_to_an_rnn_names_the_expected_layout():
    with pytest.raises(ValueError, match=r"expects 3-D input \(batch, timesteps, features\)\. Received shape "
                                         r"\(None, 28\)\. Add Reshape\(\(28, 1\)\)"):
        Sequential([L.LSTM(4, input_shape=(28,))])
    layer = L.GRU(4)
    with pytest.raises(ValueError, match=r"\(batch, timesteps, features\)"):
        layer(torch.zeros(2, 28))


def test_embedding_names_the_largest_id_and_input_dim():
    layer = L.Embedding(10, 3)
    with pytest.raises(ValueError, match=r"input_dim=10, so it accepts ids 0..9; received id 12 \(largest id in "
                                         r"the batch: 12\)\. Make input_dim at least 13"):
        layer(torch.tensor([[1, 12, 3]]))


def test_stateful_without_a_fixed_batch_size_is_refused():
    with pytest.raises(ValueError, match=r"is stateful, so it needs a fixed batch size.*Pass batch_size="):
        Sequential([L.LSTM(4, stateful=True, input_shape=(5, 3))])


def test_mismatched_initial_state_shapes_are_refused():
    layer = L.LSTM(4)
    with pytest.raises(ValueError, match=r"expects initial_state to be 2 tensor\(s\) of shape \(2, 4\), \(2, 4\); "
                                         r"received 2 of shape \(2, 4\), \(2, 5\)"):
        layer(_x(2, 3, 3), initial_state=[torch.zeros(2, 4), torch.zeros(2, 5)])
    with pytest.raises(ValueError, match=r"received 1 of shape \(2, 4\)"):
        layer(_x(2, 3, 3), initial_state=[torch.zeros(2, 4)])


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match=r"LSTM expects units to be a positive int. Received: units=0"):
        L.LSTM(0)
    with pytest.raises(ValueError, match=r"merge_mode.*Received: merge_mode='cat'.*did you mean 'concat'"):
        L.Bidirectional(L.LSTM(2), merge_mode="cat")
    with pytest.raises(ValueError, match=r"TimeDistributed expects a lamina layer"):
        L.TimeDistributed("dense")


def test_padded_steps_do_not_count_in_loss_gradients_or_metrics():
    """With Embedding(mask_zero=True) the targets of padded steps change nothing (Keras 3: the output
    mask is a sample weight); a model without a mask-making layer gives outputs without a mask."""
    import lamina
    torch.manual_seed(0)
    model = Sequential([L.Embedding(6, 4, mask_zero=True, input_shape=(4,)), L.GRU(3, return_sequences=True),
                        L.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ids = torch.tensor([[3, 4, 0, 0], [1, 2, 5, 0]])
    y = torch.tensor([[0, 1, 2, 2], [1, 1, 0, 1]])
    y_other = y.clone()
    y_other[ids == 0] = 0
    assert model(ids)._keras_mask.tolist() == (ids != 0).tolist()

    def step(targets):
        with torch.no_grad():
            out = model(ids)
        loss = model.compute_loss(ids, targets, model(ids))
        model.zero_grad()
        loss.backward()
        model.reset_metrics()
        acc = model.compute_metrics(ids, targets, out)["accuracy"]
        return loss.item(), [p.grad.clone() for p in model.trainable_weights], float(acc)

    loss_a, grads_a, acc_a = step(y)
    loss_b, grads_b, acc_b = step(y_other)
    assert loss_a == pytest.approx(loss_b) and acc_a == pytest.approx(acc_b)
    for a, b in zip(grads_a, grads_b):
        torch.testing.assert_close(a, b)
    # by hand: the mean crossentropy over the 5 kept steps
    probs = model(ids).detach()
    kept = ids != 0
    want = -torch.log(probs.gather(-1, y.unsqueeze(-1)).squeeze(-1))[kept].mean()
    assert loss_a == pytest.approx(want.item(), rel=1e-5)
    plain = lamina.Sequential([L.Dense(2, input_shape=(3,))])
    assert not hasattr(plain(torch.zeros(1, 3)), "_keras_mask")
