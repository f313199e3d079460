"""Optimizer state <-> safetensors + JSON, with no pickle."""
import json

import pytest
import safetensors.torch as st
import torch

from lamina.saving.state import load_optimizer_state, optimizer_state_to_tensors, state_from_tensors, \
    state_to_tensors

OPTIMIZERS = {
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    "adam": lambda p: torch.optim.Adam(p, lr=1e-3),
    "adam_amsgrad": lambda p: torch.optim.Adam(p, lr=1e-3, amsgrad=True),
    "rmsprop_centered": lambda p: torch.optim.RMSprop(p, lr=1e-3, centered=True, momentum=0.5),
}


def _net():
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def _train(model, opt, steps=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        opt.zero_grad()
        model(torch.randn(5, 3, generator=g)).pow(2).mean().backward()
        opt.step()


def _assert_same_state(a, b):
    a, b = a.state_dict(), b.state_dict()
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for k in a["state"]:
        assert a["state"][k].keys() == b["state"][k].keys()
        for name, v in a["state"][k].items():
            w = b["state"][k][name]
            if isinstance(v, torch.Tensor):
                assert v.dtype == w.dtype and torch.equal(v, w), (k, name)
            else:
                assert v == w


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_optimizer_state_round_trips_exactly_through_safetensors_and_json(kind):
    model = _net()
    opt = OPTIMIZERS[kind](model.parameters())
    _train(model, opt)
    tensors, meta = optimizer_state_to_tensors(opt)
    blob, text = st.save(tensors), json.dumps(meta)   # must be storable as is

    model2 = _net()
    model2.load_state_dict(model.state_dict())
    opt2 = OPTIMIZERS[kind](model2.parameters())
    load_optimizer_state(opt2, st.load(blob), json.loads(text))
    _assert_same_state(opt, opt2)
    # and training continues identically
    _train(model, opt, seed=2)
    _train(model2, opt2, seed=2)
    for p, q in zip(model.parameters(), model2.parameters()):
        assert torch.equal(p, q)


def test_tensor_keys_name_the_state_entry():
    model = _net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    _train(model, opt)
    tensors, _ = optimizer_state_to_tensors(opt)
    assert sorted(tensors) == [f"state/{i}/momentum_buffer" for i in range(4)]


def test_extra_entries_tuples_int_keys_and_non_finite_floats_round_trip():
    state = {"state": {0: {"step": torch.tensor(3.0)}}, "iterations": torch.tensor(7, dtype=torch.int64),
             "param_groups": [{"betas": (0.9, 0.999), "lr": float("inf"), "params": [0], "foreach": None}]}
    tensors, skeleton = state_to_tensors(state)
    back = state_from_tensors(st.load(st.save(tensors)), json.loads(json.dumps(skeleton)))
    assert list(back["state"]) == [0] and torch.equal(back["state"][0]["step"], torch.tensor(3.0))
    assert back["iterations"].dtype == torch.int64 and int(back["iterations"]) == 7
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["param_groups"][0]["lr"] == float("inf") and back["param_groups"][0]["foreach"] is None


def test_state_with_unstorable_object_is_refused():
    with pytest.raises(TypeError, match="'state/0/fn' holds a function.*cannot be stored without pickle"):
        state_to_tensors({"state": {"0": {"fn": lambda: 0}}})


def test_loading_into_an_optimizer_over_different_shapes_names_the_parameter():
    model = _net()
    opt = torch.optim.Adam(model.parameters())
    _train(model, opt)
    tensors, meta = optimizer_state_to_tensors(opt)
    other = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    with pytest.raises(ValueError, match=r"parameter 0 of group 0 had shape \(4, 3\) when saved; it has "
                                         r"shape \(5, 3\) now"):
        load_optimizer_state(torch.optim.Adam(other.parameters()), tensors, meta)


def test_metadata_that_is_not_optimizer_state_is_refused():
    opt = torch.optim.SGD(_net().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="expects the metadata written by optimizer_state_to_tensors"):
        load_optimizer_state(opt, {}, {"format": "something else"})


def _lamina_train(model, opt, steps=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        opt.zero_grad()
        model(torch.randn(5, 3, generator=g)).pow(2).mean().backward()
        opt.step()


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop", "nadam"])
def test_lamina_optimizer_state_and_iterations_round_trip(name):
    from lamina import optimizers
    kwargs = {"momentum": 0.9} if name == "sgd" else {}
    model = _net()
    opt = optimizers.get(name) if not kwargs else optimizers.SGD(learning_rate=0.1, **kwargs)
    opt.build(list(model.parameters()))
    _lamina_train(model, opt)
    tensors, meta = optimizer_state_to_tensors(opt)
    blob, text = st.save(tensors), json.dumps(meta)
    assert json.loads(text)["state_dict"]["iterations"] == 3

    model2 = _net()
    model2.load_state_dict(model.state_dict())
    opt2 = optimizers.get(name) if not kwargs else optimizers.SGD(learning_rate=0.1, **kwargs)
    opt2.build(list(model2.parameters()))
    load_optimizer_state(opt2, st.load(blob), json.loads(text))
    assert opt2.iterations == 3
    _lamina_train(model, opt, seed=2)
    _lamina_train(model2, opt2, seed=2)
    for p, q in zip(model.parameters(), model2.parameters()):
        assert torch.equal(p, q)


def test_state_loaded_into_an_unbuilt_lamina_optimizer_applies_at_build():
    from lamina import optimizers
    model = _net()
    opt = optimizers.Adam()
    opt.build(list(model.parameters()))
    _lamina_train(model, opt)
    tensors, meta = optimizer_state_to_tensors(opt)
    model2 = _net()
    model2.load_state_dict(model.state_dict())
    opt2 = optimizers.Adam()
    load_optimizer_state(opt2, st.load(st.save(tensors)), json.loads(json.dumps(meta)))
    opt2.build(list(model2.parameters()))
    _lamina_train(model, opt, seed=2)
    _lamina_train(model2, opt2, seed=2)
    for p, q in zip(model.parameters(), model2.parameters()):
        assert torch.equal(p, q)
