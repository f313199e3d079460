"""Keras layers on torch."""
from .activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from .base import InputSpec, Layer, LossScope
from .conv_recurrent import ConvLSTM2D, ConvLSTM2DCell
from .convolutional import (Conv1D, Conv2D, Conv2DTranspose, Convolution1D, Convolution2D,
                            Convolution2DTranspose, Deconvolution2D)
from .depthwise import DepthwiseConv2D, SeparableConv2D, SeparableConvolution2D
from .core import Activation, Dense, Input, InputLayer, Lambda
from .merging import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add, average,
                      concatenate, maximum, minimum, multiply, subtract)
from .normalization import BatchNormalization
from .pooling import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalMaxPool1D,
                      GlobalMaxPool2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPool1D, MaxPool2D,
                      MaxPooling1D, MaxPooling2D)
from .preprocessing import (CenterCrop, Normalization, RandomBrightness, RandomContrast, RandomCrop, RandomFlip,
                            RandomRotation, RandomTranslation, RandomZoom, Rescaling, Resizing)
from .regularization import Dropout, GaussianDropout, GaussianNoise, SpatialDropout2D
from .reshaping import Flatten, Permute, Reshape, UpSampling2D, ZeroPadding2D
from .embedding import Embedding, Masking
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .reshaping1d import Cropping1D, RepeatVector, UpSampling1D, ZeroPadding1D
from .rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from .regularization import SpatialDropout1D
from .wrappers import Bidirectional, TimeDistributed

__all__ = [
    # base and core
    "Layer", "InputSpec", "LossScope", "Input", "InputLayer", "Dense", "Activation", "Lambda",
    # convolutional
    "Conv1D", "Conv2D", "Conv2DTranspose", "Convolution1D", "Convolution2D", "Convolution2DTranspose",
    "Deconvolution2D",
    # depthwise
    "DepthwiseConv2D", "SeparableConv2D", "SeparableConvolution2D",
    # pooling
    "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "MaxPool1D", "MaxPool2D",
    "AvgPool1D", "AvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D",
    # reshaping
    "Flatten", "Reshape", "Permute", "ZeroPadding2D", "UpSampling2D",
    # normalization and regularization
    "BatchNormalization", "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
    # activation
    "ReLU", "LeakyReLU", "Softmax", "ELU", "PReLU",
    # merging
    "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    "concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum",
    # preprocessing and augmentation
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "RandomContrast", "RandomBrightness",
    "RandomCrop", "Rescaling", "Resizing", "CenterCrop", "Normalization",
    # sequences: recurrent, embedding, masking, wrappers, 1-D helpers
    "RNN", "SimpleRNN", "GRU", "LSTM", "SimpleRNNCell", "GRUCell", "LSTMCell", "StackedRNNCells",
    "ConvLSTM2D", "ConvLSTM2DCell",
    "Embedding", "Masking", "TimeDistributed", "Bidirectional", "RepeatVector", "ZeroPadding1D", "Cropping1D",
    "UpSampling1D", "SpatialDropout1D",
]
