"""Keras-style progress output for fit/evaluate/predict.

On a terminal (verbose=1) a bar is redrawn in place at most a few times a second;
only then are the running metrics read from the device (one host sync per
refresh, none per step). Not on a terminal, or with verbose=2, each epoch prints
one line. verbose=0 prints nothing.
"""
from __future__ import annotations

import sys
import time

__all__ = ["Progress", "format_logs", "resolve_verbose"]

_REFRESH_SECONDS = 0.25


def resolve_verbose(verbose) -> int:
    if verbose == "auto" or verbose is None:
        return 1
    if verbose is True:
        return 1
    if verbose is False:
        return 0
    try:
        v = int(verbose)
    except (TypeError, ValueError):
        v = -1
    if v not in (0, 1, 2):
        raise ValueError(f"verbose must be 0 (silent), 1 (progress bar), 2 (one line per epoch) or 'auto'. "
                         f"Received: verbose={verbose!r}.")
    return v


def _fmt_value(v) -> str:
    v = float(v)
    return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.4e}"


def format_logs(logs: dict) -> str:
    return "".join(f" - {k}: {_fmt_value(v)}" for k, v in logs.items() if isinstance(v, (int, float)))


def _fmt_time(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(round(seconds))}s"


def _per_step(seconds: float, steps: int) -> str:
    per = seconds / max(steps, 1)
    if per >= 1:
        return f"{per:.0f}s/step"
    if per >= 1e-3:
        return f"{per * 1e3:.0f}ms/step"
    return f"{per * 1e6:.0f}us/step"


class Progress:
    """Draws one epoch (or one evaluate/predict pass) of progress."""

    def __init__(self, verbose: int, steps: int | None, epochs: int | None = None, stream=None):
        self.stream = stream or sys.stdout
        self.verbose = verbose
        try:
            tty = self.stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        self.bar = verbose == 1 and tty
        self.steps = steps
        self.epochs = epochs
        self._epoch_label = ""
        self._start = self._last = 0.0

    def start(self, epoch: int | None = None) -> None:
        self._start = self._last = time.monotonic()
        if epoch is not None and self.epochs is not None:
            self._epoch_label = f"Epoch {epoch + 1}/{self.epochs}"
            if self.bar:
                self._write(self._epoch_label + "\n")

    def due(self) -> bool:
        """True when the bar should be redrawn now (cheap: no device access)."""
        return self.bar and time.monotonic() - self._last >= _REFRESH_SECONDS

    def update(self, done: int, logs: dict) -> None:
        now = time.monotonic()
        self._last = now
        elapsed = now - self._start
        if self.steps:
            eta = elapsed / max(done, 1) * (self.steps - done)
            line = f"{self._counter(done)} {self._bar(done)} - ETA: {_fmt_time(eta)}{format_logs(logs)}"
        else:
            line = f"{done}/Unknown - {_fmt_time(elapsed)}{format_logs(logs)}"
        self._write("\r" + line + "\x1b[K")

    def finish(self, done: int, logs: dict) -> None:
        if self.verbose == 0:
            return
        elapsed = time.monotonic() - self._start
        timing = f"{_fmt_time(elapsed)} {_per_step(elapsed, done)}"
        if self.bar:
            line = f"\r{self._counter(done)} {self._bar(done)} - {timing}{format_logs(logs)}\x1b[K\n"
        else:
            prefix = f"{self._epoch_label} - " if self._epoch_label else ""
            line = f"{prefix}{self._counter(done)} - {timing}{format_logs(logs)}\n"
        self._write(line)

    def _counter(self, done: int) -> str:
        total = self.steps or done
        width = len(str(total))
        return f"{done:>{width}}/{total}"

    def _bar(self, done: int, width: int = 30) -> str:
        total = self.steps or done
        filled = int(width * done / max(total, 1))
        if done < total:
            return "[" + "=" * max(filled - 1, 0) + ">" + "." * (width - max(filled, 1)) + "]"
        return "[" + "=" * width + "]"

    def message(self, text: str) -> None:
        """A line from a callback (e.g. EarlyStopping's notice), printed outside the bar."""
        self._write(text + "\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
