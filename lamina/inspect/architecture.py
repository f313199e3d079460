"""The architecture picture of the HTML report: the model's graph drawn by Graphviz (``plot_model``)."""
from __future__ import annotations

import base64
import html

__all__ = ["architecture_html"]


def architecture_html(model) -> str:
    """HTML for the report's architecture section: the graph as an embedded SVG picture.

    When pydot or Graphviz is missing, the section says how to install them instead of
    failing the whole report.

    Example:
        >>> body = architecture_html(model)  # doctest: +SKIP
    """
    from ..utils.vis_utils import check_graphviz, model_to_dot
    try:
        check_graphviz()
    except ImportError as err:
        return f'<p class="note">Not available: {html.escape(str(err))}</p>'
    dot = model_to_dot(model, show_shapes=True, show_layer_names=True, show_layer_activations=True, dpi=96)
    svg = dot.create(format="svg")
    data = base64.b64encode(svg).decode("ascii")
    return (f'<img alt="{html.escape(f"Architecture of {model.name}")}" '
            f'src="data:image/svg+xml;base64,{data}">')
