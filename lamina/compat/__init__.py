"""Run classic Keras code unchanged: ``python -m lamina.compat script.py [args...]``.

The runner serves ``import keras`` (and every ``keras.*`` module, ``keras.backend`` as
``K`` included) from :mod:`lamina.keras`, and ``import tensorflow`` from a tiny shim
(``tensorflow.set_random_seed``, ``tf.random.set_seed``, ``tf.keras``), then runs the
script as ``__main__``. A ``.ipynb`` notebook runs cell by cell: IPython magics
(``%matplotlib``, ``%env``) and shell lines (``!pip``) are skipped, matplotlib draws
off-screen, a failure names the cell, and the executed notebook (outputs, errors, figures)
is written beside it; a script's ``plt.show()`` figures are saved to a folder.

In your own process: :func:`install` (then ``import keras`` gives lamina), :func:`quiet`
(no deprecation warnings for legacy forms; or ``LAMINA_QUIET_LEGACY=1``).
"""
from __future__ import annotations

from ._state import LegacyNameError, is_quiet, quiet, warn_legacy

__all__ = ["install", "uninstall", "run_script", "run_notebook", "main", "quiet", "is_quiet", "warn_legacy",
           "LegacyNameError"]


def install(tensorflow: bool = True) -> None:
    """Serve ``import keras`` (and ``import tensorflow``, for its seed functions) from lamina."""
    from ._hook import install as _install
    _install(tensorflow=tensorflow)


def uninstall() -> None:
    """Undo :func:`install` (modules already imported under the ``keras`` name are dropped)."""
    from ._hook import uninstall as _uninstall
    _uninstall()


def run_script(path, argv=None, figures=None):
    """Run a Python script as ``__main__`` with ``keras`` served by lamina; with ``figures`` (a
    folder), the figures it shows with ``plt.show()`` are saved there as PNG files."""
    from ._runner import run_script as _run
    return _run(path, argv, figures=figures)


def run_notebook(path, argv=None, output=None):
    """Run a notebook's code cells in order; returns the namespace. Raises CellError naming the cell.
    With ``output`` (a .ipynb path) the executed notebook, with outputs, errors and figures, is
    written there (needs nbformat)."""
    from ._notebook import run_notebook as _run
    return _run(path, argv, output=output)


def main(argv=None, prog: str = "python -m lamina.compat") -> int:
    """``python -m lamina.compat script.py|notebook.ipynb [args...]``."""
    from ._runner import main as _main
    return _main(argv, prog=prog)
