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
                                   "with one deprecation warning each. A notebook's outputs, errors and figures "
                                   "are written to an executed copy (NAME.executed.ipynb); a script's plt.show() "
                                   "figures are saved to NAME_figures/. Same as: python -m lamina.compat PATH.",
                       epilog="examples:\n  lamina compat mnist_course.ipynb            writes mnist_course.executed.ipynb\n"
                              "  lamina compat train_2017.py data.npz 10      figures in train_2017_figures/\n"
                              "  lamina compat -o results/run.ipynb course.ipynb   options go before the file",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("path", help="a .py script or a .ipynb notebook")
    c.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    c.add_argument("-q", "--quiet", action="store_true", help="no deprecation warnings for legacy forms")
    c.add_argument("-o", "--output", default=None, metavar="PATH",
                   help="notebook: the executed notebook to write (default: NAME.executed.ipynb beside it); "
                        "script: the folder for its figures (default: NAME_figures/ beside it)")


_RUNNABLE = (".py", ".pyw", ".ipynb")


def _check_notebook(path: str) -> None:
    import json

    from ._errors import CLIError
    try:
        with open(path, encoding="utf-8") as f:
            nb = json.load(f)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise CLIError(f"{path} is not a readable Jupyter notebook (invalid JSON: {err}).") from None
    cells = nb.get("cells", nb.get("worksheets")) if isinstance(nb, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise CLIError(f"{path} is not a Jupyter notebook: it has no list of cells. Open and save it again in "
                       f"Jupyter.")


def run(args) -> int:
    import os
    import sys
    import traceback

    from ._errors import CLIError
    if os.path.isdir(args.path):
        raise CLIError(f"{args.path} is a directory; pass a .py script or a .ipynb notebook.")
    if not os.path.isfile(args.path):
        raise CLIError(f"no such script or notebook: {args.path}.")
    if not args.path.lower().endswith(_RUNNABLE):
        raise CLIError(f"{args.path} is not a Python script or notebook (expected a name ending in .py or "
                       f".ipynb); lamina compat does not run other files as Python.")
    if args.path.lower().endswith(".ipynb"):
        _check_notebook(args.path)
    from ..compat import main
    argv = (["--quiet"] if args.quiet else []) + (["--output", args.output] if args.output else []) + \
        [args.path, *args.args]
    try:
        return main(argv, prog="lamina compat")
    except Exception:  # the user's own program failed: its traceback is what they need, as with python
        traceback.print_exc()
        print(f"lamina compat: {args.path} raised the error above.", file=sys.stderr)
        return 1
