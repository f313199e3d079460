"""Sequence models written by real Keras 3 (.h5 and .keras fixtures, see fixtures/make_sequence_fixtures.py)
load in lamina and predict what Keras predicted (Keras 3 semantics)."""
import os

import numpy as np
import pytest

from lamina.models import load_model

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
# Embedding 30x6, Bidirectional LSTM(4) on 6 features, GRU(5, reset_after=False) on 8, Dense 5->2
# SimpleRNN(3) on 4 features, TimeDistributed Dense 3->2, GRU(3) on 2, Dense 3->1
PARAMS = {"text": 180 + 2 * 4 * (4 * (6 + 4) + 4) + 3 * (5 * (8 + 5) + 5) + 12,
          "rows": 3 * (4 + 3) + 3 + 8 + 3 * (3 * (2 + 3) + 6) + 4,
          # ConvLSTM2D(3, 3x3) on 2 channels, ConvLSTM2D(2, 2x3, strides 2) on 3 (8x8 -> 4x3), Dense 24 -> 2
          "frames": 9 * 2 * 12 + 9 * 3 * 12 + 12 + 6 * 3 * 8 + 6 * 2 * 8 + 8 + 24 * 2 + 2}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("ext", ["h5", "keras"])
@pytest.mark.parametrize("name", ["text", "rows", "frames"])
def test_keras3_sequence_files_predict_as_keras_did(name, ext):
    data = np.load(os.path.join(HERE, f"{name}.npz"))
    model = load_model(os.path.join(HERE, f"{name}.{ext}"))
    assert model.count_params() == PARAMS[name]
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], atol=1e-5)
