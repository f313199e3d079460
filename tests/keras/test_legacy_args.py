"""Keras 1 layer arguments, translated by lamina.keras's argument translator with one warning per form."""
import warnings

import numpy as np
import pytest
import torch

import lamina
from lamina import keras  # noqa: F401 - importing the namespace installs the translator
from lamina.compat import _state
from lamina.keras import layers as K1
from lamina.keras import regularizers


@pytest.fixture(autouse=True)
def _every_warning_once_per_test():
    _state._WARNED.clear()
    yield


def test_dense_keras1_arguments():
    with pytest.warns(DeprecationWarning) as record:
        layer = K1.Dense(output_dim=10, init="normal", W_regularizer=regularizers.l2(0.01), b_regularizer="l1",
                         bias=True, input_dim=784)
    messages = " ".join(str(w.message) for w in record)
    for old, new in [("output_dim", "units"), ("init", "kernel_initializer"), ("W_regularizer", "kernel_regularizer"),
                     ("b_regularizer", "bias_regularizer"), ("bias", "use_bias")]:
        assert f"Dense({old}=...) is the Keras 1 form; use {new}=" in messages
    assert layer.units == 10 and layer.use_bias
    assert type(layer.kernel_regularizer if not isinstance(layer.kernel_regularizer, str) else None).__name__ in (
        "L2", "L1L2", "NoneType")
    model = lamina.Sequential([layer])
    assert model.count_params() == 7850


def test_convolution2d_keras1_positional_and_keywords():
    with pytest.warns(DeprecationWarning, match=r"Conv2D\(32, 3, 3\) \(nb_filter, nb_row, nb_col\) is the Keras 1 "
                                                r"form; use Conv2D\(32, \(3, 3\)\)"):
        conv = K1.Convolution2D(32, 3, 3, border_mode="same", subsample=(2, 2), dim_ordering="th",
                                input_shape=(1, 28, 28))
    assert conv.kernel_size == (3, 3) and conv.strides == (2, 2) and conv.padding == "same"
    assert conv.data_format == "channels_first"
    model = lamina.Sequential([conv])
    assert model.output_shape == (None, 32, 14, 14) and model.count_params() == 320


def test_nb_filter_nb_row_nb_col_keywords():
    conv = K1.Convolution2D(nb_filter=8, nb_row=5, nb_col=3, dim_ordering="tf")
    assert (conv.filters, conv.kernel_size, conv.data_format) == (8, (5, 3), "channels_last")


def test_keras2_positional_strides_are_untouched_when_keras2_keywords_are_present():
    conv = K1.Conv2D(16, 3, 2, padding="same")
    assert conv.kernel_size == (3, 3) and conv.strides == (2, 2)


def test_conv1d_pooling_dropout_noise_batchnorm():
    conv = K1.Convolution1D(nb_filter=4, filter_length=3, subsample_length=2, border_mode="valid", input_dim=6,
                            input_length=20)
    assert (conv.filters, conv.kernel_size, conv.strides) == (4, (3,), (2,))
    assert lamina.Sequential([conv]).output_shape == (None, 9, 4)
    pool = K1.MaxPooling1D(pool_length=3, stride=1, border_mode="same")
    assert (pool.pool_size, pool.strides, pool.padding) == ((3,), (1,), "same")
    pool2 = K1.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), border_mode="valid", dim_ordering="th")
    assert pool2.data_format == "channels_first"
    assert K1.Dropout(p=0.3).rate == 0.3
    assert K1.GaussianNoise(sigma=0.2).stddev == 0.2
    bn = K1.BatchNormalization(mode=0, axis=1, beta_init="zero", gamma_init="one")
    assert bn.axis == 1
    with pytest.raises(ValueError, match=r"BatchNormalization\(mode=2\).*Remove mode="):
        K1.BatchNormalization(mode=2)


def test_keras1_functional_model_input_output():
    x = lamina.Input((4,))
    y = K1.Dense(2)(x)
    with pytest.warns(DeprecationWarning, match=r"Model\(input=..., output=...\) is the Keras 1 form"):
        model = keras.models.Model(input=x, output=y)
    assert model.output_shape == (None, 2)


def test_batch_input_shape_and_input_dtype():
    layer = K1.Dense(3, batch_input_shape=(None, 5), input_dtype="float32")
    assert lamina.Sequential([layer]).input_shape == (None, 5)


def test_each_form_warns_once():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(3):
            K1.Dropout(p=0.1)
    assert len([w for w in record if "Dropout(p=...)" in str(w.message)]) == 1


def test_quiet_silences_legacy_warnings():
    from lamina import compat
    compat.quiet()
    try:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            compat.quiet()  # the filter goes on top again after simplefilter
            K1.Dense(output_dim=3)
            lamina.optimizers.SGD(lr=0.1)
        assert not [w for w in record if issubclass(w.category, DeprecationWarning)]
    finally:
        compat.quiet(False)


def test_quiet_environment_variable(monkeypatch):
    monkeypatch.setenv("LAMINA_QUIET_LEGACY", "1")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        K1.Dense(output_dim=3)
    assert not record


def test_custom_layer_with_its_own_output_dim_keeps_it():
    class MyLayer(K1.Layer):
        def __init__(self, output_dim, **kwargs):
            self.output_dim = output_dim
            super().__init__(**kwargs)

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[1], self.output_dim),
                                          initializer="uniform", trainable=True)

        def call(self, x):
            return x @ self.kernel

    layer = MyLayer(output_dim=4)
    assert layer(torch.ones(2, 3)).shape == (2, 4)


@pytest.mark.parametrize("make,match", [
    (lambda: K1.Convolution2D(4, 3, 3, border_mode="full"), "border_mode='full'.*ZeroPadding2D"),
    (lambda: K1.Dense(3, output_dim=4, units=4), "both output_dim= .*units="),
    (lambda: K1.Conv2D(4, 3, dim_ordering="xy"), "dim_ordering='xy'.*data_format"),
])
def test_unsupported_keras1_forms_name_the_modern_form(make, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()


def test_atrous_convolution():
    conv = K1.AtrousConvolution2D(4, 3, 3, atrous_rate=(2, 2))
    assert conv.dilation_rate == (2, 2) and conv.kernel_size == (3, 3)


def test_regularizer_l1l2_keras1_name():
    with pytest.warns(DeprecationWarning, match="l1_l2"):
        reg = regularizers.l1l2(l1=0.1, l2=0.2)
    assert (reg.l1, reg.l2) == (pytest.approx(0.1), pytest.approx(0.2))
