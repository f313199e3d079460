"""``K.function``: evaluate a symbolic graph (layer outputs, op nodes, ``K.gradients``) on real data.

The graph between the given inputs and outputs is planned once (the nodes in
topological order). A call feeds the input values, runs each node's layer on torch
tensors and returns the outputs as numpy arrays. When the graph holds gradient nodes
the run has autograd on, and every tensor a gradient is taken with respect to is made
to require grad when it is produced (so gradients with respect to ``model.input`` or
an intermediate ``layer.output`` work even for a frozen model).
"""
from __future__ import annotations

import numpy as np
import torch

from .. import config as _config
from ..compat import warn_legacy
from ..layers.core import InputLayer
from ..graph import KerasTensor, is_gradient_op

__all__ = ["Function", "LearningPhase", "LEARNING_PHASE"]


class LearningPhase:
    """``K.learning_phase()``: a placeholder for the training flag (0 = test, 1 = train)."""

    value = None  # set by K.set_learning_phase

    def __repr__(self):
        return "<keras learning_phase placeholder>"


LEARNING_PHASE = LearningPhase()


def _plan(placeholders, outputs):
    fed = {id(t) for t in placeholders}
    order, done = [], set()

    def visit(t, path):
        if id(t) in fed:
            return
        node = t.node
        if id(node) in done:
            return
        if isinstance(node.layer, InputLayer):
            raise ValueError(f"K.function: the outputs depend on input '{node.layer.name}' (shape {t.shape}), "
                             f"which is not among the function's inputs. Pass it, e.g. "
                             f"K.function([model.input], [...]). Path: {' <- '.join(path + [node.layer.name])}.")
        for u in node.input_tensors:
            visit(u, path + [node.layer.name])
        done.add(id(node))
        order.append(node)

    for t in outputs:
        visit(t, [])
    return order


def _graph_inputs(outputs):
    """The InputLayer tensors the outputs depend on, in the order they are first reached."""
    found, seen = [], set()

    def visit(t):
        node = t.node
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node.layer, InputLayer):
            found.append(t)
            return
        for u in node.input_tensors:
            visit(u)

    for t in outputs:
        visit(t)
    return found


def _structure(value, values):
    if isinstance(value, KerasTensor):
        return values[id(value)]
    if isinstance(value, dict):
        return {k: _structure(v, values) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_structure(v, values) for v in value]
    return value


class Function:
    """A callable evaluating ``outputs`` from ``inputs``: ``f([x_value])`` -> list of numpy arrays.

    Args:
        inputs: list of symbolic tensors (``model.input``, ``layer.input``, ``K.learning_phase()``).
        outputs: a symbolic tensor or a list of them (layer outputs, ``K.mean(...)``, ``K.gradients(...)``).
        updates: Keras 2 variable updates; not supported (write the step in torch).
    """

    def __init__(self, inputs, outputs, updates=None, name=None, **kwargs):
        if updates:
            raise NotImplementedError("K.function(..., updates=[...]) (Keras 2 training updates) is not supported. "
                                      "Write the training step in torch: loss.backward(); optimizer.step(), or "
                                      "use model.train_on_batch(x, y).")
        if kwargs:
            raise TypeError(f"K.function got unexpected keyword argument(s) {sorted(kwargs)} (TensorFlow session "
                            f"options); lamina takes inputs, outputs and name.")
        self.name = name
        self._single = isinstance(outputs, KerasTensor)
        outputs = [outputs] if self._single else list(outputs)
        bad = [o for o in outputs if not isinstance(o, KerasTensor)]
        if bad:
            raise TypeError(f"K.function outputs must be symbolic tensors (layer.output, model.output, K.mean(...), "
                            f"K.gradients(...)[0]); received {type(bad[0]).__name__}.")
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        symbolic = [isinstance(i, (KerasTensor, LearningPhase)) for i in inputs]
        self._bound = None
        if not all(symbolic):
            if any(symbolic):
                raise TypeError("K.function inputs must all be symbolic tensors (model.input, ...); received a mix "
                                "of symbolic tensors and arrays.")
            warn_legacy("K.function.bound", "K.function([array], outputs) (the Keras 2 lecture-slide shorthand) "
                        "evaluates the outputs on the array; write f = K.function([model.input], outputs); "
                        "values = f([array]).")
            self._bound = inputs
            inputs = _graph_inputs(outputs)
            if len(inputs) != len(self._bound):
                raise ValueError(f"K.function received {len(self._bound)} array(s) for a graph with "
                                 f"{len(inputs)} input(s) ({', '.join(str(t.shape) for t in inputs)}).")
        self.inputs = inputs
        self.outputs = outputs
        placeholders = [i for i in inputs if isinstance(i, KerasTensor)]
        self._plan = _plan(placeholders, outputs)
        self._need_grad = {id(t) for n in self._plan if is_gradient_op(n.layer) for t in n.input_tensors[1:]}
        self._device = None

    def _target_device(self):
        if self._device is None:
            for node in self._plan:
                for p in node.layer.parameters():
                    self._device = p.device
                    break
                if self._device is not None:
                    break
            else:
                self._device = _config.device()
        return self._device

    def _feed(self, tensor, value, device):
        if isinstance(value, torch.Tensor):
            v = value.to(device)
        else:
            arr = np.asarray(value)
            v = torch.from_numpy(np.ascontiguousarray(arr)).to(device)
            if v.is_floating_point() or arr.dtype in (np.uint8, np.bool_):
                v = v.to(_config.dtype())
        if id(tensor) in self._need_grad and not v.requires_grad:
            v = v.detach().clone().requires_grad_(True)
        return v

    def __call__(self, inputs=None):
        if inputs is None:
            if self._bound is None:
                raise TypeError(f"This K.function takes a list of {len(self.inputs)} input value(s), e.g. f([x]).")
            inputs = self._bound
        if not isinstance(inputs, (list, tuple)) or (len(self.inputs) == 1 and len(inputs) != 1):
            inputs = [inputs]
        if len(inputs) != len(self.inputs):
            raise ValueError(f"K.function expects {len(self.inputs)} input value(s) "
                             f"({', '.join(repr(i) for i in self.inputs)}); received {len(inputs)}.")
        training = bool(LearningPhase.value) if LearningPhase.value is not None else False
        device = self._target_device()
        values = {}
        with torch.enable_grad() if self._need_grad else torch.no_grad():
            for t, v in zip(self.inputs, inputs):
                if isinstance(t, LearningPhase):
                    training = bool(int(np.asarray(v)))
                else:
                    values[id(t)] = self._feed(t, v, device)
            for node in self._plan:
                layer = node.layer
                args = _structure(node.call_args[0], values)
                extra = [_structure(a, values) for a in node.call_args[1:]]
                if layer._call_takes_training:
                    out = layer(args, *extra, training=training, **node.call_kwargs)
                else:
                    out = layer(args, *extra, **node.call_kwargs)
                outs = [out] if len(node.output_tensors) == 1 else list(out)
                for t, v in zip(node.output_tensors, outs):
                    if id(t) in self._need_grad and isinstance(v, torch.Tensor) and not v.requires_grad:
                        v = v.detach().requires_grad_(True)
                    values[id(t)] = v
        results = [_to_numpy(values[id(t)]) for t in self.outputs]
        return results[0] if self._single else results

    def __iter__(self):
        """``loss_value, grads_value = K.function([array], [loss, grads])``: the slide shorthand."""
        if self._bound is None:
            raise TypeError("A K.function is called, not unpacked: values = f([x]).")
        result = self()
        return iter([result] if self._single else result)

    def __repr__(self):
        return f"<K.function {len(self.inputs)} input(s) -> {len(self.outputs)} output(s), {len(self._plan)} nodes>"


def _to_numpy(v):
    if isinstance(v, torch.Tensor):
        v = v.detach()
        if v.dtype == torch.bfloat16:
            v = v.float()
        return v.cpu().numpy()
    return np.asarray(v)
