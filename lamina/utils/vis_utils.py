"""Pictures of a model's graph: ``model_to_dot`` and ``plot_model``, drawn by Graphviz.

The layout is Graphviz's ``dot`` program, driven through the ``pydot`` package.
Both are optional: ``pip install pydot`` (or ``pip install 'lamina[plot]'``) and the
``dot`` program from your system's package manager (``apt-get install graphviz``,
``brew install graphviz``, ``conda install graphviz``).
"""
from __future__ import annotations

import html
import os
import shutil

__all__ = ["model_to_dot", "plot_model", "check_graphviz"]

_INSTALL = ("Install both: pip install pydot (or pip install 'lamina[plot]'), and the Graphviz programs: "
            "apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) or conda install graphviz")
_RANKDIRS = ("TB", "LR", "BT", "RL")


def _pydot():
    try:
        import pydot
    except ImportError:
        raise ImportError(f"plot_model/model_to_dot need the pydot package and Graphviz; pydot is not installed. "
                          f"{_INSTALL}.") from None
    return pydot


def check_graphviz() -> None:
    """Raise a clear ImportError unless pydot and Graphviz's ``dot`` program are both available."""
    _pydot()
    if shutil.which("dot") is None:
        raise ImportError(f"plot_model needs Graphviz's 'dot' program, which is not on PATH "
                          f"(PATH={os.environ.get('PATH', '')!r}). {_INSTALL}.")


# ---------------------------------------------------------------------------- the graph
def _graph_of(model):
    """``(input_tensors, nodes)`` of a functional/Sequential model in topological order, or None
    for a subclassed model (drawn as one box, as Keras does)."""
    outputs = getattr(model, "outputs", None)
    inputs = getattr(model, "inputs", None)
    if not outputs or not inputs:
        return None
    input_ids = {id(t) for t in inputs}
    order, seen = [], set()

    def visit(tensor):
        if id(tensor) in input_ids:
            return
        node = tensor.node
        if id(node) in seen:
            return
        seen.add(id(node))
        for t in node.input_tensors:
            visit(t)
        order.append(node)

    for t in outputs:
        visit(t)
    return list(inputs), order


def _producer(tensor):
    return tensor.node.layer


def _output_index(tensor):
    return [id(t) for t in tensor.node.output_tensors].index(id(tensor))


def _activation_name(layer):
    act = getattr(layer, "activation", None)
    if act is None:
        return None
    return getattr(act, "name", None) or getattr(act, "__name__", None) or type(act).__name__


def _fmt(shape):
    if isinstance(shape, list):
        return "[" + ", ".join(_fmt(s) for s in shape) + "]"
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _shapes(layer, attr):
    try:
        return _fmt(getattr(layer, attr))
    except (AttributeError, ValueError, TypeError):
        return "?"


def _label(layer, opts) -> str:
    cls = type(layer).__name__
    title = f"<b>{html.escape(layer.name)}</b> ({html.escape(cls)})" if opts["show_layer_names"] \
        else f"<b>{html.escape(cls)}</b>"
    rows = [f'<tr><td colspan="COLS" bgcolor="#1d2330"><font color="white">{title}</font></td></tr>']
    act = _activation_name(layer) if opts["show_layer_activations"] else None
    if act is not None:
        rows.append(f'<tr><td colspan="COLS">Activation: <b>{html.escape(str(act))}</b></td></tr>')
    cells = []
    if opts["show_shapes"]:
        if cls != "InputLayer":
            cells.append(f"Input shape: <b>{html.escape(_shapes(layer, 'input_shape'))}</b>")
        cells.append(f"Output shape: <b>{html.escape(_shapes(layer, 'output_shape'))}</b>")
    if opts["show_dtype"]:
        try:
            out = layer.output
            dtype = ", ".join(t.dtype for t in out) if isinstance(out, list) else out.dtype
        except (AttributeError, ValueError):
            dtype = "?"
        cells.append(f"Output dtype: <b>{html.escape(str(dtype))}</b>")
    if opts["show_trainable"] and layer.weights:
        cells.append("<b>Trainable</b>" if layer.trainable else "<b>Non-trainable</b>")
    if cells:
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    cols = str(max(1, len(cells)))
    return ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="6">'
            + "".join(rows).replace("COLS", cols) + "</table>>")


class _Drawer:
    def __init__(self, pydot, opts):
        self.pydot = pydot
        self.opts = opts
        self.drawn = set()

    def node(self, target, layer):
        if id(layer) in self.drawn:  # a shared layer is one box
            return
        self.drawn.add(id(layer))
        n = self.pydot.Node(str(id(layer)), label=_label(layer, self.opts))
        n.set("shape", "plaintext")
        n.set("fontname", "Helvetica")
        target.add_node(n)

    def edge(self, target, src, dst):
        src_id, dst_id = str(id(src)), str(id(dst))
        if not target.get_edge(src_id, dst_id):
            target.add_edge(self.pydot.Edge(src_id, dst_id))

    def model(self, target, model, root):
        """Draw ``model``'s layers (boxes and arrows) into ``target``."""
        graph = _graph_of(model)
        if graph is None:
            self.node(target, model)
            return
        inputs, nodes = graph
        expanded = {}  # id(nested model) -> (entry layers per input, exit layers)
        for t in inputs:
            self.node(target, _producer(t))
        for node in nodes:
            layer = node.layer
            if id(layer) in expanded:
                continue
            if self.opts["expand_nested"] and _graph_of(layer) is not None and layer is not root:
                cluster = self.pydot.Cluster(str(id(layer)), label=html.escape(layer.name),
                                             style="dashed")
                self.model(cluster, layer, root)
                target.add_subgraph(cluster)
                inner_in, _ = _graph_of(layer)
                expanded[id(layer)] = ([_producer(t) for t in inner_in], [_producer(t) for t in layer.outputs])
            else:
                self.node(target, layer)
        for node in nodes:
            layer = node.layer
            dsts = expanded[id(layer)][0] if id(layer) in expanded else None
            for i, t in enumerate(node.input_tensors):
                src = _producer(t)
                srcs = [expanded[id(src)][1][_output_index(t)]] if id(src) in expanded else [src]
                targets = [dsts[min(i, len(dsts) - 1)]] if dsts else [layer]
                for s in srcs:
                    for d in targets:
                        self.edge(target, s, d)


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, **kwargs):
    """The model's graph as a ``pydot.Dot``: one box per layer, an arrow per connection.

    A layer used several times (a shared layer) is one box with several arrows. A
    subclassed model (no functional graph) is one box, as in Keras.

    Args:
        model: a built lamina model (Sequential with an input shape, or functional).
        show_shapes: write each layer's input and output shapes (default False).
        show_dtype: write each layer's output dtype (default False).
        show_layer_names: write layer names, not only class names (default True).
        rankdir: 'TB' (top to bottom, default), 'LR', 'BT' or 'RL'.
        expand_nested: draw the layers of nested models inside a dashed box (default False).
        dpi: dots per inch of the picture (default 200).
        subgraph: return a ``pydot.Cluster`` instead of a ``pydot.Dot`` (default False).
        show_layer_activations: write the activation of layers that have one (default False).
        show_trainable: mark layers with weights as trainable or not (default False).

    Returns:
        A ``pydot.Dot`` (or ``pydot.Cluster`` with ``subgraph=True``).

    Example:
        >>> dot = model_to_dot(model, show_shapes=True)  # doctest: +SKIP
        >>> svg = dot.create(format="svg")  # doctest: +SKIP
    """
    if kwargs:
        from .._errors import did_you_mean
        valid = ["show_shapes", "show_dtype", "show_layer_names", "rankdir", "expand_nested", "dpi", "subgraph",
                 "show_layer_activations", "show_trainable"]
        bad = sorted(kwargs)
        raise TypeError(f"model_to_dot got unexpected keyword argument(s) {', '.join(map(repr, bad))}. Valid "
                        f"arguments: {', '.join(valid)}{did_you_mean(bad[0], valid) or '.'}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"model_to_dot expects rankdir to be one of {', '.join(map(repr, _RANKDIRS))}. "
                         f"Received: rankdir={rankdir!r}.")
    if not getattr(model, "built", False):
        raise ValueError(f"model_to_dot: model '{getattr(model, 'name', model)}' is not built yet, so its graph "
                         f"is unknown. Give the first layer input_shape=..., call model.build((None, ...)), or "
                         f"call the model on data first.")
    pydot = _pydot()
    opts = {"show_shapes": bool(show_shapes), "show_dtype": bool(show_dtype),
            "show_layer_names": bool(show_layer_names), "expand_nested": bool(expand_nested),
            "show_layer_activations": bool(show_layer_activations), "show_trainable": bool(show_trainable)}
    if subgraph:
        dot = pydot.Cluster(str(id(model)), label=html.escape(model.name), style="dashed")
    else:
        dot = pydot.Dot(graph_type="digraph")
        dot.set("rankdir", rankdir)
        dot.set("dpi", str(dpi))
    _Drawer(pydot, opts).model(dot, model, model)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               **kwargs):
    """Draw the model's graph into an image file (PNG, SVG, PDF, ... by the file's extension).

    Uses Graphviz through pydot; both must be installed (the error says how).

    Args:
        model: a built lamina model.
        to_file: the file to write (default ``'model.png'``); its extension picks the format.
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi,
        show_layer_activations, show_trainable: as in :func:`model_to_dot` (here
            ``show_layer_names`` defaults to False, as in Keras 3).

    Returns:
        An ``IPython.display.Image`` of the file when IPython is installed and the format is
        not PDF (it shows inline in a notebook), else None.

    Example:
        >>> plot_model(model, to_file="model.png", show_shapes=True)  # doctest: +SKIP
    """
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable, **kwargs)
    check_graphviz()
    to_file = os.fspath(to_file)
    _, ext = os.path.splitext(to_file)
    fmt = ext[1:].lower() if ext else "png"
    folder = os.path.dirname(to_file)
    if folder:
        os.makedirs(folder, exist_ok=True)
    data = dot.create(format=fmt)
    tmp = f"{to_file}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, to_file)
    if fmt == "pdf":
        return None
    try:
        from IPython import display
    except ImportError:
        return None
    return display.Image(filename=to_file)
