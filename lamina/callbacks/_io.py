"""The one place where callbacks write their verbose messages (``verbose=1``).

Keras prints these with ``io_utils.print_msg``; lamina hands them to the running
fit (``trainer.message``), which writes them through the progress display so a
message does not break a progress bar line. Outside fit they go to stdout.
"""
from __future__ import annotations

import sys

__all__: list[str] = []


def print_msg(callback, message: str) -> None:
    trainer = getattr(callback, "trainer", None)
    write = getattr(trainer, "message", None)
    if callable(write):
        write(message)
        return
    progress = getattr(trainer, "progress", None)
    write = getattr(progress, "message", None)
    if callable(write):
        write(message)
        return
    sys.stdout.write(message + "\n")
    sys.stdout.flush()
