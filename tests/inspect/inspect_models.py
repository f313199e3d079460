"""Models of the lamina.inspect tests: the seeds' CNNs in every model style and data format."""
import torch

import lamina
from lamina.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D


def course_cnn():
    """The CS4487 CNN of the seeds (lamina train's 'cnn')."""
    from lamina.cli import zoo
    return zoo.build("cnn", (28, 28, 1), 10)


def channels_first_cnn():
    """The seeds' CNN exactly as written there: channels_first, input (1, 28, 28)."""
    return lamina.Sequential([
        Conv2D(10, (5, 5), strides=(2, 2), activation="relu", input_shape=(1, 28, 28), padding="same",
               data_format="channels_first"),
        Conv2D(40, (5, 5), strides=(2, 2), activation="relu", padding="same", data_format="channels_first"),
        Conv2D(80, (5, 5), strides=(1, 1), activation="relu", padding="same", data_format="channels_first"),
        Flatten(), Dense(50, activation="relu"), Dense(10, activation="softmax")])


def functional_cnn():
    inp = lamina.Input((28, 28, 1))
    x = Conv2D(8, 3, activation="relu", name="c1")(inp)
    x = MaxPooling2D(2, name="p1")(x)
    x = Conv2D(16, 3, activation="relu", name="c2")(x)
    x = Flatten(name="f")(x)
    out = Dense(10, activation="softmax", name="out")(x)
    return lamina.Model(inp, out)


class SubclassedCNN(lamina.Model):
    def __init__(self):
        super().__init__()
        self.conv_a = Conv2D(6, 3, activation="relu", name="conv_a")
        self.pool = MaxPooling2D(2, name="pool")
        self.conv_b = Conv2D(12, 3, activation="relu", name="conv_b")
        self.flat = Flatten(name="flat")
        self.drop = Dropout(0.5, name="drop")
        self.head = Dense(10, activation="softmax", name="head")

    def call(self, inputs, training=None):
        x = self.pool(self.conv_a(inputs))
        x = self.conv_b(x)
        return self.head(self.drop(self.flat(x), training=training))


def subclassed_cnn():
    model = SubclassedCNN()
    model(torch.zeros(1, 28, 28, 1))    # builds it
    return model


MODELS = {"sequential": course_cnn, "channels_first": channels_first_cnn, "functional": functional_cnn,
          "subclassed": subclassed_cnn}


def as_model_input(model_kind, images):
    return images.transpose(0, 3, 1, 2) if model_kind == "channels_first" else images
