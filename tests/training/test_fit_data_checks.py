"""Careless data at the edge of fit/evaluate/predict: clear errors (or a warning) instead of torch internals
or silently wrong training. Array checks run once per array, not per batch."""
import numpy as np
import pytest
import torch

from lamina import layers as L
from lamina import losses, metrics
from lamina.models import Model, Sequential
from lamina.training import data_adapters


def mlp(classes=3, activation="softmax", loss="sparse_categorical_crossentropy"):
    model = Sequential([L.Input((4,)), L.Dense(classes, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    return model


X = np.random.default_rng(0).normal(size=(12, 4)).astype("float32")


def test_sparse_labels_out_of_range():
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy expects integer labels in \[0, 3\) "
                                         r"because the model predicts 3 classes; received label\(s\) \[5\]"):
        mlp().fit(X, np.array([0, 1, 2, 5] * 3), epochs=1, verbose=0)


def test_sparse_label_that_is_not_a_whole_number():
    y = np.array([0, 1, 2, 1.5] * 3)
    with pytest.raises(ValueError, match=r"fit: sparse_categorical_crossentropy expects integer class labels; "
                                         r"sample 3 has label 1\.5 \(not a whole number"):
        mlp().fit(X, y, epochs=1, verbose=0)


def test_string_arrays_are_refused_clearly():
    y = np.array(["cat", "dog", "cat"] * 4)
    with pytest.raises(TypeError, match=r"Cannot train on an array of strings \(dtype <U3.*np\.unique"):
        mlp().fit(X, y, epochs=1, verbose=0)
    with pytest.raises(TypeError, match=r"array of strings"):
        mlp().predict(np.array([["1", "2", "3", "4"]]), verbose=0)


def test_validation_data_without_targets():
    with pytest.raises(ValueError, match=r"validation_data must be \(x_val, y_val\) .* received a tuple of 1 item"):
        mlp().fit(X, np.arange(12) % 3, validation_data=(X,), epochs=1, verbose=0)


def test_generator_yielding_inputs_only():
    def gen():
        while True:
            yield X[:4]
    with pytest.raises(ValueError, match=r"fit: the generator yielded inputs only \(a ndarray\), but fit needs "
                                         r"targets: yield \(x, y\)"):
        mlp().fit(gen(), steps_per_epoch=2, epochs=1, verbose=0)


def test_exhausted_generator_says_so():
    def gen():
        for i in range(3):
            yield X[i * 4:(i + 1) * 4], np.arange(4) % 3
    with pytest.raises(ValueError, match=r"the generator is exhausted. It yielded 3 batch\(es\) in earlier epochs"):
        mlp().fit(gen(), steps_per_epoch=3, epochs=2, verbose=0)


def test_nan_and_inf_in_inputs_warn_with_the_first_index():
    x = X.copy()
    x[7, 2] = np.nan
    x[9, 0] = np.inf
    with pytest.warns(UserWarning, match=r"fit x holds NaN or inf in 2 sample\(s\), the first at index 7.*"
                                         r"TerminateOnNaN"):
        mlp().fit(x, np.arange(12) % 3, epochs=1, verbose=0)


def test_nan_in_targets_warns():
    model = mlp(1, "linear", "mse")
    y = np.ones((12, 1), "float32")
    y[4] = np.nan
    with pytest.warns(UserWarning, match=r"fit y holds NaN or inf in 1 sample\(s\), the first at index 4"):
        model.fit(X, y, epochs=1, verbose=0)


def test_clean_data_gives_no_warning(recwarn):
    mlp().fit(X, np.arange(12) % 3, epochs=1, verbose=0)
    assert not [w for w in recwarn if "NaN" in str(w.message)]


def test_binary_crossentropy_target_values():
    loss = losses.BinaryCrossentropy()
    with pytest.raises(ValueError, match=r"binary_crossentropy expects targets in \[0, 1\].*sample 2 has 2 "
                                         r"\(bad values: 2\)"):
        loss.check_target_values(torch.tensor([[0.0], [1.0], [2.0]]), (None, 1))
    loss.check_target_values(torch.tensor([[0.0], [1.0], [0.25]]), (None, 1))


def test_check_target_values_helper_runs_each_loss_once():
    with pytest.raises(ValueError, match=r"fit: binary_crossentropy expects targets in \[0, 1\]"):
        data_adapters.check_target_values(np.array([[0.0], [2.0]]), [losses.BinaryCrossentropy()], [(None, 1)])
    with pytest.raises(ValueError, match=r"labels in \[0, 3\)"):
        data_adapters.check_target_values(np.array([0, 7]), [losses.SparseCategoricalCrossentropy()], [(None, 3)])
    data_adapters.check_target_values(np.array([0, 2]), [losses.SparseCategoricalCrossentropy()], [(None, 3)])


def test_binary_crossentropy_with_label_2_at_fit():
    model = mlp(1, "sigmoid", "binary_crossentropy")
    with pytest.raises(ValueError, match=r"binary_crossentropy expects targets in \[0, 1\]"):
        model.fit(X, np.array([0, 1, 2] * 4, "float32"), epochs=1, verbose=0)


def test_loss_and_metric_typos_with_did_you_mean():
    with pytest.raises(ValueError, match=r"Unknown loss 'categorical_crossentropi'.*did you mean "
                                         r"'categorical_crossentropy'\?"):
        losses.validate("categorical_crossentropi")
    with pytest.raises(ValueError, match=r"Unknown loss 'mse2'"):
        losses.validate({"out": "mse2"})
    with pytest.raises(TypeError, match=r"compile expects loss to be a name"):
        losses.validate(3)
    losses.validate(["mse", losses.MeanSquaredError(), lambda y, p: (y - p).mean(), None])
    with pytest.raises(ValueError, match=r"Unknown metric 'acuracy'.*did you mean 'accuracy'\?"):
        metrics.validate(["acuracy"])
    with pytest.raises(ValueError, match=r"Unknown metric 'maee'"):
        metrics.validate({"out": ["mae", "maee"]})
    metrics.validate(["accuracy", "acc", "mae", metrics.AUC() if hasattr(metrics, "AUC") else "mse"])


def test_compile_rejects_typos_at_once():
    model = Sequential([L.Input((4,)), L.Dense(3)])
    with pytest.raises(ValueError, match=r"did you mean 'categorical_crossentropy'"):
        model.compile(optimizer="sgd", loss="categorical_crossentropi")


def test_input_names_helper():
    with pytest.raises(ValueError, match=r"missing the model input\(s\) \['images'\] and received inputs named "
                                         r"\['imgs'\], which the model does not have. Its inputs are "
                                         r"\['images', 'meta'\]; did you mean 'images'\?"):
        data_adapters.check_input_names({"imgs": X, "meta": X}, ["images", "meta"])
    with pytest.raises(ValueError, match=r"missing the model input\(s\) \['meta'\]"):
        data_adapters.check_input_names({"images": X}, ["images", "meta"])
    data_adapters.check_input_names({"images": X, "meta": X, "ids": X}, ["images", "meta"])  # extra keys: as Keras 3


def test_unknown_dict_input_name_at_fit():
    a, b = L.Input((4,), name="images"), L.Input((4,), name="meta")
    model = Model([a, b], L.Dense(3, activation="softmax")(L.Concatenate()([a, b])))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"did you mean 'images'"):
        model.fit({"imgs": X, "meta": X}, np.arange(12) % 3, epochs=1, verbose=0)


def test_compile_rejects_metric_typos_at_once():
    model = Sequential([L.Input((4,)), L.Dense(3)])
    with pytest.raises(ValueError, match=r"Unknown metric 'acuracy'.*did you mean 'accuracy'\?"):
        model.compile(optimizer="sgd", loss="mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match=r"Unknown metric 'maee'.*did you mean 'mae'\?"):
        model.compile(optimizer="sgd", loss="mse", weighted_metrics=["maee"])
    assert not model.compiled
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], weighted_metrics=["mse"])
    assert model.compiled


def test_sparse_labels_out_of_range_at_evaluate_and_in_validation_data():
    model = mlp()
    with pytest.raises(ValueError, match=r"evaluate: sparse_categorical_crossentropy expects integer labels in "
                                         r"\[0, 3\)"):
        model.evaluate(X, np.array([0, 1, 2, 3] * 3), verbose=0)
    with pytest.raises(ValueError, match=r"validation_data: sparse_categorical_crossentropy expects integer labels"):
        model.fit(X, np.arange(12) % 3, validation_data=(X, np.full(12, -1)), epochs=1, verbose=0)


def test_generator_labels_checked_on_the_first_batch():
    def gen():
        while True:
            yield X[:4], np.array([0, 1, 9, 2])
    with pytest.raises(ValueError, match=r"fit: sparse_categorical_crossentropy expects integer labels in \[0, 3\)"):
        mlp().fit(gen(), steps_per_epoch=2, epochs=1, verbose=0)


def test_dict_targets_are_checked_per_output_by_name():
    inp = L.Input((4,))
    model = Model(inp, {"kind": L.Dense(3, activation="softmax", name="kind")(inp),
                        "flag": L.Dense(1, activation="sigmoid", name="flag")(inp)})
    model.compile(optimizer="sgd", loss={"kind": "sparse_categorical_crossentropy", "flag": "binary_crossentropy"})
    good_kind, good_flag = np.arange(12) % 3, (np.arange(12) % 2).astype("float32").reshape(12, 1)
    model.fit(X, {"flag": good_flag, "kind": good_kind}, epochs=1, verbose=0)  # key order differs from outputs
    with pytest.raises(ValueError, match=r"binary_crossentropy expects targets in \[0, 1\]"):
        model.fit(X, {"flag": good_flag * 3, "kind": good_kind}, epochs=1, verbose=0)


def test_extra_dict_inputs_are_ignored_as_in_keras3():
    a, b = L.Input((4,), name="images"), L.Input((4,), name="meta")
    model = Model([a, b], L.Dense(3, activation="softmax")(L.Concatenate()([a, b])))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit({"images": X, "meta": X, "ids": X}, np.arange(12) % 3, epochs=1, verbose=0)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_integer_inputs_become_the_float_type_of_the_input(as_tensor):
    torch.manual_seed(0)
    model = mlp()
    xi = np.arange(48).reshape(12, 4) % 5
    x_int = torch.as_tensor(xi) if as_tensor else xi
    assert not torch.as_tensor(x_int).is_floating_point()
    model.fit(x_int, np.arange(12) % 3, epochs=1, verbose=0)
    np.testing.assert_allclose(model.predict(x_int, verbose=0), model.predict(xi.astype("float32"), verbose=0),
                               rtol=1e-6)
    inp = L.Input((4,))
    functional = Model(inp, L.Dense(2)(inp))
    assert functional.predict(x_int, verbose=0).dtype == np.float32


def test_integer_input_keeps_integer_data():
    from lamina.models.functional import cast_to_input_dtype
    ids = torch.arange(6).reshape(2, 3)
    assert cast_to_input_dtype(ids, L.Input((3,), dtype="int64")).dtype == torch.int64
    assert cast_to_input_dtype(ids, L.Input((3,))).dtype == torch.float32
    assert cast_to_input_dtype(ids.bool(), L.Input((3,))).dtype == torch.float32


def test_predict_on_one_sample_says_to_add_the_batch_axis():
    model = mlp()
    with pytest.raises(ValueError, match=r"predict expects a batch of inputs of shape \(None, 4\); received one "
                                         r"sample of shape \(4,\)\. Add the batch axis: model\.predict\(x\[None\]\)"):
        model.predict(X[0], verbose=0)
    assert model.predict(X[0][None], verbose=0).shape == (1, 3)
