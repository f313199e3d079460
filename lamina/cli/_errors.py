"""How the ``lamina`` command reports errors: one line and a hint, the traceback only with ``--debug``."""
from __future__ import annotations

import os

__all__ = ["CLIError", "one_line", "hint_for", "debug_requested"]


class CLIError(Exception):
    """A user error the command reports in one line (exit status 2) instead of a traceback."""


def debug_requested() -> bool:
    return os.environ.get("LAMINA_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def hint_for(err: BaseException) -> str:
    """What to do next, by kind of error."""
    from ..saving import LoadError
    if isinstance(err, LoadError):
        return "the file is damaged or is not a model lamina can read; save or copy it again"
    if isinstance(err, (FileNotFoundError, NotADirectoryError, IsADirectoryError)):
        return "check the path"
    if isinstance(err, FileExistsError):
        return "choose another name, or remove the existing file"
    if isinstance(err, PermissionError) or type(err).__name__ == "CacheNotWritableError":
        return "choose a place you can write, or set LAMINA_HOME to one"
    if isinstance(err, MemoryError):
        return "the input is too large for this machine's memory"
    if isinstance(err, OSError):
        return "check the file or folder named above"
    return "check the arguments named above"


def one_line(command: str, err: BaseException) -> str:
    """``lamina CMD: error: <message on one line>`` and an indented hint line."""
    text = " ".join(str(err).split()) or type(err).__name__
    if not isinstance(err, (ValueError, OSError, TypeError)) or type(err).__module__.split(".")[0] != "lamina" \
            and type(err) not in (ValueError, TypeError, FileNotFoundError, FileExistsError, PermissionError,
                                  IsADirectoryError, NotADirectoryError, OSError):
        text = f"{type(err).__name__}: {text}"
    if len(text) > 600:
        text = text[:597] + "..."
    return (f"lamina {command}: error: {text}\n"
            f"  hint: {hint_for(err)}; run 'lamina --debug {command} ...' for the traceback.")
