"""confusion_matrix and mistakes against numpy."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from lamina import inspect
from lamina.utils import to_categorical

from inspect_models import channels_first_cnn, course_cnn


def test_confusion_matrix_matches_numpy(digits):
    x, y = digits
    model = course_cnn()
    probs = model.predict(x, verbose=0)
    pred = probs.argmax(1)
    expected = np.zeros((10, 10), np.int64)
    np.add.at(expected, (y, pred), 1)
    cm = inspect.confusion_matrix(model, x, y)
    np.testing.assert_array_equal(cm["matrix"], expected)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_allclose(cm["precision"], np.diag(expected) / expected.sum(0), equal_nan=True)
        np.testing.assert_allclose(cm["recall"], np.diag(expected) / expected.sum(1), equal_nan=True)
    assert cm["accuracy"] == pytest.approx((pred == y).mean())
    assert cm["matrix"].sum() == len(y)


def test_precision_and_recall_by_hand():
    """A fixed 'model' whose predictions are known: 3 classes."""
    import lamina
    from lamina.layers import Dense
    model = lamina.Sequential([Dense(3, activation="softmax", input_shape=(3,))])
    model.layers[0].set_weights([np.eye(3, dtype=np.float32) * 10, np.zeros(3, np.float32)])
    x = np.eye(3, dtype=np.float32)[[0, 0, 1, 2, 2, 2]]   # predicted 0,0,1,2,2,2
    y = np.array([0, 1, 1, 2, 2, 0])
    cm = inspect.confusion_matrix(model, x, y)
    np.testing.assert_array_equal(cm["matrix"], [[1, 0, 1], [1, 1, 0], [0, 0, 2]])
    np.testing.assert_allclose(cm["precision"], [1 / 2, 1 / 1, 2 / 3])
    np.testing.assert_allclose(cm["recall"], [1 / 2, 1 / 2, 2 / 2])
    # One-hot labels give the same matrix.
    np.testing.assert_array_equal(inspect.confusion_matrix(model, x, to_categorical(y, 3))["matrix"], cm["matrix"])


def test_confusion_matrix_on_channels_first_data_and_plot(digits):
    x, y = digits
    cm, fig = inspect.confusion_matrix(channels_first_cnn(), x.transpose(0, 3, 1, 2), y, plot=True)
    assert cm["matrix"].shape == (10, 10) and isinstance(fig, Figure)


def test_mistakes_are_the_most_confident_wrong_predictions(digits):
    x, y = digits
    model = course_cnn()
    probs = model.predict(x, verbose=0)
    pred = probs.argmax(1)
    wrong = np.flatnonzero(pred != y)
    conf = probs[wrong, pred[wrong]]
    expected = wrong[np.argsort(-conf, kind="stable")][:7]
    m = inspect.mistakes(model, x, y, k=7)
    np.testing.assert_array_equal(m["index"], expected)
    assert np.all(np.diff(m["confidence"]) <= 0)
    assert np.all(m["true"] != m["predicted"])
    np.testing.assert_array_equal(m["true"], y[expected])
    np.testing.assert_array_equal(m["predicted"], pred[expected])
    np.testing.assert_allclose(m["confidence"], probs[expected, pred[expected]], rtol=1e-6)
    np.testing.assert_array_equal(m["images"], x[expected])


def test_mistakes_k_beyond_the_number_of_mistakes_and_plot(digits):
    x, y = digits
    model = course_cnn()
    n_wrong = int((model.predict(x, verbose=0).argmax(1) != y).sum())
    m, fig = inspect.mistakes(model, x, y, k=10_000, plot=True)
    assert len(m["index"]) == n_wrong and isinstance(fig, Figure)


def test_labels_must_match_the_images(digits):
    x, y = digits
    with pytest.raises(ValueError, match="received 200 images and 199 labels"):
        inspect.confusion_matrix(course_cnn(), x, y[:-1])
    with pytest.raises(ValueError, match="labels go up to 9 but the matrix has 5 classes"):
        inspect.confusion_matrix(course_cnn(), x, y, num_classes=5)
