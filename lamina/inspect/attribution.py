"""Which pixels made the prediction: Grad-CAM class activation maps, gradient saliency
(vanilla and SmoothGrad) and occlusion sensitivity."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ._common import (as_rgb, check_model, first_output, input_format, jet, layer_formats, logits_of,
                      new_figure, one_thread, prepare_images, resolve_layer, to_display, trace)

__all__ = ["grad_cam", "saliency", "occlusion", "overlay_heatmap"]


def overlay_heatmap(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> np.ndarray:
    """Blend a [0, 1] heatmap (same rows x cols as the image) in the 'jet' colours over the image.

    Returns (rows, cols, 3) floats in [0, 1]: ``(1 - alpha) * image + alpha * jet(heatmap)``.
    """
    rgb = as_rgb(image)
    if heatmap.shape != rgb.shape[:2]:
        raise ValueError(f"overlay_heatmap needs a heatmap of the image's size {rgb.shape[:2]}; received "
                         f"{heatmap.shape}.")
    return np.clip((1.0 - alpha) * rgb + alpha * jet(heatmap), 0.0, 1.0).astype(np.float32)


def _class_index(scores: torch.Tensor, class_index, what):
    n = scores.shape[-1]
    if class_index is None:
        return int(scores[0].argmax()) if n > 1 else 0
    if isinstance(class_index, bool) or not isinstance(class_index, (int, np.integer)) \
            or not 0 <= int(class_index) < n:
        raise ValueError(f"{what}: the model has {n} outputs (classes 0..{n - 1}); received "
                         f"class_index={class_index!r}.")
    return int(class_index)


def _spatial_size(x, fmt):
    return tuple(x.shape[1:3]) if fmt == "channels_last" else tuple(x.shape[2:4])


def _is_conv(layer) -> bool:
    return hasattr(layer, "kernel_size") and hasattr(layer, "filters")


def grad_cam(model, image, class_index=None, layer=None, use_logits: bool = True, alpha: float = 0.4,
             plot: bool = False, fallback: bool = True):
    """Grad-CAM: where in the image the evidence for a class lies, seen by a convolutional layer.

    The gradient of the class score with respect to the layer's feature maps, averaged over rows
    and columns, weighs each channel; the ReLU of the weighted sum of channels is the heatmap
    (Selvaraju et al. 2017; the "class activation map" of the CS4487 lecture code).

    A map can be all zero: when every channel's weight times its activation sums to a negative
    value, no pixel is positive evidence for the class at that layer (it happens for a confident
    class whose logit gains most by suppressing other features). With ``fallback=True`` Grad-CAM
    then does what the literature does instead of drawing a blank: it differentiates the
    probability score (the softmax couples the classes, so evidence against the others counts;
    as in the original Grad-CAM code and the course's), then tries the convolutional layers before
    ``layer``; ``result["note"]`` says which was used, or that no positive evidence was found.

    Args:
        model: a built lamina model on images.
        image: one image (see :func:`feature_maps` for accepted shapes).
        class_index: the class to explain (default: the predicted class).
        layer: layer, name or index with a spatial (4-D) output (default: the last convolutional
            layer).
        use_logits: differentiate the score before the output's softmax/sigmoid (Grad-CAM paper and
            today's Keras example); False uses the output probabilities, as the CS4487 lecture code (2017).
        alpha: heatmap weight in the overlay (default 0.4).
        plot: also return a Figure (image, heatmap, overlay).
        fallback: when the map is all zero, try the probability score, then earlier convolutional
            layers (default True); False returns the zero map.

    Returns:
        A dict: ``heatmap`` (layer rows, layer cols) in [0, 1]; ``heatmap_resized`` (image rows, image
        cols), bilinear; ``overlay`` (rows, cols, 3) RGB in [0, 1]; ``class_index``; ``score`` (the
        differentiated value); ``layer`` (its name); ``fallback`` (None, ``'probability'``,
        ``'earlier layer'`` or ``'no positive evidence'``) and ``note`` (a sentence saying what was
        drawn, or None). With ``plot=True``, (dict, Figure).

    Example:
        >>> cam = grad_cam(model, x_test[0])
        >>> cam["class_index"], cam["heatmap"].shape, cam["note"]
    """
    what = "grad_cam"
    check_model(model, what)
    x = prepare_images(model, image, what, single=True)
    fmt_in = input_format(model)
    cam, c, score, target, convs = _cam(model, x, class_index, layer, use_logits, what)
    kind = note = None
    if fallback and not cam.max() > 0:
        first = target.name
        if use_logits:
            prob = _cam(model, x, c, target, False, what)
            if prob[0].max() > 0:
                cam, score = prob[0], prob[2]
                kind, note = "probability", (f"no positive evidence in the logit's gradient at '{first}'; drawn "
                                             f"from the probability score's gradient")
        earlier = [l for l in convs if l is not target][::-1] if layer is None else []
        for candidate in earlier:
            if cam.max() > 0:
                break
            cam, _, score, target, _ = _cam(model, x, c, candidate, use_logits, what)
            kind, note = "earlier layer", (f"no positive evidence at '{first}'; drawn at the earlier "
                                           f"convolutional layer '{candidate.name}'")
        if not cam.max() > 0:
            kind, note = "no positive evidence", (f"no positive evidence for class {c} at '{first}' (all "
                                                  f"channel evidence is negative): the map is empty")
    peak = cam.max()
    cam = cam / peak if peak > 0 else cam
    size = _spatial_size(x, fmt_in)
    resized = F.interpolate(cam[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
    resized = resized.clamp(0, 1).cpu().numpy()
    img = to_display(x, fmt_in)[0]
    result = {"heatmap": cam.cpu().numpy(), "heatmap_resized": resized,
              "overlay": overlay_heatmap(img, resized, alpha), "class_index": c, "score": float(score),
              "layer": target.name, "fallback": kind, "note": note}
    if not plot:
        return result
    return result, _three_panel(img, resized, result["overlay"],
                                f"Grad-CAM class {c} at '{target.name}'" + (f"\n{note}" if note else ""))


def _cam(model, x, class_index, layer, use_logits, what):
    """(unnormalised map, class, score, layer, convolutional layers in call order) of one Grad-CAM pass."""
    with torch.enable_grad(), one_thread():
        records, out = trace(model, x, None)
        formats = layer_formats(model, records)
        spatial = [(l, o) for l, o in records if isinstance(o, torch.Tensor) and o.dim() == 4
                   and not hasattr(l, "layers")]
        convs = [(l, o) for l, o in spatial if _is_conv(l)]
        if layer is None:
            if not convs:
                raise ValueError(_no_spatial_message(model, spatial, None))
            target, act = convs[-1]
        else:
            target = resolve_layer(model, layer)
            act = next((o for l, o in spatial if l is target), None)
            if act is None:
                raise ValueError(_no_spatial_message(model, spatial, target, records))
        scores = logits_of(first_output(out)) if use_logits else first_output(out)
        if scores.dim() != 2:
            raise ValueError(f"{what}: model '{model.name}' outputs shape {tuple(scores.shape)}; Grad-CAM "
                             f"needs class scores (batch, classes).")
        c = _class_index(scores, class_index, what)
        score = scores[0, c]
        (grads,) = torch.autograd.grad(score, act)
    fmt = formats.get(id(target), "channels_last")
    a, g = act.detach()[0], grads[0]
    if fmt == "channels_last":
        a, g = a.permute(2, 0, 1), g.permute(2, 0, 1)       # (channels, rows, cols)
    weights = g.mean(dim=(1, 2))
    cam = torch.relu((weights[:, None, None] * a).sum(0))
    return cam, c, float(score.detach()), target, [l for l, _ in convs]


def _no_spatial_message(model, spatial, target, records=None):
    names = ", ".join(f"'{l.name}'" for l, _ in spatial)
    qualify = (f" Layers that qualify: {names}." if names else
               f" No layer of model '{model.name}' has a spatial output: Grad-CAM needs a convolutional "
               f"network.")
    if target is None:
        return f"grad_cam: model '{model.name}' has no convolutional layer with a spatial output.{qualify}"
    shape = next((tuple(o.shape) for l, o in records or [] if l is target and hasattr(o, "shape")), None)
    got = f" outputs shape {(None,) + shape[1:]}" if shape is not None else " did not run"
    return (f"grad_cam needs a layer with a spatial output (batch, rows, cols, channels); layer "
            f"'{target.name}' ({type(target).__name__}){got}.{qualify}")


def _three_panel(image, heat, overlay, title):
    fig = new_figure(7.5, 2.8)
    axes = fig.subplots(1, 3)
    shown = image[..., 0] if image.shape[-1] == 1 else image
    axes[0].imshow(shown, cmap="gray" if shown.ndim == 2 else None)
    axes[0].set_title("image", fontsize=9)
    im = axes[1].imshow(heat, cmap="jet", vmin=0, vmax=1)
    axes[1].set_title("heatmap", fontsize=9)
    fig.colorbar(im, ax=axes[1], fraction=0.046, pad=0.04)
    axes[2].imshow(overlay)
    axes[2].set_title("overlay", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _scores(model, x, use_logits):
    _, out = trace(model, x, [])
    scores = logits_of(first_output(out)) if use_logits else first_output(out)
    if scores.dim() != 2:
        raise ValueError(f"model '{model.name}' outputs shape {tuple(scores.shape)}; expected class scores "
                         f"(batch, classes).")
    return scores


def saliency(model, image, class_index=None, method: str = "vanilla", samples: int = 50,
             noise_level: float = 0.15, seed=None, use_logits: bool = True, plot: bool = False):
    """Gradient saliency: how much each pixel changes the class score.

    Args:
        model: a built lamina model.
        image: one image.
        class_index: the class (default: the predicted class of the clean image).
        method: 'vanilla' (Simonyan et al. 2014: the gradient) or 'smoothgrad' (Smilkov et al. 2017:
            the gradient averaged over ``samples`` copies with Gaussian noise of standard deviation
            ``noise_level * (max - min)`` of the image).
        samples: SmoothGrad copies (default 50), run as one batch.
        noise_level: SmoothGrad noise relative to the image's value range (default 0.15).
        seed: SmoothGrad noise seed.
        use_logits: differentiate the score before the output softmax/sigmoid (default True).
        plot: also return a Figure.

    Returns:
        A dict: ``gradient`` (rows, cols, channels), the (mean) gradient of the score; ``saliency``
        (rows, cols), the largest absolute gradient over channels; ``class_index``. With
        ``plot=True``, (dict, Figure).
    """
    what = "saliency"
    check_model(model, what)
    method = str(method).lower()
    if method not in ("vanilla", "smoothgrad"):
        from .._errors import did_you_mean
        raise ValueError(f"saliency expects method 'vanilla' or 'smoothgrad'. Received: method={method!r}"
                         f"{did_you_mean(method, ['vanilla', 'smoothgrad']) or '.'}")
    x = prepare_images(model, image, what, single=True)
    fmt = input_format(model) if x.dim() == 4 else None
    with torch.enable_grad(), one_thread():
        if method == "vanilla":
            xs = x.clone().requires_grad_(True)
            scores = _scores(model, xs, use_logits)
            c = _class_index(scores, class_index, what)
            (grad,) = torch.autograd.grad(scores[0, c], xs)
            grad = grad[0]
        else:
            if int(samples) < 1:
                raise ValueError(f"saliency expects samples >= 1. Received: samples={samples!r}.")
            with torch.no_grad():
                c = _class_index(_scores(model, x, use_logits), class_index, what)
            gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
            sigma = float(noise_level) * float(x.max() - x.min())
            noise = torch.randn((int(samples),) + tuple(x.shape[1:]), generator=gen, dtype=x.dtype)
            xs = (x + sigma * noise.to(x.device)).requires_grad_(True)
            scores = _scores(model, xs, use_logits)
            (grad,) = torch.autograd.grad(scores[:, c].sum(), xs)
            grad = grad.mean(0)
    g = grad.detach().cpu().numpy()
    if g.ndim == 3 and fmt == "channels_first":
        g = g.transpose(1, 2, 0)
    sal = np.abs(g).max(axis=-1) if g.ndim == 3 else np.abs(g)
    result = {"gradient": g, "saliency": sal, "class_index": c, "method": method}
    if not plot:
        return result
    img = to_display(x, fmt)[0] if fmt else None
    fig = new_figure(5.2, 2.8)
    axes = fig.subplots(1, 2)
    if img is not None:
        axes[0].imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray")
    axes[0].set_title("image", fontsize=9)
    axes[1].imshow(sal if sal.ndim == 2 else sal.reshape(1, -1), cmap="hot")
    axes[1].set_title(f"{method} saliency, class {c}", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return result, fig


def occlusion(model, image, class_index=None, window: int | None = None, stride: int | None = None,
              baseline: float = 0.0, batch_size: int = 256, plot: bool = False):
    """Occlusion sensitivity (Zeiler & Fergus 2014): the drop in the class probability when a square
    of the image is replaced by ``baseline``, for every position of the square.

    Args:
        model: a built lamina model on images.
        image: one image.
        class_index: the class (default: the predicted class).
        window: side of the occluding square in pixels (default: a seventh of the smaller side, at
            least 2).
        stride: step between positions (default: half the window); the last position always reaches
            the bottom/right border.
        baseline: value painted into the square (default 0.0, the background of MNIST digits).
        batch_size: occluded copies per forward pass (default 256).
        plot: also return a Figure.

    Returns:
        A dict: ``grid`` (positions down, positions across), the probability drop for each position
        of the square; ``rows`` and ``cols``, the top-left corner of each position; ``sensitivity``
        (rows, cols), per pixel the mean drop over the positions covering it; ``probability``, the
        class probability of the intact image; ``class_index``. With ``plot=True``, (dict, Figure).
    """
    what = "occlusion"
    check_model(model, what)
    x = prepare_images(model, image, what, single=True)
    if x.dim() != 4:
        raise ValueError(f"{what} needs a model on images; model '{model.name}' takes {tuple(x.shape[1:])}.")
    fmt = input_format(model)
    h, w = _spatial_size(x, fmt)
    window = int(window) if window is not None else max(2, min(h, w) // 7)
    stride = int(stride) if stride is not None else max(1, window // 2)
    if not 1 <= window <= min(h, w) or stride < 1:
        raise ValueError(f"{what} expects 1 <= window <= {min(h, w)} and stride >= 1 for a {h}x{w} image. "
                         f"Received: window={window}, stride={stride}.")
    rows = _positions(h, window, stride)
    cols = _positions(w, window, stride)
    copies = x.repeat(len(rows) * len(cols), 1, 1, 1)
    for i, r in enumerate(rows):
        for j, cc in enumerate(cols):
            k = i * len(cols) + j
            if fmt == "channels_last":
                copies[k, r:r + window, cc:cc + window, :] = baseline
            else:
                copies[k, :, r:r + window, cc:cc + window] = baseline
    with torch.no_grad():
        base = first_output(model(x, training=False))
        c = _class_index(base, class_index, what)
        p0 = float(base[0, c])
        probs = [first_output(model(copies[s:s + batch_size], training=False))[:, c]
                 for s in range(0, len(copies), batch_size)]
    drops = (p0 - torch.cat(probs)).cpu().numpy().reshape(len(rows), len(cols))
    total = np.zeros((h, w), np.float64)
    count = np.zeros((h, w), np.float64)
    for i, r in enumerate(rows):
        for j, cc in enumerate(cols):
            total[r:r + window, cc:cc + window] += drops[i, j]
            count[r:r + window, cc:cc + window] += 1
    sens = (total / np.maximum(count, 1)).astype(np.float32)
    result = {"grid": drops.astype(np.float32), "rows": np.array(rows), "cols": np.array(cols),
              "sensitivity": sens, "probability": p0, "class_index": c, "window": window, "stride": stride}
    if not plot:
        return result
    img = to_display(x, fmt)[0]
    peak = max(float(np.abs(sens).max()), 1e-12)
    return result, _three_panel(img, np.clip(sens / peak, 0, 1), overlay_heatmap(img, np.clip(sens / peak, 0, 1)),
                                f"occlusion {window}x{window}, class {c} (p={p0:.3f})")


def _positions(n: int, window: int, stride: int) -> list[int]:
    pos = list(range(0, n - window + 1, stride))
    if pos[-1] != n - window:
        pos.append(n - window)
    return pos
