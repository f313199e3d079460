"""Mixed precision as Keras: policies, the dtypes layers compute and store in, a layer keeping the
policy it was created with, float32 losses, and dynamic loss scaling."""
import numpy as np
import pytest
import torch

import lamina
from lamina import layers as L
from lamina import mixed_precision as mp
from lamina.mixed_precision import LossScaleOptimizer, Policy


@pytest.fixture(autouse=True)
def _restore_global_policy():
    yield
    mp.set_global_policy(None)


@pytest.mark.parametrize("name,compute,variable", [
    ("mixed_float16", "float16", "float32"), ("mixed_bfloat16", "bfloat16", "float32"),
    ("float32", "float32", "float32"), ("bfloat16", "bfloat16", "bfloat16")])
def test_policy_dtypes(name, compute, variable):
    policy = Policy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)
    assert mp.DTypePolicy is Policy and Policy.from_config(policy.get_config()) == policy


def test_global_policy_is_captured_when_a_layer_is_created():
    assert mp.global_policy().name == "float32"
    mp.set_global_policy("mixed_bfloat16")
    assert mp.global_policy() == Policy("mixed_bfloat16")
    model = lamina.Sequential([L.Input((6,)), L.Dense(5, activation="relu"), L.Dense(3),
                               L.Activation("softmax", dtype="float32")])
    mp.set_global_policy("float32")  # changes nothing for the model that exists
    dense, top = model.layers[0], model.layers[-1]
    assert (dense.compute_dtype, dense.variable_dtype, dense.dtype) == ("bfloat16", "float32", "float32")
    assert dense.kernel.dtype == torch.float32 and dense.get_config()["dtype"] == "mixed_bfloat16"
    assert top.dtype_policy == Policy("float32") and model.dtype_policy.name == "mixed_bfloat16"
    x = torch.randn(4, 6)
    assert dense(x).dtype == torch.bfloat16
    out = model(x)
    assert out.dtype == torch.float32  # the float32 softmax, as the Keras guide recommends
    out.sum().backward()
    assert dense.kernel.grad.dtype == torch.float32
    fresh = L.Dense(2)
    assert fresh.compute_dtype == "float32" and fresh._policy_call is None  # the plain path again
    # the same numbers as float32, to bfloat16 precision
    ref = lamina.Sequential([L.Input((6,)), L.Dense(5, activation="relu"), L.Dense(3), L.Activation("softmax")])
    ref.set_weights(model.get_weights())
    np.testing.assert_allclose(out.detach().numpy(), ref(x).detach().numpy(), atol=2e-2)


def test_float16_and_plain_dtypes_per_layer():
    half = L.Dense(3, dtype=Policy("mixed_float16"))
    assert half(torch.randn(2, 4)).dtype == torch.float16 and half.kernel.dtype == torch.float32
    double = L.Dense(3, dtype="float64")
    y = double(torch.randn(2, 4))  # float32 input cast to the layer's dtype, as Keras casts inputs
    assert y.dtype == torch.float64 and double.kernel.dtype == torch.float64
    conv = L.Conv2D(4, 3, dtype="mixed_bfloat16")
    assert conv(torch.randn(1, 8, 8, 2)).dtype == torch.bfloat16 and conv.kernel.dtype == torch.float32
    assert type(half).from_config(half.get_config()).dtype_policy == Policy("mixed_float16")


def test_losses_are_computed_in_float32():
    y = torch.eye(3)[[0, 2]]
    pred = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    for loss in (lamina.losses.CategoricalCrossentropy(), lamina.losses.MeanSquaredError()):
        value = loss(y, pred.to(torch.bfloat16))
        assert value.dtype == torch.float32
        np.testing.assert_allclose(value.item(), loss(y, pred.to(torch.bfloat16).float()).item(), rtol=1e-6)
    logits = torch.randn(2, 3).to(torch.bfloat16)
    fused = lamina.losses.CategoricalCrossentropy().per_sample_from_logits(y, logits)
    assert fused.dtype == torch.float32


@pytest.mark.parametrize("call,match", [
    (lambda: Policy("mixed_float61"), r"Policy expects name to be 'mixed_float16', 'mixed_bfloat16' or a dtype name "
                                      r".*Received: name='mixed_float61'; did you mean 'mixed_float16'"),
    (lambda: mp.set_global_policy("int32"), r"set_global_policy expects a floating-point policy .* Received: "
                                            r"policy='int32'"),
    (lambda: L.Dense(3, dtype="mixed_half"), r"Received: name='mixed_half'"),
    (lambda: LossScaleOptimizer("sgd", dynamic=False), r"LossScaleOptimizer always scales dynamically\. Received: "
                                                       r"dynamic=False"),
    (lambda: LossScaleOptimizer("sgd", clipnorm=1.0), r"LossScaleOptimizer does not take clipnorm\. Received: "
                                                      r"clipnorm=1\.0\. Set clipnorm on the inner optimizer"),
    (lambda: LossScaleOptimizer("sgd", initial_scale=0), r"expects initial_scale to be a positive finite number"),
    (lambda: LossScaleOptimizer("sgd", dynamic_growth_steps=0), r"expects dynamic_growth_steps to be a positive "
                                                                r"int\. Received: dynamic_growth_steps=0"),
], ids=["policy_name", "global_int", "layer_dtype", "static", "clipnorm", "initial_scale", "growth_steps"])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _one_weight_problem():
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    opt = LossScaleOptimizer(lamina.optimizers.SGD(learning_rate=0.1), dynamic_growth_steps=3)
    opt.build([w])
    return w, opt


def test_loss_scaling_unscales_and_grows():
    w, opt = _one_weight_problem()
    assert opt.dynamic_scale == 2.0 ** 15 and opt.learning_rate == pytest.approx(0.1)
    for step in range(3):
        opt.zero_grad()
        loss = (w ** 2).sum()  # gradient 2w
        scaled = opt.scale_loss(loss)
        assert scaled.item() == pytest.approx(loss.item() * 2.0 ** 15)
        before = w.detach().clone()
        scaled.backward()
        opt.step()
        np.testing.assert_allclose(w.detach().numpy(), (before - 0.1 * 2 * before).numpy(), rtol=1e-6)
    assert opt.dynamic_scale == 2.0 ** 16 and opt.step_counter == 0 and opt.iterations == 3  # doubled after 3


def test_an_inf_gradient_skips_the_step_and_halves_the_scale():
    w, opt = _one_weight_problem()
    opt.zero_grad()
    opt.scale_loss((w ** 2).sum()).backward()
    opt.step()  # one good step: counter 1
    before = w.detach().clone()
    opt.zero_grad()
    opt.scale_loss((w * torch.tensor([float("inf"), 1.0])).sum()).backward()  # injected inf gradient
    opt.step()
    assert torch.equal(w.detach(), before)  # skipped: the weights did not move
    assert opt.dynamic_scale == 2.0 ** 14 and opt.step_counter == 0 and opt.skipped_steps == 1
    assert opt.iterations == 1  # the inner optimizer did not count the skipped step
    state = opt.state_dict()
    again = _one_weight_problem()[1]
    again.load_state_dict(state)
    assert again.dynamic_scale == 2.0 ** 14 and again.iterations == 1
    assert LossScaleOptimizer.from_config(opt.get_config()).dynamic_growth_steps == 3


def test_fit_with_a_loss_scale_optimizer_trains():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    mp.set_global_policy("mixed_float16")
    model = lamina.Sequential([L.Input((8,)), L.Dense(16, activation="relu"), L.Dense(1),
                               L.Activation("sigmoid", dtype="float32")])
    mp.set_global_policy(None)
    opt = LossScaleOptimizer(lamina.optimizers.Adam(learning_rate=0.01))
    model.compile(optimizer=opt, loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    assert opt.iterations == 8 * 8 - opt.skipped_steps


def test_a_model_compiled_with_it_saves_and_loads(tmp_path):
    model = lamina.Sequential([L.Input((4,)), L.Dense(3, activation="softmax")])
    opt = LossScaleOptimizer(lamina.optimizers.Adam(), dynamic_growth_steps=5)
    model.compile(opt, "categorical_crossentropy")
    x = np.random.default_rng(0).uniform(size=(8, 4)).astype("float32")
    model.fit(x, np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1]].astype("float32"), epochs=3, batch_size=4, verbose=0)
    assert (opt.dynamic_scale, opt.step_counter, opt.iterations) == (2.0 ** 16, 1, 6)  # doubled after 5 steps
    model.save(tmp_path / "m.lamina")
    loaded = lamina.models.load_model(tmp_path / "m.lamina").optimizer
    assert isinstance(loaded, LossScaleOptimizer) and isinstance(loaded.inner_optimizer, lamina.optimizers.Adam)
    assert lamina.optimizers.LossScaleOptimizer is LossScaleOptimizer  # Keras 3's second path
    assert (loaded.dynamic_scale, loaded.step_counter, loaded.iterations, loaded.dynamic_growth_steps) == (
        2.0 ** 16, 1, 6, 5)
