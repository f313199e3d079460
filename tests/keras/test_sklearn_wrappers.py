"""keras.wrappers.scikit_learn: KerasClassifier/KerasRegressor inside scikit-learn's own tools."""
import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is in the dev extra; `make test` installs it")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402

from lamina import keras  # noqa: E402
from lamina.keras.wrappers.scikit_learn import KerasClassifier, KerasRegressor  # noqa: E402


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]], np.float32)
    labels = rng.integers(0, 3, n)
    x = centers[labels] + rng.normal(scale=0.5, size=(n, 2)).astype(np.float32)
    return x.astype(np.float32), np.array(["cat", "dog", "eel"])[labels]


def make_classifier(hidden=8, optimizer="adam"):
    keras.utils.set_random_seed(0)
    model = keras.models.Sequential([keras.layers.Dense(hidden, activation="relu", input_dim=2),
                                     keras.layers.Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


def make_regressor(units=4):
    keras.utils.set_random_seed(0)
    model = keras.models.Sequential([keras.layers.Dense(units, activation="relu", input_dim=3),
                                     keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(lr=0.05))
    return model


def test_classifier_fit_predict_proba_score_with_string_labels():
    x, y = _blobs()
    clf = KerasClassifier(build_fn=make_classifier, epochs=30, batch_size=16, verbose=0)
    history = clf.fit(x, y)
    assert len(history.history["loss"]) == 30
    assert list(clf.classes_) == ["cat", "dog", "eel"] and clf.n_classes_ == 3
    proba = clf.predict_proba(x)
    assert proba.shape == (120, 3) and np.allclose(proba.sum(1), 1, atol=1e-5)
    pred = clf.predict(x)
    assert set(pred) <= {"cat", "dog", "eel"}
    assert np.array_equal(pred, clf.classes_[proba.argmax(1)])
    score = clf.score(x, y)
    assert score == pytest.approx((pred == y).mean(), abs=1e-6) and score > 0.9


def test_cross_val_score_and_grid_search_clone_the_wrapper():
    x, y = _blobs(90)
    clf = KerasClassifier(build_fn=make_classifier, epochs=10, batch_size=16, verbose=0)
    params = clone(clf).get_params()
    assert params["build_fn"] is make_classifier and params["epochs"] == 10
    scores = cross_val_score(clf, x, y, cv=KFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and (scores > 0.6).all()
    search = GridSearchCV(clf, {"hidden": [2, 16], "epochs": [2, 20]}, cv=KFold(2, shuffle=True, random_state=0))
    search.fit(x, y)
    assert set(search.cv_results_["param_hidden"]) == {2, 16}
    assert search.best_params_["epochs"] == 20
    assert search.best_estimator_.sk_params["epochs"] == 20


def test_regressor_predict_is_a_vector_and_score_is_minus_the_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5]) + 0.3).astype(np.float32)
    reg = KerasRegressor(build_fn=make_regressor, units=8, epochs=60, batch_size=20, verbose=0)
    reg.fit(x, y)
    pred = reg.predict(x)
    assert pred.shape == (100,)
    assert reg.score(x, y) == pytest.approx(-float(((pred - y) ** 2).mean()), rel=1e-4)
    assert reg.score(x, y) > -0.5
    scores = cross_val_score(KerasRegressor(build_fn=make_regressor, epochs=5, verbose=0), x, y, cv=2)
    assert scores.shape == (2,) and (scores < 0).all()


def test_get_set_params_and_bad_parameters():
    clf = KerasClassifier(build_fn=make_classifier, epochs=1)
    assert clf.set_params(epochs=3, hidden=4) is clf
    assert clf.get_params() == {"build_fn": make_classifier, "epochs": 3, "hidden": 4}
    with pytest.raises(ValueError, match="epoch is not a legal parameter.*did you mean 'epochs'"):
        KerasClassifier(build_fn=make_classifier, epoch=3)
    with pytest.raises(ValueError, match="nb_layers is not a legal parameter"):
        clf.set_params(nb_layers=2)
    with pytest.raises(AttributeError, match="call fit"):
        KerasClassifier(build_fn=make_classifier).predict(np.zeros((1, 2)))
    with pytest.raises(TypeError, match="build_fn to be a function"):
        KerasClassifier(build_fn=3)


def test_score_needs_an_accuracy_metric():
    def no_metric():
        model = keras.models.Sequential([keras.layers.Dense(3, activation="softmax", input_dim=2)])
        model.compile(loss="categorical_crossentropy", optimizer="sgd")
        return model

    x, y = _blobs(30)
    clf = KerasClassifier(build_fn=no_metric, epochs=1, verbose=0)
    clf.fit(x, y)
    with pytest.raises(ValueError, match="metrics=\\['accuracy'\\]"):
        clf.score(x, y)


def test_missing_scikit_learn_names_the_pip_command(monkeypatch):
    import importlib
    import sys
    monkeypatch.setitem(sys.modules, "sklearn.base", None)            # `from sklearn.base import ...` fails
    monkeypatch.delitem(sys.modules, "lamina.keras.wrappers.scikit_learn")
    with pytest.raises(ImportError, match=r"needs scikit-learn.*pip install scikit-learn"):
        importlib.import_module("lamina.keras.wrappers.scikit_learn")
