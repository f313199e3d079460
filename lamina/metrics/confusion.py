"""Metrics from thresholded confusion counts: Precision, Recall, AUC."""
from __future__ import annotations

import torch

from .._errors import check_choice, positive_int
from .._registry import register
from .base import Metric
from ._common import _NEG_INF, _as_tensor, _floats, _sample_weights


# --------------------------------------------------------- confusion metrics



def _filter_top_k(y_pred, k):
    """Keep the k largest predictions per row; the others become -1e10 (Keras)."""
    idx = y_pred.topk(min(k, y_pred.shape[-1]), dim=-1).indices
    mask = torch.zeros_like(y_pred, dtype=torch.bool).scatter_(-1, idx, True)
    return torch.where(mask, y_pred, torch.full_like(y_pred, _NEG_INF))


def _divide_no_nan(a, b):
    return torch.where(b != 0, a / torch.where(b != 0, b, torch.ones_like(b)), torch.zeros_like(a))


class _ConfusionMetric(Metric):
    """True positives, false positives and false negatives at fixed thresholds
    (``y_pred > threshold`` is a positive prediction)."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        self.init_thresholds = thresholds
        self.top_k = None if top_k is None else positive_int(owner, "top_k", top_k)
        self.class_id = class_id
        default = 0.5 if top_k is None else _NEG_INF
        values = [default] if thresholds is None else (
            list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds])
        for v in values:
            if v != _NEG_INF and not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"{owner} expects thresholds in [0, 1]. Received: thresholds={thresholds!r}.")
        self.thresholds = [float(v) for v in values]
        self._single = not isinstance(thresholds, (list, tuple))
        self._thr = None

    def _state_shapes(self):
        n = len(self.thresholds)
        return {"true_positives": (n,), "false_positives": (n,), "false_negatives": (n,)}

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _floats(y_true, y_pred)
        self._prepare(y_pred.device)
        if self._thr is None or self._thr.device != y_pred.device:
            self._thr = torch.tensor(self.thresholds, dtype=y_pred.dtype, device=y_pred.device)
        if self.top_k is not None:
            y_pred = _filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        w = _sample_weights(sample_weight, y_true).reshape(-1)
        pos = (y_true.reshape(-1) != 0).to(w.dtype) * w
        neg = w - pos
        predicted = (y_pred.reshape(-1, 1) > self._thr).to(w.dtype)
        tp = pos @ predicted
        self.true_positives.add_(tp.to(self._state_dtype))
        self.false_positives.add_((neg @ predicted).to(self._state_dtype))
        self.false_negatives.add_((pos.sum() - tp).to(self._state_dtype))

    def _out(self, value):
        return value[0] if self._single else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


@register("metric")
class Precision(_ConfusionMetric):
    """``tp / (tp + fp)`` at each threshold (0.5 by default; a scalar for one threshold).

    Args:
        thresholds: A float or list of floats in [0, 1].
        top_k: Count only the k highest predictions of each sample as positive.
        class_id: Compute the metric for this class (last axis) only.

    Example:
        >>> Precision()([0, 1, 1, 1], [1, 0, 1, 1])
        tensor(0.6667)
    """

    def result(self):
        self._built()
        return self._out(_divide_no_nan(self.true_positives, self.true_positives + self.false_positives))


@register("metric")
class Recall(_ConfusionMetric):
    """``tp / (tp + fn)`` at each threshold; arguments as :class:`Precision`."""

    def result(self):
        self._built()
        return self._out(_divide_no_nan(self.true_positives, self.true_positives + self.false_negatives))


@register("metric")
class AUC(Metric):
    """Area under the ROC or precision-recall curve, approximated on thresholds as
    Keras does: predictions are counted in ``num_thresholds`` buckets
    ``[-eps, 1/(n-1), ..., (n-2)/(n-1), 1+eps]`` and the curve is integrated
    with a Riemann sum ('interpolation' uses trapezoids for ROC and Davis &
    Goadrich's interpolation for PR; 'minoring'/'majoring' the lower/upper bound).

    Args:
        num_thresholds: > 1. Defaults to 200.
        curve: 'ROC' (default) or 'PR'.
        summation_method: 'interpolation' (default), 'minoring' or 'majoring'.
        thresholds: Explicit thresholds in [0, 1] instead of evenly spaced ones.
        multi_label: Compute one AUC per label (last axis) and average them.
        num_labels: Labels count for ``multi_label`` (else taken from the first batch).
        label_weights: Weights of the labels in the average (or of the flattened
            entries when ``multi_label`` is False).
        from_logits: Apply a sigmoid to the predictions first.

    Example:
        >>> AUC(num_thresholds=3)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        tensor(0.7500)
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        from ..config import epsilon
        if thresholds is not None:
            inner = sorted(float(v) for v in thresholds)
            self.num_thresholds = len(inner) + 2
        else:
            if not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(f"AUC expects num_thresholds to be an int > 1. "
                                 f"Received: num_thresholds={num_thresholds!r}.")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._even = thresholds is None
        self._init_thresholds = thresholds
        self.thresholds = [-epsilon()] + inner + [1.0 + epsilon()]
        self.curve = check_choice("AUC", "curve", str(curve).lower(), ("roc", "pr")).upper()
        self.summation_method = check_choice("AUC", "summation_method", summation_method,
                                             ("interpolation", "minoring", "majoring"))
        self.multi_label = bool(multi_label)
        if num_labels is not None and not self.multi_label:
            raise ValueError("AUC uses num_labels only with multi_label=True. "
                             f"Received: num_labels={num_labels!r}, multi_label=False.")
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(v) for v in label_weights]
        self.from_logits = bool(from_logits)
        self._thr = None

    def _state_shapes(self):
        shape = (self.num_thresholds,)
        if self.multi_label:
            shape = (self.num_thresholds, self.num_labels or 1)
        return {k: shape for k in ("true_positives", "false_positives", "true_negatives", "false_negatives")}

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _floats(y_true, y_pred)
        if self.multi_label and self.num_labels is None:
            if y_pred.ndim != 2:
                raise ValueError(f"AUC(multi_label=True) expects predictions of shape (batch, labels). "
                                 f"Received shape {tuple(y_pred.shape)}.")
            self.num_labels = y_pred.shape[-1]
            self._device = None  # the states take their (thresholds, labels) shape now
        self._prepare(y_pred.device)
        if self.from_logits:
            y_pred = torch.sigmoid(y_pred)
        w = _sample_weights(sample_weight, y_true)
        if self.label_weights is not None and not self.multi_label:
            w = w * torch.tensor(self.label_weights, dtype=w.dtype, device=w.device)
        labels = self.num_labels if self.multi_label else 1
        y_true = (y_true != 0).to(w.dtype)  # Keras casts labels to bool
        pos = (y_true * w).reshape(-1, labels)
        neg = ((1.0 - y_true) * w).reshape(-1, labels)
        p = y_pred.reshape(-1, labels)
        n = self.num_thresholds
        if self._even:  # bucket each prediction, then count from the top down (Keras's fast path)
            bucket = (torch.ceil(p.clamp(0.0, 1.0) * (n - 1)) - 1).clamp_min(0).long()
            index = (bucket * labels + torch.arange(labels, device=p.device)).reshape(-1)
            hist = torch.zeros(2, n * labels, dtype=p.dtype, device=p.device)
            hist[0].index_add_(0, index, pos.reshape(-1))
            hist[1].index_add_(0, index, neg.reshape(-1))
            tp, fp = hist.reshape(2, n, labels).flip(1).cumsum(1).flip(1).unbind(0)
        else:
            if self._thr is None or self._thr.device != p.device:
                self._thr = torch.tensor(self.thresholds, dtype=p.dtype, device=p.device)
            above = (p.unsqueeze(-1) > self._thr).to(p.dtype)  # (samples, labels, thresholds)
            tp = torch.einsum("sl,slt->tl", pos, above)
            fp = torch.einsum("sl,slt->tl", neg, above)
        fn = pos.sum(0) - tp
        tn = neg.sum(0) - fp
        if not self.multi_label:
            tp, fp, fn, tn = (x.squeeze(-1) for x in (tp, fp, fn, tn))
        dt = self._state_dtype
        self.true_positives.add_(tp.to(dt))
        self.false_positives.add_(fp.to(dt))
        self.false_negatives.add_(fn.to(dt))
        self.true_negatives.add_(tn.to(dt))

    def _average(self, by_label):
        if not self.multi_label:
            return by_label.sum()
        per_label = by_label.sum(0)
        if self.label_weights is None:
            return per_label.mean()
        lw = torch.tensor(self.label_weights, dtype=per_label.dtype, device=per_label.device)
        return _divide_no_nan((per_label * lw).sum(), lw.sum())

    def _interpolate_pr(self):
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, dp.clamp_min(0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = torch.where(both, _divide_no_nan(p[:-1], p[1:].clamp_min(0)), torch.ones_like(p[1:]))
        area = _divide_no_nan(slope * (dtp + intercept * torch.log(ratio)), (tp[1:] + fn[1:]).clamp_min(0))
        return self._average(area)

    def result(self):
        self._built()
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr()
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": self.label_weights,
                  "from_logits": self.from_logits}
        if self._init_thresholds is not None:
            config["thresholds"] = self.thresholds[1:-1]
        return config
