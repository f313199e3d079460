"""Every layer of every family through the shared contract (tests/layers/contract.py)."""
import pytest

from contract import run_layer_test
from lamina import initializers, regularizers
from lamina import layers as L

# id, factory, input shape (with batch), expected output shape, expected params, (trainable, non-trainable) tensors
CASES = [
    # convolutional
    ("conv1d", lambda: L.Conv1D(4, 3), (2, 10, 3), (None, 8, 4), 40, (2, 0)),
    ("conv1d_causal_dilated", lambda: L.Conv1D(4, 3, padding="causal", dilation_rate=2), (2, 10, 3),
     (None, 10, 4), 40, (2, 0)),
    ("conv1d_same_stride_cf", lambda: L.Conv1D(4, 3, strides=2, padding="same", data_format="channels_first"),
     (2, 3, 9), (None, 4, 5), 40, (2, 0)),
    ("conv2d", lambda: L.Conv2D(4, 3, activation="relu"), (2, 8, 8, 3), (None, 6, 6, 4), 112, (2, 0)),
    ("conv2d_same_stride_nobias", lambda: L.Conv2D(4, (3, 2), strides=2, padding="same", use_bias=False),
     (2, 7, 8, 3), (None, 4, 4, 4), 72, (1, 0)),
    ("conv2d_channels_first", lambda: L.Conv2D(4, 3, data_format="channels_first"), (2, 3, 8, 8),
     (None, 4, 6, 6), 112, (2, 0)),
    ("conv2d_groups", lambda: L.Conv2D(6, 3, groups=2, padding="same"), (2, 6, 6, 4), (None, 6, 6, 6), 114, (2, 0)),
    ("conv2d_dilated", lambda: L.Conv2D(2, 3, dilation_rate=2, kernel_regularizer="l2"), (2, 9, 9, 1),
     (None, 5, 5, 2), 20, (2, 0)),
    ("conv2d_objects", lambda: L.Conv2D(2, 3, kernel_initializer=initializers.HeNormal(seed=1),
                                        bias_regularizer=regularizers.L2(0.1), activity_regularizer="l1"),
     (2, 5, 5, 1), (None, 3, 3, 2), 20, (2, 0)),
    ("conv2d_transpose_same", lambda: L.Conv2DTranspose(4, 3, strides=2, padding="same"), (2, 4, 4, 3),
     (None, 8, 8, 4), 112, (2, 0)),
    ("conv2d_transpose_valid", lambda: L.Conv2DTranspose(4, 3, strides=2), (2, 4, 4, 3), (None, 9, 9, 4), 112,
     (2, 0)),
    ("conv2d_transpose_outpad_cf", lambda: L.Conv2DTranspose(2, 4, strides=2, padding="same", output_padding=1,
                                                             data_format="channels_first"),
     (2, 3, 4, 4), (None, 2, 7, 7), 98, (2, 0)),
    # depthwise (more cases in test_depthwise.py)
    ("depthwise_conv2d", lambda: L.DepthwiseConv2D(3, padding="same", depth_multiplier=2), (2, 5, 5, 3),
     (None, 5, 5, 6), 60, (2, 0)),
    ("separable_conv2d", lambda: L.SeparableConv2D(4, 3), (2, 5, 5, 3), (None, 3, 3, 4), 43, (3, 0)),
    # pooling
    ("max_pool1d", lambda: L.MaxPooling1D(), (2, 9, 3), (None, 4, 3), 0, (0, 0)),
    ("avg_pool1d_same", lambda: L.AveragePooling1D(3, strides=2, padding="same"), (2, 8, 3), (None, 4, 3), 0, (0, 0)),
    ("max_pool2d", lambda: L.MaxPooling2D((2, 2)), (2, 7, 6, 3), (None, 3, 3, 3), 0, (0, 0)),
    ("max_pool2d_same", lambda: L.MaxPooling2D(3, strides=2, padding="same"), (2, 6, 7, 3), (None, 3, 4, 3), 0,
     (0, 0)),
    ("avg_pool2d_same_cf", lambda: L.AveragePooling2D(2, padding="same", data_format="channels_first"),
     (2, 3, 5, 5), (None, 3, 3, 3), 0, (0, 0)),
    ("global_max1d", lambda: L.GlobalMaxPooling1D(), (2, 6, 3), (None, 3), 0, (0, 0)),
    ("global_avg1d_keep", lambda: L.GlobalAveragePooling1D(keepdims=True), (2, 6, 3), (None, 1, 3), 0, (0, 0)),
    ("global_max2d_cf", lambda: L.GlobalMaxPooling2D(data_format="channels_first"), (2, 3, 4, 5), (None, 3), 0,
     (0, 0)),
    ("global_avg2d", lambda: L.GlobalAveragePooling2D(), (2, 4, 5, 3), (None, 3), 0, (0, 0)),
    # reshaping
    ("flatten", lambda: L.Flatten(), (2, 3, 4, 5), (None, 60), 0, (0, 0)),
    ("flatten_cf", lambda: L.Flatten(data_format="channels_first"), (2, 3, 4, 5), (None, 60), 0, (0, 0)),
    ("reshape", lambda: L.Reshape((-1, 2)), (2, 12), (None, 6, 2), 0, (0, 0)),
    ("permute", lambda: L.Permute((2, 3, 1)), (2, 3, 4, 5), (None, 4, 5, 3), 0, (0, 0)),
    ("zero_padding2d", lambda: L.ZeroPadding2D(((1, 0), (2, 3))), (2, 4, 4, 3), (None, 5, 9, 3), 0, (0, 0)),
    ("up_sampling2d", lambda: L.UpSampling2D((2, 3)), (2, 3, 3, 2), (None, 6, 9, 2), 0, (0, 0)),
    ("up_sampling2d_bilinear_cf", lambda: L.UpSampling2D(2, data_format="channels_first", interpolation="bilinear"),
     (2, 2, 3, 3), (None, 2, 6, 6), 0, (0, 0)),
    # normalization
    ("batch_norm_dense", lambda: L.BatchNormalization(), (4, 5), (None, 5), 20, (2, 2)),
    ("batch_norm_images", lambda: L.BatchNormalization(momentum=0.9, gamma_regularizer="l2"), (4, 3, 3, 2),
     (None, 3, 3, 2), 8, (2, 2)),
    ("batch_norm_cf", lambda: L.BatchNormalization(axis=1), (4, 2, 3, 3), (None, 2, 3, 3), 8, (2, 2)),
    ("batch_norm_plain", lambda: L.BatchNormalization(center=False, scale=False), (4, 6, 2), (None, 6, 2), 4, (0, 2)),
    # activation
    ("relu", lambda: L.ReLU(), (2, 5), (None, 5), 0, (0, 0)),
    ("relu_options", lambda: L.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2), (2, 5), (None, 5), 0, (0, 0)),
    ("leaky_relu", lambda: L.LeakyReLU(), (2, 5), (None, 5), 0, (0, 0)),
    ("softmax", lambda: L.Softmax(), (2, 5), (None, 5), 0, (0, 0)),
    ("softmax_axes", lambda: L.Softmax(axis=(1, 2)), (2, 3, 4), (None, 3, 4), 0, (0, 0)),
    ("elu", lambda: L.ELU(alpha=0.5), (2, 5), (None, 5), 0, (0, 0)),
    ("prelu", lambda: L.PReLU(alpha_initializer="ones"), (2, 4, 4, 3), (None, 4, 4, 3), 48, (1, 0)),
    ("prelu_shared", lambda: L.PReLU(shared_axes=[1, 2]), (2, 4, 4, 3), (None, 4, 4, 3), 3, (1, 0)),
    # merging
    ("add", lambda: L.Add(), [(2, 3, 4), (2, 3, 4)], (None, 3, 4), 0, (0, 0)),
    ("add_broadcast", lambda: L.Add(), [(2, 3, 4), (2, 4)], (None, 3, 4), 0, (0, 0)),
    ("subtract", lambda: L.Subtract(), [(2, 5), (2, 5)], (None, 5), 0, (0, 0)),
    ("multiply", lambda: L.Multiply(), [(2, 5), (2, 5), (2, 5)], (None, 5), 0, (0, 0)),
    ("average", lambda: L.Average(), [(2, 5), (2, 1)], (None, 5), 0, (0, 0)),
    ("maximum", lambda: L.Maximum(), [(2, 5), (2, 5)], (None, 5), 0, (0, 0)),
    ("minimum", lambda: L.Minimum(), [(2, 5), (2, 5)], (None, 5), 0, (0, 0)),
    ("concatenate", lambda: L.Concatenate(), [(2, 4, 4, 2), (2, 4, 4, 3)], (None, 4, 4, 5), 0, (0, 0)),
    ("concatenate_axis1", lambda: L.Concatenate(axis=1), [(2, 2, 3), (2, 4, 3)], (None, 6, 3), 0, (0, 0)),
]

NOISY = [
    ("dropout", lambda: L.Dropout(0.5), (4, 6), (None, 6)),
    ("dropout_noise_shape_seed", lambda: L.Dropout(0.5, noise_shape=(None, 1, 3), seed=3), (4, 2, 3), (None, 2, 3)),
    ("spatial_dropout2d", lambda: L.SpatialDropout2D(0.3, seed=1), (2, 3, 3, 4), (None, 3, 3, 4)),
    ("gaussian_noise", lambda: L.GaussianNoise(0.1), (4, 6), (None, 6)),
    ("gaussian_dropout", lambda: L.GaussianDropout(0.2, seed=5), (4, 6), (None, 6)),
]


@pytest.mark.parametrize("factory,input_shape,out_shape,params,counts",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layer_contract(factory, input_shape, out_shape, params, counts):
    run_layer_test(factory, input_shape, expected_output_shape=out_shape, expected_num_params=params,
                   expected_num_trainable_weights=counts[0], expected_num_non_trainable_weights=counts[1])


@pytest.mark.parametrize("factory,input_shape,out_shape", [c[1:] for c in NOISY], ids=[c[0] for c in NOISY])
def test_noise_layer_contract(factory, input_shape, out_shape):
    run_layer_test(factory, input_shape, expected_output_shape=out_shape, expected_num_params=0,
                   deterministic_training=False)


def _cases_in(relative_path, *names):
    """Contract cases kept beside other tests (e.g. the preprocessing layers'), loaded by path."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / relative_path
    spec = importlib.util.spec_from_file_location(f"_contract_cases_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [case for name in names for case in getattr(module, name)]


def test_every_exported_layer_class_is_covered():
    cases = CASES + NOISY + _cases_in("preprocessing/test_preprocessing_layers.py", "RANDOM", "FIXED")
    sequence = _cases_in("layers/test_recurrent_contract.py", "CASES", "NOISY", "IDS")
    covered = {type(c[1]()).__name__ for c in cases + sequence} | {"Dense", "Activation", "Lambda", "InputLayer",
                                                                   "Layer"}
    covered |= {type(getattr(c[1](), "cell", None)).__name__ for c in sequence}  # cells, through RNN(cell)
    covered |= {type(cell).__name__ for c in sequence for cell in getattr(getattr(c[1](), "cell", None), "cells", [])}
    exported = {name for name in L.__all__
                if isinstance(getattr(L, name), type) and issubclass(getattr(L, name), L.Layer)}
    real = {getattr(L, name).__name__ for name in exported}
    assert real - covered == set()


class _WrongShape(L.Conv2D):
    def compute_output_shape(self, input_shape):
        out = super().compute_output_shape(input_shape)
        return out[:1] + (out[1] + 1,) + out[2:]


class _ForgetsConfig(L.Dropout):
    def get_config(self):
        cfg = super().get_config()
        del cfg["seed"]
        return cfg


class _NoGradient(L.Dense):
    def call(self, inputs):
        return super().call(inputs).detach() + inputs.sum() * 0


@pytest.mark.parametrize("factory,shape", [(lambda: _WrongShape(2, 3), (2, 5, 5, 1)),
                                           (lambda: _ForgetsConfig(0.5, seed=3), (2, 4)),
                                           (lambda: _NoGradient(3), (2, 4))],
                         ids=["wrong_output_shape", "incomplete_config", "missing_gradient"])
def test_contract_catches_broken_layers(factory, shape):
    with pytest.raises(AssertionError):
        run_layer_test(factory, shape, deterministic_training=False)
