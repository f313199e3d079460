"""Run a Jupyter notebook's code cells in order, as a classic course notebook expects.

IPython line magics (``%matplotlib inline``, ``%env KERAS_BACKEND=tensorflow``) and shell
lines (``!pip install keras``) are skipped (``%env`` sets the variable); ``%%time`` and
``%%capture`` cells run their body, ``%%writefile name`` writes it, other cell magics
(``%%bash``, ``%%html``) are skipped. matplotlib draws with the non-interactive Agg
backend. A failing cell raises :class:`CellError`, which names the cell and shows its code.

With ``output=``, the executed notebook is written there (nbformat 4), as ``jupyter nbconvert
--execute`` / nbclient would write it: each code cell gets its execution count and its outputs,
printed text (``stream``), the value of its last expression (``execute_result``), ``display()``
calls and every matplotlib figure it drew (``display_data``, PNG), and the error of a failing cell
(``error``, after which the later cells stay unexecuted).
"""
from __future__ import annotations

import ast
import base64
import contextlib
import io
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
    """A notebook cell raised; ``cell`` is its 1-based position among the code cells; ``written`` is
    the executed notebook written up to that cell (or None)."""

    def __init__(self, path, cell, label, source, error, written=None):
        self.path, self.cell, self.label, self.source, self.error = path, cell, label, source, error
        self.written = written
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


class _Outputs:
    """The outputs of the cell being run, in nbformat 4's shapes."""

    def __init__(self):
        self.items: list = []

    def stream(self, name: str, text: str) -> None:
        if not text:
            return
        last = self.items[-1] if self.items else None
        if last is not None and last.get("output_type") == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.items.append({"output_type": "stream", "name": name, "text": text})

    def data(self, obj, kind: str = "display_data", count=None) -> None:
        bundle = _mime_bundle(obj)
        item = {"output_type": kind, "data": bundle, "metadata": {}}
        if kind == "execute_result":
            item["execution_count"] = count
        self.items.append(item)

    def figure(self, fig) -> None:
        self.items.append({"output_type": "display_data", "data": _mime_bundle(fig), "metadata": {}})

    def error(self, err: BaseException, filename_prefix: str = "<cell") -> None:
        tb = traceback.extract_tb(err.__traceback__)
        start = next((i for i, f in enumerate(tb) if f.filename.startswith(filename_prefix)), 0)
        lines = traceback.format_list(tb[start:]) + traceback.format_exception_only(type(err), err)
        self.items.append({"output_type": "error", "ename": type(err).__name__, "evalue": str(err),
                           "traceback": [line.rstrip("\n") for line in lines]})


def _mime_bundle(obj) -> dict:
    bundle = {"text/plain": repr(obj)}
    savefig = getattr(obj, "savefig", None)
    if callable(savefig) and hasattr(obj, "get_axes"):   # a matplotlib Figure
        buf = io.BytesIO()
        savefig(buf, format="png", bbox_inches="tight")
        bundle["image/png"] = base64.b64encode(buf.getvalue()).decode("ascii")
        bundle["text/plain"] = f"<Figure size {obj.get_figwidth() * obj.dpi:.0f}x{obj.get_figheight() * obj.dpi:.0f}>"
    else:
        for method, mime in (("_repr_html_", "text/html"), ("_repr_png_", "image/png")):
            fn = getattr(obj, method, None)
            if callable(fn):
                try:
                    value = fn()
                except Exception:  # noqa: BLE001 - a broken rich repr falls back to text
                    value = None
                if isinstance(value, bytes):
                    value = base64.b64encode(value).decode("ascii")
                if value:
                    bundle[mime] = value
    return bundle


class _Tee(io.TextIOBase):
    """Writes go to the terminal as before and into the cell's outputs."""

    def __init__(self, real, outputs_ref, name):
        self._real, self._ref, self._name = real, outputs_ref, name

    def write(self, text):
        self._real.write(text)
        if self._ref[0] is not None:
            self._ref[0].stream(self._name, text)
        return len(text)

    def flush(self):
        self._real.flush()

    def isatty(self):
        return False   # progress bars print whole lines, as they do in a notebook

    @property
    def encoding(self):
        return getattr(self._real, "encoding", "utf-8")


def _display_into(ref):
    def display(*objs, **kwargs):
        for obj in objs:
            if ref[0] is not None:
                ref[0].data(obj)
            else:
                print(repr(obj))
    return display


def _run_cell(code, filename, ns, outputs=None, count=None):
    """Run a cell; like IPython, the value of a final expression becomes ``_`` (unless it is None)
    and, with ``outputs``, the cell's ``execute_result``."""
    tree = ast.parse(code, filename)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body.pop()
    exec(compile(tree, filename, "exec"), ns)  # noqa: S102 - running the user's notebook
    if last is not None:
        value = eval(compile(ast.Expression(last.value), filename, "eval"), ns)  # noqa: S307
        if value is not None:
            ns["_"] = value
            if outputs is not None and not _is_figure_artist(value):
                outputs.data(value, "execute_result", count)


def _is_figure_artist(value) -> bool:
    """matplotlib return values (lines, texts, axes) are not shown as results: the figure is."""
    module = type(value).__module__ or ""
    if isinstance(value, (list, tuple)) and value:
        module = type(value[0]).__module__ or ""
    return module.startswith("matplotlib") and not hasattr(value, "get_axes")


def _read_notebook(path):
    try:
        import nbformat
    except ModuleNotFoundError:
        raise ModuleNotFoundError("Writing the executed notebook needs nbformat: pip install nbformat "
                                  "(or pip install 'lamina[notebook]').") from None
    return nbformat, nbformat.read(path, as_version=4)


def run_notebook(path, argv=None, output=None):
    """Run the code cells of ``path`` in one namespace; returns it. Raises CellError on failure.

    Args:
        path: the .ipynb file.
        argv: the notebook's ``sys.argv[1:]``.
        output: None, or the .ipynb file to write the executed notebook to (outputs, errors and
            figures of every cell run; needs nbformat). On a failing cell it is written up to that
            cell before CellError is raised.
    """
    from ._runner import use_figure_backend
    use_figure_backend()
    import warnings
    warnings.filterwarnings("ignore", message=".*non-interactive.*cannot be shown", category=UserWarning)
    from . import install
    from ._seeding import seed_lamina_with_numpy
    install()
    seed_lamina_with_numpy()
    path = os.fspath(path)
    cells = code_cells(path)
    nbformat = nb = None
    if output is not None:
        nbformat, nb = _read_notebook(path)
        code_nodes = [c for c in nb.cells if c.cell_type == "code"]
        for node in code_nodes:
            node.outputs, node.execution_count = [], None
    cwd = os.path.dirname(os.path.abspath(path))
    sys.argv = [path, *(argv or [])]
    sys.path.insert(0, cwd)
    ref = [None]
    ns = {"__name__": "__main__", "__file__": path, "display": _display_into(ref)}
    from ._figures import collect_with, flush
    collect_with(lambda fig: ref[0].figure(fig) if ref[0] is not None else None)

    def write():
        if nb is None:
            return None
        out_dir = os.path.dirname(os.path.abspath(output))
        os.makedirs(out_dir, exist_ok=True)
        nbformat.write(nb, os.fspath(output))
        return os.fspath(output)

    tee_out, tee_err = _Tee(sys.stdout, ref, "stdout"), _Tee(sys.stderr, ref, "stderr")
    count = 0
    for position, label_count, source in cells:
        code = to_python(source, cwd)
        node = code_nodes[position - 1] if nb is not None else None
        if code is None or not code.strip():
            continue
        count += 1
        outputs = _Outputs() if nb is not None else None
        ref[0] = outputs
        label = f" (In [{label_count}])" if label_count is not None else ""
        filename = f"<cell {position}>"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)  # tracebacks show the code
        failed = None
        try:
            with contextlib.redirect_stdout(tee_out), contextlib.redirect_stderr(tee_err):
                _run_cell(code, filename, ns, outputs, count)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as err:  # noqa: BLE001 - reported with the cell's code below
            failed = err
        if "matplotlib.pyplot" in sys.modules:
            flush()    # the figures the cell drew, as the inline backend shows them at its end
        ref[0] = None
        if node is not None:
            if failed is not None:
                outputs.error(failed)
            node.outputs = [nbformat.from_dict(o) for o in outputs.items]
            node.execution_count = count
        if failed is not None:
            raise CellError(path, position, label, source, failed, written=write()) from failed
    write()
    return ns
