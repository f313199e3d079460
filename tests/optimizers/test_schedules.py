"""Learning-rate schedules at given steps against Keras's formulas."""
import math

import pytest

from lamina.optimizers import schedules


@pytest.mark.parametrize("step,want", [(0, 0.1), (5, 0.1 * 0.5 ** 0.5), (10, 0.05), (25, 0.1 * 0.5 ** 2.5)])
def test_exponential_decay(step, want):
    assert schedules.ExponentialDecay(0.1, 10, 0.5)(step) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("step,want", [(0, 0.1), (9, 0.1), (10, 0.05), (25, 0.025)])
def test_exponential_decay_staircase(step, want):
    assert schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)(step) == pytest.approx(want)


@pytest.mark.parametrize("step,want", [(0, 1.0), (100, 1.0), (101, 0.5), (110, 0.5), (111, 0.1), (10**6, 0.1)])
def test_piecewise_constant_decay_boundaries_belong_to_the_left_interval(step, want):
    assert schedules.PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1])(step) == want


@pytest.mark.parametrize("step,want", [(0, 0.1), (4, 0.1 / 3), (5, 0.1 / 3.5)])
def test_inverse_time_decay(step, want):
    assert schedules.InverseTimeDecay(0.1, decay_steps=2, decay_rate=1.0)(step) == pytest.approx(want)


def test_inverse_time_decay_staircase():
    s = schedules.InverseTimeDecay(0.1, decay_steps=2, decay_rate=1.0, staircase=True)
    assert s(3) == pytest.approx(0.1 / 2) and s(4) == pytest.approx(0.1 / 3)


@pytest.mark.parametrize("step", [0, 1, 25, 50, 99, 100, 150])
def test_cosine_decay(step):
    s = schedules.CosineDecay(0.2, decay_steps=100, alpha=0.1)
    k = min(step, 100)
    want = 0.2 * (0.9 * 0.5 * (1 + math.cos(math.pi * k / 100)) + 0.1)
    assert s(step) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("step,want", [
    (0, 0.0), (5, 0.05), (10, 0.1),
    (60, 0.1 * 0.5 * (1 + math.cos(math.pi * 0.5))), (110, 0.0), (500, 0.0)])
def test_cosine_decay_with_warmup(step, want):
    s = schedules.CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    assert s(step) == pytest.approx(want, abs=1e-12)


def test_polynomial_decay():
    s = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.1, power=2.0)
    assert s(5) == pytest.approx(0.9 * 0.25 + 0.1) and s(20) == pytest.approx(0.1)
    c = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True)
    assert c(15) == pytest.approx(1 - 15 / 20)


@pytest.mark.parametrize("sched", [
    schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    schedules.PiecewiseConstantDecay([5], [0.1, 0.01]),
    schedules.InverseTimeDecay(0.1, 3, 0.2),
    schedules.CosineDecay(0.1, 100, alpha=0.2, warmup_target=0.3, warmup_steps=5),
    schedules.PolynomialDecay(0.1, 50),
], ids=lambda s: type(s).__name__)
def test_config_round_trip(sched):
    again = schedules.deserialize(schedules.serialize(sched))
    assert type(again) is type(sched) and again.get_config() == sched.get_config()
    assert [again(s) for s in (0, 7, 70)] == [sched(s) for s in (0, 7, 70)]


def test_errors_name_the_argument_and_value():
    with pytest.raises(ValueError, match=r"decay_steps to be > 0\. Received: decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match=r"one more value than boundaries.*boundaries=\[1, 2\]"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="Unknown learning_rate_schedule class 'Cosine'"):
        schedules.deserialize({"class_name": "Cosine", "config": {}})


def test_custom_schedule_subclass():
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, lr):
            self.lr = lr

        def __call__(self, step):
            return self.lr / 2 ** step

        def get_config(self):
            return {"lr": self.lr}

    assert Halving(1.0)(3) == 0.125
    again = schedules.deserialize({"class_name": "Halving", "config": {"lr": 2.0}},
                                  custom_objects={"Halving": Halving})
    assert again(1) == 1.0
