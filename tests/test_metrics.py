"""Metrics against NumPy computations and Keras's documented values; the
accuracy resolution rules; device-side accumulation; get() and configs."""
import numpy as np
import pytest
import torch

from lamina import losses, metrics

RNG = np.random.default_rng(0)


def t(x, dtype=torch.float32):
    return torch.tensor(np.asarray(x), dtype=dtype)


def val(x):
    return np.asarray(x.detach().cpu().numpy())


# ------------------------------------------------------------ function forms

def test_accuracy_functions_per_sample():
    y_pred = t([[0.1, 0.6, 0.3], [0.05, 0.95, 0.0], [0.5, 0.2, 0.3]])
    np.testing.assert_array_equal(val(metrics.sparse_categorical_accuracy(t([2, 1, 0]), y_pred)), [0, 1, 1])
    np.testing.assert_array_equal(val(metrics.sparse_categorical_accuracy(t([[2], [1], [0]]), y_pred)), [0, 1, 1])
    np.testing.assert_array_equal(val(metrics.categorical_accuracy(t(np.eye(3)[[1, 1, 2]]), y_pred)), [1, 1, 0])
    np.testing.assert_array_equal(val(metrics.binary_accuracy(t([[1], [1], [0], [0]]), t([[0.98], [0.4], [0], [0.6]]))),
                                  [1, 0, 1, 0])
    np.testing.assert_array_equal(val(metrics.binary_accuracy(t([1, 0]), t([[0.7], [0.6]]), threshold=0.65)), [1, 1])
    multi = metrics.binary_accuracy(t([[1, 0, 1], [0, 0, 0]]), t([[0.9, 0.2, 0.4], [0.1, 0.7, 0.2]]))
    np.testing.assert_allclose(val(multi), [2 / 3, 2 / 3])


def test_top_k_counts_ties_like_keras_in_top_k():
    y_pred = t([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.6, 0.3, 0.1]])
    np.testing.assert_array_equal(val(metrics.sparse_top_k_categorical_accuracy(t([2, 0, 2]), y_pred, k=2)),
                                  [1, 1, 0])  # row 2: 0.3 ties with the 2nd largest
    np.testing.assert_array_equal(val(metrics.top_k_categorical_accuracy(t(np.eye(3)[[2, 0, 2]]), y_pred, k=1)),
                                  [0, 0, 0])
    assert val(metrics.sparse_top_k_categorical_accuracy(t([2]), t([[0.1, 0.2, 0.3]]), k=10)) == [1]


# ------------------------------------------------------------- stateful means

def test_mean_with_and_without_weights():
    m = metrics.Mean()
    m.update_state(t([1.0, 3.0, 5.0, 7.0]))
    assert float(m.result()) == 4.0
    m.update_state(t([2.0]), sample_weight=t([3.0]))
    assert float(m.result()) == pytest.approx((16 + 6) / 7)
    m.reset_state()
    assert float(m.result()) == 0.0
    m.update_state(t([[1.0, 3.0], [5.0, 7.0]]), sample_weight=t([1.0, 0.0]))
    assert float(m.result()) == 2.0
    m.reset_states()
    m.update_state(t(2.5))
    assert float(m.result()) == 2.5


def test_sum_metric():
    s = metrics.Sum()
    s.update_state(t([1.0, 2.0]), sample_weight=t([2.0, 0.5]))
    s.update_state(t([[1.0, 1.0]]))
    assert float(s.result()) == 5.0


def test_accuracy_metrics_accumulate_over_batches_with_weights():
    y_true = RNG.integers(0, 4, 50)
    y_pred = RNG.random((50, 4))
    w = RNG.random(50)
    m = metrics.SparseCategoricalAccuracy()
    for i in range(0, 50, 16):
        m.update_state(t(y_true[i:i + 16]), t(y_pred[i:i + 16]), sample_weight=t(w[i:i + 16]))
    hit = (y_pred.argmax(-1) == y_true)
    assert float(m.result()) == pytest.approx((hit * w).sum() / w.sum(), rel=1e-6)
    c = metrics.CategoricalAccuracy()
    c.update_state(t(np.eye(4)[y_true]), t(y_pred))
    assert float(c.result()) == pytest.approx(hit.mean())


def test_result_is_a_zero_dim_tensor_on_the_data_device_and_updates_do_not_sync():
    m = metrics.SparseCategoricalAccuracy()
    y_pred = torch.randn(8, 3, requires_grad=True)
    m.update_state(torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]), y_pred)
    r = m.result()
    assert r.ndim == 0 and r.device == y_pred.device and not r.requires_grad
    assert m.total.device == y_pred.device


def test_meta_device_inputs_prove_updates_never_read_values():
    """Tensors on the 'meta' device have no data: any host read would fail."""
    for metric, y_true, y_pred in [
        (metrics.SparseCategoricalAccuracy(), torch.empty(8, dtype=torch.long, device="meta"),
         torch.empty(8, 10, device="meta")),
        (metrics.CategoricalAccuracy(), torch.empty(8, 10, device="meta"), torch.empty(8, 10, device="meta")),
        (metrics.BinaryAccuracy(), torch.empty(8, 1, device="meta"), torch.empty(8, 1, device="meta")),
        (metrics.Mean(), None, torch.empty(8, device="meta")),
        (metrics.MeanSquaredError(), torch.empty(8, 2, device="meta"), torch.empty(8, 2, device="meta")),
        (metrics.Precision(), torch.empty(8, device="meta"), torch.empty(8, device="meta")),
    ]:
        if y_true is None:
            metric.update_state(y_pred)
        else:
            metric.update_state(y_true, y_pred)
        assert metric.result().device.type == "meta"


def test_regression_metrics():
    y, p = RNG.random((6, 3)), RNG.random((6, 3))
    for cls, want in [(metrics.MeanSquaredError, ((y - p) ** 2).mean()),
                      (metrics.MeanAbsoluteError, np.abs(y - p).mean()),
                      (metrics.RootMeanSquaredError, np.sqrt(((y - p) ** 2).mean()))]:
        m = cls()
        m.update_state(t(y[:4]), t(p[:4]))
        m.update_state(t(y[4:]), t(p[4:]))
        assert float(m.result()) == pytest.approx(want, rel=1e-5), cls.__name__


def test_crossentropy_metric_equals_mean_loss():
    y, p = np.eye(3)[[0, 1, 2, 1]], RNG.random((4, 3))
    m = metrics.CategoricalCrossentropy()
    m.update_state(t(y), t(p))
    assert float(m.result()) == pytest.approx(float(losses.CategoricalCrossentropy()(t(y), t(p))), rel=1e-6)


# ------------------------------------------------------- precision / recall

def test_precision_recall_default_threshold_and_keras_examples():
    p = metrics.Precision()
    p.update_state(t([0, 1, 1, 1]), t([1, 0, 1, 1]))
    assert float(p.result()) == pytest.approx(2 / 3)
    p.reset_state()
    p.update_state(t([0, 1, 1, 1]), t([1, 0, 1, 1]), sample_weight=t([0, 0, 1, 0]))
    assert float(p.result()) == 1.0
    r = metrics.Recall()
    r.update_state(t([0, 1, 1, 1]), t([1, 0, 1, 1]), sample_weight=t([0, 0, 1, 0]))
    assert float(r.result()) == 1.0


def test_precision_top_k_and_class_id_and_threshold_list():
    y_true = t([[0, 0, 1, 1], [1, 0, 0, 0]])
    y_pred = t([[0.3, 0.4, 0.2, 0.1], [0.5, 0.2, 0.9, 0.1]])
    # keras doc: Precision(top_k=2) on the first row -> 0.0; top_k=4 -> 0.5
    m = metrics.Precision(top_k=2)
    m.update_state(y_true[:1], y_pred[:1])
    assert float(m.result()) == 0.0
    m = metrics.Precision(top_k=4)
    m.update_state(y_true[:1], y_pred[:1])
    assert float(m.result()) == 0.5
    m = metrics.Recall(class_id=2)
    m.update_state(y_true, y_pred)
    assert float(m.result()) == 0.0  # the single true class-2 entry scored 0.2
    m = metrics.Precision(thresholds=[0.0, 0.35, 0.95])
    m.update_state(y_true.reshape(-1), y_pred.reshape(-1))
    yt, yp = val(y_true).ravel(), val(y_pred).ravel()
    want = [((yp > th) & (yt == 1)).sum() / max((yp > th).sum(), 1) for th in (0.0, 0.35, 0.95)]
    np.testing.assert_allclose(val(m.result()), want, rtol=1e-6)


# ------------------------------------------------------------------------ AUC

def np_auc(y, p, w=None, n=200, curve="ROC", method="interpolation"):
    """Keras's bucketed AUC in plain NumPy: explicit thresholds, explicit comparisons."""
    w = np.ones_like(p) if w is None else w
    thr = np.array([-1e-7] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + 1e-7])
    above = p[:, None] > thr[None, :]
    tp = ((y * w)[:, None] * above).sum(0)
    fp = (((1 - y) * w)[:, None] * above).sum(0)
    fn = (y * w).sum() - tp
    tn = ((1 - y) * w).sum() - fp

    def div(a, b):
        return np.where(b != 0, a / np.where(b != 0, b, 1), 0.0)

    if curve == "PR" and method == "interpolation":
        dtp = tp[:-1] - tp[1:]
        pp = tp + fp
        dp = pp[:-1] - pp[1:]
        slope = div(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * pp[1:]
        ratio = np.where((pp[:-1] > 0) & (pp[1:] > 0), div(pp[:-1], np.maximum(pp[1:], 0)), 1.0)
        return div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)).sum()
    recall = div(tp, tp + fn)
    x, yy = (div(fp, fp + tn), recall) if curve == "ROC" else (recall, div(tp, tp + fp))
    h = {"interpolation": (yy[:-1] + yy[1:]) / 2, "minoring": np.minimum(yy[:-1], yy[1:]),
         "majoring": np.maximum(yy[:-1], yy[1:])}[method]
    return ((x[:-1] - x[1:]) * h).sum()


@pytest.mark.parametrize("curve,method", [("ROC", "interpolation"), ("ROC", "minoring"), ("ROC", "majoring"),
                                          ("PR", "interpolation"), ("PR", "majoring")])
def test_auc_matches_numpy_bucketed_computation(curve, method):
    y = RNG.integers(0, 2, 300).astype(float)
    p = np.clip(y * 0.3 + RNG.random(300) * 0.7, 0, 1)
    p[:5] = [0.0, 1.0, 0.5, 0.25, 1 / 199]  # exact edges and threshold values
    w = RNG.random(300)
    m = metrics.AUC(curve=curve, summation_method=method)
    for i in range(0, 300, 64):
        m.update_state(t(y[i:i + 64], torch.float64), t(p[i:i + 64], torch.float64), sample_weight=t(w[i:i + 64]))
    assert float(m.result()) == pytest.approx(np_auc(y, p, w, curve=curve, method=method), rel=1e-5, abs=1e-7)


def test_auc_keras_examples_and_explicit_thresholds():
    m = metrics.AUC(num_thresholds=3)
    m.update_state(t([0, 0, 1, 1]), t([0, 0.5, 0.3, 0.9]))
    assert float(m.result()) == pytest.approx(0.75)
    explicit = metrics.AUC(thresholds=[0.5])
    explicit.update_state(t([0, 0, 1, 1]), t([0, 0.5, 0.3, 0.9]))
    assert float(explicit.result()) == pytest.approx(0.75)
    assert explicit.get_config()["thresholds"] == [0.5]


def test_auc_from_logits_and_multi_label():
    y = RNG.integers(0, 2, (100, 3)).astype(float)
    logits = RNG.normal(size=(100, 3)) + y
    probs = 1 / (1 + np.exp(-logits))
    m = metrics.AUC(multi_label=True, from_logits=True)
    m.update_state(t(y, torch.float64), t(logits, torch.float64))
    want = np.mean([np_auc(y[:, j], probs[:, j]) for j in range(3)])
    assert float(m.result()) == pytest.approx(want, rel=1e-5)
    weighted = metrics.AUC(multi_label=True, label_weights=[1.0, 0.0, 3.0])
    weighted.update_state(t(y, torch.float64), t(probs, torch.float64))
    want_w = (np_auc(y[:, 0], probs[:, 0]) + 3 * np_auc(y[:, 2], probs[:, 2])) / 4
    assert float(weighted.result()) == pytest.approx(want_w, rel=1e-5)
    flat = metrics.AUC()
    flat.update_state(t(y, torch.float64), t(probs, torch.float64))
    assert float(flat.result()) == pytest.approx(np_auc(y.ravel(), probs.ravel()), rel=1e-5)


def test_auc_errors():
    with pytest.raises(ValueError, match=r"num_thresholds to be an int > 1\. Received: num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"curve to be one of 'roc', 'pr'.*Received: curve='roc_curve'"):
        metrics.AUC(curve="ROC_curve")


# ------------------------------------------------------------ get() and rules

@pytest.mark.parametrize("name", ["accuracy", "acc"])
@pytest.mark.parametrize("t_shape,p_shape,loss,cls", [
    ((None, 1), (None, 1), None, metrics.BinaryAccuracy),
    ((None,), (None, 1), None, metrics.BinaryAccuracy),
    ((None,), (None, 10), None, metrics.SparseCategoricalAccuracy),
    ((None, 1), (None, 10), None, metrics.SparseCategoricalAccuracy),
    ((None, 10), (None, 10), None, metrics.CategoricalAccuracy),
    ((None, 10), (None, 10), "categorical_crossentropy", metrics.CategoricalAccuracy),
    (None, None, "sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
    (None, None, losses.SparseCategoricalCrossentropy(from_logits=True), metrics.SparseCategoricalAccuracy),
    (None, (None, 10), losses.sparse_categorical_crossentropy, metrics.SparseCategoricalAccuracy),
    (None, None, "binary_crossentropy", metrics.BinaryAccuracy),
    ((None, 5), (None, 5), "binary_crossentropy", metrics.BinaryAccuracy),
    (None, None, None, metrics.CategoricalAccuracy),
])
def test_accuracy_resolution_keeps_the_users_name(name, t_shape, p_shape, loss, cls):
    m = metrics.get(name, y_true_shape=t_shape, y_pred_shape=p_shape, loss=loss)
    assert type(m) is cls and m.name == name


def test_crossentropy_resolution():
    assert type(metrics.get("crossentropy", (None,), (None, 10))) is metrics.SparseCategoricalCrossentropy
    assert type(metrics.get("ce", (None, 1), (None, 1))) is metrics.BinaryCrossentropy
    assert type(metrics.get("crossentropy", (None, 3), (None, 3))) is metrics.CategoricalCrossentropy


def test_get_names_functions_instances_and_configs():
    assert type(metrics.get("mse")) is metrics.MeanSquaredError and metrics.get("mse").name == "mse"
    assert type(metrics.get("mae")) is metrics.MeanAbsoluteError
    assert type(metrics.get("AUC")) is metrics.AUC and metrics.get("auc").name == "auc"
    assert type(metrics.get("top_k_categorical_accuracy")) is metrics.TopKCategoricalAccuracy
    assert type(metrics.get("binary_crossentropy")) is metrics.BinaryCrossentropy
    hinge = metrics.get("hinge")
    hinge.update_state(t([[1.0, 0.0]]), t([[0.5, -0.5]]))
    assert float(hinge.result()) == pytest.approx(0.5)
    m = metrics.Precision()
    assert metrics.get(m) is m
    fn_metric = metrics.get(metrics.sparse_categorical_accuracy)
    assert fn_metric.name == "sparse_categorical_accuracy"
    fn_metric.update_state(t([0, 1]), t([[0.9, 0.1], [0.8, 0.2]]))
    assert float(fn_metric.result()) == 0.5
    loss_metric = metrics.get(losses.MeanAbsoluteError())
    loss_metric.update_state(t([[1.0]]), t([[3.0]]))
    assert loss_metric.name == "mean_absolute_error" and float(loss_metric.result()) == 2.0
    again = metrics.get(metrics.serialize(metrics.TopKCategoricalAccuracy(k=3, name="top3")))
    assert type(again) is metrics.TopKCategoricalAccuracy and again.k == 3 and again.name == "top3"
    wrapped = metrics.deserialize(metrics.serialize(metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.3)))
    assert wrapped._fn is metrics.binary_accuracy and wrapped._fn_kwargs == {"threshold": 0.3}


def test_unknown_metric_name_lists_valid_ones_with_did_you_mean():
    with pytest.raises(ValueError, match=r"Unknown metric 'acuracy'\. Expected one of .*'accuracy'.*"
                                         r"did you mean 'accuracy'\?"):
        metrics.get("acuracy")
    with pytest.raises(TypeError, match="A metric must be a name"):
        metrics.get(3.5)


@pytest.mark.parametrize("metric", [
    metrics.Mean(name="m"), metrics.BinaryAccuracy(threshold=0.3), metrics.SparseTopKCategoricalAccuracy(k=2),
    metrics.Precision(thresholds=[0.2, 0.7], class_id=1), metrics.Recall(top_k=2),
    metrics.AUC(num_thresholds=50, curve="PR", multi_label=True, num_labels=3),
    metrics.CategoricalCrossentropy(label_smoothing=0.1), metrics.RootMeanSquaredError(),
], ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    cfg = metric.get_config()
    again = type(metric).from_config(cfg)
    assert again.get_config() == cfg


def test_keras_positional_signatures():
    assert metrics.TopKCategoricalAccuracy(3).k == 3
    assert metrics.BinaryAccuracy("bin_acc").name == "bin_acc"
    with pytest.raises(TypeError, match="unexpected argument 'treshold'"):
        metrics.BinaryAccuracy(treshold=0.2)
    with pytest.raises(ValueError, match=r"TopKCategoricalAccuracy expects k to be a positive int\. Received: k=0"):
        metrics.TopKCategoricalAccuracy(k=0)


def test_auc_casts_labels_to_bool_and_clips_predictions_like_keras():
    m = metrics.AUC(num_thresholds=3)
    m.update_state(t([0, 0, 0.7, 1]), t([-0.5, 0.5, 0.3, 1.5]))  # as labels [0,0,1,1], preds [0,.5,.3,1]
    assert float(m.result()) == pytest.approx(0.75)
    assert val(m.true_positives).tolist() == [2, 1, 0]
