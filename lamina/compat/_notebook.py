"""Run a Jupyter notebook's code cells in order, as a classic course notebook expects.

IPython line magics (``%matplotlib inline``, ``%env KERAS_BACKEND=tensorflow``) and shell
lines (``!pip install keras``) are skipped (``%env`` sets the variable); ``%%time`` and
``%%capture`` cells run their body, ``%%writefile name`` writes it, other cell magics
(``%%bash``, ``%%html``) are skipped. matplotlib draws with the non-interactive Agg
backend. A failing cell raises :class:`CellError`, which names the cell and shows its code.
"""
from __future__ import annotations

import ast
import json
import linecache
import os
import re
import sys
import traceback

__all__ = ["run_notebook", "code_cells", "to_python", "CellError"]

_RUN_BODY = ("time", "timeit", "capture", "prun")
_SHELL_ASSIGN = re.compile(r"^(\s*)([A-Za-z_][\w, ]*)=\s*[!%]")


class CellError(Exception):
    """A notebook cell raised; ``cell`` is its 1-based position among the code cells."""

    def __init__(self, path, cell, label, source, error):
        self.path, self.cell, self.label, self.source, self.error = path, cell, label, source, error
        super().__init__(f"{path}: code cell {cell}{label} failed: {type(error).__name__}: {error}")

    def report(self) -> str:
        tb = traceback.extract_tb(self.error.__traceback__)
        start = next((i for i, f in enumerate(tb) if f.filename.startswith("<cell")), 0)
        lines = "".join(traceback.format_list(tb[start:]))
        code = "\n".join(f"    {i + 1:3d} | {line}" for i, line in enumerate(self.source.splitlines()))
        return (f"lamina compat: {self}\n--- cell {self.cell}{self.label} ---\n{code}\n--- traceback ---\n{lines}"
                f"{type(self.error).__name__}: {self.error}")


def code_cells(path):
    """``[(position, execution_count, source)]`` of the notebook's code cells."""
    with open(path, encoding="utf-8") as f:
        try:
            nb = json.load(f)
        except ValueError as err:
            raise ValueError(f"'{path}' is not a Jupyter notebook (invalid JSON: {err}).") from None
    cells = nb.get("cells")
    if cells is None:  # nbformat 3
        cells = [c for ws in nb.get("worksheets", []) for c in ws.get("cells", [])]
    out = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", cell.get("input", ""))
        src = "".join(src) if isinstance(src, list) else str(src)
        out.append((len(out) + 1, cell.get("execution_count", cell.get("prompt_number")), src))
    return out


def to_python(source: str, cwd: str = ".") -> str | None:
    """The cell as plain Python (magics and shell lines neutralised), or None to skip the cell."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic, _, arg = lines[0].strip()[2:].partition(" ")
        body = "\n".join(lines[1:])
        if magic in _RUN_BODY:
            lines = lines[1:]
        elif magic == "writefile":
            name = arg.split()[-1] if arg.split() else None
            if name:
                with open(os.path.join(cwd, name), "a" if "-a" in arg.split() else "w", encoding="utf-8") as f:
                    f.write(body + "\n")
            return None
        else:
            return None
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith("%env") and "=" in stripped:
            key, _, value = stripped[4:].strip().partition("=")
            os.environ[key.strip()] = value.strip()
            out.append(indent + "pass")
        elif stripped.startswith(("%", "!")) or (stripped.endswith("?") and not stripped.startswith("#")
                                                   and re.fullmatch(r"[\w.]+\?\??", stripped)):
            out.append(indent + "pass")
        elif _SHELL_ASSIGN.match(line):
            m = _SHELL_ASSIGN.match(line)
            out.append(f"{m.group(1)}{m.group(2)}= []")
        else:
            out.append(line)
    return "\n".join(out)


def _display(*objs, **kwargs):
    for obj in objs:
        print(repr(obj))


def _run_cell(code, filename, ns):
    """Run a cell; like IPython, the value of a final expression becomes ``_`` (unless it is None)."""
    tree = ast.parse(code, filename)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body.pop()
    exec(compile(tree, filename, "exec"), ns)  # noqa: S102 - running the user's notebook
    if last is not None:
        value = eval(compile(ast.Expression(last.value), filename, "eval"), ns)  # noqa: S307
        if value is not None:
            ns["_"] = value


def run_notebook(path, argv=None):
    """Run the code cells of ``path`` in one namespace; returns it. Raises CellError on failure."""
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:
        import matplotlib
        matplotlib.use("Agg", force=True)
    import warnings
    warnings.filterwarnings("ignore", message=".*non-interactive.*cannot be shown", category=UserWarning)
    from . import install
    from ._seeding import seed_lamina_with_numpy
    install()
    seed_lamina_with_numpy()
    path = os.fspath(path)
    cwd = os.path.dirname(os.path.abspath(path))
    sys.argv = [path, *(argv or [])]
    sys.path.insert(0, cwd)
    ns = {"__name__": "__main__", "__file__": path, "display": _display}
    for position, count, source in code_cells(path):
        code = to_python(source, cwd)
        if code is None or not code.strip():
            continue
        label = f" (In [{count}])" if count is not None else ""
        filename = f"<cell {position}>"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)  # tracebacks show the code
        try:
            _run_cell(code, filename, ns)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as err:
            raise CellError(path, position, label, source, err) from err
    return ns
