"""Progbar: Keras 2's text, averages, stateful metrics, throttling and verbose modes, on a fake clock."""
import pytest

import lamina.utils.progbar as progbar_module
from lamina.utils import Progbar


class Clock:
    def __init__(self):
        self.now = 100.0

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(progbar_module, "time", c)
    return c


def test_bar_eta_and_running_average_as_keras2_prints_them(clock, capsys):
    bar = Progbar(target=10)
    clock.now += 1.0
    bar.update(3, values=[("loss", 0.5)])
    clock.now += 1.0
    bar.update(10, values=[("loss", 0.2)])
    out = capsys.readouterr().out
    assert out == ("\n 3/10 [========>.....................] - ETA: 2s - loss: 0.5000"
                   "\n10/10 [==============================] - 2s 200ms/step - loss: 0.2900\n")


def test_add_stateful_metrics_and_small_values(clock, capsys):
    bar = Progbar(target=4, width=8, stateful_metrics=["acc"], unit_name="sample")
    clock.now += 4.0
    bar.add(2, values=[("acc", 0.25), ("tiny", 1e-5)])
    bar.add(2, values=[("acc", 0.75), ("tiny", 3e-5)])
    last = capsys.readouterr().out.split("\n")[-2]
    assert last == "4/4 [========] - 4s 1s/sample - acc: 0.7500 - tiny: 2.0000e-05"


def test_updates_inside_the_interval_are_skipped_unless_final(clock, capsys):
    bar = Progbar(target=100, interval=0.5)
    clock.now += 1.0
    bar.update(10)
    clock.now += 0.1
    bar.update(20)  # too soon: nothing printed
    assert capsys.readouterr().out.count("/100") == 1
    clock.now += 0.1
    bar.update(100)  # the last step always prints
    out = capsys.readouterr().out
    assert out.startswith("\n100/100 [") and out.endswith("\n")


def test_final_step_prints_even_within_the_interval(clock, capsys):
    bar = Progbar(target=5, interval=10.0)
    clock.now += 1.0
    bar.update(1)
    bar.update(5)
    out = capsys.readouterr().out
    assert out.count("\n") == 3 and "5/5 [" in out and out.endswith("\n")


def test_unknown_target_and_verbose_2_and_silent(clock, capsys):
    bar = Progbar(target=None)
    clock.now += 1.0
    bar.update(5, values=[("loss", 2.0)])
    assert capsys.readouterr().out == "\n      5/Unknown - 1s 200ms/step - loss: 2.0000"
    quiet = Progbar(target=3, verbose=2)
    clock.now += 3.0
    quiet.update(1, values=[("loss", 1.0)])
    assert capsys.readouterr().out == ""
    quiet.update(3, values=[("loss", 4.0)])
    assert capsys.readouterr().out == " - 3s - loss: 3.0000\n"
    silent = Progbar(target=3, verbose=0)
    silent.update(3, values=[("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_bad_target_is_refused():
    with pytest.raises(ValueError, match=r"target to be None or a non-negative number of steps\. Received: "
                                         r"target=-1"):
        Progbar(-1)


def test_keras_namespace_has_the_same_progbar():
    from lamina.keras.utils import Progbar as KerasProgbar, generic_utils
    assert KerasProgbar is Progbar is generic_utils.Progbar
