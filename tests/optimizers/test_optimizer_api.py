"""The optimizer contract the training engine relies on: Keras-style creation,
build, step, learning_rate, state round trip, configs, get() and errors."""
import copy
import pickle

import pytest

from lamina.compat import _state as compat_state
import torch

from lamina import optimizers

ALL = [optimizers.SGD, optimizers.RMSprop, optimizers.Adam, optimizers.AdamW, optimizers.Adadelta,
       optimizers.Adagrad, optimizers.Adamax, optimizers.Nadam]


@pytest.fixture(autouse=True)
def _fresh_warnings():
    compat_state._WARNED.clear()
    yield


def _mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))


def _train(model, opt, steps, seed=1):
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(16, 5, generator=g)
        y = torch.randn(16, 3, generator=g)
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_is_a_real_torch_optimizer_created_without_params(cls):
    opt = cls()
    assert isinstance(opt, torch.optim.Optimizer)
    assert opt.iterations == 0 and not opt.built
    opt.zero_grad(set_to_none=True)  # harmless before build
    model = _mlp()
    opt.build(list(model.parameters()))
    assert opt.built and len(opt.param_groups[0]["params"]) == 4
    _train(model, opt, 3)
    assert opt.iterations == 3


def test_keras3_defaults():
    assert optimizers.SGD().learning_rate == 0.01
    r = optimizers.RMSprop()
    assert (r.learning_rate, r.rho, r.momentum, r.epsilon, r.centered) == (0.001, 0.9, 0.0, 1e-7, False)
    a = optimizers.Adam()
    assert (a.learning_rate, a.beta_1, a.beta_2, a.epsilon, a.amsgrad) == (0.001, 0.9, 0.999, 1e-7, False)
    assert optimizers.AdamW().weight_decay == 0.004
    d = optimizers.Adadelta()
    assert (d.learning_rate, d.rho, d.epsilon) == (0.001, 0.95, 1e-7)
    ag = optimizers.Adagrad()
    assert (ag.learning_rate, ag.initial_accumulator_value) == (0.001, 0.1)
    assert [o().name for o in ALL] == ["SGD", "rmsprop", "adam", "adamw", "adadelta", "adagrad", "adamax",
                                       "nadam"]


def test_step_before_build_says_how_to_fix():
    with pytest.raises(RuntimeError, match=r"Call optimizer.build\(model.parameters\(\)\) first"):
        optimizers.SGD().step()


def test_build_same_params_is_noop_and_different_params_rebuild_keeping_state():
    model = _mlp()
    params = list(model.parameters())
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.build(params)
    _train(model, opt, 2)
    state_before = opt.state[params[0]]["momentum"].clone()
    opt.build(list(model.parameters()))  # same tensors, new list: no-op
    torch.testing.assert_close(opt.state[params[0]]["momentum"], state_before)
    extra = torch.nn.Parameter(torch.zeros(3))
    opt.build(params[:2] + [extra])  # freeze the last layer, add a new weight
    assert len(opt.param_groups[0]["params"]) == 3
    torch.testing.assert_close(opt.state[params[0]]["momentum"], state_before)
    assert torch.count_nonzero(opt.state[extra]["momentum"]) == 0
    assert params[2] not in opt.state
    assert opt.iterations == 2


def test_build_with_no_trainable_params_steps_without_error():
    opt = optimizers.Adam()
    opt.build([])
    opt.step()
    assert opt.iterations == 0


def test_learning_rate_property_syncs_param_groups_both_ways():
    model = _mlp()
    opt = optimizers.SGD(learning_rate=0.1)
    opt.learning_rate = 0.05  # before build
    opt.build(model.parameters())
    assert opt.param_groups[0]["lr"] == 0.05 and opt.lr == 0.05
    opt.learning_rate = 0.02  # what ReduceLROnPlateau does
    assert opt.param_groups[0]["lr"] == 0.02
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    _train(model, opt, 1)
    sched.step()
    assert opt.learning_rate == pytest.approx(0.01)
    assert isinstance(opt.learning_rate, float)


def test_torch_lr_scheduler_drives_the_update():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.SGD(learning_rate=1.0)
    opt.build([p])
    sched = torch.optim.lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.1)
    for _ in range(2):
        p.grad = torch.ones(1)
        opt.step()
        sched.step()
    torch.testing.assert_close(p.detach(), torch.tensor([-1.1]))


def test_schedule_learning_rate_follows_iterations_and_is_not_settable():
    sched = optimizers.schedules.PiecewiseConstantDecay([1], [0.5, 0.1])
    opt = optimizers.SGD(learning_rate=sched)
    p = torch.nn.Parameter(torch.zeros(1))
    opt.build([p])
    assert opt.learning_rate == 0.5
    for _ in range(2):
        p.grad = torch.ones(1)
        opt.step()
    assert opt.learning_rate == 0.1
    torch.testing.assert_close(p.detach(), torch.tensor([-1.0]))  # steps 0 and 1 both at 0.5
    with pytest.raises(TypeError, match="created with a LearningRateSchedule"):
        opt.learning_rate = 0.3


@pytest.mark.parametrize("cls,kwargs", [
    (optimizers.SGD, dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    (optimizers.RMSprop, dict(momentum=0.5, centered=True)),
    (optimizers.Adam, dict(amsgrad=True)),
    (optimizers.AdamW, {}),
    (optimizers.Adadelta, dict(learning_rate=1.0)),
    (optimizers.Adagrad, {}),
    (optimizers.Adamax, {}),
    (optimizers.Nadam, {}),
], ids=lambda v: v.__name__ if isinstance(v, type) else "")
def test_state_dict_resume_gives_the_same_next_steps(cls, kwargs):
    model = _mlp()
    opt = cls(**kwargs)
    opt.build(model.parameters())
    _train(model, opt, 3)
    saved_model = copy.deepcopy(model.state_dict())
    saved_opt = copy.deepcopy(opt.state_dict())
    assert saved_opt["iterations"] == 3
    _train(model, opt, 2, seed=7)  # uninterrupted run

    resumed = _mlp()
    resumed.load_state_dict(saved_model)
    opt2 = cls(**kwargs)
    opt2.build(resumed.parameters())
    opt2.load_state_dict(saved_opt)
    assert opt2.iterations == 3
    _train(resumed, opt2, 2, seed=7)
    for a, b in zip(model.parameters(), resumed.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert opt2.iterations == 5


def test_load_state_dict_before_build_is_applied_at_build():
    model = _mlp()
    opt = optimizers.Adam(learning_rate=0.01)
    opt.build(model.parameters())
    _train(model, opt, 2)
    sd = copy.deepcopy(opt.state_dict())
    opt2 = optimizers.Adam(learning_rate=0.01)
    opt2.load_state_dict(sd)
    assert opt2.iterations == 2
    opt2.build(model.parameters())
    p0 = next(model.parameters())
    torch.testing.assert_close(opt2.state[p0]["velocity"], opt.state[p0]["velocity"])


def test_learning_rate_changed_during_training_is_restored():
    model = _mlp()
    opt = optimizers.SGD(learning_rate=0.1)
    opt.build(model.parameters())
    opt.learning_rate = 0.025
    opt2 = optimizers.SGD(learning_rate=0.1)
    opt2.build(model.parameters())
    opt2.load_state_dict(opt.state_dict())
    assert opt2.learning_rate == 0.025


def test_pickle_and_deepcopy_keep_keras_attributes():
    model = _mlp()
    opt = optimizers.RMSprop(learning_rate=0.01, momentum=0.5)
    opt.build(model.parameters())
    _train(model, opt, 2)
    clone = copy.deepcopy(opt)
    assert clone.iterations == 2 and clone.momentum == 0.5 and clone.built
    unbuilt = pickle.loads(pickle.dumps(optimizers.Adam(learning_rate=0.02)))
    assert unbuilt.learning_rate == 0.02 and not unbuilt.built


def test_closure_and_step_hooks_work():
    p = torch.nn.Parameter(torch.tensor([2.0]))
    opt = optimizers.SGD(learning_rate=0.25)
    opt.build([p])
    calls = []
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(o.iterations))

    def closure():
        opt.zero_grad()
        loss = (p ** 2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0 and calls == [1]
    torch.testing.assert_close(p.detach(), torch.tensor([1.0]))


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    opt = cls(learning_rate=0.05, clipnorm=1.0, name="my_opt")
    cfg = opt.get_config()
    assert cfg["learning_rate"] == 0.05 and cfg["name"] == "my_opt" and cfg["clipnorm"] == 1.0
    again = cls.from_config(cfg)
    assert again.get_config() == cfg
    spec = optimizers.serialize(opt)
    assert spec["class_name"] == cls.__name__
    assert optimizers.deserialize(spec).get_config() == cfg


def test_schedule_in_config_round_trips():
    sched = optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10)
    opt = optimizers.Adam(learning_rate=sched)
    cfg = opt.get_config()
    assert cfg["learning_rate"] == {"class_name": "CosineDecay", "config": sched.get_config()}
    again = optimizers.Adam.from_config(cfg)
    assert isinstance(again._learning_rate, optimizers.schedules.CosineDecay)
    assert again.learning_rate == sched(0)


def test_keras_configs_with_ema_defaults_load():
    cfg = {"name": "adam", "learning_rate": 0.001, "weight_decay": None, "clipnorm": None,
           "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
           "ema_overwrite_frequency": None, "loss_scale_factor": None, "gradient_accumulation_steps": None,
           "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}
    assert optimizers.deserialize({"class_name": "Adam", "config": cfg}).learning_rate == 0.001
    with pytest.raises(ValueError, match="does not support use_ema"):
        optimizers.Adam(use_ema=True)


def test_get_resolves_names_instances_classes_and_configs():
    assert isinstance(optimizers.get("SGD"), optimizers.SGD)
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    assert isinstance(optimizers.get("AdamW"), optimizers.AdamW)
    opt = optimizers.Nadam()
    assert optimizers.get(opt) is opt
    assert isinstance(optimizers.get(optimizers.Adagrad), optimizers.Adagrad)
    cfg = {"class_name": "SGD", "config": {"learning_rate": 0.3, "momentum": 0.5}}
    got = optimizers.get(cfg)
    assert (got.learning_rate, got.momentum) == (0.3, 0.5)
    plain = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    assert optimizers.get(plain) is plain
    assert optimizers.get("adadelta", legacy=True).learning_rate == 1.0
    assert optimizers.get("adadelta").learning_rate == 0.001


def test_unknown_name_lists_valid_names_with_did_you_mean():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adm'\. Expected one of .*'adam'.*"
                                         r"did you mean 'adam'\?"):
        optimizers.get("adm")
    with pytest.raises(TypeError, match="must be a name"):
        optimizers.get(3)


def test_legacy_lr_argument_warns_once_and_works():
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        opt = optimizers.SGD(lr=0.02, momentum=0.9, nesterov=True)
    assert opt.learning_rate == 0.02
    assert opt.get_config()["learning_rate"] == 0.02


@pytest.mark.parametrize("make,match", [
    (lambda: optimizers.SGD(learning_rate=0), r"learning_rate to be a positive float.*Received: learning_rate=0"),
    (lambda: optimizers.Adam(learning_rate=-1e-3), r"Received: learning_rate=-0.001"),
    (lambda: optimizers.SGD(learning_rate="fast"), r"Received: learning_rate='fast'"),
    (lambda: optimizers.SGD(momentum=1.0), r"SGD expects momentum to be a float in \[0, 1\)\. Received: momentum=1.0"),
    (lambda: optimizers.SGD(momentum=-0.1), r"Received: momentum=-0.1"),
    (lambda: optimizers.RMSprop(rho=1.5), r"RMSprop expects rho .* Received: rho=1.5"),
    (lambda: optimizers.Adam(beta_1=1.0), r"Adam expects beta_1 .* Received: beta_1=1.0"),
    (lambda: optimizers.Nadam(beta_2=2), r"Received: beta_2=2"),
    (lambda: optimizers.Adadelta(rho=-0.5), r"Received: rho=-0.5"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=-1), r"Received: initial_accumulator_value=-1"),
    (lambda: optimizers.SGD(clipnorm=1.0, clipvalue=0.5), r"only one of clipnorm, clipvalue and global_clipnorm"),
    (lambda: optimizers.SGD(clipnorm=0), r"clipnorm to be a positive float or None. Received: clipnorm=0"),
    (lambda: optimizers.AdamW(weight_decay=None), r"AdamW expects weight_decay to be a float"),
])
def test_bad_hyper_parameters_raise_with_the_received_value(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_unknown_argument_gets_did_you_mean():
    with pytest.raises(TypeError, match=r"unexpected argument 'momentun'; did you mean 'momentum'\?"):
        optimizers.SGD(momentun=0.9)
