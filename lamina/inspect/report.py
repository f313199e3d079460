"""One self-contained HTML page about a model: summary, curves, filters, feature maps,
Grad-CAM, confusion matrix, mistakes and receptive fields. Figures are embedded as base64
PNG, so the file opens offline in any browser."""
from __future__ import annotations

import base64
import datetime
import html
import io
import os
import time
from pathlib import Path

import numpy as np
import torch

from .architecture import architecture_html
from ._common import all_layers, check_model, input_format, prepare_images, to_display, trace

__all__ = ["html_report", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c9cfdb;font-size:13px}
main{max-width:1100px;margin:0 auto;padding:10px 24px 40px}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:14px 20px;margin:16px 0}
h2{font-size:17px;margin:4px 0 10px}h3{font-size:14px;margin:14px 0 6px;color:#3a4356}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #e6e8ee;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f0f2f6}
table.settings td:last-child,table.settings th:last-child{text-align:left}
img{max-width:100%;height:auto;display:block;margin:6px 0}
.note{color:#6b7386;font-size:13px}.figs{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
pre{font-size:12px;background:#f6f7f9;padding:8px;overflow-x:auto}
nav a{color:#9fc1ff;margin-right:14px;font-size:13px;text-decoration:none}
"""


def _png(fig, dpi: int = 90) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(fig, alt: str, dpi: int = 90) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{_png(fig, dpi)}">'


def _table(header, rows) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _fmt_num(v) -> str:
    if isinstance(v, float):
        return "-" if not np.isfinite(v) else f"{v:.4f}"
    return str(v)


def _summary(model, sample) -> str:
    from ..layers.base import format_shape
    shapes = {}
    if sample is not None:
        with torch.no_grad():
            records, _ = trace(model, sample, model.layers)
        shapes = {id(l): o for l, o in records}
    rows, total, trainable = [], 0, 0
    for layer in model.layers:
        n = sum(int(t.numel()) for t in layer.weights)
        out = shapes.get(id(layer))
        shape = format_shape((None,) + tuple(out.shape[1:])) if isinstance(out, torch.Tensor) else "?"
        rows.append((f"{layer.name}", type(layer).__name__, shape, f"{n:,}"))
    total = sum(int(t.numel()) for t in model.weights)
    trainable = sum(int(t.numel()) for t in model.trainable_weights)
    totals = _table(("", "parameters"), [("total", f"{total:,}"), ("trainable", f"{trainable:,}"),
                                         ("non-trainable", f"{total - trainable:,}")])
    return _table(("Layer", "Type", "Output shape", "Param #"), rows) + totals


def _history_section(history, best_epoch=None) -> str:
    from .history import history_dict, plot_history
    hist = history_dict(history)
    metrics = [m for m in ("loss", "accuracy", "acc") if m in hist] or sorted(k for k in hist
                                                                         if not k.startswith("val_"))[:2]
    if not metrics:
        return _note("The history holds no per-epoch values.")
    epochs = max(len(v) for v in hist.values())
    restored = best_epoch is not None and 1 <= best_epoch < epochs
    fig = plot_history(hist, metrics=metrics, best_epoch=best_epoch if restored else None)
    if restored:
        rows = [(k, _fmt_num(float(v[best_epoch - 1])), _fmt_num(float(v[-1]))) for k, v in hist.items()
                if len(v) >= best_epoch]
        table = _table(("metric", f"restored epoch {best_epoch} (the model's weights)", f"last epoch {epochs}"),
                       rows)
        note = (f"{epochs} epochs run; early stopping restored the weights of epoch {best_epoch} (dashed line), "
                f"so the model in this report is the one of epoch {best_epoch}.")
    else:
        table = _table(("metric", f"epoch {epochs} (the model's weights)"),
                       [(k, _fmt_num(float(v[-1]))) for k, v in hist.items() if v])
        note = f"{epochs} epochs run; the model has the weights of the last one."
    return _img(fig, "training curves") + table + _note(note)


def _settings_section(settings: dict) -> str:
    rows = []

    def add(key, value):
        if isinstance(value, dict):
            if set(value) >= {"name", "args"}:
                args = ", ".join(f"{k}={v}" for k, v in value["args"].items() if v is not None)
                rows.append((key, f"{value['name']}({args})"))
                return
            for k, v in value.items():
                add(f"{key} {k}".replace("_", " "), v)
            return
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value) if len(value) <= 20 else \
                ", ".join(str(v) for v in value[:20]) + f", ... ({len(value)} in all)"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            text = str(value)
        else:
            counts = isinstance(value, int) and ("images" in key or "parameters" in key)
            text = f"{value:,}" if counts else f"{value:g}" if isinstance(value, float) else str(value)
        rows.append((key.replace("_", " "), text))
    for key, value in settings.items():
        add(key, value)
    return _table(("setting", "value"), rows).replace("<table>", '<table class="settings">', 1)


def _weights_section(model, image_shape, cap: int = 64) -> str:
    from .weights import conv_filters, dense_weights_as_images
    layers = all_layers(model)
    convs = [l for l in layers if type(l).__name__ in ("Conv2D", "Convolution2D")]
    if convs:
        kernels, fig = conv_filters(convs[0], plot=True, max_images=cap)
        shown = f"showing {min(cap, len(kernels))} of {len(kernels)}" if len(kernels) > cap else \
            f"all {len(kernels)}"
        return _note(f"Filters of the first convolutional layer '{convs[0].name}' ({shown}).") + \
            _img(fig, f"filters of {convs[0].name}", dpi=80)
    dense = [l for l in layers if type(l).__name__ == "Dense"]
    if dense and image_shape is not None and dense[0].kernel.shape[1] == int(np.prod(image_shape)):
        images, fig = dense_weights_as_images(dense[0], image_shape=image_shape, plot=True, max_images=cap)
        shown = f"showing {min(cap, len(images))} of {len(images)}" if len(images) > cap else f"all {len(images)}"
        return _note(f"First Dense layer '{dense[0].name}': each unit's weights as an image ({shown}).") + \
            _img(fig, f"weights of {dense[0].name}", dpi=80)
    raise _LeftOut("the model has no Conv2D layer, and its first Dense layer's inputs are not an image")


class _LeftOut(Exception):
    """A section that does not apply to the model: the message says why (one line in the report)."""


def _features_section(model, images) -> str:
    from .features import feature_maps
    parts = []
    for i, image in enumerate(images):
        maps, fig = feature_maps(model, image, plot=True, max_channels=32)
        parts.append(f"<h3>image {i}</h3>" + _img(fig, f"feature maps of image {i}", dpi=70))
    return "".join(parts)


def _gradcam_section(model, images) -> str:
    from ._common import new_figure
    from .attribution import grad_cam
    n = len(images)
    fig = new_figure(2.0 * n + 0.5, 4.5)
    axes = fig.subplots(2, n, squeeze=False)
    layer_name, notes = None, []
    fmt = input_format(model)
    for i, image in enumerate(images):
        cam = grad_cam(model, image)
        layer_name = layer_name or cam["layer"]
        with torch.no_grad():
            x = prepare_images(model, image, "report", single=True)
            probs = model(x, training=False)
            probs = probs if isinstance(probs, torch.Tensor) else probs[0]
        p = float(probs[0, cam["class_index"]])
        img = to_display(x, fmt)[0]
        axes[0, i].imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray")
        axes[0, i].set_title(f"image {i}", fontsize=8)
        axes[1, i].imshow(cam["overlay"])
        axes[1, i].set_title(f"class {cam['class_index']} ({p:.2f})" + _cam_mark(cam), fontsize=8)
        if cam["note"]:
            notes.append(f"image {i}: {cam['note']}.")
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return _note(f"Grad-CAM of the predicted class at layer '{layer_name}' (red: most evidence).") + \
        _img(fig, "Grad-CAM overlays") + "".join(_note(t) for t in notes)


def _cam_mark(cam) -> str:
    """A short mark on a Grad-CAM panel drawn by a fallback, so no panel is silently blank."""
    return {"probability": "\n(prob. score)", "earlier layer": f"\n(at {cam['layer']})",
            "no positive evidence": "\nno positive evidence"}.get(cam["fallback"], "")


def accuracy_text(correct: int, n: int) -> str:
    """'0.9737 (3895 of 4000 images)': how the report (and ``lamina train``) states an accuracy."""
    return f"{correct / n:.4f} ({correct} of {n} images)"


def _mistakes_with_cam(model, worst, conv: bool):
    """Each mistake (true -> predicted (confidence)) above its Grad-CAM for the predicted class."""
    from ._common import new_figure
    from .attribution import grad_cam
    n = len(worst["index"])
    if n and np.asarray(worst["images"][0]).ndim < 2:
        return None, []       # not pictures (token ids, feature vectors): the caller lists them
    if not n or not conv:
        from .evaluation import plot_mistakes
        return plot_mistakes(worst, ncols=8), []
    ncols = min(8, n)
    nrows = -(-n // ncols)
    fig = new_figure(1.45 * ncols, 3.0 * nrows)
    axes = fig.subplots(2 * nrows, ncols, squeeze=False)
    notes = []
    for k in range(nrows * ncols):
        r, c = divmod(k, ncols)
        top, bottom = axes[2 * r, c], axes[2 * r + 1, c]
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
            if k >= n:
                ax.axis("off")
        if k >= n:
            continue
        img = worst["images"][k]
        top.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray")
        top.set_title(f"{worst['true'][k]} → {worst['predicted'][k]} ({worst['confidence'][k]:.2f})", fontsize=8)
        cam = grad_cam(model, img, class_index=int(worst["predicted"][k]))
        bottom.imshow(cam["overlay"])
        bottom.set_title("Grad-CAM" + _cam_mark(cam).replace("\n", " "), fontsize=7)
        if cam["note"]:
            notes.append(f"mistake {k + 1}: {cam['note']}.")
    fig.tight_layout(pad=0.4)
    return fig, notes


def _preview(values, n: int = 12) -> str:
    """The first values of an input that is not a picture, e.g. token ids '12 5 301 ...'."""
    flat = np.asarray(values).ravel()
    shown = " ".join(f"{v:g}" if isinstance(v, (float, np.floating)) else str(v) for v in flat[:n].tolist())
    return shown + (" ..." if flat.size > n else "")


def _evaluation_section(model, x, y, class_names, k, data_label="test", conv=False) -> str:
    from .evaluation import (confusion_from_probabilities, mistakes_from_probabilities, plot_confusion_matrix,
                             predict_proba)
    probs = predict_proba(model, x, what="confusion_matrix")     # once for both parts
    cm = confusion_from_probabilities(probs, y)
    k_classes = len(cm["matrix"])
    names = [str(n) for n in (class_names or [])][:k_classes]
    names += [str(i) for i in range(len(names), k_classes)]     # outputs without a name
    per_class = [(names[i], int(cm["matrix"][i].sum()), _fmt_num(float(cm["precision"][i])),
                  _fmt_num(float(cm["recall"][i]))) for i in range(k_classes)]
    correct, total = int(np.trace(cm["matrix"])), len(cm["predicted"])
    out = [f'<p id="accuracy">{html.escape(data_label.capitalize())} accuracy: '
           f'<b>{html.escape(accuracy_text(correct, total))}</b></p>',
           '<div class="figs">', _img(plot_confusion_matrix(cm, names), "confusion matrix"),
           _table(("class", "images", "precision", "recall"), per_class), "</div>"]
    worst = mistakes_from_probabilities(model, x, probs, y, k)
    fig, notes = _mistakes_with_cam(model, worst, conv)
    cam = " with the Grad-CAM of the predicted class below each" if conv and len(worst["index"]) else ""
    out.append(f"<h3>The {len(worst['index'])} most confident mistakes (true → predicted (confidence)){cam}</h3>")
    if fig is None:
        out.append(_table(("test index", "true", "predicted", "confidence", "input (start)"),
                          [(int(i), t, p, f"{c:.2f}", _preview(im)) for i, t, p, c, im in
                           zip(worst["index"], worst["true"], worst["predicted"], worst["confidence"],
                               worst["images"])]))
    else:
        out.append(_img(fig, "most confident mistakes", dpi=80))
    out.extend(_note(t) for t in notes)
    return "".join(out)


def _recurrent_section(model, inputs, cap: int = 2) -> str:
    from .sequences import plot_recurrent_states, recurrent_layers
    layer = recurrent_layers(model)[0]
    parts = [_note(f"What the recurrent layer '{layer.name}' ({type(layer).__name__}) computes at each step of "
                   f"one input: each unit's output (red positive, blue negative) and the mean gate activations. "
                   f"Python: lamina.inspect.recurrent_states(model, x) returns the numbers.")]
    for i, x in enumerate(inputs[:cap]):
        parts.append(f"<h3>input {i}</h3>" + _img(plot_recurrent_states(model, x, layer), f"recurrent states of "
                                                                                          f"input {i}", dpi=70))
    return "".join(parts)


def _receptive_section(model, image) -> str:
    from .receptive import plot_receptive_fields, receptive_fields
    rows = receptive_fields(model)

    def show(t):
        return " x ".join(str(v) for v in t) if len(set(t)) > 1 else str(t[0])

    table = _table(("layer", "type", "output size", "jump", "receptive field", "start"),
                   [(r["name"], r["type"], show(r["output_size"]), show(r["jump"]), show(r["size"]),
                     show(r["start"])) for r in rows])
    if len(rows[0]["output_size"]) != 2:
        return table
    fig = plot_receptive_fields(rows, image=image)
    return '<div class="figs">' + table + _img(fig, "receptive fields") + "</div>"


def _has_conv(model) -> bool:
    return any(hasattr(l, "kernel_size") and hasattr(l, "filters") and getattr(l, "rank", 2) == 2
               or type(l).__name__ in ("Conv2D", "Convolution2D", "SeparableConv2D", "DepthwiseConv2D")
               for l in all_layers(model))


def html_report(model, x=None, y=None, images=None, history=None, title: str | None = None,
                class_names=None, max_images: int = 4, mistakes_k: int = 16, settings: dict | None = None,
                best_epoch: int | None = None, data_label: str = "test") -> str:
    """The HTML text of a report on a model (see :func:`write_report`)."""
    check_model(model, "html_report")
    started = time.perf_counter()
    if isinstance(history, dict) and isinstance(history.get("history"), dict):   # a lamina train record
        settings = settings if settings is not None else history.get("settings")
        best_epoch = best_epoch if best_epoch is not None else history.get("best_epoch")
    if images is None and x is not None:
        images = np.asarray(x)[:3]
    images = list(images)[:max_images] if images is not None else []
    prepared = [prepare_images(model, im, "html_report", single=True) for im in images]
    sample = prepared[0] if prepared else None
    fmt = input_format(model)
    disp = [to_display(p, fmt)[0] for p in prepared]
    image_shape = disp[0].shape[:2] if disp and disp[0].ndim == 3 else None
    if history is None and getattr(getattr(model, "history", None), "history", None):
        history = model.history
    sections, left_out = [], []

    def add(key, heading, build):
        try:
            body = build()
        except (_LeftOut, ValueError) as err:  # a part that does not apply to this model: one line why
            left_out.append(f"{heading}: {err}")
            return
        sections.append((key, heading, body))

    add("summary", "Summary", lambda: _summary(model, sample))
    if settings:
        add("settings", "Run settings", lambda: _settings_section(settings))
    add("architecture", "Architecture", lambda: architecture_html(model))
    if history is not None:
        add("history", "Training curves", lambda: _history_section(history, best_epoch))
    conv = sample is not None and sample.dim() == 4 and _has_conv(model)
    add("filters", "First-layer weights", lambda: _weights_section(model, image_shape))
    if conv:
        add("features", "Feature maps", lambda: _features_section(model, prepared))
        add("gradcam", "Grad-CAM", lambda: _gradcam_section(model, prepared))
    elif sample is not None:
        left_out.append("Feature maps, Grad-CAM and receptive fields: the model has no convolutional layer, "
                        "so there are no spatial maps to show.")
    from .sequences import recurrent_layers
    if images and recurrent_layers(model):
        add("recurrent", "Recurrent layer over time", lambda: _recurrent_section(model, images))
    if x is not None and y is not None:
        add("evaluation", f"{data_label.capitalize()} data: confusion matrix and mistakes",
            lambda: _evaluation_section(model, x, y, class_names, mistakes_k, data_label, conv))
    if conv:
        add("receptive", "Receptive fields", lambda: _receptive_section(model, disp[0]))
    if left_out:
        sections.append(("left-out", "Not shown", "".join(_note(t) for t in left_out)))
    from .. import __version__
    title = title or f"lamina report: {model.name}"
    nav = "".join(f'<a href="#{key}">{html.escape(h)}</a>' for key, h, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{html.escape(h)}</h2>{b}</section>' for key, h, b in sections)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    n_params = sum(int(t.numel()) for t in model.weights)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,"><title>{html.escape(title)}</title><style>{_CSS}</style></head>'
            f'<body><header><h1>{html.escape(title)}</h1><p>{n_params:,} parameters · '
            f'{time.perf_counter() - started:.1f}s to build · lamina {__version__} · {stamp}</p>'
            f'<nav>{nav}</nav></header><main>{body}</main></body></html>')


def write_report(path, model, x=None, y=None, images=None, history=None, title: str | None = None,
                 class_names=None, max_images: int = 4, mistakes_k: int = 16, settings: dict | None = None,
                 best_epoch: int | None = None, data_label: str = "test") -> Path:
    """Write one self-contained HTML file about a model.

    Sections: the layer summary; the run's settings; training curves (``history`` or the model's
    own) with the restored best epoch marked; first-layer filters (or Dense weights as images, at
    most 64 drawn); feature maps and Grad-CAM overlays for ``images``; the confusion matrix with
    per-class precision and recall and the most confident mistakes on ``(x, y)``, each with its
    Grad-CAM; for a model with a recurrent layer, its outputs and gates over the steps of the
    first ``images``; receptive fields. Sections that do not apply to the model are left out, with one line
    each under "Not shown" saying why.

    Args:
        path: the .html file to write (folders are created).
        model: a built lamina model.
        x, y: labelled test data (optional).
        images: images to look at (default: the first 3 of ``x``); at most ``max_images`` are used.
        history: a History, dict or fitted model (default: ``model.history``).
        title: page title.
        class_names: names of the classes, in order.
        mistakes_k: how many mistakes to show (default 16).
        settings: the run's settings (optimizer, learning rate, batch size, seed, data, versions,
            ...), a dict shown as a table; default: ``history["settings"]`` when ``history`` is the
            record ``lamina train`` writes to history.json.
        best_epoch: the epoch (1-based) whose weights the model has, marked on the curves (default:
            ``history["best_epoch"]`` of such a record).
        data_label: what ``(x, y)`` is: 'test' (default) or 'validation'.

    Returns:
        The path written.

    Example:
        >>> write_report("report.html", model, x_test, y_test)
    """
    text = html_report(model, x=x, y=y, images=images, history=history, title=title,
                       class_names=class_names, max_images=max_images, mistakes_k=mistakes_k, settings=settings,
                       best_epoch=best_epoch, data_label=data_label)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
