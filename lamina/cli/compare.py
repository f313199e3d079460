"""``lamina compare``: models x seeds x settings -> a table of mean ± std, as Markdown, CSV and HTML."""
from __future__ import annotations

import argparse
import ast
import itertools
import time

from ._errors import CLIError


def add_parser(sub) -> None:
    c = sub.add_parser(
        "compare", help="compare architectures over seeds: a table of mean ± std (Markdown, CSV, HTML)",
        description="Train every model with every seed (and settings variant) in parallel processes, one "
                    "thread each, record each run, and write table.md, table.csv, runs.csv and comparison.html. "
                    "Running again with the same --out skips finished runs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  lamina compare logreg mlp50 cnn --seeds 0 1 2\n"
               "  lamina compare --suite cs4487\n  lamina compare cnn --setting lr=0.01,0.02 --epochs 20\n"
               "  lamina compare my_net.py cnn --quick")
    c.add_argument("models", nargs="*", metavar="MODEL",
                   help="built-in architectures (logreg, mlp50, mlp200, mlp1000, mlp500x2, cnn-shallow, "
                        "cnn-plain, cnn, nielsen-...) or Python files defining build_model()")
    c.add_argument("--suite", default=None, help="a built-in comparison: cs4487 or nielsen")
    c.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds (default: 0 1 2)")
    c.add_argument("--setting", action="append", default=[], metavar="KEY=V1,V2",
                   help="a training setting and its values; repeat for a grid (e.g. --setting lr=0.01,0.1 "
                        "--setting batch_size=32,128)")
    c.add_argument("--epochs", type=int, default=None, help="epoch budget: caps every recipe's epochs "
                                                            "(default: the suite's budget, else none)")
    c.add_argument("--quick", action="store_true", help="1 epoch on 600 training images (smoke test)")
    c.add_argument("--out", default=None, help="output folder (default: comparisons/<suite or models>)")
    c.add_argument("--workers", type=int, default=None, help="runs at once (default: CPU cores)")
    c.add_argument("--threads", type=int, default=1, help="torch threads per run (default: 1)")
    c.add_argument("--verbose", type=int, default=1, choices=(0, 1), help="progress display (default: 1)")


def _value(text: str):
    if text in ("None", "none"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _variants(settings: list[str]):
    if not settings:
        return None
    axes = []
    for item in settings:
        key, sep, values = item.partition("=")
        if not sep or not key or not values:
            raise CLIError(f"--setting expects KEY=V1,V2,... e.g. --setting lr=0.01,0.1. Received {item!r}.")
        axes.append([(key.strip(), _value(v.strip())) for v in values.split(",")])
    return [dict(combo) for combo in itertools.product(*axes)]


def run(args) -> int:
    from ..experiments import compare, suite

    if bool(args.models) == bool(args.suite):
        raise CLIError("pass models to compare (e.g. lamina compare logreg cnn) or --suite cs4487|nielsen, "
                       "not both and not neither.")
    title, notes, budget = None, [], args.epochs
    if args.suite:
        try:
            title, models, notes, suite_budget = suite(args.suite)
        except ValueError as err:
            raise CLIError(str(err)) from None
        budget = args.epochs if args.epochs is not None else suite_budget
    else:
        models = args.models
    name = args.suite or "-".join(m.rsplit("/", 1)[-1].removesuffix(".py") for m in args.models)[:60]
    out = args.out or f"comparisons/{name}{'-quick' if args.quick else ''}"
    start = time.perf_counter()
    try:
        result = compare(models, seeds=args.seeds, settings=_variants(args.setting), out=out, epochs=budget,
                         quick=args.quick, workers=args.workers, threads=args.threads, verbose=args.verbose,
                         title=title, notes=notes)
    except ValueError as err:
        raise CLIError(str(err)) from None
    print()
    print(result.to_markdown())
    print(f"wall time {time.perf_counter() - start:.1f}s; wrote {', '.join(str(p) for p in result.paths.values())}")
    return 0
