"""``lamina compat SCRIPT.py|NOTEBOOK.ipynb [args...]``: run classic Keras code unchanged on lamina.

Argument parsing only here (no torch import), so ``lamina --help`` stays fast; the runner
(:mod:`lamina.compat`) loads when the command runs.
"""
from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    c = sub.add_parser("compat", help="run a classic Keras script or notebook unchanged ('import keras' is lamina)",
                       description="Run a Python script or a Jupyter notebook written for Keras 1/2: 'import "
                                   "keras', 'keras.backend as K', 'keras.utils.np_utils' are served by lamina, "
                                   "legacy forms (nb_epoch, fit_generator, Convolution2D(32, 3, 3), lr=) work "
                                   "with one deprecation warning each. Same as: python -m lamina.compat PATH.")
    c.add_argument("path", help="a .py script or a .ipynb notebook")
    c.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    c.add_argument("-q", "--quiet", action="store_true", help="no deprecation warnings for legacy forms")


def run(args) -> int:
    from ..compat import main
    argv = (["--quiet"] if args.quiet else []) + [args.path, *args.args]
    return main(argv, prog="lamina compat")
