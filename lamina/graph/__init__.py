"""The symbolic graph of the functional API, below the layers.

``KerasTensor`` is a placeholder with a shape; calling a layer (or any operation) on one
records a ``Node``; ``GraphPlan`` turns the nodes between some inputs and outputs into a
flat list of steps and runs them on real tensors. Nothing here imports ``lamina.layers``
or ``lamina.models``: layers and models build on this package, never the reverse.
"""
from .keras_tensor import KerasTensor
from . import nest
from .nest import map_structure, pack_like
from .node import Node, flatten, is_shape, symbolic_call
from .ops import Operation, is_gradient_op, symbolic_gradients, symbolic_op
from .plan import GraphPlan, topological_nodes

__all__ = ["KerasTensor", "Node", "Operation", "GraphPlan", "symbolic_call", "symbolic_op", "symbolic_gradients",
           "is_gradient_op", "topological_nodes", "is_shape", "flatten", "nest", "map_structure", "pack_like"]
