"""The ``lamina`` command: train, evaluate and predict from the shell.

Sub-command modules are imported only when run, so ``lamina --help`` answers
without loading torch.
"""
from __future__ import annotations

import argparse
import sys

__all__ = ["main", "build_parser"]


_EXAMPLES = """examples (lamina COMMAND --help shows more):
  lamina train                                        the course CNN on the bundled MNIST sample
  lamina train --data photos/ --model cnn             from scratch on a folder, one sub-folder per class
  lamina evaluate runs/cnn-*/model.lamina --data photos/test
  lamina predict runs/cnn-*/model.lamina my_digit.png
  lamina inspect runs/cnn-*/model.lamina              an HTML report looking inside the model
  lamina datasets export mnist-sample --format folder digits/
  lamina compat course_notebook.ipynb                 classic Keras code, unchanged"""


def build_parser() -> argparse.ArgumentParser:
    from ._parser import LaminaParser
    parser = LaminaParser(
        prog="lamina",
        description="The classic Keras workflow for neural networks on images, on PyTorch.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error (also: LAMINA_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from . import evaluate, predict, train  # argparse only, no torch
    train.add_parser(sub)
    evaluate.add_parser(sub)
    predict.add_parser(sub)

    i = sub.add_parser("inspect", help="write an HTML report looking inside a saved model",
                       description="Write one self-contained HTML file: layer summary, training curves, "
                                   "first-layer filters, feature maps and Grad-CAM for a few images, "
                                   "confusion matrix and worst mistakes on test data, receptive fields.",
                       epilog="examples:\n  lamina inspect runs/cnn/model.lamina\n"
                              "  lamina inspect runs/photos/model.lamina --data photos/test --image cat.jpg",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("model", help="a .lamina file")
    i.add_argument("--data", default=None,
                   help="test data: a dataset name (mnist-sample) or a folder of images, DIR/<class>/*.png "
                        "(default: mnist-sample for models on 28x28 grey images)")
    i.add_argument("--image", nargs="+", default=None, metavar="FILE",
                   help="image files to show feature maps and Grad-CAM for (default: a few test images)")
    i.add_argument("--out", default=None, help="the HTML file to write (default: MODEL-report.html beside "
                                               "the model)")

    from .datasets import add_parser as add_datasets_parser  # argparse only, no torch
    add_datasets_parser(sub)
    from .compat import add_parser as add_compat_parser  # argparse only, no torch
    add_compat_parser(sub)
    from .compare import add_parser as add_compare_parser  # argparse only, no torch
    add_compare_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)   # --nproc-per-node reruns the same command
    if args.version:
        from .. import __version__
        print(f"lamina {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 0
    from ._errors import CLIError
    try:
        if args.command == "train":
            from .train import run
        elif args.command == "evaluate":
            from .evaluate import run
        elif args.command == "inspect":
            from .inspect import run
        elif args.command == "datasets":
            from .datasets import run
        elif args.command == "compat":
            from .compat import run
        elif args.command == "compare":
            from .compare import run
        else:
            from .predict import run
        return run(args) or 0
    except CLIError as err:
        print(f"lamina {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"lamina {args.command}: interrupted.", file=sys.stderr)
        return 130
    except Exception as err:  # one line and a hint; the traceback only on request
        from ._errors import debug_requested, one_line
        if args.debug or debug_requested():
            raise
        print(one_line(args.command, err), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
