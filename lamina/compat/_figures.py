"""The matplotlib backend of ``lamina compat``: draws off-screen (Agg) and keeps what ``plt.show()`` shows.

A course script or notebook calls ``plt.show()`` to look at a figure; run unchanged with no
window, the figure would vanish. Selected as ``MPLBACKEND=module://lamina.compat._figures``,
this backend hands every figure that ``show()`` displays to the sink the runner set with
:func:`collect_with` (a script's runner saves PNG files to a folder, the notebook runner puts
them in the cell's outputs), then closes it, as the notebook inline backend does.
"""
from __future__ import annotations

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

__all__ = ["BACKEND", "FigureCanvas", "FigureManager", "show", "collect_with", "flush"]

BACKEND = "module://lamina.compat._figures"
FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase

# The runner owns the process it runs a script or notebook in: one sink for that run.
_SINK = {"fn": None}


def collect_with(fn) -> None:
    """Send each figure ``show()`` displays to ``fn(figure)`` (None: just close them)."""
    _SINK["fn"] = fn


def flush() -> int:
    """Hand every open figure to the sink and close it; returns how many there were."""
    import matplotlib.pyplot as plt
    numbers = plt.get_fignums()
    for n in numbers:
        fig = plt.figure(n)
        if _SINK["fn"] is not None:
            _SINK["fn"](fig)
        plt.close(fig)
    return len(numbers)


def show(*args, **kwargs):
    """``plt.show()``: the open figures go to the sink (nothing opens a window)."""
    flush()
