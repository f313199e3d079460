import pytest

from lamina._errors import did_you_mean, int_tuple, positive_int, unknown_name_error


@pytest.mark.parametrize("typo, valid, expected", [
    ("adma", ["adam", "adamax", "sgd"], "adam"),          # a swap of neighbours is one edit
    ("rlu", ["relu", "elu", "selu"], "relu"),
    ("categorical_crossentopy", ["categorical_crossentropy", "sparse_categorical_crossentropy"],
     "categorical_crossentropy"),
    ("RMSProp", ["rmsprop", "sgd"], "rmsprop"),
])
def test_did_you_mean_picks_the_closest_name(typo, valid, expected):
    assert did_you_mean(typo, valid) == f"; did you mean {expected!r}?"


def test_no_suggestion_for_unrelated_names():
    assert did_you_mean("xyzzy", ["relu", "tanh"]) == ""


def test_unknown_name_error_lists_valid_names_sorted():
    err = unknown_name_error("activation", "rlu", ["tanh", "relu", "elu"])
    assert str(err) == "Unknown activation 'rlu'. Expected one of 'elu', 'relu', 'tanh'; did you mean 'relu'?"


def test_argument_checks_print_the_received_value():
    with pytest.raises(ValueError, match=r"Dense expects units to be a positive int. Received: units=0"):
        positive_int("Dense", "units", 0)
    assert int_tuple("Conv2D", "kernel_size", 3, 2) == (3, 3)
    with pytest.raises(ValueError, match=r"Received: kernel_size=\(3, 3, 3\)"):
        int_tuple("Conv2D", "kernel_size", (3, 3, 3), 2)
