"""lamina.models.ensemble: a model that averages (or votes over) its members, saved and loaded safely."""
import zipfile

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.models import Vote, ensemble, load_model
from lamina.utils import to_categorical


def _member(name="member", seed=0):
    lamina.utils.set_random_seed(seed)
    return lamina.Sequential([layers.Input((6,)), layers.Dense(8, activation="relu"),
                              layers.Dense(4, activation="softmax")], name=name)


@pytest.fixture()
def members():
    return [_member(f"m{i}", seed=i) for i in range(3)]


@pytest.fixture()
def x():
    return np.random.default_rng(0).normal(size=(40, 6)).astype(np.float32)


def test_average_predicts_the_mean_of_its_members(members, x):
    ens = ensemble(members, mode="average")
    want = np.mean([m.predict(x, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(ens.predict(x, verbose=0), want, rtol=1e-6, atol=1e-7)
    assert ens.count_params() == sum(m.count_params() for m in members)


def test_vote_takes_the_majority_class(members, x):
    probs = [m.predict(x, verbose=0) for m in members]
    out = ensemble(members, mode="vote").predict(x, verbose=0)
    votes = sum(np.eye(4)[p.argmax(1)] for p in probs)
    np.testing.assert_allclose(out, (votes + np.mean(probs, axis=0)) / 4, rtol=1e-6, atol=1e-7)
    majority = votes.max(1) >= 2
    assert majority.any()
    assert (out.argmax(1)[majority] == votes.argmax(1)[majority]).all()
    np.testing.assert_allclose(out.sum(1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("mode", ["average", "vote"])
def test_saves_as_lamina_file_and_loads_predicting_the_same(members, x, tmp_path, mode):
    ens = ensemble(members, mode=mode)
    path = tmp_path / f"ens-{mode}.lamina"
    ens.save(path)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert "config.json" in names and any(n.endswith(".safetensors") for n in names)
        assert not any(n.endswith((".pkl", ".pt", ".pth")) for n in names)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), ens.predict(x, verbose=0))
    assert [type(l).__name__ for l in loaded.layers][-1] == ("Average" if mode == "average" else "Vote")


def test_evaluates_like_any_model(members, x):
    y = to_categorical(np.arange(40) % 4, 4)
    ens = ensemble(members)
    ens.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    loss, acc = ens.evaluate(x, y, verbose=0)
    p = ens.predict(x, verbose=0)
    assert loss == pytest.approx(float(np.mean(-np.log(p[y == 1]))), rel=1e-5)
    assert acc == pytest.approx(float(np.mean(p.argmax(1) == y.argmax(1))))


def test_members_with_the_same_name_are_copied_not_renamed(x):
    a, b = _member("net", 1), _member("net", 2)
    ens = ensemble([a, b])
    assert a.name == "net" and b.name == "net"
    want = (a.predict(x, verbose=0) + b.predict(x, verbose=0)) / 2
    np.testing.assert_allclose(ens.predict(x, verbose=0), want, rtol=1e-6, atol=1e-7)


def test_errors_name_the_problem(members):
    with pytest.raises(ValueError, match=r"mode to be one of 'average', 'vote'.*mode='mean'"):
        ensemble(members, mode="mean")
    with pytest.raises(ValueError, match=r"at least two models. Received 1"):
        ensemble(members[:1])
    other = lamina.Sequential([layers.Input((5,)), layers.Dense(4, activation="softmax")], name="other")
    with pytest.raises(ValueError, match=r"share input and output shapes.*member 1 \('other'\) maps \(None, 5\)"):
        ensemble([members[0], other])
    with pytest.raises(ValueError, match=r"expects a list of at least two 2-D inputs"):
        Vote().compute_output_shape([(None, 4)])
