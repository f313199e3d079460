"""Looking inside recurrent layers: the hidden state and the gates at every step of one sequence.

For a model that reads a sequence (MNIST read row by row, a sentence of token ids), the
question is what the recurrent layer keeps from step to step. :func:`recurrent_states` runs
the model on one sequence and returns, for one of its recurrent layers (LSTM, GRU, SimpleRNN,
``RNN(cell)``, either direction of a ``Bidirectional``), the output, the states and the gate
activations at every step; :func:`plot_recurrent_states` draws them over time, beside the input.

Example:
    >>> from lamina import inspect
    >>> run = inspect.recurrent_states(model, x_test[0])      # x_test[0]: (28, 28), one row per step
    >>> run["gates"]["forget"].shape                          # (timesteps, units)
    (28, 32)
    >>> fig = inspect.plot_recurrent_states(model, x_test[0])
"""
from __future__ import annotations

import threading

import numpy as np
import torch

from ._common import all_layers, check_model, input_shape, model_device, new_figure, resolve_layer

__all__ = ["recurrent_layers", "recurrent_states", "plot_recurrent_states"]


def _is_recurrent(layer) -> bool:
    return callable(getattr(layer, "trajectory", None)) or (
        hasattr(layer, "forward_layer") and callable(getattr(layer.forward_layer, "trajectory", None)))


def recurrent_layers(model) -> list:
    """The recurrent layers of a model (nested ones too), in the order they were added."""
    found = [layer for layer in all_layers(model) if _is_recurrent(layer)]
    inner = {id(getattr(l, name)) for l in found for name in ("forward_layer", "backward_layer") if hasattr(l, name)}
    return [layer for layer in found if id(layer) not in inner]    # a Bidirectional's directions are part of it


def _one_sequence(model, sequence, what: str) -> torch.Tensor:
    """One input as a batch of one, in the model's input shape (token ids stay integers)."""
    shape = input_shape(model)
    target = tuple(shape[1:])
    x = sequence.detach().cpu().numpy() if isinstance(sequence, torch.Tensor) else np.asarray(sequence)
    if x.ndim == len(target):
        x = x[None]
    if x.ndim != len(target) + 1 or x.shape[0] != 1 or any(
            t is not None and t != s for t, s in zip(target, x.shape[1:])):
        want = str(tuple(target)).replace(" ", "")
        raise ValueError(f"{what} expects one input of shape {want} (the model's input without the batch "
                         f"axis), or a batch of one; received an array of shape {tuple(x.shape)}. Pass one "
                         f"sequence, e.g. x_test[0].")
    if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ValueError(f"{what} expects numbers; received an array of dtype {x.dtype}.")
    t = torch.from_numpy(np.ascontiguousarray(x))
    t = t.long() if np.issubdtype(x.dtype, np.integer) else t.float()
    return t.to(model_device(model))


def _layer_input(model, layer, x):
    """The tensor (and mask) the layer receives when the model runs on x."""
    seen = {}
    caller = threading.get_ident()

    def hook(module, args, kwargs, output):
        # the model may be serving other threads meanwhile: record this call only
        if "inputs" not in seen and threading.get_ident() == caller:
            inputs = args[0] if args else kwargs.get("inputs")
            seen["inputs"] = inputs
            seen["mask"] = kwargs.get("mask")

    handle = layer.register_forward_hook(hook, with_kwargs=True)
    try:
        with torch.no_grad():
            model(x, training=False)
    finally:
        handle.remove()
    if "inputs" not in seen:
        raise ValueError(f"Layer '{layer.name}' did not run when the model was called, so there is nothing to "
                         f"show. Pass a layer the model uses.")
    inputs, mask = seen["inputs"], seen["mask"]
    initial_state = None
    if isinstance(inputs, (list, tuple)):
        inputs, initial_state = inputs[0], list(inputs[1:]) or None
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    return inputs, mask, initial_state


def _as_single(run: dict) -> dict:
    """A trajectory of a batch of one, without the batch axis."""
    return {"outputs": run["outputs"][0], "states": [s[0] for s in run["states"]],
            "gates": {k: v[0] for k, v in run["gates"].items()}, "steps": run["steps"],
            "mask": None if run["mask"] is None else run["mask"][0]}


def recurrent_states(model, sequence, layer=None) -> dict:
    """The output, states and gate activations of a recurrent layer at every step of one input.

    Args:
        model: a built lamina model with one input.
        sequence: one input in the model's input shape without the batch axis (e.g. an image of
            28 rows read as 28 steps, or a vector of token ids), or a batch of one.
        layer: the recurrent layer to look at (object, name or index); default: the first.

    Returns:
        A dict of numpy arrays, steps in the order the layer processed them:
        ``outputs`` (timesteps, units); ``states`` a list of (timesteps, size), [h] or [h, c];
        ``gates`` gate name -> (timesteps, units) (LSTM: input, forget, candidate, output; GRU:
        update, reset, candidate; empty for SimpleRNN and custom cells); ``steps`` the input time
        index of each step; ``mask`` (timesteps,) bool or None; ``input`` (timesteps, features)
        the sequence the layer read; ``layer`` its name and ``type`` its class. For a
        ``Bidirectional`` layer this is its forward direction, with the backward one under
        ``backward`` (same keys). A stateful layer starts from the states it holds, and keeps them.

    Example:
        >>> run = recurrent_states(model, x_test[0])
        >>> run["outputs"][-1]          # the layer's output for this input
    """
    check_model(model, "recurrent_states")
    found = recurrent_layers(model)
    if layer is None:
        if not found:
            raise ValueError(f"recurrent_states: model '{model.name}' has no recurrent layer (LSTM, GRU, SimpleRNN, "
                             f"RNN or Bidirectional). Its layers: "
                             f"{', '.join(type(l).__name__ for l in all_layers(model))}.")
        layer = found[0]
    else:
        layer = resolve_layer(model, layer)
        if not _is_recurrent(layer):
            raise ValueError(f"recurrent_states: layer '{layer.name}' ({type(layer).__name__}) is not a recurrent "
                             f"layer. Recurrent layers of model '{model.name}': "
                             f"{', '.join(repr(l.name) for l in found) or 'none'}.")
    x = _one_sequence(model, sequence, "recurrent_states")
    # Running the model advances stateful layers; looking must not, so their held states are put back
    # (and the trajectory starts from them, as the call did).
    stateful = [l for l in all_layers(model) if getattr(l, "stateful", False) and hasattr(l, "reset_states")]
    held = [(l, l.states) for l in stateful]
    try:
        inputs, mask, initial_state = _layer_input(model, layer, x)
    finally:
        for l, states in held:
            l.reset_states(states) if states is not None else l.reset_states()
    directions = [layer.forward_layer, layer.backward_layer] if hasattr(layer, "forward_layer") else [layer]
    runs = []
    for direction in directions:
        run = _as_single(direction.trajectory(inputs, mask=mask, initial_state=initial_state
                                              if direction is directions[0] else None))
        run.update(layer=direction.name, type=type(direction).__name__,
                   input=inputs[0].detach().cpu().numpy())
        runs.append(run)
    out = runs[0]
    if len(runs) == 2:
        out["backward"] = runs[1]
        out["layer"], out["type"] = layer.name, type(layer).__name__
    return out


def _draw_run(fig, axes_row, run, title):
    ax_in, ax_h, ax_g = axes_row
    steps = run["steps"]
    order = np.argsort(steps)      # draw in input time order, whatever the processing order
    x = run["input"]
    if x.ndim == 2:
        ax_in.imshow(x.T, aspect="auto", cmap="gray", interpolation="nearest")
        ax_in.set_ylabel("feature")
    else:
        ax_in.plot(np.arange(len(x)), x)
    ax_in.set_title("input (one column per step)", fontsize=8)
    h = run["outputs"][order].T
    lim = float(np.abs(h).max()) or 1.0
    im = ax_h.imshow(h, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    ax_h.set_title(f"{title}: output of each unit after each step", fontsize=8)
    ax_h.set_ylabel("unit")
    fig.colorbar(im, ax=ax_h, fraction=0.03, pad=0.01)
    if run["gates"]:
        for name, g in run["gates"].items():
            ax_g.plot(np.arange(len(steps)), g[order].mean(axis=1), label=name)
        signed = any(v.min() < 0 for v in run["gates"].values())     # a tanh candidate spans -1..1
        ax_g.set_ylim(-1.05 if signed else -0.02, 1.05)
        ax_g.set_title("mean gate activation over the units", fontsize=8)
        ax_g.legend(fontsize=7, loc="best", ncol=len(run["gates"]))
    else:
        norm = np.linalg.norm(run["outputs"][order], axis=1)
        ax_g.plot(np.arange(len(steps)), norm)
        ax_g.set_title("size of the output vector (L2 norm)", fontsize=8)
    if run["mask"] is not None and not run["mask"].all():
        masked = np.flatnonzero(~run["mask"][order])
        for ax in (ax_h, ax_g):
            ax.axvspan(masked.min() - 0.5, masked.max() + 0.5, color="0.85", zorder=0)
        ax_g.text(0.99, 0.02, "grey: masked steps", transform=ax_g.transAxes, ha="right", fontsize=7)
    ax_g.set_xlabel("step (input time)")
    for ax in axes_row:
        ax.tick_params(labelsize=7)


def plot_recurrent_states(model, sequence, layer=None, run: dict | None = None):
    """Draw what a recurrent layer computes over one input: the input, each unit's output after
    each step (a heat map, red positive, blue negative) and the mean gate activations (LSTM/GRU)
    or the size of the output (other cells), step by step. A Bidirectional layer gets one row
    of panels per direction. Masked steps are shaded.

    Args:
        model, sequence, layer: as :func:`recurrent_states`.
        run: a result of :func:`recurrent_states` to draw instead of running the model again.

    Returns:
        A matplotlib Figure.

    Example:
        >>> plot_recurrent_states(model, x_test[0]).savefig("lstm.png")
    """
    run = run if run is not None else recurrent_states(model, sequence, layer)
    rows = [(run, "forward" if "backward" in run else run["layer"])]
    if "backward" in run:
        rows.append((run["backward"], "backward"))
    fig = new_figure(9.0, 5.2 * len(rows))
    axes = fig.subplots(3 * len(rows), 1, squeeze=False, gridspec_kw={"height_ratios": [1, 1.4, 1] * len(rows)})
    for k, (r, title) in enumerate(rows):
        _draw_run(fig, [axes[3 * k + i, 0] for i in range(3)], r, title)
    fig.suptitle(f"{run['type']} '{run['layer']}' over one input", fontsize=10)
    fig.tight_layout()
    return fig
