"""Losses against NumPy formulas (Keras 3's), the fused logits forms, the engine
interface (per_sample, reduction, target_dtype, check_targets) and get()."""
import numpy as np
import pytest
import torch

from lamina import losses

EPS = 1e-7
RNG = np.random.default_rng(0)


def _probs(n, c, rng=RNG):
    x = rng.random((n, c)) + 0.05
    return x / x.sum(-1, keepdims=True)


def _onehot(labels, c):
    return np.eye(c)[labels]


def t(x):
    return torch.tensor(np.asarray(x), dtype=torch.float64)


def close(a, b, **kw):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=kw.get("rtol", 1e-10), atol=kw.get("atol", 1e-12))


# ------------------------------------------------------------------ NumPy formulas

def np_cce(y, p, smoothing=0.0):
    if smoothing:
        y = y * (1 - smoothing) + smoothing / y.shape[-1]
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(y * np.log(p)).sum(-1)


def np_bce(y, p, smoothing=0.0):
    if smoothing:
        y = y * (1 - smoothing) + 0.5 * smoothing
    p = np.clip(p, EPS, 1 - EPS)
    return (-(y * np.log(p) + (1 - y) * np.log(1 - p))).mean(-1)


def np_hinge_labels(y):
    return 2 * y - 1 if np.isin(y, [0, 1]).all() else y


ELEMENTWISE = {
    "mean_squared_error": lambda y, p: ((y - p) ** 2).mean(-1),
    "mean_absolute_error": lambda y, p: np.abs(y - p).mean(-1),
    "mean_absolute_percentage_error": lambda y, p: 100 * np.abs((y - p) / np.maximum(np.abs(y), EPS)).mean(-1),
    "mean_squared_logarithmic_error":
        lambda y, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2).mean(-1),
    "huber": lambda y, p: np.where(np.abs(p - y) <= 1.0, 0.5 * (p - y) ** 2, np.abs(p - y) - 0.5).mean(-1),
    "hinge": lambda y, p: np.maximum(1 - np_hinge_labels(y) * p, 0).mean(-1),
    "squared_hinge": lambda y, p: (np.maximum(1 - np_hinge_labels(y) * p, 0) ** 2).mean(-1),
    "categorical_hinge": lambda y, p: np.maximum(((1 - y) * p).max(-1) - (y * p).sum(-1) + 1, 0),
    "kl_divergence": lambda y, p: (np.clip(y, EPS, 1) * np.log(np.clip(y, EPS, 1) / np.clip(p, EPS, 1))).sum(-1),
    "poisson": lambda y, p: (p - y * np.log(p + EPS)).mean(-1),
    "log_cosh": lambda y, p: np.log(np.cosh(p - y)).mean(-1),
    "cosine_similarity": lambda y, p: -((y / np.linalg.norm(y, axis=-1, keepdims=True))
                                        * (p / np.linalg.norm(p, axis=-1, keepdims=True))).sum(-1),
}


def test_categorical_crossentropy_keras_example_and_formula():
    close(losses.categorical_crossentropy(t([[0, 1, 0], [0, 0, 1]]), t([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])),
          [-np.log(0.95), -np.log(0.1)])
    y, p = _onehot(RNG.integers(0, 5, 8), 5), _probs(8, 5) * 3.0  # unnormalised: divided by the sum
    close(losses.categorical_crossentropy(t(y), t(p)), np_cce(y, p))
    close(losses.categorical_crossentropy(t(y), t(p), label_smoothing=0.2), np_cce(y, p, 0.2))


def test_categorical_crossentropy_clips_zero_probabilities():
    got = losses.categorical_crossentropy(t([[1.0, 0.0]]), t([[0.0, 1.0]]))
    close(got, [-np.log(EPS)])


def test_sparse_equals_categorical_on_one_hot():
    labels = RNG.integers(0, 4, 10)
    p = _probs(10, 4)
    close(losses.sparse_categorical_crossentropy(torch.tensor(labels), t(p)), np_cce(_onehot(labels, 4), p))
    close(losses.sparse_categorical_crossentropy(t(labels[:, None]), t(p)), np_cce(_onehot(labels, 4), p))


def test_sparse_ignore_class_masks_positions_and_averages_valid_ones():
    p = _probs(4, 3)
    labels = np.array([0, 2, -1, 1])
    got = losses.sparse_categorical_crossentropy(torch.tensor(labels), t(p), ignore_class=-1)
    want = np_cce(_onehot(np.where(labels < 0, 0, labels), 3), p) * (labels >= 0)
    close(got, want)
    obj = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    close(obj(torch.tensor(labels), t(p)), want.sum() / 3)  # Keras: mean over the 3 valid labels
    seg = losses.sparse_categorical_crossentropy(torch.tensor([[0, -1], [1, 1]]), t(np.stack([p[:2], p[2:]])),
                                                 ignore_class=-1)
    per_pos = np_cce(_onehot(np.array([0, 0, 1, 1]), 3), p).reshape(2, 2)
    close(seg, [per_pos[0, 0], per_pos[1].mean()])


def test_binary_crossentropy_keras_example_and_formula():
    close(losses.binary_crossentropy(t([[0, 1], [0, 0]]), t([[0.6, 0.4], [0.4, 0.6]])),
          np_bce(np.array([[0, 1], [0, 0]]), np.array([[0.6, 0.4], [0.4, 0.6]])))
    y, p = RNG.integers(0, 2, (6, 3)).astype(float), RNG.random((6, 3))
    close(losses.binary_crossentropy(t(y), t(p), label_smoothing=0.1), np_bce(y, p, 0.1))
    close(losses.binary_crossentropy(t([[1.0], [0.0]]), t([[0.0], [1.0]])), [-np.log(EPS)] * 2, rtol=1e-6)


def test_binary_crossentropy_matches_n1_predictions_to_n_targets_element_wise():
    y, p = np.array([1.0, 0.0, 1.0]), np.array([[0.9], [0.2], [0.3]])
    got = losses.binary_crossentropy(t(y), t(p))
    assert got.shape == (3,)
    close(got, np_bce(y[:, None], p))


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_regression_and_hinge_losses_match_formula(name):
    y = RNG.random((5, 4)) + 0.1
    p = RNG.random((5, 4)) * 2
    if name in ("hinge", "squared_hinge"):
        y = RNG.integers(0, 2, (5, 4)).astype(float)
        p = RNG.normal(size=(5, 4))
    if name == "categorical_hinge":
        y = _onehot(RNG.integers(0, 4, 5), 4)
    if name == "kl_divergence":
        y, p = _probs(5, 4), _probs(5, 4)
    got = getattr(losses, name)(t(y), t(p))
    assert got.shape == (5,)
    close(got, ELEMENTWISE[name](y, p))


def test_huber_delta_and_aliases():
    y, p = RNG.random((3, 5)), RNG.random((3, 5)) * 4
    e = np.abs(p - y)
    close(losses.huber(t(y), t(p), delta=0.5), np.where(e <= 0.5, 0.5 * e ** 2, 0.5 * e - 0.125).mean(-1))
    assert losses.mse is losses.mean_squared_error and losses.mae is losses.mean_absolute_error
    assert losses.mape is losses.mean_absolute_percentage_error and losses.msle is losses.mean_squared_logarithmic_error
    assert losses.kld is losses.kl_divergence is losses.kullback_leibler_divergence
    assert losses.logcosh is losses.log_cosh


def test_higher_rank_outputs_reduce_non_batch_axes_by_mean():
    y, p = RNG.random((2, 3, 4)), RNG.random((2, 3, 4))
    close(losses.mse(t(y), t(p)), ((y - p) ** 2).reshape(2, -1).mean(1))
    yy = _onehot(RNG.integers(0, 4, (2, 3)), 4)
    close(losses.categorical_crossentropy(t(yy), t(p)), np_cce(yy, p).mean(1))


def test_one_dimensional_regression_targets_are_per_sample():
    got = losses.mse(t([1.0, 2.0, 3.0]), t([[1.5], [2.0], [1.0]]))
    close(got, [0.25, 0.0, 4.0])


# -------------------------------------------------------------- fused logits forms

@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_fused_categorical_equals_probability_form(smoothing):
    logits = torch.randn(32, 10, dtype=torch.float64) * 3
    y = torch.nn.functional.one_hot(torch.randint(0, 10, (32,)), 10).double()
    obj = losses.get("categorical_crossentropy") if not smoothing else losses.CategoricalCrossentropy(
        label_smoothing=smoothing)
    assert obj.fused_kind == "categorical"
    torch.testing.assert_close(obj.per_sample_from_logits(y, logits), obj.per_sample(y, torch.softmax(logits, -1)))


def test_fused_sparse_equals_probability_form():
    logits = torch.randn(32, 7, dtype=torch.float64) * 3
    labels = torch.randint(0, 7, (32,))
    obj = losses.SparseCategoricalCrossentropy()
    assert obj.fused_kind == "sparse_categorical" and obj.target_dtype == torch.long
    torch.testing.assert_close(obj.per_sample_from_logits(labels, logits),
                               obj.per_sample(labels, torch.softmax(logits, -1)))


def test_fused_binary_equals_probability_form():
    logits = torch.randn(32, 1, dtype=torch.float64) * 3
    y = torch.randint(0, 2, (32, 1)).double()
    obj = losses.BinaryCrossentropy(label_smoothing=0.05)
    assert obj.fused_kind == "binary" and obj.target_dtype is None
    torch.testing.assert_close(obj.per_sample_from_logits(y, logits), obj.per_sample(y, torch.sigmoid(logits)))


def test_fused_forms_are_stable_for_huge_logits():
    logits = torch.tensor([[1000.0, -1000.0, 0.0], [-5000.0, 5000.0, 0.0]], requires_grad=True)
    y = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    cce = losses.CategoricalCrossentropy().per_sample_from_logits(y, logits)
    assert torch.isfinite(cce).all()
    torch.testing.assert_close(cce, torch.tensor([2000.0, 10000.0]))
    cce.sum().backward()
    assert torch.isfinite(logits.grad).all()
    scce = losses.SparseCategoricalCrossentropy().per_sample_from_logits(torch.tensor([1, 0]), logits.detach())
    torch.testing.assert_close(scce, torch.tensor([2000.0, 10000.0]))
    bce = losses.BinaryCrossentropy().per_sample_from_logits(torch.tensor([[0.0], [1.0]]),
                                                             torch.tensor([[500.0], [-500.0]]))
    torch.testing.assert_close(bce, torch.tensor([500.0, 500.0]))
    # the probability form clips at eps: large but finite, as in Keras
    probs = torch.softmax(logits.detach(), -1)
    assert torch.isfinite(losses.categorical_crossentropy(y, probs)).all()


def test_from_logits_losses_are_not_fused():
    assert losses.CategoricalCrossentropy(from_logits=True).fused_kind is None
    assert losses.BinaryCrossentropy(from_logits=True).fused_kind is None
    assert losses.MeanSquaredError().fused_kind is None
    with pytest.raises(NotImplementedError, match="no fused logits form"):
        losses.MeanSquaredError().per_sample_from_logits(t([1.0]), t([1.0]))


# ------------------------------------------------------------------ reductions

def test_default_reduction_is_sum_over_batch_size_with_sample_weight():
    y, p = _onehot(RNG.integers(0, 3, 4), 3), _probs(4, 3)
    w = np.array([1.0, 0.0, 2.0, 0.5])
    per = np_cce(y, p)
    obj = losses.CategoricalCrossentropy()
    close(obj(t(y), t(p)), per.mean())
    close(obj(t(y), t(p), sample_weight=t(w)), (per * w).sum() / 4)
    close(obj(t(y), t(p), sample_weight=t(w[:, None])), (per * w).sum() / 4)
    close(losses.CategoricalCrossentropy(reduction="sum")(t(y), t(p), t(w)), (per * w).sum())
    close(losses.CategoricalCrossentropy(reduction=None)(t(y), t(p), t(w)), per * w)
    close(losses.CategoricalCrossentropy(reduction="mean_with_sample_weight")(t(y), t(p), t(w)),
          (per * w).sum() / w.sum())
    with pytest.raises(ValueError, match=r"reduction to be one of .*Received: reduction='avg'"):
        losses.CategoricalCrossentropy(reduction="avg")


def test_keras_documented_class_values():
    cce = losses.CategoricalCrossentropy()(t([[0, 1, 0], [0, 0, 1]]), t([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]))
    assert float(cce) == pytest.approx(1.1769392, rel=1e-6)
    bce = losses.BinaryCrossentropy()(t([[0, 1], [0, 0]]), t([[0.6, 0.4], [0.4, 0.6]]))
    assert float(bce) == pytest.approx(0.8149, abs=1e-4)


# -------------------------------------------------------------- check_targets

def test_categorical_with_integer_labels_suggests_sparse():
    obj = losses.get("categorical_crossentropy")
    msg = (r"categorical_crossentropy expects one-hot targets of shape \(N, 10\); received shape \(N,\)\. "
           r"Use loss='sparse_categorical_crossentropy' for integer labels, or convert them with "
           r"lamina\.utils\.to_categorical\(y, 10\)\.")
    with pytest.raises(ValueError, match=msg):
        obj.check_targets((60000,), (60000, 10))
    with pytest.raises(ValueError, match=r"received shape \(N, 1\)\. Use loss='sparse_categorical_crossentropy'"):
        obj.check_targets((32, 1), (32, 10))
    with pytest.raises(ValueError, match=r"predicts 10 classes but the targets have 5 columns"):
        obj.check_targets((32, 5), (32, 10))
    with pytest.raises(ValueError, match=r"always 0 .*binary_crossentropy"):
        obj.check_targets((32, 1), (32, 1))
    obj.check_targets((32, 10), (32, 10))
    obj.check_targets((None, 10), (None, 10))


def test_sparse_with_one_hot_targets_suggests_categorical():
    obj = losses.get("sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy expects integer class labels of shape "
                                         r"\(N,\); received one-hot targets of shape \(N, 10\)\. Use "
                                         r"loss='categorical_crossentropy'"):
        obj.check_targets((100, 10), (100, 10))
    with pytest.raises(ValueError, match=r"received shape \(N, 3, 4\)"):
        obj.check_targets((100, 3, 4), (100, 10))
    obj.check_targets((100,), (100, 10))
    obj.check_targets((100, 1), (100, 10))
    obj.check_targets((8, 28, 28), (8, 28, 28, 5))


def test_binary_and_regression_shape_checks():
    with pytest.raises(ValueError, match=r"binary_crossentropy expects 0/1 targets of shape \(N, 10\); received "
                                         r"shape \(N,\)\. .*sparse_categorical_crossentropy"):
        losses.get("binary_crossentropy").check_targets((50,), (50, 10))
    with pytest.raises(ValueError, match=r"binary_crossentropy expects targets of the same shape as the "
                                         r"predictions \(N, 1\); received shape \(N, 3\)"):
        losses.get("binary_crossentropy").check_targets((50, 3), (50, 1))
    losses.get("binary_crossentropy").check_targets((50,), (50, 1))
    losses.get("mse").check_targets((50,), (50, 1))
    with pytest.raises(ValueError, match=r"mean_squared_error expects targets of the same shape"):
        losses.get("mse").check_targets((50, 2), (50, 3))


# --------------------------------------------------------------------- get()

def test_get_resolves_names_functions_classes_configs_and_callables():
    assert isinstance(losses.get("categorical_crossentropy"), losses.CategoricalCrossentropy)
    assert isinstance(losses.get("MSE"), losses.MeanSquaredError)
    assert isinstance(losses.get("kullback_leibler_divergence"), losses.KLDivergence)
    assert isinstance(losses.get("Huber"), losses.Huber)
    fused = losses.get(losses.categorical_crossentropy)
    assert isinstance(fused, losses.CategoricalCrossentropy) and fused.fused_kind == "categorical"
    obj = losses.BinaryCrossentropy(label_smoothing=0.1)
    assert losses.get(obj) is obj
    assert losses.get(None) is None
    again = losses.get(losses.serialize(obj))
    assert isinstance(again, losses.BinaryCrossentropy) and again.label_smoothing == 0.1

    def my_loss(y_true, y_pred):
        return (y_true - y_pred).abs().sum(-1)

    wrapped = losses.get(my_loss)
    assert wrapped.name == "my_loss" and wrapped.fused_kind is None
    close(wrapped(t([[1.0, 2.0]]), t([[0.0, 0.0]])), 3.0)
    spec = losses.serialize(wrapped)
    assert spec == {"class_name": "LossFunctionWrapper",
                    "config": {"name": "my_loss", "reduction": "sum_over_batch_size", "fn": "my_loss"}}
    with pytest.raises(ValueError, match="pass it in custom_objects"):
        losses.deserialize(spec)
    assert losses.deserialize(spec, custom_objects={"my_loss": my_loss}).fn is my_loss


def test_unknown_loss_name_lists_valid_names_with_did_you_mean():
    with pytest.raises(ValueError, match=r"Unknown loss 'categorical_crossentropie'\. Expected one of .*"
                                         r"did you mean 'categorical_crossentropy'\?"):
        losses.get("categorical_crossentropie")
    with pytest.raises(TypeError, match="A loss must be a name"):
        losses.get(42)


@pytest.mark.parametrize("cls", [losses.CategoricalCrossentropy, losses.SparseCategoricalCrossentropy,
                                 losses.BinaryCrossentropy, losses.MeanSquaredError, losses.Huber,
                                 losses.CosineSimilarity, losses.KLDivergence, losses.LogCosh],
                         ids=lambda c: c.__name__)
def test_class_config_round_trip(cls):
    obj = cls(name="custom")
    cfg = obj.get_config()
    assert cfg["name"] == "custom"
    assert cls.from_config(cfg).get_config() == cfg


def test_class_default_names_follow_keras():
    assert losses.Huber().name == "huber_loss" and losses.Huber(delta=2.0).delta == 2.0
    assert losses.CosineSimilarity(axis=1).axis == 1
    assert losses.KLDivergence().name == "kl_divergence"
    assert losses.MeanSquaredError().name == "mean_squared_error"


def test_float32_inputs_keep_dtype_and_targets_may_be_numpy():
    p = torch.softmax(torch.randn(4, 3), -1)
    out = losses.categorical_crossentropy(np.eye(3)[[0, 1, 2, 0]], p)
    assert out.dtype == torch.float32 and out.shape == (4,)


def test_fused_forms_on_higher_rank_outputs():
    logits = torch.randn(2, 3, 5, dtype=torch.float64)
    labels = torch.randint(0, 5, (2, 3))
    onehot = torch.nn.functional.one_hot(labels, 5).double()
    probs = torch.softmax(logits, -1)
    cce, scce = losses.CategoricalCrossentropy(label_smoothing=0.1), losses.SparseCategoricalCrossentropy()
    torch.testing.assert_close(cce.per_sample_from_logits(onehot, logits), cce.per_sample(onehot, probs))
    torch.testing.assert_close(scce.per_sample_from_logits(labels, logits), scce.per_sample(labels, probs))
    close(scce.per_sample(labels, probs), np_cce(onehot.numpy(), probs.numpy()).mean(1))
    channels_first = losses.categorical_crossentropy(onehot.movedim(-1, 1), logits.movedim(-1, 1),
                                                     from_logits=True, axis=1)
    torch.testing.assert_close(channels_first, losses.categorical_crossentropy(onehot, logits, from_logits=True))
