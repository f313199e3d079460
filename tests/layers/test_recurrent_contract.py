"""The sequence layers through the shared layer contract (tests/layers/contract.py), Keras 3 semantics.

Parameter counts are Keras's: LSTM 4 * (units * (features + units) + units), GRU (reset_after=True)
3 * (units * (features + units) + 2 * units), GRU (reset_after=False) 3 * (units * (features + units)
+ units), SimpleRNN units * (features + units) + units, ConvLSTM2D 4 * filters * (kh * kw * (channels + filters) + 1).
"""
import numpy as np
import pytest

from contract import run_layer_test
from lamina import layers as L

# id, factory, input shape (with batch), expected output shape, expected params, (trainable, non-trainable) tensors
CASES = [
    ("simple_rnn", lambda: L.SimpleRNN(4), (2, 5, 3), (None, 4), 32, (3, 0)),
    ("simple_rnn_seq_relu_loop", lambda: L.SimpleRNN(4, activation="relu", return_sequences=True, unroll=True),
     (2, 5, 3), (None, 5, 4), 32, (3, 0)),
    ("gru", lambda: L.GRU(4), (2, 5, 3), (None, 4), 3 * (4 * 7 + 8), (3, 0)),
    ("gru_reset_before_backwards", lambda: L.GRU(4, reset_after=False, go_backwards=True, return_sequences=True),
     (2, 5, 3), (None, 5, 4), 3 * (4 * 7 + 4), (3, 0)),
    ("lstm", lambda: L.LSTM(4), (2, 5, 3), (None, 4), 4 * (4 * 7 + 4), (3, 0)),
    ("lstm_seq_nobias_reg", lambda: L.LSTM(4, use_bias=False, return_sequences=True, kernel_regularizer="l2",
                                           recurrent_constraint="max_norm"), (2, 5, 3), (None, 5, 4), 4 * 4 * 7,
     (2, 0)),
    ("rnn_lstm_cell", lambda: L.RNN(L.LSTMCell(4)), (2, 5, 3), (None, 4), 128, (3, 0)),
    ("rnn_gru_cell_seq", lambda: L.RNN(L.GRUCell(4), return_sequences=True), (2, 5, 3), (None, 5, 4), 108, (3, 0)),
    ("rnn_simple_cell", lambda: L.RNN(L.SimpleRNNCell(4)), (2, 5, 3), (None, 4), 32, (3, 0)),
    ("rnn_stacked", lambda: L.RNN(L.StackedRNNCells([L.LSTMCell(4), L.SimpleRNNCell(2)])), (2, 5, 3), (None, 2),
     128 + 14, (6, 0)),
    ("rnn_list_of_cells", lambda: L.RNN([L.GRUCell(3), L.GRUCell(2)], return_sequences=True), (2, 5, 3),
     (None, 5, 2), 3 * (3 * 6 + 6) + 3 * (2 * 5 + 4), (6, 0)),
    ("bidirectional_concat", lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)), (2, 5, 4), (None, 5, 6),
     2 * 4 * (3 * 7 + 3), (6, 0)),
    ("bidirectional_sum_backward", lambda: L.Bidirectional(L.GRU(3), merge_mode="sum",
                                                           backward_layer=L.GRU(3, go_backwards=True)),
     (2, 5, 4), (None, 3), 2 * 3 * (3 * 7 + 6), (6, 0)),
    ("time_distributed_dense", lambda: L.TimeDistributed(L.Dense(3)), (2, 4, 5), (None, 4, 3), 18, (2, 0)),
    ("time_distributed_conv2d", lambda: L.TimeDistributed(L.Conv2D(2, 3)), (2, 3, 5, 5, 1), (None, 3, 3, 3, 2), 20,
     (2, 0)),
    ("masking", lambda: L.Masking(0.5), (2, 4, 3), (None, 4, 3), 0, (0, 0)),
    ("repeat_vector", lambda: L.RepeatVector(3), (2, 4), (None, 3, 4), 0, (0, 0)),
    ("zero_padding1d", lambda: L.ZeroPadding1D((1, 2)), (2, 4, 3), (None, 7, 3), 0, (0, 0)),
    ("zero_padding1d_cf", lambda: L.ZeroPadding1D(1, data_format="channels_first"), (2, 3, 4), (None, 3, 6), 0,
     (0, 0)),
    ("cropping1d", lambda: L.Cropping1D((1, 2)), (2, 6, 3), (None, 3, 3), 0, (0, 0)),
    ("up_sampling1d", lambda: L.UpSampling1D(3), (2, 4, 3), (None, 12, 3), 0, (0, 0)),
    ("conv_lstm2d", lambda: L.ConvLSTM2D(3, 3), (2, 3, 6, 6, 2), (None, 4, 4, 3), 9 * 2 * 12 + 9 * 3 * 12 + 12,
     (3, 0)),
    ("conv_lstm2d_seq_backwards_cf_reg", lambda: L.ConvLSTM2D(2, (3, 2), padding="same", return_sequences=True,
                                                              go_backwards=True, recurrent_regularizer="l2",
                                                              data_format="channels_first"),
     (2, 3, 1, 5, 5), (None, 3, 2, 5, 5), 6 * 1 * 8 + 6 * 2 * 8 + 8, (3, 0)),
]

NOISY = [
    ("spatial_dropout1d", lambda: L.SpatialDropout1D(0.5, seed=2), (2, 5, 4), (None, 5, 4)),
    ("lstm_dropout", lambda: L.LSTM(4, dropout=0.3, seed=1), (2, 5, 3), (None, 4)),
    ("gru_recurrent_dropout", lambda: L.GRU(4, dropout=0.2, recurrent_dropout=0.3, seed=1, return_sequences=True),
     (2, 5, 3), (None, 5, 4)),
    ("conv_lstm2d_dropout", lambda: L.ConvLSTM2D(2, 3, padding="same", dropout=0.3, recurrent_dropout=0.2, seed=1),
     (2, 3, 5, 5, 2), (None, 5, 5, 2)),
]

IDS = [
    ("embedding", lambda: L.Embedding(10, 3), (2, 6), (None, 6, 3), 30, (1, 0)),
    ("embedding_mask_zero_length", lambda: L.Embedding(10, 3, mask_zero=True, input_length=6,
                                                       embeddings_regularizer="l2"), (2, 6), (None, 6, 3), 30, (1, 0)),
]


@pytest.mark.parametrize("factory,input_shape,out_shape,params,counts", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_sequence_layer_contract(factory, input_shape, out_shape, params, counts):
    run_layer_test(factory, input_shape, expected_output_shape=out_shape, expected_num_params=params,
                   expected_num_trainable_weights=counts[0], expected_num_non_trainable_weights=counts[1])


@pytest.mark.parametrize("factory,input_shape,out_shape", [c[1:] for c in NOISY], ids=[c[0] for c in NOISY])
def test_noisy_sequence_layer_contract(factory, input_shape, out_shape):
    run_layer_test(factory, input_shape, expected_output_shape=out_shape, deterministic_training=False)


@pytest.mark.parametrize("factory,input_shape,out_shape,params,counts", [c[1:] for c in IDS],
                         ids=[c[0] for c in IDS])
def test_embedding_contract(factory, input_shape, out_shape, params, counts):
    ids = np.random.default_rng(0).integers(0, 10, size=input_shape)
    run_layer_test(factory, input_shape, expected_output_shape=out_shape, expected_num_params=params,
                   expected_num_trainable_weights=counts[0], expected_num_non_trainable_weights=counts[1],
                   input_data=ids, differentiable_input=False)
