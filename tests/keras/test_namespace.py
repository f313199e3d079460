"""The classic `keras` module tree served by lamina.keras, and the errors for names lamina lacks."""
import importlib

import numpy as np
import pytest

import lamina
from lamina import keras
from lamina.compat._state import LegacyNameError


def test_both_import_spellings_give_the_same_module():
    import lamina.keras as k2
    assert k2 is keras is lamina.keras
    assert keras.__version__.startswith("2.")


@pytest.mark.parametrize("module,names", [
    ("models", ["Sequential", "Model", "load_model", "save_model", "model_from_json"]),
    ("layers", ["Dense", "Conv2D", "Convolution1D", "Convolution2D", "MaxPool1D", "MaxPool2D", "AvgPool2D",
                "MaxPooling2D", "Dropout", "Flatten", "Activation", "BatchNormalization", "Input", "Layer",
                "GlobalAveragePooling2D", "Concatenate", "concatenate", "add", "AtrousConvolution2D", "merge"]),
    ("layers.core", ["Dense", "Dropout", "Activation", "Flatten", "Reshape", "Lambda"]),
    ("layers.convolutional", ["Conv2D", "Convolution2D", "UpSampling2D", "ZeroPadding2D", "Deconvolution2D"]),
    ("layers.pooling", ["MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D"]),
    ("layers.normalization", ["BatchNormalization"]),
    ("layers.advanced_activations", ["LeakyReLU", "PReLU", "ELU"]),
    ("layers.noise", ["GaussianNoise", "GaussianDropout"]),
    ("layers.merge", ["Add", "Concatenate", "add", "concatenate"]),
    ("optimizers", ["SGD", "RMSprop", "Adam", "Adadelta", "Adagrad", "Adamax", "Nadam", "sgd", "adam", "get"]),
    ("losses", ["categorical_crossentropy", "binary_crossentropy", "mse", "mean_squared_error"]),
    ("metrics", ["accuracy", "categorical_accuracy", "binary_accuracy"]),
    ("callbacks", ["EarlyStopping", "ModelCheckpoint", "History", "Callback", "ReduceLROnPlateau", "CSVLogger",
                   "LearningRateScheduler", "LambdaCallback", "BaseLogger", "ProgbarLogger"]),
    ("regularizers", ["l1", "l2", "l1_l2", "l1l2"]),
    ("initializers", ["glorot_uniform", "he_normal", "RandomNormal", "Zeros", "normal", "zero"]),
    ("activations", ["relu", "softmax", "sigmoid", "tanh"]),
    ("constraints", ["max_norm", "MaxNorm", "maxnorm", "non_neg"]),
    ("utils", ["to_categorical", "normalize", "set_random_seed", "np_utils", "Sequence"]),
    ("utils.np_utils", ["to_categorical", "normalize", "probas_to_classes"]),
    ("preprocessing.image", ["ImageDataGenerator", "load_img", "img_to_array", "array_to_img"]),
    ("datasets", ["mnist", "mnist_sample", "fashion_mnist", "cifar10"]),
    ("backend", ["image_data_format", "set_image_data_format", "image_dim_ordering", "set_image_dim_ordering",
                 "clear_session", "epsilon", "floatx", "int_shape", "count_params", "mean", "square", "sqrt", "abs",
                 "gradients", "function", "learning_phase"]),
    ("engine.topology", ["Layer", "InputSpec"]),
])
def test_classic_module_tree(module, names):
    mod = importlib.import_module(f"lamina.keras.{module}")
    for name in names:
        assert getattr(mod, name) is not None, f"keras.{module}.{name}"


def test_classic_names_are_lamina_objects():
    # The classic classes are lamina's classes with the Keras 1/2 forms on top: instances are
    # lamina objects, and lamina objects count as classic ones.
    assert keras.layers.Convolution2D is keras.layers.Conv2D and keras.layers.core.Dense is keras.layers.Dense
    assert issubclass(keras.layers.Conv2D, lamina.layers.Conv2D) and keras.layers.Conv2D.__name__ == "Conv2D"
    assert isinstance(keras.layers.Dense(3), lamina.layers.Dense) and isinstance(lamina.layers.Dense(3),
                                                                                   keras.layers.Dense)
    assert issubclass(keras.models.Sequential, lamina.Sequential)
    assert isinstance(lamina.Sequential(), keras.models.Sequential) and isinstance(lamina.Sequential(),
                                                                                    keras.models.Model)
    assert keras.datasets.mnist_sample is lamina.datasets.mnist_sample
    assert keras.utils.np_utils.to_categorical is lamina.utils.to_categorical
    assert isinstance(keras.optimizers.SGD(), lamina.optimizers.SGD)


def test_np_utils_to_categorical():
    y = keras.utils.np_utils.to_categorical([0, 2, 1], 3)
    np.testing.assert_array_equal(y, np.eye(3)[[0, 2, 1]])


def test_keras1_merge_function_and_keras2_merge_module():
    a, b = lamina.Input((4,)), lamina.Input((4,))
    with pytest.warns(DeprecationWarning, match="Keras 1 form; use keras.layers.concatenate"):
        out = keras.layers.merge([a, b], mode="concat", concat_axis=-1)
    assert out.shape == (None, 8)
    assert keras.layers.merge([a, b], mode="sum").shape == (None, 4)
    assert keras.layers.merge.Add is keras.layers.Add and issubclass(keras.layers.Add, lamina.layers.Add)
    with pytest.raises(ValueError, match="merge\\(mode='cos'\\).*Lambda"):
        keras.layers.merge([a, b], mode="cos")
    with pytest.raises(TypeError, match="Merge.*functional API"):
        keras.layers.Merge([a, b], mode="concat")


@pytest.mark.parametrize("module,name,match", [
    ("layers", "CuDNNLSTM", "use LSTM.*fused kernel"),
    ("layers", "Highway", "Keras 2 removed Highway"),
    ("layers", "Cropping2D", "lamina has no Cropping2D layer"),
    ("layers.core", "TimeDistributedDense", "Dense applies to the last axis"),
    ("callbacks", "RemoteMonitor", "LambdaCallback"),
    ("utils", "print_summary", "summary"),
    ("datasets", "boston_housing", "boston_housing"),
    ("models", "clone_model", "model_from_json"),
])
def test_missing_classic_names_explain_themselves(module, name, match):
    mod = importlib.import_module(f"lamina.keras.{module}")
    with pytest.raises(LegacyNameError, match=match):
        getattr(mod, name)
    with pytest.raises(ImportError, match=match):  # the message survives `from keras.x import Name`
        exec(f"from lamina.keras.{module} import {name}", {})


def test_unknown_names_are_attribute_errors_with_a_hint():
    with pytest.raises(AttributeError, match="did you mean 'Dense'"):
        keras.layers.Dens
    assert not hasattr(keras.layers, "NoSuchLayer")


def test_yaml_is_refused_with_the_json_route():
    model = keras.models.Sequential([keras.layers.Dense(2, input_dim=3)])
    with pytest.raises(NotImplementedError, match="to_json"):
        model.to_yaml()
    with pytest.raises(NotImplementedError, match="model_from_json"):
        keras.models.model_from_yaml("x")


def test_sequence_feeds_fit():
    class Batches(keras.utils.Sequence):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            rng = np.random.default_rng(i)
            return rng.random((4, 5)).astype("float32"), np.eye(2)[rng.integers(0, 2, 4)]

    model = keras.models.Sequential([keras.layers.Dense(2, activation="softmax", input_dim=5)])
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    assert len(model.fit(Batches(), epochs=2, verbose=0).history["loss"]) == 2


def test_lamina_exposes_keras_lazily():
    assert lamina.keras is keras
    assert "keras" in dir(lamina)
