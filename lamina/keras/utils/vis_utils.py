"""``keras.utils.vis_utils`` (Keras 2): ``plot_model`` and ``model_to_dot`` with Keras 2's defaults.

Keras 2 wrote layer names by default (``show_layer_names=True``) at 96 dpi; Keras 3 (and
``lamina.utils.plot_model``) draws class names only at 200 dpi. The pictures are otherwise the same.
"""
from ...utils import vis_utils as _vis

__all__ = ["plot_model", "model_to_dot"]


def model_to_dot(model, show_shapes=False, show_layer_names=True, rankdir="TB", expand_nested=False, dpi=96,
                 subgraph=False, **kwargs):
    """Keras 2 ``model_to_dot``: the model's graph as a ``pydot.Dot`` (see :func:`lamina.utils.model_to_dot`).

    Example:
        >>> from keras.utils.vis_utils import model_to_dot  # doctest: +SKIP
        >>> svg = model_to_dot(model).create(prog="dot", format="svg")  # doctest: +SKIP
    """
    return _vis.model_to_dot(model, show_shapes=show_shapes, show_layer_names=show_layer_names, rankdir=rankdir,
                             expand_nested=expand_nested, dpi=dpi, subgraph=subgraph, **kwargs)


def plot_model(model, to_file="model.png", show_shapes=False, show_layer_names=True, rankdir="TB",
               expand_nested=False, dpi=96, **kwargs):
    """Keras 2 ``plot_model``: draw the model's graph into ``to_file`` (see :func:`lamina.utils.plot_model`).

    Example:
        >>> from keras.utils import plot_model  # doctest: +SKIP
        >>> plot_model(model, to_file="model.png", show_shapes=True)  # doctest: +SKIP
    """
    return _vis.plot_model(model, to_file=to_file, show_shapes=show_shapes, show_layer_names=show_layer_names,
                           rankdir=rankdir, expand_nested=expand_nested, dpi=dpi, **kwargs)
