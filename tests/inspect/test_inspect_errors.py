"""Bad input gets the promised error or notice."""
import numpy as np
import pytest

import lamina
from lamina import inspect
from lamina.layers import Conv2D, Dense, Flatten

from inspect_models import SubclassedCNN, course_cnn


@pytest.mark.parametrize("call", [
    lambda m, img: inspect.feature_maps(m, img, layers=["conv2d", "conv_2d_1"]),
    lambda m, img: inspect.grad_cam(m, img, layer="conv_2d_1"),
    lambda m, img: inspect.maximize_activation(m, "conv_2d_1", 0, steps=1),
    lambda m, img: inspect.top_activating_patches(m, "conv_2d_1", 0, img[None]),
    lambda m, img: inspect.activation_model(m, ["conv_2d_1"]),
])
def test_unknown_layer_names_list_the_layers_with_a_did_you_mean(call, digits):
    with pytest.raises(ValueError, match=r"Unknown layer name in model 'cnn': 'conv_2d_1'\. Expected one of "
                                         r"'conv2d', 'conv2d_1', 'conv2d_2', 'dense', .*did you mean 'conv2d_1'\?"):
        call(course_cnn(), digits[0][0])


def test_grad_cam_on_a_layer_without_spatial_output_names_the_layers_that_qualify(digits):
    with pytest.raises(ValueError, match=r"grad_cam needs a layer with a spatial output \(batch, rows, cols, "
                                         r"channels\); layer 'dense' \(Dense\) outputs shape \(None, 50\)\. Layers "
                                         r"that qualify: 'conv2d', 'conv2d_1', 'conv2d_2', 'dropout'\."):
        inspect.grad_cam(course_cnn(), digits[0][0], layer="dense")


def test_grad_cam_on_a_network_without_convolutions(digits):
    mlp = lamina.Sequential([Flatten(input_shape=(28, 28, 1)), Dense(10, activation="softmax")])
    with pytest.raises(ValueError, match=r"model '.*' has no convolutional layer with a spatial output\. No layer "
                                         r"of model .* has a spatial output: Grad-CAM needs a convolutional network"):
        inspect.grad_cam(mlp, digits[0][0])


def test_an_image_of_another_size_is_resized_with_a_notice(digits):
    model = course_cnn()
    big = np.kron(digits[0][0, :, :, 0], np.ones((2, 2), np.float32))      # 56x56
    with pytest.warns(UserWarning, match=r"feature_maps: resized images from 56x56 to 28x28, the input size of "
                                         r"model 'cnn'"):
        maps = inspect.feature_maps(model, big)
    assert maps["conv2d"].shape == (14, 14, 10)
    with pytest.warns(UserWarning, match="grad_cam: resized images from 20x24 to 28x28"):
        cam = inspect.grad_cam(model, np.random.rand(20, 24).astype(np.float32))
    assert cam["overlay"].shape == (28, 28, 3)


def test_colour_and_grey_are_converted_with_a_notice(digits):
    grey = digits[0][0]
    rgb = np.repeat(grey, 3, axis=-1)
    model = course_cnn()
    with pytest.warns(UserWarning, match=r"converted colour images to grey \(ITU-R 601 luma\), as model 'cnn' "
                                         r"takes 1 channel"):
        a = inspect.feature_maps(model, rgb)
    b = inspect.feature_maps(model, grey)
    np.testing.assert_allclose(a["conv2d"], b["conv2d"], rtol=1e-5, atol=1e-6)
    colour_model = lamina.Sequential([Conv2D(2, 3, input_shape=(28, 28, 3)), Flatten(), Dense(2)])
    with pytest.warns(UserWarning, match="repeated grey images over 3 channels"):
        inspect.feature_maps(colour_model, grey)
    with pytest.warns(UserWarning, match="dropped the alpha channel"):
        inspect.feature_maps(colour_model, np.random.rand(28, 28, 4).astype(np.float32))


def test_impossible_conversions_are_errors(digits):
    model = course_cnn()
    with pytest.raises(ValueError, match=r"model 'cnn' takes images with 1 channel; received images with 2 "
                                         r"channels \(shape \(28, 28, 2\)\), which cannot be converted"):
        inspect.grad_cam(model, np.zeros((28, 28, 2), np.float32))
    mlp = lamina.Sequential([Dense(10, input_dim=784, activation="softmax")])
    with pytest.raises(ValueError, match=r"expects vectors of 784 values, input shape \(None, 784\); received "
                                         r"images of shape \(20, 20\) \(400 values\)"):
        inspect.saliency(mlp, np.zeros((20, 20), np.float32))
    with pytest.raises(ValueError, match=r"feature_maps looks at one image; received a batch of 5 "
                                         r"\(shape \(5, 28, 28, 1\)\)\. Pass images\[i\]"):
        inspect.feature_maps(model, digits[0][:5])
    with pytest.raises(ValueError, match=r"received an array of shape \(1, 2, 28, 28, 1\) \(5 axes\)"):
        inspect.confusion_matrix(model, np.zeros((1, 2, 28, 28, 1), np.float32), [0])


def test_an_mlp_on_vectors_takes_images_flattened(digits):
    mlp = lamina.Sequential([Dense(10, input_dim=784, activation="softmax")])
    sal = inspect.saliency(mlp, digits[0][0])
    assert sal["saliency"].shape == (784,)


@pytest.mark.parametrize("make", [
    lambda: lamina.Sequential([Conv2D(4, 3), Flatten(), Dense(10)]),
    SubclassedCNN,
])
def test_a_model_that_was_never_built(make, digits):
    model = make()
    for call in (lambda: inspect.feature_maps(model, digits[0][0]),
                 lambda: inspect.grad_cam(model, digits[0][0]),
                 lambda: inspect.receptive_fields(model),
                 lambda: inspect.confusion_matrix(model, *digits)):
        with pytest.raises(ValueError, match=rf"model '{model.name}' is not built yet, so it has no weights to "
                                             rf"look at\. Give its first layer input_shape=\.\.\."):
            call()


def test_out_of_range_indices(digits):
    model = course_cnn()
    with pytest.raises(ValueError, match=r"the model has 10 outputs \(classes 0..9\); received class_index=10"):
        inspect.grad_cam(model, digits[0][0], class_index=10)
    with pytest.raises(ValueError, match=r"layer 'conv2d' has 10 channels \(0..9\); received filter_index=10"):
        inspect.maximize_activation(model, "conv2d", 10, steps=1)
    with pytest.raises(ValueError, match=r"layer 'conv2d_1' has 40 channels \(0..39\); received channel=40"):
        inspect.top_activating_patches(model, "conv2d_1", 40, digits[0][:4])
    with pytest.raises(ValueError, match=r"top_activating_patches needs a layer with a spatial output .*layer "
                                         r"'dense' outputs \(50,\)"):
        inspect.top_activating_patches(model, "dense", 0, digits[0][:4])
    with pytest.raises(ValueError, match=r"has 8 layers \(indices 0..7\); received layer=8"):
        inspect.feature_maps(model, digits[0][0], layers=[8])
    with pytest.raises(ValueError, match="saliency expects method 'vanilla' or 'smoothgrad'.*did you mean 'smoothgrad'"):
        inspect.saliency(model, digits[0][0], method="smoothgrd")


def test_not_a_model_and_multi_input_models(digits):
    with pytest.raises(TypeError, match="feature_maps expects a lamina model .* Received Dense"):
        inspect.feature_maps(Dense(3), digits[0][0])
    a, b = lamina.Input((4,)), lamina.Input((4,))
    from lamina.layers import Concatenate
    two = lamina.Model([a, b], Dense(2)(Concatenate()([a, b])))
    with pytest.raises(ValueError, match=r"grad_cam works on models with one input; model '.*' has 2 inputs"):
        inspect.grad_cam(two, np.zeros(4))


def test_a_layer_of_another_model(digits):
    model, other = course_cnn(), course_cnn()
    with pytest.raises(ValueError, match=r"Layer 'conv2d_3' is not part of model 'cnn'\. Pass one of its layers or "
                                         r"a name: .*'conv2d', "):
        inspect.feature_maps(model, digits[0][0], layers=[other.layers[0]])
