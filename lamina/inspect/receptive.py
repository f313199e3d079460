"""Receptive fields layer by layer, and the CS231n output-size rule with its explanation.

The receptive field arithmetic follows the reference the CS4487 lecture notes cite (the StackOverflow answer on
computing receptive field sizes): for a layer with kernel k, stride s and left padding p, on an
input whose units are ``jump`` pixels apart, each ``size`` pixels wide and centred on
``start + i * jump``::

    n_out     = output length
    jump_out  = jump * s
    size_out  = size + (k - 1) * jump
    start_out = start + ((k - 1) / 2 - p) * jump

starting from the image (n = its size, jump 1, size 1, start 0.5: pixel i spans [i, i + 1)).
"""
from __future__ import annotations

import warnings

import numpy as np

from ._common import all_layers, check_model, input_format, input_shape, new_figure

__all__ = ["receptive_fields", "conv_output_size", "plot_receptive_fields"]


def conv_output_size(W: int, F: int, S: int = 1, P: int = 0) -> int:
    """Output size of a convolution or pooling window along one axis: ``(W - F + 2P) / S + 1``.

    Args:
        W: input size; F: filter (receptive field) size; S: stride; P: zero padding on each side.

    Returns:
        The output size, an int.

    Raises:
        ValueError: when the configuration is invalid: the filter is larger than the padded input,
            or ``(W - F + 2P) / S + 1`` is not an integer (the filter does not tile the input
            evenly), with the computation spelled out and settings that would work.

    Example:
        >>> conv_output_size(227, 11, 4, 0)     # AlexNet's first layer (CS231n)
        55
    """
    for name, value, low in (("W", W, 1), ("F", F, 1), ("S", S, 1), ("P", P, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            kind = "a positive int" if low else "an int >= 0"
            raise ValueError(f"conv_output_size expects {name} to be {kind}. Received: {name}={value!r}.")
    W, F, S, P = int(W), int(F), int(S), int(P)
    span = W - F + 2 * P
    formula = f"(W - F + 2P)/S + 1 = ({W} - {F} + {2 * P})/{S} + 1"
    if span < 0:
        raise ValueError(f"Invalid configuration: the filter (F={F}) is larger than the padded input "
                         f"(W + 2P = {W + 2 * P}), so {formula} = {span / S + 1:g} has no valid position. Use "
                         f"F <= {W + 2 * P} or P >= {-(-(F - W) // 2)}.")
    if span % S:
        fixes = []
        pads = [p for p in range(P + 1, P + S + 1) if (W - F + 2 * p) % S == 0]
        if pads:
            fixes.append(f"P={pads[0]}")
        strides = [s for s in range(S - 1, 0, -1) if span % s == 0]
        if strides:
            fixes.append(f"S={strides[0]}")
        sizes = [f for f in range(F - 1, 0, -1) if (W - f + 2 * P) % S == 0][:1] + \
                [f for f in range(F + 1, W + 2 * P + 1) if (W - f + 2 * P) % S == 0][:1]
        fixes.extend(f"F={f}" for f in sizes)
        raise ValueError(f"Invalid configuration: {formula} = {span / S + 1:g} is not an integer, so the "
                         f"neurons do not tile the input evenly (the stride does not fit). Settings that fit: "
                         f"{', '.join(fixes)}.")
    return span // S + 1


def _axes_state(n):
    return {"n": list(n), "jump": [1.0] * len(n), "size": [1.0] * len(n), "start": [0.5] * len(n)}


def _window(state, k, s, padding, d=None):
    from ..layers._utils import conv_output_length, tf_same_pads
    d = d or (1,) * len(k)
    out = {key: list(v) for key, v in state.items()}
    for i, n in enumerate(state["n"]):
        ke = (k[i] - 1) * d[i] + 1
        if padding == "valid":
            left = 0
        elif padding == "causal":
            left = ke - 1
        else:
            left = tf_same_pads(n, k[i], s[i], d[i])[0]
        j = state["jump"][i]
        out["n"][i] = conv_output_length(n, k[i], padding, s[i], d[i])
        out["jump"][i] = j * s[i]
        out["size"][i] = state["size"][i] + (ke - 1) * j
        out["start"][i] = state["start"][i] + ((ke - 1) / 2 - left) * j
    return out


def _collapse(state):
    """A unit that sees every unit of the previous layer (Flatten, Dense, global pooling)."""
    out = {key: list(v) for key, v in state.items()}
    for i, n in enumerate(state["n"]):
        j = state["jump"][i]
        out["size"][i] = state["size"][i] + (n - 1) * j
        out["start"][i] = state["start"][i] + (n - 1) / 2 * j
        out["n"][i] = 1
    return out


def _apply(layer, state, rank):
    """(new state, note) for one layer; note is None when the rule is exact."""
    kind = type(layer).__name__
    if state["n"] and all(n == 1 for n in state["n"]) and kind in ("Dense", "Flatten"):
        return state, None
    if hasattr(layer, "kernel_size") and hasattr(layer, "strides") and "Transpose" not in kind:
        k, s = tuple(layer.kernel_size), tuple(layer.strides)
        if len(k) == rank:
            return _window(state, k, s, layer.padding, tuple(getattr(layer, "dilation_rate", (1,) * rank))), None
    if hasattr(layer, "pool_size") and hasattr(layer, "strides"):
        k, s = tuple(layer.pool_size), tuple(layer.strides)
        if len(k) == rank:
            return _window(state, k, s, layer.padding), None
    if kind.startswith("Global") or kind in ("Flatten", "Dense"):
        return _collapse(state), None
    if kind == "ZeroPadding2D" and rank == 2:
        out = {key: list(v) for key, v in state.items()}
        for i, (before, after) in enumerate(layer.padding):
            out["n"][i] += before + after
            out["start"][i] -= before * state["jump"][i]
        return out, None
    if kind == "UpSampling2D" and rank == 2:
        out = {key: list(v) for key, v in state.items()}
        for i, f in enumerate(layer.size):
            j = state["jump"][i]
            out["n"][i] *= f
            out["jump"][i] = j / f
            out["start"][i] = state["start"][i] - j / 2 + j / (2 * f)
        return out, None
    if getattr(layer, "_elementwise", False) or kind in (
            "Activation", "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "BatchNormalization",
            "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax", "InputLayer",
            # merges combine positions one to one (graph models pass the larger field in)
            "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
        return state, None
    return state, f"unknown rule for {kind}; assumed it keeps positions"


def receptive_fields(model, input_size=None, plot: bool = False):
    """Per layer: output size, jump, receptive field size and start, along each image axis.

    Args:
        model: a built lamina model on images (Sequential, functional or subclassed; a subclassed
            model's layers are taken in the order they were assigned, as a chain).
        input_size: (rows, cols) for models that accept any image size.
        plot: also return a Figure drawing each layer's receptive field of its central unit.

    Returns:
        A list of dicts, the input first and then one per layer in call order: ``name``, ``type``,
        ``output_size`` (units per axis), ``jump`` (pixels between neighbouring units), ``size``
        (receptive field in pixels), ``start`` (centre of the first unit's field; pixel i spans
        [i, i + 1)); each a tuple with one value per axis (rows, cols). Layers after Flatten/Dense
        see the whole image. With ``plot=True``, (list, Figure).

    Example:
        >>> for row in receptive_fields(model):
        ...     print(row["name"], row["size"], row["jump"], row["start"])
    """
    what = "receptive_fields"
    check_model(model, what)
    shape = input_shape(model)
    if len(shape) < 3:
        raise ValueError(f"{what} needs a model on images or sequences (batch, ..., channels); model "
                         f"'{model.name}' takes input shape {shape}.")
    fmt = input_format(model)
    spatial = list(shape[1:-1] if fmt == "channels_last" else shape[2:])
    rank = len(spatial)
    if input_size is not None:
        size = [int(input_size)] * rank if np.isscalar(input_size) else [int(v) for v in input_size]
        if len(size) != rank or any(a is not None and a != b for a, b in zip(spatial, size)):
            raise ValueError(f"{what}: model '{model.name}' takes input shape {shape}; received "
                             f"input_size={input_size!r}.")
        spatial = size
    if any(v is None for v in spatial):
        raise ValueError(f"{what}: model '{model.name}' accepts any input size ({shape}); pass input_size=... "
                         f"(e.g. input_size=(224, 224)).")
    rows = [_row("input", "InputLayer", _axes_state(spatial))]
    notes = []

    def visit(layer, in_state):
        new, note = _apply(layer, in_state, rank)
        if note:
            notes.append(f"'{layer.name}': {note}")
        rows.append(_row(layer.name, type(layer).__name__, new))
        return new

    _chain(model, _axes_state(spatial), visit)
    if notes:
        warnings.warn(f"{what}: {'; '.join(notes)}.", stacklevel=2)
    if not plot:
        return rows
    return rows, plot_receptive_fields(rows)


def _row(name, kind, state):
    def tidy(v):
        return int(v) if float(v).is_integer() else float(v)
    return {"name": name, "type": kind, "output_size": tuple(int(n) for n in state["n"]),
            "jump": tuple(tidy(v) for v in state["jump"]), "size": tuple(tidy(v) for v in state["size"]),
            "start": tuple(tidy(v) for v in state["start"])}


def _chain(model, state, visit):
    """Call ``visit(layer, input_state) -> output_state`` on every layer in call order.

    Graph models follow their tensors (branches merge by keeping the input with the largest
    receptive field); subclassed models are taken as a chain in assignment order.
    """
    if getattr(model, "_is_graph_network", False):
        return _graph(model, state, visit)
    current = state
    for layer in all_layers(model):
        if not hasattr(layer, "layers"):   # a nested model's own layers follow it in the list
            current = visit(layer, current)
    return current


def _graph(model, state, visit):
    slots = {s: state for s in model.graph_plan.input_slots}
    result = state
    for layer, in_spec, _, out_slots, _ in model.graph_plan.steps:
        if isinstance(in_spec, int):
            ins = [slots.get(in_spec, state)]
        else:
            ins = [slots.get(v, state) for v in (in_spec.values() if isinstance(in_spec, dict) else in_spec)]
        current = max(ins, key=lambda st: sum(st["size"]))
        result = _chain(layer, current, visit) if hasattr(layer, "layers") else visit(layer, current)
        for s in out_slots:
            slots[s] = result
    return result


def plot_receptive_fields(rows, image=None):
    """A Figure: the receptive field of each layer's central unit drawn on the input grid."""
    from matplotlib.patches import Rectangle
    first = rows[0]
    if len(first["output_size"]) != 2:
        raise ValueError("plot_receptive_fields draws 2-D (image) models only.")
    h, w = first["output_size"]
    fig = new_figure(5.5, 5.0)
    ax = fig.subplots(1, 1)
    if image is not None:
        img = np.asarray(image, np.float32)
        ax.imshow(img[..., 0] if img.ndim == 3 and img.shape[-1] == 1 else img, cmap="gray",
                  extent=(0, w, h, 0))
    ax.set_xlim(-0.5 * w, 1.5 * w)
    ax.set_ylim(1.5 * h, -0.5 * h)
    ax.add_patch(Rectangle((0, 0), w, h, fill=False, edgecolor="black", linewidth=1.5))
    seen = set()
    for i, row in enumerate(rows[1:]):
        key = (row["size"], row["start"], row["jump"], row["output_size"])
        if key in seen:
            continue
        seen.add(key)
        (n_r, n_c), (j_r, j_c), (s_r, s_c), (st_r, st_c) = (row["output_size"], row["jump"], row["size"],
                                                             row["start"])
        cr = st_r + (n_r - 1) // 2 * j_r
        cc = st_c + (n_c - 1) // 2 * j_c
        ax.add_patch(Rectangle((cc - s_c / 2, cr - s_r / 2), s_c, s_r, fill=False, linewidth=1.5,
                               edgecolor=f"C{len(seen) - 1}", label=f"{row['name']}: {s_r}x{s_c}"))
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("receptive field of each layer's central unit", fontsize=9)
    fig.tight_layout()
    return fig
