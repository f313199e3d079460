"""Each optimizer against a NumPy transcription of Keras 3's update rule
(keras/src/optimizers/*.py), over several steps with fixed gradients."""
import math

import numpy as np
import pytest
import torch

from lamina import optimizers

STEPS = 5


def _setup(seed=0, shapes=((3, 4), (4,), (2, 3, 2))):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=s) for s in shapes]
    grads = [[rng.normal(size=s) * 2.0 for s in shapes] for _ in range(STEPS)]
    return weights, grads


def _run_lamina(opt, weights, grads, dtype=torch.float64):
    params = [torch.nn.Parameter(torch.tensor(w, dtype=dtype)) for w in weights]
    opt.build(params)
    for step_grads in grads:
        opt.zero_grad(set_to_none=True)
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g, dtype=dtype)
        opt.step()
    assert opt.iterations == len(grads)
    return [p.detach().numpy() for p in params]


# ---- NumPy references: one function per optimizer, straight from Keras's formulas ----

def _clip(grads, clipnorm=None, clipvalue=None, global_clipnorm=None):
    if clipnorm:
        return [g * clipnorm / max(np.sqrt((g ** 2).sum()), clipnorm) for g in grads]
    if global_clipnorm:
        norm = np.sqrt(sum((g ** 2).sum() for g in grads))
        return [g * global_clipnorm * min(1.0 / norm, 1.0 / global_clipnorm) for g in grads]
    if clipvalue:
        return [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


def np_optimize(kind, weights, grads, lr, weight_decay=None, clip=None, **hp):
    w = [x.copy() for x in weights]
    state = {}
    u_product = 1.0
    for t0, g in enumerate(grads):
        t = t0 + 1
        lr_t = lr(t0) if callable(lr) else lr
        g = _clip(g, **(clip or {}))
        if weight_decay:
            w = [x - x * weight_decay * lr_t for x in w]
        if kind == "nadam":
            u_product = u_product * hp.get("beta_1", 0.9) * (1 - 0.5 * 0.96 ** t)
        for i, (x, gi) in enumerate(zip(w, g)):
            s = state.setdefault(i, {})
            if kind == "sgd":
                mom, nest = hp.get("momentum", 0.0), hp.get("nesterov", False)
                if mom:
                    m = s.get("m", 0.0) * mom - gi * lr_t
                    s["m"] = m
                    x = x + (m * mom - gi * lr_t if nest else m)
                else:
                    x = x - gi * lr_t
            elif kind == "rmsprop":
                rho, mom, eps, centered = (hp.get("rho", 0.9), hp.get("momentum", 0.0),
                                           hp.get("epsilon", 1e-7), hp.get("centered", False))
                v = rho * s.get("v", 0.0) + (1 - rho) * gi ** 2
                s["v"] = v
                if centered:
                    a = rho * s.get("a", 0.0) + (1 - rho) * gi
                    s["a"] = a
                    denom = v - a ** 2 + eps
                else:
                    denom = v + eps
                inc = lr_t * gi / np.sqrt(denom)
                if mom > 0:
                    s["m"] = mom * s.get("m", 0.0) + inc
                    x = x - s["m"]
                else:
                    x = x - inc
            elif kind in ("adam", "adamw"):
                b1, b2, eps = hp.get("beta_1", 0.9), hp.get("beta_2", 0.999), hp.get("epsilon", 1e-7)
                alpha = lr_t * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                m = s.get("m", 0.0) + (gi - s.get("m", 0.0)) * (1 - b1)
                v = s.get("v", 0.0) + (gi ** 2 - s.get("v", 0.0)) * (1 - b2)
                s["m"], s["v"] = m, v
                if hp.get("amsgrad"):
                    s["vh"] = np.maximum(s.get("vh", 0.0), v)
                    v = s["vh"]
                x = x - m * alpha / (np.sqrt(v) + eps)
            elif kind == "adamax":
                b1, b2, eps = hp.get("beta_1", 0.9), hp.get("beta_2", 0.999), hp.get("epsilon", 1e-7)
                m = s.get("m", 0.0) + (gi - s.get("m", 0.0)) * (1 - b1)
                u = np.maximum(b2 * s.get("u", 0.0), np.abs(gi))
                s["m"], s["u"] = m, u
                x = x - lr_t * m / ((1 - b1 ** t) * (u + eps))
            elif kind == "adagrad":
                acc = s.get("acc", hp.get("initial_accumulator_value", 0.1)) + gi ** 2
                s["acc"] = acc
                x = x - lr_t * gi / np.sqrt(acc + hp.get("epsilon", 1e-7))
            elif kind == "adadelta":
                rho, eps = hp.get("rho", 0.95), hp.get("epsilon", 1e-7)
                ag = rho * s.get("ag", 0.0) + (1 - rho) * gi ** 2
                ad = s.get("ad", 0.0)
                delta = -np.sqrt(ad + eps) * gi / np.sqrt(ag + eps)
                s["ag"], s["ad"] = ag, rho * ad + (1 - rho) * delta ** 2
                x = x + lr_t * delta
            elif kind == "nadam":
                b1, b2, eps = hp.get("beta_1", 0.9), hp.get("beta_2", 0.999), hp.get("epsilon", 1e-7)
                u_t = b1 * (1 - 0.5 * 0.96 ** t)
                u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
                up_t1 = u_product * u_t1
                m = s.get("m", 0.0) + (gi - s.get("m", 0.0)) * (1 - b1)
                v = s.get("v", 0.0) + (gi ** 2 - s.get("v", 0.0)) * (1 - b2)
                s["m"], s["v"] = m, v
                m_hat = u_t1 * m / (1 - up_t1) + (1 - u_t) * gi / (1 - u_product)
                v_hat = v / (1 - b2 ** t)
                x = x - m_hat * lr_t / (np.sqrt(v_hat) + eps)
            w[i] = x
    return w


CASES = [
    ("sgd", optimizers.SGD, dict(learning_rate=0.1), {}),
    ("sgd", optimizers.SGD, dict(learning_rate=0.1, momentum=0.9), dict(momentum=0.9)),
    ("sgd", optimizers.SGD, dict(learning_rate=0.1, momentum=0.9, nesterov=True),
     dict(momentum=0.9, nesterov=True)),
    ("rmsprop", optimizers.RMSprop, dict(learning_rate=0.01), {}),
    ("rmsprop", optimizers.RMSprop, dict(learning_rate=0.01, momentum=0.5, centered=True),
     dict(momentum=0.5, centered=True)),
    ("rmsprop", optimizers.RMSprop, dict(learning_rate=0.01, rho=0.8, centered=True),
     dict(rho=0.8, centered=True)),
    ("adam", optimizers.Adam, dict(learning_rate=0.01), {}),
    ("adam", optimizers.Adam, dict(learning_rate=0.01, amsgrad=True, beta_1=0.8), dict(amsgrad=True, beta_1=0.8)),
    ("adamax", optimizers.Adamax, dict(learning_rate=0.01), {}),
    ("adagrad", optimizers.Adagrad, dict(learning_rate=0.05), {}),
    ("adadelta", optimizers.Adadelta, dict(learning_rate=1.0), {}),
    ("nadam", optimizers.Nadam, dict(learning_rate=0.01), {}),
]


@pytest.mark.parametrize("kind,cls,kwargs,hp", CASES,
                         ids=[f"{c[0]}-{'-'.join(f'{k}={v}' for k, v in c[3].items()) or 'default'}"
                              for c in CASES])
def test_matches_keras_rule(kind, cls, kwargs, hp):
    weights, grads = _setup()
    got = _run_lamina(cls(**kwargs), weights, grads)
    want = np_optimize(kind, weights, grads, kwargs["learning_rate"], **hp)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_adamw_default_weight_decay_is_decoupled_and_before_update():
    weights, grads = _setup(1)
    got = _run_lamina(optimizers.AdamW(learning_rate=0.01), weights, grads)
    want = np_optimize("adamw", weights, grads, 0.01, weight_decay=0.004)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("clip", [dict(clipnorm=0.5), dict(clipvalue=0.3), dict(global_clipnorm=1.0)])
def test_sgd_nesterov_with_clipping_and_weight_decay(clip):
    weights, grads = _setup(2)
    opt = optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, **clip)
    got = _run_lamina(opt, weights, grads)
    want = np_optimize("sgd", weights, grads, 0.05, weight_decay=0.01, clip=clip, momentum=0.9, nesterov=True)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_clipping_leaves_the_gradients_untouched():
    p = torch.nn.Parameter(torch.zeros(3))
    opt = optimizers.SGD(learning_rate=1.0, clipvalue=0.1)
    opt.build([p])
    p.grad = torch.tensor([1.0, -2.0, 0.05])
    opt.step()
    torch.testing.assert_close(p.detach(), torch.tensor([-0.1, 0.1, -0.05]))
    torch.testing.assert_close(p.grad, torch.tensor([1.0, -2.0, 0.05]))


def test_clipnorm_of_zero_gradient_stays_zero_and_finite():
    p = torch.nn.Parameter(torch.ones(3))
    opt = optimizers.SGD(learning_rate=1.0, clipnorm=1.0)
    opt.build([p])
    p.grad = torch.zeros(3)
    opt.step()
    torch.testing.assert_close(p.detach(), torch.ones(3))


def test_adam_with_schedule_matches_reference():
    weights, grads = _setup(3)
    sched = optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    got = _run_lamina(optimizers.Adam(learning_rate=sched), weights, grads)
    want = np_optimize("adam", weights, grads, lambda t: 0.1 * 0.5 ** (t / 2))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_float32_matches_reference_closely():
    weights, grads = _setup(4)
    got = _run_lamina(optimizers.Adam(learning_rate=0.01), weights, grads, dtype=torch.float32)
    want = np_optimize("adam", weights, grads, 0.01)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_sgd_momentum_differs_from_torch_when_lr_changes():
    """Keras keeps lr inside the velocity; torch multiplies the buffer by the current lr."""
    weights, grads = _setup(5, shapes=((4,),))
    keras_like = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    p = torch.nn.Parameter(torch.tensor(weights[0]))
    keras_like.build([p])
    ref = torch.nn.Parameter(torch.tensor(weights[0]))
    torch_opt = torch.optim.SGD([ref], lr=0.1, momentum=0.9)
    for i, g in enumerate(grads):
        if i == 2:
            keras_like.learning_rate = 0.01
            torch_opt.param_groups[0]["lr"] = 0.01
        p.grad = torch.tensor(g[0])
        ref.grad = torch.tensor(g[0])
        keras_like.step()
        torch_opt.step()
    lr_seq = [0.1, 0.1, 0.01, 0.01, 0.01]
    want = np_optimize("sgd", weights, grads, lambda t: lr_seq[t], momentum=0.9)[0]
    np.testing.assert_allclose(p.detach().numpy(), want, rtol=1e-9)
    assert not np.allclose(ref.detach().numpy(), want)


def test_params_without_grad_are_skipped_and_keep_their_state():
    a = torch.nn.Parameter(torch.ones(2))
    b = torch.nn.Parameter(torch.ones(2))
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9, weight_decay=0.5)
    opt.build([a, b])
    a.grad = torch.ones(2)
    opt.step()
    torch.testing.assert_close(b.detach(), torch.ones(2))  # no grad: no decay, no update
    torch.testing.assert_close(opt.state[b]["momentum"], torch.zeros(2))
    assert not torch.equal(a.detach(), torch.ones(2))
    b.grad = torch.ones(2)
    opt.step()
    assert opt.iterations == 2


def test_exclude_from_weight_decay():
    a = torch.nn.Parameter(torch.ones(2))
    b = torch.nn.Parameter(torch.ones(2))
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[b])
    opt.build([a, b])
    a.grad = torch.zeros(2)
    b.grad = torch.zeros(2)
    opt.step()
    torch.testing.assert_close(a.detach(), torch.full((2,), 0.95))
    torch.testing.assert_close(b.detach(), torch.ones(2))


def test_legacy_decay_argument_is_keras2_inverse_time():
    weights, grads = _setup(6)
    with pytest.warns(DeprecationWarning):
        opt = optimizers.SGD(lr=0.1, decay=0.5)
    got = _run_lamina(opt, weights, grads)
    want = np_optimize("sgd", weights, grads, lambda t: 0.1 / (1 + 0.5 * t))
    for x, y in zip(got, want):
        np.testing.assert_allclose(x, y, rtol=1e-9)
