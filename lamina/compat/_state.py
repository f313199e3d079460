"""The warnings of the Keras compatibility layer: each legacy form warns once.

Kept tiny and free of torch so that ``lamina.compat`` and ``lamina --help`` stay fast.

Nothing here switches behaviour: the classic forms live on the classes that
:mod:`lamina.keras` exports, so importing it changes nothing for ``lamina.*`` code.

Every legacy form warns once per process with a :class:`DeprecationWarning` that names
the modern form. ``LAMINA_QUIET_LEGACY=1`` or :func:`quiet` silences them all (lamina's
legacy warnings all mention "Keras 1" or "Keras 2", which is what the filter matches).
"""
from __future__ import annotations

import os
import sys
import warnings

__all__ = ["warn_legacy", "quiet", "is_quiet", "LegacyNameError"]

_QUIET = False
_WARNED: set[str] = set()
_FILTER_MESSAGE = r".*Keras [12]\b"


class LegacyNameError(ImportError):
    """A classic Keras name lamina does not provide; the message names the modern replacement.

    An ImportError (not an AttributeError) so that ``from keras.layers import X`` shows
    the message instead of Python's generic "cannot import name".
    """


def is_quiet() -> bool:
    return _QUIET or os.environ.get("LAMINA_QUIET_LEGACY", "").strip().lower() not in ("", "0", "false", "no")


def _install_filter() -> None:
    warnings.filterwarnings("ignore", message=_FILTER_MESSAGE, category=DeprecationWarning)


def quiet(on: bool = True) -> None:
    """Silence (``on=True``) the deprecation warnings of legacy Keras forms, lamina's own
    (``lr=``, ``nb_epoch=``, ``Convolution2D(32, 3, 3)``, ...) included.

    Same effect as the environment variable ``LAMINA_QUIET_LEGACY=1``.
    """
    global _QUIET
    _QUIET = bool(on)
    if _QUIET:
        _install_filter()
    else:
        warnings.filters[:] = [f for f in warnings.filters
                               if not (f[0] == "ignore" and getattr(f[1], "pattern", None) == _FILTER_MESSAGE)]


def warn_legacy(form: str, message: str) -> None:
    """Warn once per ``form`` (a short key such as ``'fit.nb_epoch'``), attributed to the
    first caller outside lamina. ``message`` must name the modern form and say
    "Keras 1" or "Keras 2" (the quiet filter matches on it)."""
    if form in _WARNED:
        return
    _WARNED.add(form)
    if is_quiet():
        return
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "lamina":
        level, frame = level + 1, frame.f_back
    warnings.warn(message, DeprecationWarning, stacklevel=level)
