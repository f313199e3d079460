"""The ``lamina`` command: train, evaluate and predict from the shell.

Sub-command modules are imported only when run, so ``lamina --help`` answers
without loading torch.
"""
from __future__ import annotations

import argparse
import sys

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lamina",
        description="The classic Keras workflow for neural networks on images, on PyTorch.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help="train a network (default: the course CNN on the bundled MNIST sample)",
                       description="Train a network and write the model, its history (JSON) and a "
                                   "loss/accuracy curve (PNG) into an output folder.")
    t.add_argument("--model", default="cnn",
                   help="logreg, mlp, cnn, convnet, or a Python file defining build_model() (default: cnn)")
    t.add_argument("--dataset", default="mnist-sample", help="dataset name (default: mnist-sample)")
    t.add_argument("--epochs", type=int, default=40, help="maximum epochs; early stopping usually ends "
                                                         "sooner (default: 40)")
    t.add_argument("--batch-size", type=int, default=50, help="samples per step (default: 50)")
    t.add_argument("--optimizer", default="sgd", help="optimizer name (default: sgd with Nesterov momentum 0.9)")
    t.add_argument("--lr", type=float, default=None, help="learning rate (default: the model's course value)")
    t.add_argument("--patience", type=int, default=8, help="early-stopping patience in epochs (default: 8)")
    t.add_argument("--validation-split", type=float, default=0.1,
                   help="fraction of training data held out for validation (default: 0.1)")
    t.add_argument("--seed", type=int, default=4487, help="random seed (default: 4487, as in the course)")
    t.add_argument("--output", default=None, help="output folder (default: runs/<model>-<time>)")
    t.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="progress display (default: 1)")
    t.add_argument("--base", default=None, metavar="NET",
                   help="transfer learning on --data with a pretrained base: vgg16, vgg19, resnet50 or "
                        "mobilenet_v2 (feature extraction, then fine-tuning of its last block)")
    t.add_argument("--weights", default=None, metavar="FILE",
                   help="with --base: a Keras .h5 or torchvision .pth weights file (default: imagenet, from the "
                        "cache $LAMINA_HOME/models)")
    t.add_argument("--data", default=None, metavar="DIR",
                   help="with --base: a folder with one sub-folder of images per class, or train/ validation/ "
                        "(test/) folders that have them")
    t.add_argument("--image-size", type=int, default=150, help="with --base: images are resized to this square "
                                                               "size (default: 150, as in the course)")
    t.add_argument("--fine-tune-epochs", type=int, default=10,
                   help="with --base: maximum epochs of fine-tuning after feature extraction (default: 10)")
    t.add_argument("--nproc-per-node", type=int, default=1, metavar="N",
                   help="train data-parallel in N processes on this machine, started with torchrun; "
                        "--batch-size is then the global batch (default: 1)")

    e = sub.add_parser("evaluate", help="evaluate a saved model on a dataset's test split")
    e.add_argument("model", help="a .lamina file")
    e.add_argument("--dataset", default="mnist-sample", help="dataset name (default: mnist-sample)")
    e.add_argument("--batch-size", type=int, default=256)

    p = sub.add_parser("predict", help="classify image files (PNG/JPEG) with a saved model")
    p.add_argument("model", help="a .lamina file")
    p.add_argument("images", nargs="+", help="image files")
    p.add_argument("--top", type=int, default=3, help="how many classes to show per image (default: 3)")
    p.add_argument("--invert", action="store_true",
                   help="invert grey levels (for dark digits on a light background)")

    i = sub.add_parser("inspect", help="write an HTML report looking inside a saved model",
                       description="Write one self-contained HTML file: layer summary, training curves, "
                                   "first-layer filters, feature maps and Grad-CAM for a few images, "
                                   "confusion matrix and worst mistakes on test data, receptive fields.")
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
    args.argv = list(sys.argv[1:] if argv is None else argv)
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


if __name__ == "__main__":
    sys.exit(main())
