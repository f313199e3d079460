"""Parameter counts, output shapes and summary tables of the course networks, exactly as Keras prints them."""
import torch

from lamina import Sequential
from lamina.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D


def _summary(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def _convnet_base():
    return Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
    ])


def test_mnist_convnet_base_and_classifier():
    model = _convnet_base()
    assert model.count_params() == 55_744
    assert [layer.output_shape for layer in model.layers] == [
        (None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64), (None, 5, 5, 64), (None, 3, 3, 64)]
    model.add(Flatten())
    model.add(Dense(64, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    assert model.count_params() == 93_322
    lines = _summary(model)
    assert lines[3:7] == [
        "=================================================================",
        "conv2d (Conv2D)              (None, 26, 26, 32)        320       ",
        "_________________________________________________________________",
        "max_pooling2d (MaxPooling2D) (None, 13, 13, 32)        0         ",
    ]
    assert "max_pooling2d_1 (MaxPooling2 (None, 5, 5, 64)          0         " in lines
    assert "flatten (Flatten)            (None, 576)               0         " in lines
    assert "Total params: 93,322" in lines and "Non-trainable params: 0" in lines
    probs = model(torch.rand(3, 28, 28, 1))
    assert tuple(probs.shape) == (3, 10)
    torch.testing.assert_close(probs.sum(1), torch.ones(3))


def test_channels_first_course_cnn():
    model = Sequential([
        Conv2D(10, (5, 5), strides=(2, 2), padding="same", activation="relu", data_format="channels_first",
               input_shape=(1, 28, 28)),
        Conv2D(40, (5, 5), strides=2, padding="same", activation="relu", data_format="channels_first"),
        Conv2D(80, (5, 5), strides=1, padding="same", activation="relu", data_format="channels_first"),
        Dropout(0.5),
        Flatten(),
        Dense(50, activation="relu"),
        Dropout(0.5),
        Dense(10, activation="softmax"),
    ])
    assert model.count_params() == 286_940
    assert [layer.output_shape for layer in model.layers[:5]] == [
        (None, 10, 14, 14), (None, 40, 7, 7), (None, 80, 7, 7), (None, 80, 7, 7), (None, 3920)]
    lines = _summary(model)
    assert "conv2d (Conv2D)              (None, 10, 14, 14)        260       " in lines
    assert "conv2d_1 (Conv2D)            (None, 40, 7, 7)          10040     " in lines
    assert "conv2d_2 (Conv2D)            (None, 80, 7, 7)          80080     " in lines
    assert "Total params: 286,940" in lines
    assert tuple(model(torch.rand(2, 1, 28, 28)).shape) == (2, 10)


def test_cats_vs_dogs_convnet():
    model = Sequential([Conv2D(32, (3, 3), activation="relu", input_shape=(150, 150, 3)), MaxPooling2D((2, 2))])
    for filters in (64, 128, 128):
        model.add(Conv2D(filters, (3, 3), activation="relu"))
        model.add(MaxPooling2D((2, 2)))
    model.add(Flatten())
    model.add(Dense(512, activation="relu"))
    model.add(Dense(1, activation="sigmoid"))
    assert model.count_params() == 3_453_121
    assert [layer.output_shape for layer in model.layers[:9]] == [
        (None, 148, 148, 32), (None, 74, 74, 32), (None, 72, 72, 64), (None, 36, 36, 64), (None, 34, 34, 128),
        (None, 17, 17, 128), (None, 15, 15, 128), (None, 7, 7, 128), (None, 6272)]
    lines = _summary(model)
    assert "dense (Dense)                (None, 512)               3211776   " in lines
    assert "Total params: 3,453,121" in lines and "Trainable params: 3,453,121" in lines
