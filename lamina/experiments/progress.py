"""One progress display for a whole comparison, fed by events from every run.

Events are tuples: ``('start', run_id, epochs)``, ``('epoch', run_id, epoch, logs)``,
``('done', run_id, record)``. On a terminal one status line is redrawn in place
(runs finished, then each running run's epoch and validation accuracy); not on a
terminal, each finished run prints one line. ``verbose=0`` shows nothing.
"""
from __future__ import annotations

import shutil
import sys
import time

__all__ = ["Display"]

_REFRESH_SECONDS = 0.25


def _fmt_time(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


class Display:
    """Progress of ``total`` runs (``skipped`` more were already finished)."""

    def __init__(self, total: int, skipped: int, labels: dict, verbose: int = 1, stream=None):
        self.total, self.skipped, self.labels, self.verbose = total, skipped, labels, verbose
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self.running: dict[str, str] = {}
        self.epochs: dict[str, int] = {}
        self.start = time.perf_counter()
        self._last = 0.0
        self._width = 0
        if verbose and (total or skipped):
            more = f", {skipped} already finished (skipped)" if skipped else ""
            self._line(f"comparison: {total} run{'s' * (total != 1)} to do{more}")

    def _line(self, text: str) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def _label(self, run_id: str) -> str:
        model, seed = self.labels.get(run_id, (run_id, "?"))
        return f"{model} seed {seed}"

    def event(self, ev) -> None:
        kind, run_id = ev[0], ev[1]
        if kind == "start":
            self.epochs[run_id] = ev[2]
            self.running[run_id] = "starting"
        elif kind == "epoch":
            acc = ev[3].get("val_accuracy")
            status = f"epoch {ev[2]}/{self.epochs.get(run_id, '?')}"
            self.running[run_id] = status + (f" val_acc {acc:.4f}" if acc is not None else "")
        elif kind == "done":
            self.running.pop(run_id, None)
            self.done += 1
            rec = ev[2]
            if self.verbose:
                self._line(f"[{self.done}/{self.total}] {self._label(run_id)}: test accuracy "
                           f"{rec['test_accuracy']:.4f}, {rec['epochs_run']:g} epochs, "
                           f"{rec['wall_seconds']:.1f}s")
            return
        self._refresh()

    def _refresh(self) -> None:
        if not (self.verbose and self.tty):
            return
        now = time.perf_counter()
        if now - self._last < _REFRESH_SECONDS:
            return
        self._last = now
        parts = [f"{self.done}/{self.total} done, {_fmt_time(now - self.start)}"]
        parts += [f"{self._label(r)}: {s}" for r, s in sorted(self.running.items())]
        text = " | ".join(parts)
        cols = shutil.get_terminal_size((120, 20)).columns - 1
        text = text[:cols]
        pad = max(self._width - len(text), 0)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)

    def close(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
        if self.verbose and self.total:
            self.stream.write(f"comparison: {self.done}/{self.total} runs in "
                              f"{_fmt_time(time.perf_counter() - self.start)}\n")
            self.stream.flush()
