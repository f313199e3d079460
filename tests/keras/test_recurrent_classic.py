"""The classic namespace's recurrent layers pin Keras 2.2.4 semantics (lamina.layers pins Keras 3):
hard-sigmoid gates with Keras 2's formula, GRU reset_after=False, Keras 1 argument names."""
import warnings

import numpy as np
import pytest
import torch

import lamina
from lamina import layers as L
from lamina.keras import layers as KL
from lamina.models import load_model


def _x(*shape, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).normal(size=shape).astype("float32"))


def test_hard_sigmoid_is_keras2s_formula():
    x = torch.tensor([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0])
    torch.testing.assert_close(KL.recurrent.hard_sigmoid(x), torch.tensor([0.0, 0.0, 0.3, 0.5, 0.7, 1.0, 1.0]))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_classic_gates_use_keras2_hard_sigmoid(kind):
    x = _x(2, 5, 3)
    classic = getattr(KL, kind)(4, return_sequences=True)
    classic(x)
    extra = {"reset_after": False} if kind == "GRU" else {}
    modern = getattr(L, kind)(4, return_sequences=True, recurrent_activation=lambda v: torch.clamp(0.2 * v + 0.5, 0, 1),
                              **extra)
    modern(x)
    modern.set_weights(classic.get_weights())
    torch.testing.assert_close(classic(x), modern(x))
    keras3 = getattr(L, kind)(4, return_sequences=True, recurrent_activation="hard_sigmoid", **extra)
    keras3(x)
    keras3.set_weights(classic.get_weights())
    assert not torch.allclose(classic(x), keras3(x))  # Keras 3's hard_sigmoid is relu6(x + 3) / 6


def test_classic_gru_defaults_to_reset_before_with_keras2_parameter_count():
    gru = KL.GRU(4)
    gru(torch.zeros(1, 3, 2))
    assert gru.reset_after is False and gru.count_params() == 3 * (4 * (2 + 4) + 4)
    modern = L.GRU(4)
    modern(torch.zeros(1, 3, 2))
    assert modern.reset_after is True and modern.count_params() == 3 * (4 * (2 + 4) + 8)


def test_keras1_names_translate_with_one_warning_each():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = KL.LSTM(output_dim=8, input_dim=5, input_length=7, init="he_normal", inner_init="orthogonal",
                        inner_activation="sigmoid", W_regularizer="l2", U_regularizer="l1", dropout_W=0.1,
                        dropout_U=0.2, consume_less="gpu", forget_bias_init="zero")
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    for old in ("output_dim", "init", "inner_init", "inner_activation", "W_regularizer", "U_regularizer",
                "dropout_W", "dropout_U", "consume_less", "forget_bias_init", "input_length"):
        assert any(f"{old}=" in m and "Keras 1" in m for m in messages), old
    assert layer.units == 8 and layer._batch_input_shape == (None, 7, 5)
    assert layer.dropout == 0.1 and layer.recurrent_dropout == 0.2 and layer.unit_forget_bias is False
    assert layer.recurrent_activation is torch.sigmoid or layer.recurrent_activation is lamina.activations.sigmoid


def test_classic_model_saves_and_loads_with_the_same_numbers(tmp_path):
    model = lamina.keras.models.Sequential([KL.Embedding(20, 4, input_length=6), KL.GRU(5, return_sequences=True),
                                            KL.LSTM(3), KL.Dense(1)])
    ids = torch.tensor([[1, 4, 19, 3, 0, 2]])
    assert model.layers[1].get_config()["recurrent_activation"] == "hard_sigmoid_keras2"
    path = tmp_path / "classic.lamina"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded.layers[2]) is L.LSTM  # saved under its Keras name, loaded as the modern class
    torch.testing.assert_close(loaded(ids), model(ids))


def test_classic_embedding_keras1_names():
    with pytest.warns(DeprecationWarning, match=r"Embedding\(W_regularizer=...\) is the Keras 1 form"):
        emb = KL.Embedding(10, 3, init="normal", W_regularizer="l2")
    assert emb.embeddings_initializer == "normal" and emb.embeddings_regularizer == "l2"


# The classic classes are the namespace's twins; importing lamina.keras changes nothing for lamina.layers,
# and a classic model loads back in a process that never imports the namespace.
ISOLATION = """
import sys, numpy as np, torch
import lamina, lamina.layers as L, lamina.activations as A
x = torch.linspace(-4, 4, 5)
def modern():
    return (A.get("hard_sigmoid")(x).tolist(), L.LSTM(3).recurrent_activation.__name__,
            L.GRU(3).recurrent_activation.__name__, L.GRU(3).cell.reset_after)
before = modern()
if sys.argv[1] == "save":
    from lamina.keras import layers as KL, models as KM
    print(before == modern(), before[0], before[1:])
    lstm, gru = KL.LSTM(3), KL.GRU(3)
    print(lstm.recurrent_activation.__name__, gru.recurrent_activation.__name__, gru.cell.reset_after,
          isinstance(lstm, L.LSTM), isinstance(L.LSTM(2), KL.LSTM), KL.recurrent.LSTM is KL.LSTM)
    m = KM.Sequential([KL.Embedding(10, 4, input_length=5), KL.GRU(3, return_sequences=True), KL.LSTM(3)])
    m.save(sys.argv[2])
    np.save(sys.argv[3], m.predict(np.arange(10).reshape(2, 5).astype("float32"), verbose=0))
else:
    m = lamina.models.load_model(sys.argv[2])
    same = np.allclose(m.predict(np.arange(10).reshape(2, 5).astype("float32"), verbose=0), np.load(sys.argv[3]))
    print(same, "lamina.keras" in sys.modules, m.layers[1].cell.reset_after, m.layers[2].recurrent_activation.__name__)
"""


def test_classic_namespace_leaves_lamina_layers_alone_and_its_models_load_without_it(tmp_path):
    import subprocess
    import sys
    path, pred = str(tmp_path / "classic.lamina"), str(tmp_path / "pred.npy")
    saved = subprocess.run([sys.executable, "-c", ISOLATION, "save", path, pred], capture_output=True, text=True,
                           timeout=120)
    assert saved.returncode == 0, saved.stderr
    lines = saved.stdout.splitlines()
    assert lines[0] == ("True [0.0, 0.1666666716337204, 0.5, 0.8333333134651184, 1.0] "
                        "('sigmoid', 'sigmoid', True)")   # Keras 3's hard_sigmoid and defaults, unchanged
    assert lines[1] == "hard_sigmoid_keras2 hard_sigmoid_keras2 False True True True"
    loaded = subprocess.run([sys.executable, "-c", ISOLATION, "load", path, pred], capture_output=True, text=True,
                            timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["True", "False", "False", "hard_sigmoid_keras2"]
