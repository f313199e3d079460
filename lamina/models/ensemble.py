"""Ensembles: several trained networks combined into one model.

``ensemble([m1, m2, ...])`` returns an ordinary functional :class:`Model` whose
members are the given networks applied to one shared input and whose output
combines theirs. It predicts, evaluates, summarises, saves (``.lamina``: config
JSON + safetensors) and loads like any other model, with no extra code.
"""
from __future__ import annotations

import torch

from ..layers.base import Layer, format_shape

__all__ = ["ensemble", "Vote"]

_MODES = ("average", "vote")


class Vote(Layer):
    """Majority vote of several class-probability outputs.

    Each input is a batch of class scores (``(batch, classes)``). Every member
    votes for its highest-scoring class; the output is, per class, the number of
    votes plus the members' average probability, divided by ``members + 1``. So
    ``argmax`` of the output is the class with the most votes, a tie goes to the
    tied class with the higher average probability, and each row sums to 1 when
    the inputs do.

    Input shape:
        A list of tensors, each ``(batch, classes)``.

    Output shape:
        ``(batch, classes)``.

    Example:
        >>> votes = Vote()([p1, p2, p3])
    """

    def build(self, input_shape):
        self._check(input_shape)

    def _check(self, input_shape):
        ok = (isinstance(input_shape, list) and len(input_shape) >= 2
              and all(isinstance(s, (tuple, list)) and len(s) == 2 for s in input_shape))
        if not ok:
            got = (format_shape(tuple(input_shape)) if isinstance(input_shape, tuple)
                   else ", ".join(format_shape(tuple(s)) for s in input_shape)
                   if isinstance(input_shape, list) else repr(input_shape))
            raise ValueError(f"Layer '{self.name}' (Vote) expects a list of at least two 2-D inputs "
                             f"(batch, classes). Received {got}. Call it on the members' outputs, e.g. "
                             f"Vote()([p1, p2]).")
        sizes = {s[-1] for s in input_shape} - {None}
        if len(sizes) > 1:
            raise ValueError(f"Layer '{self.name}' (Vote) needs the same number of classes from every input. "
                             f"Received shapes {', '.join(format_shape(tuple(s)) for s in input_shape)}.")

    def call(self, inputs):
        xs = list(inputs)
        n_classes = xs[0].shape[-1]
        votes = sum(torch.nn.functional.one_hot(x.argmax(dim=-1), n_classes).to(x.dtype) for x in xs)
        mean = sum(xs) / len(xs)
        return (votes + mean) / (len(xs) + 1)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return tuple(input_shape[0])


def _renamed_copy(model, name: str):
    """A copy of ``model`` called ``name`` with the same weights (``model`` itself is not changed)."""
    config = dict(model.get_config())
    config["name"] = name
    copy = type(model).from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def ensemble(models, mode: str = "average", name: str = "ensemble"):
    """One model that combines the outputs of several networks.

    The CS4487 handout notes that a network "is still sensitive to
    initialization" and recommends training several and combining them; the
    neural-networks chapter gains its last step by averaging five networks'
    softmax outputs. This builds that combination as a model.

    Args:
        models: a list of at least two built models with the same input shape
            and output shape (usually the same architecture trained from
            different seeds).
        mode: ``'average'`` (default) averages the members' outputs (for softmax
            outputs, the averaged class probabilities); ``'vote'`` takes a
            majority vote of the members' predicted classes (see :class:`Vote`).
        name: the ensemble model's name (default ``'ensemble'``).

    Returns:
        A functional ``Model`` (not compiled). The members are shared, not
        copied, except that a member whose name repeats an earlier member's
        name is replaced by a renamed copy with the same weights (layer names
        in a model must be unique). Compile it with a loss and metrics to
        ``evaluate`` it; ``predict``, ``summary``, ``save`` and
        ``lamina.models.load_model`` work as for any model.

    Raises:
        ValueError: fewer than two models, an unknown mode, a model without a
            known input shape, or members whose input or output shapes differ.

    Example:
        >>> ens = lamina.models.ensemble([net_a, net_b, net_c], mode="average")
        >>> ens.compile(loss="categorical_crossentropy", metrics=["accuracy"])
        >>> ens.evaluate(x_test, y_test)
        >>> ens.save("ensemble.lamina")
    """
    from ..layers import Average, Input
    from .functional import Model

    if mode not in _MODES:
        from .._errors import did_you_mean
        raise ValueError(f"ensemble expects mode to be one of {', '.join(map(repr, _MODES))}. Received: "
                         f"mode={mode!r}{did_you_mean(str(mode), _MODES) or '.'}")
    models = list(models) if isinstance(models, (list, tuple)) else None
    if not models or len(models) < 2:
        raise ValueError(f"ensemble expects a list of at least two models. Received "
                         f"{len(models) if models is not None else 'something that is not a list'}. "
                         f"Pass the trained networks, e.g. ensemble([m1, m2, m3]).")
    shapes = []
    for i, m in enumerate(models):
        if not isinstance(m, Model):
            raise ValueError(f"ensemble expects lamina models. Received {type(m).__name__} at position {i}.")
        try:
            shapes.append((tuple(m.input_shape), tuple(m.output_shape)))
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f"ensemble member {i} ('{m.name}') has no known input shape. Build it first: give "
                             f"its first layer input_shape=..., or call it on data.") from None
        if isinstance(m.input_shape, list) or isinstance(m.output_shape, list):
            raise ValueError(f"ensemble combines single-input, single-output models; member {i} ('{m.name}') "
                             f"has input shape {m.input_shape} and output shape {m.output_shape}.")
    for i, s in enumerate(shapes[1:], 1):
        if s != shapes[0]:
            raise ValueError(f"ensemble members must share input and output shapes. Member 0 ('{models[0].name}')"
                             f" maps {format_shape(shapes[0][0])} -> {format_shape(shapes[0][1])}; member {i} "
                             f"('{models[i].name}') maps {format_shape(s[0])} -> {format_shape(s[1])}.")
    members, seen = [], set()
    for i, m in enumerate(models):
        if m.name in seen:
            new = f"{m.name}_{i}"
            while new in seen:
                new += "_"
            m = _renamed_copy(m, new)
        seen.add(m.name)
        members.append(m)
    inputs = Input(shape=shapes[0][0][1:])
    outputs = [m(inputs) for m in members]
    merged = Average(name=f"{name}_average")(outputs) if mode == "average" else Vote(name=f"{name}_vote")(outputs)
    return Model(inputs, merged, name=name)
