"""``python -m lamina.compat script.py|notebook.ipynb [args...]``."""
from __future__ import annotations

import argparse
import os
import runpy
import sys

__all__ = ["main", "run_script", "build_parser"]


def build_parser(prog: str = "python -m lamina.compat") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Run classic Keras code unchanged: 'import keras' (and 'keras.*', "
                               "'keras.backend as K', 'from keras.utils import np_utils') is served by lamina.")
    parser.add_argument("path", help="a Python script or a Jupyter notebook (.ipynb)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script (its sys.argv[1:])")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no deprecation warnings for legacy forms (same as LAMINA_QUIET_LEGACY=1)")
    return parser


def run_script(path, argv=None):
    """Run ``path`` as ``__main__`` with ``keras`` served by lamina; returns the script's globals."""
    from . import install
    from ._seeding import seed_lamina_with_numpy
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such script: '{path}'.")
    install()
    seed_lamina_with_numpy()
    sys.argv = [path, *(argv or [])]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    return runpy.run_path(path, run_name="__main__")


def main(argv=None, prog: str = "python -m lamina.compat") -> int:
    args = build_parser(prog).parse_args(argv)
    if args.quiet:
        from ._state import quiet
        quiet()
    if args.path.endswith(".ipynb"):
        from ._notebook import CellError, run_notebook
        try:
            run_notebook(args.path, args.args)
        except CellError as err:
            print(err.report(), file=sys.stderr)
            return 1
        return 0
    run_script(args.path, args.args)
    return 0
