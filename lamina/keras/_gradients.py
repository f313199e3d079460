"""``K.gradients`` for the three cases classic Keras code meets.

* symbolic loss, symbolic variables (``model.input``, ``layer.output``): a gradient node that
  ``K.function`` evaluates (:func:`lamina.graph.symbolic_gradients`);
* symbolic loss, real tensors (``model.trainable_weights``, ``layer.kernel``): Keras 2's
  ``K.gradients(loss, params)`` followed by ``K.function``; an op node that runs autograd;
* real loss, real tensors: inside a ``Lambda``, a custom layer's ``call`` or a loss function
  (a gradient penalty), where lamina computes on real tensors; ``torch.autograd.grad`` with
  ``create_graph=True``, so the result can itself be trained through.

A variable the loss does not depend on gets a zero gradient (as the symbolic form does).
"""
from __future__ import annotations

import torch

from ..graph import KerasTensor, symbolic_gradients, symbolic_op

__all__ = ["gradients"]


def _check_variables(variables, what):
    bad = [v for v in variables if not isinstance(v, (KerasTensor, torch.Tensor))]
    if bad:
        raise TypeError(f"K.gradients(loss, variables) takes {what}; received {type(bad[0]).__name__} "
                        f"{bad[0]!r}. Pass symbolic tensors (model.input, layer.output) or torch tensors "
                        f"(model.trainable_weights, layer.kernel).")


def _eager(loss, variables):
    _check_variables(variables, "torch tensors when the loss is a real tensor")
    symbolic = [v for v in variables if isinstance(v, KerasTensor)]
    if symbolic:
        raise TypeError(f"K.gradients got a real loss tensor but symbolic variables ({symbolic[0]!r}); inside a "
                        f"layer's call() or a loss function use the real tensors that call() receives (the torch form is "
                        f"torch.autograd.grad(loss, [x])).")
    if not torch.is_grad_enabled() or torch.is_inference_mode_enabled():
        raise RuntimeError("K.gradients on real tensors needs autograd, which is off here (predict(), evaluate() "
                           "and K.function without K.gradients outputs run under torch.no_grad). Compute it during "
                           "training (fit, train_on_batch), or wrap the call in `with torch.enable_grad():`.")
    frozen = [i for i, v in enumerate(variables) if not v.requires_grad]
    if frozen:
        v = variables[frozen[0]]
        raise ValueError(f"K.gradients: variable {frozen[0]} (shape {tuple(v.shape)}) does not require grad, so "
                         f"torch recorded no path from it to the loss. Use a tensor computed from trainable weights "
                         f"(a layer output during training), or call x.requires_grad_(True) before computing the "
                         f"loss from x.")
    target = loss if loss.dim() == 0 else loss.sum()
    if not target.requires_grad:
        return [torch.zeros_like(v) for v in variables]
    grads = torch.autograd.grad(target, variables, create_graph=True, allow_unused=True)
    return [torch.zeros_like(v) if g is None else g for g, v in zip(grads, variables)]


def _weights(loss, variables):
    """Symbolic loss, real tensors: an op node computing d loss / d tensor when K.function runs it."""
    _check_variables(variables, "tensors of one kind")

    def grads_of(loss_value):
        if loss_value.device.type == "meta":  # shape inference
            return [torch.zeros_like(v, device="meta") for v in variables]
        if not torch.is_grad_enabled():
            raise RuntimeError("K.gradients(loss, weights) needs autograd: evaluate it with K.function([...], "
                               "[...]), not with predict().")
        target = loss_value if loss_value.dim() == 0 else loss_value.sum()
        needed = [v for v in variables if v.requires_grad]
        found = iter(torch.autograd.grad(target, needed, retain_graph=True, allow_unused=True)
                     if needed and target.requires_grad else [None] * len(needed))
        out = [next(found) if v.requires_grad else None for v in variables]
        return [torch.zeros_like(v) if g is None else g for g, v in zip(out, variables)]

    outs = symbolic_op(grads_of, (loss,), name="gradients")
    outs = outs if isinstance(outs, list) else [outs]
    outs[0].node.layer.needs_autograd = True  # K.function runs this node with autograd on
    return outs


def gradients(loss, variables):
    """Gradients of ``loss`` (summed if not a scalar) with respect to each of ``variables``; a list."""
    variables = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    if isinstance(loss, torch.Tensor):
        return _eager(loss, variables)
    if not isinstance(loss, KerasTensor):
        raise TypeError(f"K.gradients expects loss to be a tensor (symbolic, e.g. K.mean(model.output), or a real "
                        f"torch tensor). Received {type(loss).__name__} {loss!r}.")
    if all(isinstance(v, KerasTensor) for v in variables):
        return symbolic_gradients(loss, variables)
    if any(isinstance(v, KerasTensor) for v in variables):
        raise TypeError("K.gradients(loss, variables): pass either symbolic tensors (model.input, layer.output) or "
                        "real tensors (model.trainable_weights), not a mix; call K.gradients once for each kind.")
    return _weights(loss, variables)
