"""``Progbar``: the Keras 2 text progress bar for your own loops (``12/50 [====>.....] - ETA: 3s - loss: 0.41``).

A progress bar is a display, so it writes to ``sys.stdout`` like Keras's: on a
terminal (or in Jupyter) it redraws one line, elsewhere (logs, pipes) it writes
one line per update that passes the ``interval`` throttle.
"""
from __future__ import annotations

import collections
import sys
import time

import numpy as np

__all__ = ["Progbar"]


def _eta(seconds: float) -> str:
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _per_unit(seconds: float, unit: str) -> str:
    if seconds >= 1:
        return " %.0fs/%s" % (seconds, unit)
    if seconds >= 1e-3:
        return " %.0fms/%s" % (seconds * 1e3, unit)
    return " %.0fus/%s" % (seconds * 1e6, unit)


class Progbar:
    """A text progress bar with running averages of named values (Keras 2 ``keras.utils.Progbar``).

    Args:
        target: the total number of steps, or None when unknown.
        width: the bar's width in characters (default 30).
        verbose: 0 silent, 1 a bar redrawn as it goes, 2 one line when the target is reached.
        interval: the least time in seconds between two redraws (default 0.05).
        stateful_metrics: names whose values are shown as given; every other value is
            shown as its average over the steps so far (weighted by the steps each
            update covers).
        unit_name: the unit of the speed display (default 'step').

    Example:
        >>> bar = Progbar(target=3)
        >>> for step in range(1, 4):
        ...     bar.update(step, values=[("loss", 1.0 / step)])  # doctest: +SKIP
        3/3 [==============================] - 0s 1ms/step - loss: 0.5000
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step"):
        if target is not None and (isinstance(target, bool) or not target >= 0):
            raise ValueError(f"Progbar expects target to be None or a non-negative number of steps. Received: "
                             f"target={target!r}.")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        stdout = sys.stdout
        self._dynamic_display = (hasattr(stdout, "isatty") and stdout.isatty()) or "ipykernel" in sys.modules
        self._total_width = 0
        self._seen_so_far = 0
        self._values = collections.OrderedDict()
        self._start = time.time()
        self._last_update = 0.0

    def update(self, current, values=None, finalize=None):
        """Move the bar to step ``current``.

        Args:
            current: the index of the step just done.
            values: a list of ``(name, value)`` for this update; averaged over steps unless
                the name is in ``stateful_metrics``.
            finalize: end the line now (default: when ``current >= target``).
        """
        for k, v in values or []:
            if k in self.stateful_metrics:
                self._values[k] = [v, 1]
                continue
            steps = current - self._seen_so_far
            if k not in self._values:
                self._values[k] = [v * steps, steps]
            else:
                self._values[k][0] += v * steps
                self._values[k][1] += steps
        self._seen_so_far = current
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = time.time()
        if self.verbose == 1:
            if now - self._last_update < self.interval and self.target is not None and not finalize:
                return
            self._write(self._bar_line(current, now, finalize))
        elif self.verbose == 2 and (self.target is None or finalize):
            info = " - %.0fs" % (now - self._start)
            for k in self._values:
                avg = np.mean(self._values[k][0] / max(1, self._values[k][1]))
                info += (" - %s: %.4f" if avg > 1e-3 else " - %s: %.4e") % (k, avg)
            self._write(info + "\n")
        self._last_update = now

    def add(self, n, values=None):
        """Advance the bar by ``n`` steps (``update(seen + n, values)``)."""
        self.update(self._seen_so_far + n, values)

    def _bar_line(self, current, now, finalize) -> str:
        prev_width = self._total_width
        line = ("\b" * prev_width + "\r") if self._dynamic_display else "\n"
        if self.target is not None and self.target > 0:
            digits = int(np.floor(np.log10(self.target))) + 1
            bar = ("%" + str(digits) + "d/%d [") % (current, self.target)
            filled = int(self.width * float(current) / self.target)
            if filled > 0:
                bar += "=" * (filled - 1) + (">" if current < self.target else "=")
            bar += "." * (self.width - filled) + "]"
        else:
            bar = "%7d/Unknown" % current
        self._total_width = len(bar)
        per_unit = (now - self._start) / current if current else 0
        if self.target is not None and current < self.target and not finalize:
            info = " - ETA: %s" % _eta(per_unit * (self.target - current))
        else:
            info = " - %.0fs" % (now - self._start) + _per_unit(per_unit, self.unit_name)
        for k in self._values:
            avg = np.mean(self._values[k][0] / max(1, self._values[k][1]))
            info += (" - %s: %.4f" if abs(avg) > 1e-3 else " - %s: %.4e") % (k, avg)
        self._total_width += len(info)
        if prev_width > self._total_width:
            info += " " * (prev_width - self._total_width)
        if finalize:
            info += "\n"
        return line + bar + info

    @staticmethod
    def _write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()
