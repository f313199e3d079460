"""``python -m lamina.compat script.py|notebook.ipynb [args...]``."""
from __future__ import annotations

import argparse
import os
import runpy
import sys

__all__ = ["main", "run_script", "build_parser", "use_figure_backend"]


def build_parser(prog: str = "python -m lamina.compat") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Run classic Keras code unchanged: 'import keras' (and 'keras.*', "
                               "'keras.backend as K', 'from keras.utils import np_utils') is served by lamina. "
                               "A notebook's outputs, errors and figures are written to an executed copy; a "
                               "script's plt.show() figures are saved as PNG files.")
    parser.add_argument("path", help="a Python script or a Jupyter notebook (.ipynb)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script (its sys.argv[1:])")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no deprecation warnings for legacy forms (same as LAMINA_QUIET_LEGACY=1)")
    parser.add_argument("-o", "--output", default=None, metavar="PATH",
                        help="notebook: the executed notebook to write (default: NAME.executed.ipynb beside it); "
                             "script: the folder for its figures (default: NAME_figures/ beside it)")
    return parser


def use_figure_backend() -> None:
    """Draw off-screen with the backend that keeps ``plt.show()`` figures (see ``_figures``)."""
    from ._figures import BACKEND
    os.environ["MPLBACKEND"] = BACKEND
    if "matplotlib" in sys.modules:
        import matplotlib
        matplotlib.use(BACKEND, force=True)


def _figure_saver(folder: str, saved: list):
    def save(fig):
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"figure_{len(saved) + 1}.png")
        fig.savefig(path, dpi=100, bbox_inches="tight")
        saved.append(path)
    return save


def run_script(path, argv=None, figures=None):
    """Run ``path`` as ``__main__`` with ``keras`` served by lamina; returns the script's globals.

    Args:
        figures: a folder: each figure the script shows (``plt.show()``), and any left open at its
            end, is saved there as figure_1.png, figure_2.png, ... (default None: figures are closed).
    """
    return _run_script(path, argv, figures, [])


def _run_script(path, argv, figures, saved: list):
    """:func:`run_script`, appending the path of each saved figure to ``saved``."""
    from . import install
    from ._seeding import seed_lamina_with_numpy
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such script: '{path}'.")
    install()
    seed_lamina_with_numpy()
    if figures is not None:
        use_figure_backend()
        from ._figures import collect_with
        collect_with(_figure_saver(os.fspath(figures), saved))
    sys.argv = [path, *(argv or [])]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        return runpy.run_path(path, run_name="__main__")
    finally:
        if figures is not None and "matplotlib.pyplot" in sys.modules:
            from ._figures import flush
            flush()


def main(argv=None, prog: str = "python -m lamina.compat") -> int:
    args = build_parser(prog).parse_args(argv)
    if args.quiet:
        from ._state import quiet
        quiet()
    stem = os.path.splitext(args.path)[0]
    if args.path.endswith(".ipynb"):
        from ._notebook import CellError, run_notebook
        output = args.output or stem + ".executed.ipynb"
        try:
            import nbformat  # noqa: F401 - writes the executed notebook
        except ModuleNotFoundError:
            print("lamina compat: warning: nbformat is not installed, so the notebook's outputs are not written "
                  "(pip install nbformat, or pip install 'lamina[notebook]').", file=sys.stderr)
            output = None
        try:
            run_notebook(args.path, args.args, output=output)
            if output:
                print(f"lamina compat: wrote the executed notebook (outputs, errors, figures) to {output}",
                      file=sys.stderr)
        except CellError as err:
            print(err.report(), file=sys.stderr)
            if err.written:
                print(f"lamina compat: wrote the notebook with its outputs up to the failing cell to "
                      f"{err.written}", file=sys.stderr)
            return 1
        return 0
    figures, saved = args.output or stem + "_figures", []
    try:
        _run_script(args.path, args.args, figures, saved)
    finally:
        if saved:
            print(f"lamina compat: saved {len(saved)} figure{'s' if len(saved) != 1 else ''} in {figures}/",
                  file=sys.stderr)
    return 0
