"""Acceptance: the code fragments of the four lecture handouts in ../shared/seeds/ run as written under
``python -m lamina.compat``, and give the handouts' own numbers (parameter counts, output shapes).

Each handout becomes one notebook: its fragments verbatim (only the PDF extraction's broken lines
re-joined, e.g. ``input_shape=(28,\\n28, 1))``), in the handout's order, with *harness* cells around
them (marked ``# harness``) that supply what the handouts use but do not show: data pointed at the
bundled mnist-sample or a tiny synthetic cats-and-dogs folder, the course's helper functions, and
``record(...)`` calls handing numbers back. Where the handouts train for up to 100 epochs, the harness
caps training time (``cap_training``); ``test_cs4487_handout_reaches_its_accuracy`` trains the
handout's first networks uncapped and checks the handout's accuracies within a margin.

Substitutions and omissions (said here, not hidden):
- ``VGG16(weights='imagenet', ...)`` runs with ``weights=None``: no pretrained weights offline.
- The feature-extraction loop ``for inputs_batch, labels_batch in generator: ...`` of seed 001 is not
  run: as excerpted on the slide it never ends (the book's version breaks after N samples).
- Seed 003 (the article collection) holds no Keras code (its code is Theano's network3.py).
- Seed 002's "do you spot the error?" fragments run too and fail as they fail in Keras (not compiled,
  a tensor that is not symbolic); the tests check those errors.
"""
import json
import os
import shutil

import pytest

from compat_helpers import run_compat, write_notebook

HERE = os.path.dirname(os.path.abspath(__file__))
pytestmark = pytest.mark.slow


def _run(tmp_path, cells, name="handout.ipynb", timeout=1500):
    shutil.copy(os.path.join(HERE, "seed_harness.py"), tmp_path)
    nb = write_notebook(tmp_path / name, cells + ["# harness\ndump()"])
    proc = run_compat(nb, cwd=tmp_path, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads((tmp_path / "results.json").read_text())


HARNESS = "# harness\nfrom numpy import *\nimport matplotlib.pyplot as plt\nfrom seed_harness import *\n"

# ---------------------------------------------------------------------------- seed 000: CS4487 lecture 9b
CS4487_SETUP = [
    HARNESS,
    # In [2]
    """# use TensorFlow backend
%env KERAS_BACKEND=tensorflow
from keras.models import Sequential, Model
from keras.layers import Dense, Activation, Dropout, Conv2D, Flatten, Input
import keras
import tensorflow
import logging
logging.basicConfig()
import struct""",
    # In [7]
    """n_train, nrow, ncol, trainimg = read_img('data/train-images.idx3-ubyte')
_, trainY = read_label('data/train-labels.idx1-ubyte')
n_test, _, _, testimg = read_img('data/t10k-images.idx3-ubyte')
_, testY = read_label('data/t10k-labels.idx1-ubyte')

# for demonstration we only use 10% of the training data
sample_index = range(0, trainimg.shape[0], 10)
trainimg = trainimg[sample_index]
trainY = trainY[sample_index]
print(trainimg.shape)
print(trainY.shape)
print(testimg.shape)
print(testY.shape)""",
    "# harness\nrecord('shapes', [trainimg.shape, trainY.shape, testimg.shape, testY.shape])",
    # In [8]
    """# Example images
plt.figure(figsize=(8,4))
show_imgs(trainimg[0:50])""",
    # In [9]
    """# Reshape the images to a vector
# and map the data to [0,1]
trainXraw = trainimg.reshape((len(trainimg), -1), order='C') / 255.0
testXraw = testimg.reshape((len(testimg), -1), order='C') / 255.0

# center the image data (but don't change variance)
scaler = preprocessing.StandardScaler(with_std=False)
trainX = scaler.fit_transform(trainXraw)
testX = scaler.transform(testXraw)

# convert class labels to binary indicators
trainYb = keras.utils.to_categorical(trainY)

print(trainX.shape)
print(trainYb.shape)""",
    # In [10]
    """# generate a fixed validation set using 10% of the training set
vtrainX, validX, vtrainYb, validYb = \\
model_selection.train_test_split(trainX, trainYb,
train_size=0.9, test_size=0.1, random_state=4487)

# validation data
validset = (validX, validYb)""",
]

CS4487_LR = [
    # In [11]
    """# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Dense(units=10, input_dim=784, activation='softmax'))

# early stopping criteria
earlystop = keras.callbacks.EarlyStopping(
    monitor='val_acc',                      # use validation accuracy for stopping
    min_delta=0.0001, patience=5,
    verbose=1, mode='auto')
callbacks_list = [earlystop]

# compile and fit the network
nn.compile(loss=keras.losses.categorical_crossentropy,
    optimizer=keras.optimizers.SGD(lr=0.05, momentum=0.9, nesterov=True),
    metrics=['accuracy'] # also calculate accuracy during training
)

history = nn.fit(vtrainX, vtrainYb, epochs=100, batch_size=50,
    callbacks=callbacks_list,
    validation_data=validset, # specify the validation set
    verbose=False)""",
    # In [18]
    """plot_history(history)

predY = nn.predict_classes(testX, verbose=False)
acc = metrics.accuracy_score(testY, predY)
print("test accuracy:", acc)""",
    "# harness\nrecord('lr_acc', acc); record('lr_epochs', len(history.history['loss']))",
    # In [19]
    "nn.summary()",
    # In [22]
    """params = nn.get_layer(index=0).get_weights()
print(params)""",
    "# harness\nrecord('lr_params', nn.count_params()); record('lr_weights', [list(p.shape) for p in params])",
    # In [23]
    """W = params[0]
filter_list = [W[:,i].reshape((28,28)) for i in range(W.shape[1])]
plt.figure(figsize=(8,4))
show_imgs(filter_list, nc=5, titles="%d")""",
]

CS4487_MLP50 = [
    # In [24]
    """# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Dense(units=50, input_dim=784, activation='relu')) # hidden layer
nn.add(Dense(units=10, activation='softmax')) # output layer

# compile and fit the network
nn.compile(loss=keras.losses.categorical_crossentropy,
            optimizer=keras.optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True),
            metrics=['accuracy'])
history = nn.fit(vtrainX, vtrainYb, epochs=100, batch_size=50,
                  callbacks=callbacks_list,
                  validation_data=validset, verbose=False)""",
    # In [25]
    """plot_history(history)

predY = nn.predict_classes(testX, verbose=False)
acc = metrics.accuracy_score(testY, predY)
print("test accuracy:", acc)""",
    "# harness\nrecord('mlp50_acc', acc); record('mlp50_params', nn.count_params())",
]

CS4487_MLP_REST = [
    # In [26]
    "nn.summary()",
    # In [28]
    """W = nn.get_layer(index=0).get_weights()[0]
filter_list = [W[:,i].reshape((28,28)) for i in range(W.shape[1])]
plt.figure(figsize=(8,4))
show_imgs(filter_list, nc=10)""",
    # In [31]
    """W = nn.get_layer(index=1).get_weights()[0]
d = 5
plt.figure()
plt.bar(arange(0,W.shape[0]),W[:,d]); plt.grid(True);
plt.xlabel('weight index'); plt.ylabel('value')
plt.title('output weights for {}'.format(d));""",
    # In [32]
    """plt.figure(figsize=(8,4))
show_imgs(filter_list, nc=10,
          highlight_green=(W[:,d]>0.75), # positive weights are green
          highlight_red=(W[:,d]<-0.75)) # negative weights are red""",
    # In [33]
    """# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Dense(units=200, input_dim=784, activation='relu'))
nn.add(Dense(units=10, activation='softmax'))

# compile and fit the network
nn.compile(loss=keras.losses.categorical_crossentropy,
           optimizer=keras.optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True),
           metrics=[ 'accuracy' ])
history = nn.fit(vtrainX, vtrainYb, epochs=100, batch_size=50,
                  callbacks=callbacks_list,
                  validation_data=validset, verbose=False)""",
    # In [34]
    """nn.summary()

plot_history(history)

predY = nn.predict_classes(testX, verbose=False)
acc = metrics.accuracy_score(testY, predY)
print("test accuracy: ", acc)""",
    "# harness\nrecord('mlp200_params', nn.count_params())",
    # In [35]
    """# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Dense(units=1000, input_dim=784, activation='relu'))
nn.add(Dense(units=10, activation='softmax'))

# compile and fit the network
nn.compile(loss=keras.losses.categorical_crossentropy,
            optimizer=keras.optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True),
            metrics=['accuracy'])
history = nn.fit(vtrainX, vtrainYb, epochs=100, batch_size=50,
                  callbacks=callbacks_list,
                  validation_data=validset, verbose=False)""",
    # In [36]
    """nn.summary()
plot_history(history)

predY = nn.predict_classes(testX, verbose=False)
acc = metrics.accuracy_score(testY, predY)
print("test accuracy:", acc)""",
    "# harness\nrecord('mlp1000_params', nn.count_params())",
    # In [37]
    """# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Dense(units=500, input_dim=784, activation='relu'))
nn.add(Dense(units=500, activation='relu'))
nn.add(Dense(units=10, activation='softmax'))

# compile and fit the network
nn.compile(loss=keras.losses.categorical_crossentropy,
            optimizer=keras.optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True),
            metrics=[ 'accuracy' ])
history = nn.fit(vtrainX, vtrainYb, epochs=100, batch_size=50,
                  callbacks=callbacks_list,
                  validation_data=validset, verbose=False)""",
    # In [38]
    """nn.summary()
plot_history(history)

predY = nn.predict_classes(testX, verbose=False)
acc = metrics.accuracy_score(testY, predY)
print("test accuracy:", acc)""",
    "# harness\nrecord('mlp500x2_params', nn.count_params())",
]

CS4487_CNN_SETUP = [
    # In [40]
    """# scale to 0-1
trainI = (trainimg.reshape((6000,1,28,28)) / 255.0)
testI = (testimg.reshape((10000,1,28,28)) / 255.0)
print(trainI.shape)
print(testI.shape)""",
    # In [41]
    """# generate fixed validation set of 10% of the training set
vtrainI, validI, vtrainYb, validYb = \\
    model_selection.train_test_split(trainI, trainYb,
        train_size=0.9, test_size=0.1, random_state=4487)

validsetI = (validI, validYb)""",
]

CS4487_SHALLOW_CNN = [
    # In [42]
    """# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Conv2D(10, (5,5),           # channel, kerne size
             strides=(2,2),      # stride
             activation='relu',
             padding='same',     # convolution padding
             data_format='channels_first', # using channel-first format
             input_shape=(1,28,28)))
nn.add(Flatten())    # flatten the feature map into a vector to apply Dense layers
nn.add(Dense(units=50, activation='relu'))
nn.add(Dense(units=10, activation='softmax'))

# compile and fit the network
nn.compile(loss=keras.losses.categorical_crossentropy,
            optimizer=keras.optimizers.SGD(lr=0.02, momentum=0.9, nesterov=True),
            metrics=[ 'accuracy' ])
history = nn.fit(vtrainI, vtrainYb, epochs=100, batch_size=50,
                  callbacks=callbacks_list,
                  validation_data=validsetI, verbose=False)""",
    # In [43]
    """nn.summary()

plot_history(history)

predY = nn.predict_classes(testI, verbose=False)
acc = metrics.accuracy_score(testY, predY)
print("test accuracy:", acc)""",
    "# harness\nrecord('cnn1_acc', acc); record('cnn1_params', nn.count_params())\n"
    "record('cnn1_shapes', [list(l.output_shape) for l in nn.layers])",
]

CS4487_CNN_REST = [
    # In [46]
    """W = nn.get_layer(index=0).get_weights()[0]
print(W.shape)
flist = [squeeze(W[:, :, :, c]) for c in range(10)]
show_imgs(flist)""",
    "# harness\nrecord('cnn1_kernel', list(W.shape))",
    # In [47]
    """# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Conv2D(10, (5,5), strides=(2,2),
             activation='relu', input_shape=(1,28,28),
             padding='same', data_format='channels_first'))
nn.add(Conv2D(40, (5,5), strides=(2,2), activation='relu',
             padding='same', data_format='channels_first'))
nn.add(Conv2D(80, (5,5), strides=(1,1), activation='relu',
             padding='same', data_format='channels_first'))
nn.add(Flatten())
nn.add(Dense(units=50, activation='relu'))
nn.add(Dense(units=10, activation='softmax'))

# compile and fit the network
nn.compile(loss=keras.losses.categorical_crossentropy,
            optimizer=keras.optimizers.SGD(lr=0.02, momentum=0.9, nesterov=True),
            metrics=[ 'accuracy' ])
history = nn.fit(vtrainI, vtrainYb, epochs=100, batch_size=50,
                  callbacks=callbacks_list,
                  validation_data=validsetI, verbose=False)""",
    # In [48]
    """nn.summary()
plot_history(history)

predY = nn.predict_classes(testI, verbose=False)
acc = metrics.accuracy_score(testY, predY)
print("test accuracy: ", acc)""",
    "# harness\nrecord('cnn2_params', nn.count_params())\nrecord('cnn2_shapes', [list(l.output_shape) for l in nn.layers])",
    # In [49]
    """# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Conv2D(10, (5,5), strides=(2,2), activation='relu',
             input_shape=(1,28,28),
             padding='same', data_format='channels_first'))
nn.add(Conv2D(40, (5,5), strides=(2,2), activation='relu',
             padding='same', data_format='channels_first'))
nn.add(Conv2D(80, (5,5), strides=(1,1), activation='relu',
             padding='same', data_format='channels_first'))
nn.add(Dropout(rate=0.5, seed=44))    # dropout layer! (need to specify the seed)
nn.add(Flatten())
nn.add(Dense(units=50, activation='relu'))
nn.add(Dropout(rate=0.5, seed=45))    # dropout layer!
nn.add(Dense(units=10, activation='softmax'))

# compile and fit the network
nn.compile(loss=keras.losses.categorical_crossentropy,
            optimizer=keras.optimizers.SGD(lr=0.02, momentum=0.9, nesterov=True),
            metrics=[ 'accuracy' ])
history = nn.fit(vtrainI, vtrainYb, epochs=100, batch_size=50,
                  callbacks=callbacks_list,
                  validation_data=validsetI, verbose=False)""",
    # In [50]
    """nn.summary()
plot_history(history)

predY = nn.predict_classes(testI, verbose=False)
acc = metrics.accuracy_score(testY, predY)
print("test accuracy:", acc)""",
    "# harness\nrecord('cnn3_params', nn.count_params())\nrecord('cnn3_shapes', [list(l.output_shape) for l in nn.layers])",
    # In [51]
    """# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Conv2D(10, (5,5), strides=(2,2), activation='relu',
             input_shape=(1,28,28),
             padding='same', data_format='channels_first'))
nn.add(Conv2D(40, (5,5), strides=(2,2), activation='relu',
             padding='same', data_format='channels_first'))
nn.add(Conv2D(80, (5,5), strides=(1,1), activation='relu',
             kernel_regularizer=keras.regularizers.l2(0.0001), # L2 regularizer
             padding='same', data_format='channels_first'))
nn.add(Flatten())
nn.add(Dense(units=50, activation='relu',
             kernel_regularizer=keras.regularizers.l2(0.0001))) # L2 regularizer
nn.add(Dense(units=10, activation='softmax'))

# compile and fit the network
nn.compile(loss=keras.losses.categorical_crossentropy,
            optimizer=keras.optimizers.SGD(lr=0.02, momentum=0.9, nesterov=True),
            metrics=[ 'accuracy' ])
history = nn.fit(vtrainI, vtrainYb, epochs=100, batch_size=50,
                  callbacks=callbacks_list,
                  validation_data=validsetI, verbose=False)""",
    # In [53]
    """plot_history(history)

predY = nn.predict_classes(testI, verbose=False)
acc = metrics.accuracy_score(testY, predY)
print("test accuracy:", acc)""",
    # In [54]
    """from keras.preprocessing.image import ImageDataGenerator

# build the data augmenter
datagen = ImageDataGenerator(
    rotation_range=10,           # image rotation
    width_shift_range=0.2,       # image shifting
    height_shift_range=0.2,      # image shifting
    shear_range=0.1,            # shear transformation
    zoom_range=0.1,             # zooming
    data_format='channels_first')

# fit (required for some normalization augmentations)
datagen.fit(vtrainI)""",
    "# harness: the handout's hidden cell that draws a few augmented images\n"
    "imgs = [vtrainI[0]] + [b[0][0] for b, _ in zip(datagen.flow(vtrainI[:1], vtrainYb[:1], batch_size=1), "
    "range(9))]\nrecord('augmented', list(imgs[1].shape))",
    # In [56]
    """plt.figure(figsize=(8,4))
show_imgs(imgs, nc=5)""",
    # In [57]
    """# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Conv2D(10, (5,5), strides=(2,2), activation='relu',
             input_shape=(1,28,28),
             padding='same', data_format='channels_first'))
nn.add(Conv2D(40, (5,5), strides=(2,2), activation='relu',
             padding='same', data_format='channels_first'))
nn.add(Conv2D(80, (5,5), strides=(1,1), activation='relu',
             padding='same', data_format='channels_first'))
nn.add(Dropout(rate=0.5, seed=44))
nn.add(Flatten())
nn.add(Dense(units=50, activation='relu'))
nn.add(Dropout(rate=0.5, seed=45))
nn.add(Dense(units=10, activation='softmax'))

# compile the network
nn.compile(loss=keras.losses.categorical_crossentropy,
           optimizer=keras.optimizers.SGD(lr=0.02, momentum=0.9, nesterov=True),
           metrics=['accuracy'])

# pass data through augmentor and fit
# runs data-generator and fit in parallel
history = nn.fit_generator(
            datagen.flow(vtrainI, vtrainYb, batch_size=50), # data from generator
            steps_per_epoch=len(vtrainI)/50,      # should be number of batches per epoch
            epochs=100,
            callbacks=callbacks_list,
            validation_data=validsetI, verbose=False)""",
    # In [58]
    """plot_history(history)

predY = nn.predict_classes(testI, verbose=False)
acc = metrics.accuracy_score(testY, predY)
print("test accuracy:", acc)""",
    "# harness\nrecord('aug_keys', sorted(history.history))",
    # In [59]
    """def add_gauss_noise(X, sigma2=0.05):
    # add Gaussian noise with zero mean, and variance sigma2
    return X + random.normal(0, sigma2, X.shape)

# build the data augmente
datagen = ImageDataGenerator(
    rotation_range=10,           # image rotation
    width_shift_range=0.2,        # image shifting
    height_shift_range=0.2,       # image shifting
    shear_range=0.1,             # shear transformation
    zoom_range=0.1,              # zooming
    preprocessing_function=add_gauss_noise,
    data_format='channels_first')

# fit (required for some normalization augmentations)
datagen.fit(vtrainI)""",
    # In [61]
    """plt.figure(figsize=(8,4))
show_imgs(imgs, nc=5)""",
    # In [62]
    """# initialize random seed
random.seed(4487); tensorflow.set_random_seed(4487)

# build the network
nn = Sequential()
nn.add(Conv2D(10, (5,5), strides=(2,2), activation='relu',
             input_shape=(1,28,28),
             padding='same', data_format='channels_first'))
nn.add(Conv2D(40, (5,5), strides=(2,2), activation='relu',
             padding='same', data_format='channels_first'))
nn.add(Conv2D(80, (5,5), strides=(1,1), activation='relu',
             padding='same', data_format='channels_first'))
nn.add(Dropout(rate=0.5, seed=44))
nn.add(Flatten())
nn.add(Dense(units=50, activation='relu'))
nn.add(Dropout(rate=0.5, seed=45))
nn.add(Dense(units=10, activation='softmax'))

# compile the network
nn.compile(loss=keras.losses.categorical_crossentropy,
           optimizer=keras.optimizers.SGD(lr=0.02, momentum=0.9, nesterov=True),
           metrics=['accuracy'])

# pass data through augmentor and fit
# runs data-generator and fit in parallel
history = nn.fit_generator(
            datagen.flow(vtrainI, vtrainYb, batch_size=50), # data from generator
            steps_per_epoch=len(vtrainI)/50,      # should be number of batches per epoch
            epochs=100,
            validation_data=validsetI, verbose=False)""",
    # In [63]
    """plot_history(history)

predY = nn.predict_classes(testI, verbose=False)
acc = metrics.accuracy_score(testY, predY)
print("test accuracy:", acc)""",
    "# harness\nrecord('noise_epochs', len(history.history['loss'])); record('noise_acc', acc)",
]


def test_cs4487_handout_runs_with_its_numbers(tmp_path):
    """Every fragment of seed 000, training capped at 2 epochs of at most 20 batches each."""
    cells = (CS4487_SETUP + ["# harness\ncap_training(epochs=2, steps=20)"] + CS4487_LR + CS4487_MLP50
             + CS4487_MLP_REST + CS4487_CNN_SETUP + CS4487_SHALLOW_CNN + CS4487_CNN_REST)
    r = _run(tmp_path, cells)
    assert r["shapes"] == [[6000, 28, 28], [6000], [10000, 28, 28], [10000]]  # the handout's printout
    # the handout's summary tables
    assert r["lr_params"] == 7850 and r["lr_weights"] == [[784, 10], [10]]
    assert (r["mlp50_params"], r["mlp200_params"], r["mlp1000_params"], r["mlp500x2_params"]) == \
        (39760, 159010, 795010, 648010)
    assert r["cnn1_params"] == 98820
    assert r["cnn1_shapes"] == [[None, 10, 14, 14], [None, 1960], [None, 50], [None, 10]]
    assert r["cnn1_kernel"] == [5, 5, 1, 10]
    assert r["cnn2_params"] == r["cnn3_params"] == 286940
    assert r["cnn2_shapes"] == [[None, 10, 14, 14], [None, 40, 7, 7], [None, 80, 7, 7], [None, 3920], [None, 50],
                                [None, 10]]
    assert r["cnn3_shapes"][3] == [None, 80, 7, 7] and r["cnn3_shapes"][6] == [None, 50]  # the dropout layers
    assert r["augmented"] == [1, 28, 28]
    assert r["aug_keys"] == ["acc", "loss", "val_acc", "val_loss"]  # Keras 2.2 logged metrics=["accuracy"] as acc
    assert r["noise_epochs"] == 2  # 100 epochs in the handout, capped here
    assert r["lr_acc"] > 0.7 and 0 <= r["noise_acc"] <= 1  # 40 batches of training, capped


def test_cs4487_handout_reaches_its_accuracy(tmp_path):
    """Logistic regression, MLP(50) and the shallow CNN of seed 000 trained as written (early stopping on
    val_acc, up to 100 epochs) on the 6,000-digit sample: the handout's 0.8921 / 0.9373 / 0.9449 within a margin."""
    cells = CS4487_SETUP + CS4487_LR + CS4487_MLP50 + CS4487_CNN_SETUP + CS4487_SHALLOW_CNN
    r = _run(tmp_path, cells)
    print("CS4487 on the sample: LR %.4f (handout 0.8921), MLP(50) %.4f (0.9373), CNN %.4f (0.9449)"
          % (r["lr_acc"], r["mlp50_acc"], r["cnn1_acc"]))
    assert r["lr_acc"] > 0.8921 - 0.03, r
    assert r["mlp50_acc"] > 0.9373 - 0.03, r
    assert r["cnn1_acc"] > 0.9449 - 0.03, r
    assert r["lr_epochs"] < 100  # early stopping on 'val_acc' stopped it


# ---------------------------------------------------------------------------- seed 001: Advanced Neural Networks
ADVANCED = [
    HARNESS + """import os
from keras import models, layers, optimizers
from keras.models import load_model
from keras.preprocessing.image import ImageDataGenerator
from keras.preprocessing import image
from keras.utils import to_categorical
from keras.datasets import mnist_sample
(train_images, train_labels), (test_images, test_labels) = mnist_sample.load_data()
train_images = train_images[:1000].reshape((1000, 28, 28, 1)).astype('float32') / 255
test_images = test_images[:500].reshape((500, 28, 28, 1)).astype('float32') / 255
train_labels, test_labels = to_categorical(train_labels[:1000]), to_categorical(test_labels[:500])
base_dir = make_cats_dogs('cats_and_dogs_small')
train_dir, validation_dir = os.path.join(base_dir, 'train'), os.path.join(base_dir, 'validation')
model_dir = 'models'; os.makedirs(model_dir, exist_ok=True)
train_datagen = ImageDataGenerator(rescale=1./255)
test_datagen = ImageDataGenerator(rescale=1./255)
validation_generator = test_datagen.flow_from_directory(validation_dir, target_size=(150, 150), batch_size=20,
                                                        class_mode='binary')
cap_training(epochs=1, steps=2)""",
    """model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))""",
    "# harness\nmodel.summary()\nrecord('mnist_conv', [model.count_params(), list(model.output_shape)])",
    """model.add(layers.Flatten())
model.add(layers.Dense(64, activation='relu'))
model.add(layers.Dense(10, activation='softmax'))""",
    "# harness\nrecord('mnist_dense', [model.layers[-3].output_shape[1], model.layers[-2].count_params()])",
    """model.compile(optimizer='rmsprop',
              loss='categorical_crossentropy',
              metrics=['accuracy'])
model.fit(train_images, train_labels, epochs=5, batch_size=64, verbose=0)
test_loss, test_acc = model.evaluate(test_images, test_labels)""",
    "# harness\nrecord('mnist_eval', [float(test_loss), float(test_acc)])",
    """train_generator = train_datagen.flow_from_directory(
    train_dir, # Directory with images
    target_size=(150, 150), # Resize images
    batch_size=20, # Return 20 images at a time
    class_mode='binary') # Binary labels""",
    """model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation='relu',
                      input_shape=(150, 150, 3)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(128, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(128, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Flatten())
model.add(layers.Dense(512, activation='relu'))
model.add(layers.Dense(1, activation='sigmoid'))""",
    "# harness\nmodel.summary()\nrecord('catdog_params', model.count_params())\n"
    "record('catdog_shapes', [list(l.output_shape) for l in model.layers])",
    """model.compile(loss='binary_crossentropy',
              optimizer=optimizers.RMSprop(lr=1e-4),
              metrics=['acc'])

history = model.fit_generator(
    train_generator, steps_per_epoch=100,
    epochs=30, verbose=0,
    validation_data=validation_generator,
    validation_steps=50)""",
    "# harness\nrecord('catdog_keys', sorted(history.history))",
    "model.save(os.path.join(model_dir, 'cats_and_dogs_small_1.h5'))",
    """datagen = ImageDataGenerator(
    rotation_range=40, width_shift_range=0.2,
    height_shift_range=0.2, shear_range=0.2,
    zoom_range=0.2, horizontal_flip=True,
    fill_mode='nearest')""",
    """model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation='relu',
                      input_shape=(150, 150, 3)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(128, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(128, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Flatten())
model.add(layers.Dropout(0.5))
model.add(layers.Dense(512, activation='relu'))
model.add(layers.Dense(1, activation='sigmoid'))""",
    "# harness: one test image as a batch\n"
    "img = image.load_img(os.path.join(base_dir, 'test', 'cats', 'cat.0.jpg'), target_size=(150, 150))\n"
    "img_tensor = np.expand_dims(image.img_to_array(img), axis=0) / 255.",
    """layer_outputs = [layer.output for layer in model.layers[:8]]
activation_model = models.Model(inputs=model.input, outputs=layer_outputs)
activations = activation_model.predict(img_tensor)""",
    "# harness\nrecord('activations', [list(a.shape) for a in activations])",
    """model = VGG16(weights='imagenet', include_top=False)""",
    "# harness: the slide's inputs for a 64x64 image\n"
    "layer_output = model.get_layer('block3_conv1').output\nsize, filter_index, step = 64, 0, 1.\n"
    "input_img_data = np.random.random((1, size, size, 3)) * 20 + 128.",
    """from keras import backend as K
input_img = np.random.random((1, size, size, 3)) * 20 + 128.
loss = K.mean(layer_output[:, :, :, filter_index]) # Max response
grads = K.gradients(loss, model.input)[0] # Compute gradient
for i in range(40): # Run gradient ascent for 40 steps
    loss_value, grads_value = K.function([input_img], [loss, grads])
    input_img_data += grads_value * step""",
    "# harness\nrecord('ascent', [list(grads_value.shape), bool(np.isfinite(loss_value))])",
    """conv_base = VGG16(weights='imagenet', include_top=False, input_shape=(150, 150, 3))""",
    "# harness\nconv_base.summary()\nrecord('conv_base', [conv_base.count_params(), list(conv_base.output_shape),\n"
    "    [list(conv_base.get_layer(n).output_shape) for n in ('block1_conv1', 'block1_pool', 'block2_pool')]])",
    """model = models.Sequential()
model.add(layers.Dense(256, activation='relu', input_dim=4 * 4 * 512))
model.add(layers.Dropout(0.5))
model.add(layers.Dense(1, activation='sigmoid'))""",
    "# harness\nrecord('fast_features', model.count_params())",
    """model = models.Sequential()
model.add(conv_base)
model.add(layers.Flatten())
model.add(layers.Dense(256, activation='relu'))
model.add(layers.Dense(1, activation='sigmoid'))
conv_base.trainable = False""",
    "# harness\nmodel.summary()\nrecord('frozen', [model.count_params(), int(np.sum([w.numel() for w in model.trainable_weights])),\n"
    "    int(np.sum([w.numel() for w in model.non_trainable_weights]))])\ndir = train_dir  # the slide's folder\n"
    "# the book compiles here; the slide leaves it out\n"
    "model.compile(loss='binary_crossentropy', optimizer=optimizers.RMSprop(lr=2e-5), metrics=['acc'])",
    """train_datagen = ImageDataGenerator(
    rescale=1./255, rotation_range=40, width_shift_range=0.2,
    height_shift_range=0.2, shear_range=0.2, zoom_range=0.2,
    horizontal_flip=True, fill_mode='nearest')
train_generator = train_datagen.flow_from_directory(dir,
    target_size=(150, 150), batch_size=20, class_mode='binary')
history = model.fit_generator(
    train_generator, steps_per_epoch=100, epochs=30,
    validation_data=validation_generator, validation_steps=50)""",
    """for layer in conv_base.layers:
    if layer.name == 'block5_conv1':
        set_trainable = True

    else:
        layer.trainable = False""",
    "# harness: the handout saved this model in a part it does not show\n"
    "model.compile(loss='binary_crossentropy', optimizer='rmsprop', metrics=['acc'])\n"
    "model.save(os.path.join(model_dir, 'cats_and_dogs_small_3.h5'))",
    """model = load_model(os.path.join(model_dir, 'cats_and_dogs_small_3.h5'))
model.compile(loss='binary_crossentropy',
              optimizer=optimizers.RMSprop(lr=1e-5),
              metrics=['acc'])

history = model.fit_generator(
    train_generator, steps_per_epoch=100, epochs=100,
    validation_data=validation_generator,
    validation_steps=50)""",
    "# harness\nrecord('reloaded', [model.count_params(), model.layers[0].name, len(history.history['acc'])])",
    """def smooth_curve(points, factor=0.8):
    smoothed_points = []
    for point in points:
        if smoothed_points:
            previous = smoothed_points[-1]
            smoothed_points.append(previous * factor + point * (1 - factor))
        else:
            smoothed_points.append(point)

    return smoothed_points""",
    """model = VGG16(weights='imagenet')""",
    "# harness\nmake_elephant('./images/10_elephants.jpg')",
    """from keras.applications.vgg16 import preprocess_input
img_path = './images/10_elephants.jpg'
img = image.load_img(img_path, target_size=(224, 224))
x = image.img_to_array(img)
x = np.expand_dims(x, axis=0) # Transform to batch of size (1, 224, 224, 3)
x = preprocess_input(x)""",
    """preds = model.predict(x)""",
    "# harness: the class activation map the slide shows as a picture (Deep Learning with Python, 5.4.3)\n"
    """from keras.applications.vgg16 import decode_predictions
print('Predicted:', decode_predictions(preds, top=3)[0])
index = int(np.argmax(preds[0]))
class_output = model.output[:, index]
last_conv_layer = model.get_layer('block5_conv3')
grads = K.gradients(class_output, last_conv_layer.output)[0]
pooled_grads = K.mean(grads, axis=(0, 1, 2))
iterate = K.function([model.input], [pooled_grads, last_conv_layer.output[0]])
pooled_grads_value, conv_layer_output_value = iterate([x])
for i in range(512):
    conv_layer_output_value[:, :, i] *= pooled_grads_value[i]
heatmap = np.mean(conv_layer_output_value, axis=-1)
heatmap = np.maximum(heatmap, 0)
heatmap /= np.max(heatmap) + 1e-12
record('gradcam', [model.count_params(), list(preds.shape), list(heatmap.shape), bool(np.isfinite(heatmap).all())])""",
    "# harness\nconv_model = models.Sequential([layers.InputLayer(input_shape=(28, 28, 1))])\n"
    "dense_model = models.Sequential([layers.InputLayer(input_shape=(784,))])",
    """conv_model.add(layers.Conv2D(32, 3, activation='relu'))
conv_model.add(layers.BatchNormalization())
dense_model.add(layers.Dense(32, activation='relu'))
dense_model.add(layers.BatchNormalization())""",
    "# harness\nrecord('batchnorm', [conv_model.count_params(), dense_model.count_params()])",
]


def test_advanced_neural_networks_handout_runs_with_its_numbers(tmp_path):
    """Seed 001 (fragments in slide order, VGG16 with weights=None), training capped at 1 epoch of 2 batches."""
    cells = [c.replace("weights='imagenet'", "weights=None") if not c.startswith("# harness") else c
             for c in ADVANCED]
    cells.insert(1, "# harness\nfrom keras.applications import VGG16")
    r = _run(tmp_path, cells)
    assert r["mnist_conv"] == [55744, [None, 3, 3, 64]]
    assert r["mnist_dense"] == [576, 36928]
    assert len(r["mnist_eval"]) == 2
    assert r["catdog_params"] == 3453121
    assert [s for s in r["catdog_shapes"]][:8] == [[None, 148, 148, 32], [None, 74, 74, 32], [None, 72, 72, 64],
                                                   [None, 36, 36, 64], [None, 34, 34, 128], [None, 17, 17, 128],
                                                   [None, 15, 15, 128], [None, 7, 7, 128]]
    assert r["catdog_shapes"][8:] == [[None, 6272], [None, 512], [None, 1]]
    assert r["catdog_keys"] == ["acc", "loss", "val_acc", "val_loss"]
    assert r["activations"][0] == [1, 148, 148, 32] and r["activations"][7] == [1, 7, 7, 128]
    assert r["ascent"] == [[1, 64, 64, 3], True]
    assert r["conv_base"] == [14714688, [None, 4, 4, 512], [[None, 150, 150, 64], [None, 75, 75, 64],
                                                            [None, 37, 37, 128]]]
    assert r["fast_features"] == 2097665
    assert r["frozen"] == [16812353, 2097665, 14714688]  # the handout's summary: total / trainable / frozen
    assert r["reloaded"][:2] == [16812353, "vgg16"]
    assert r["gradcam"] == [138357544, [1, 1000], [14, 14], True]
    assert r["batchnorm"] == [320 + 128, 25120 + 128]


# ---------------------------------------------------------------------------- seed 002: ZHAW deep learning week 2
ZHAW = [
    "import numpy as np",
    "T1 = np.asarray([1,2,3]) #Tensor of order 1 aka Vector\nT1",
    "T2 = np.asarray([[1,2,3],[4,5,6]]) #Tensor of order 2 aka Matrix\nT2",
    "T3 = np.zeros((10,2,3)) #Tensor of order 3 (Volume like objects)",
    "print(T1.shape)\nprint(T2.shape)\nprint(T3.shape)",
    HARNESS + """import keras
from keras.models import Sequential
from keras.layers import Dense
from keras.datasets import mnist_sample
(X, y), _ = mnist_sample.load_data()
X, y = X[:600].reshape(600, 784) / 255.0, y[:600]
Y = convertToOneHot(y, 10)
model = Sequential()  # the network of the slide 'Define the network' (a picture there)
model.add(Dense(100, activation='sigmoid', input_shape=(784,)))
model.add(Dense(10, activation='softmax'))""",
    """model.compile(loss='categorical_crossentropy',
              optimizer='adadelta',
              metrics=['accuracy'])""",
    "# harness\nrecord('adadelta_lr', model.optimizer.learning_rate)",
    """# Training of the network
history = model.fit(X, Y,
                      epochs=400,
                      batch_size=128,
                      verbose=0)""",
    """model.evaluate(X[0:2000], convertToOneHot(y[0:2000], 10))""",
    "# harness\nrecord('evaluate', model.evaluate(X[0:2000], convertToOneHot(y[0:2000], 10), verbose=0))\n"
    "record('epochs', len(history.history['loss']))\noutput_dim = 10",
    """keras.layers.core.Dense(
    output_dim,
    init='glorot_uniform',
    activation='linear',
    weights=None,
    W_regularizer=None,
    b_regularizer=None,
    activity_regularizer=None,
    W_constraint=None,
    b_constraint=None,
    input_dim=None)""",
    "# harness\nrecord('keras1_dense', _.units)",
    """from keras.layers import Activation, Dense

model.add(Dense(64))
model.add(Activation('tanh'))""",
    "# harness\nfrom keras.models import Sequential\nfrom keras.layers import Convolution2D, MaxPooling2D, Flatten\n"
    "pixel = 64",
    """model = Sequential()
model.add(Convolution2D(1, (5,5), # one 5x5 kernel
                      padding='same',           # zero-padding to preserve size
                      input_shape=(pixel,pixel,1)))
model.add(Activation('linear'))
# take the max over all values in the activation map
model.add(MaxPooling2D(pool_size=(pixel,pixel)))
model.add(Flatten())
model.add(Dense(2))
model.add(Activation ('softmax'))""",
    "# harness\nrecord('edge_lover', [model.count_params(), [list(l.output_shape) for l in model.layers]])",
    """num_classes = 10                      # 10 classes: 0, 1,...,9
input_shape = (28, 28, 1)    # 28x28 pixels, 1 channel (grey value)

model = Sequential()
model.add(Convolution2D(32, (3, 3), #32 filters of size 3x3
                      activation='relu',
                      input_shape=input_shape))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Convolution2D(64, (3, 3), activation='relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Flatten())
model.add(Dense(40, activation='relu'))
model.add(Dense(num_classes, activation='softmax'))""",
    "# harness\nmodel.summary()\nrecord('mnist_cnn', [model.count_params(), list(model.output_shape)])",
]

ZHAW_SPOT_THE_ERROR = {
    "sequential": ("""import keras
from keras import layers

model = keras.Sequential()
model.add(layers.Dense(20, activation='relu', input_shape=(10,)))
model.add(layers.Dense(20, activation='relu'))
model.add(layers.Dense(10, activation='softmax'))

model.fit(x, y, epochs=10, batch_size=32)""", "RuntimeError: You must compile the model before calling fit()"),
    "functional": ("""import keras
from keras import layers

inputs = keras.Input(shape=(10,))
x = layers.Dense(20, activation='relu')(x)
x = layers.Dense(20, activation='relu')(x)
outputs = layers.Dense(10, activation='softmax')(x)

model = keras.Model(inputs, outputs)
model.fit(x, y, epochs=10, batch_size=32)""", "Model inputs and outputs must be symbolic tensors"),
    "subclassing": ("""import keras
from keras import layers

class MyModel(keras.Model):

    def __init__(self):
        super(MyModel, self).__init__()
        self.dense1 = layers.Dense(20, activation='relu')
        self.dense2 = layers.Dense(20, activation='relu')
        self.dense3 = layers.Dense(10, activation='softmax')

    def call(self, inputs):
        x = self.dense1(x)
        x = self.dense2(x)
        return self.dense3(x)

model = MyModel()
model.fit(x, y, epochs=10, batch_size=32)""", "RuntimeError: You must compile the model before calling fit()"),
}


def test_zhaw_handout_runs_with_its_numbers(tmp_path):
    r = _run(tmp_path, ZHAW)
    assert r["adadelta_lr"] == 1.0  # Keras 2's default for 'adadelta'
    assert r["epochs"] == 400 and r["evaluate"][1] > 0.9  # 400 epochs on 600 digits fit them
    assert r["keras1_dense"] == 10
    assert r["edge_lover"] == [26 + 4, [[None, 64, 64, 1], [None, 64, 64, 1], [None, 1, 1, 1], [None, 1], [None, 2],
                                        [None, 2]]]
    assert r["mnist_cnn"] == [320 + 18496 + 64040 + 410, [None, 10]]


@pytest.mark.parametrize("which", sorted(ZHAW_SPOT_THE_ERROR))
def test_zhaw_spot_the_error_fragments_fail_as_in_keras(tmp_path, which):
    code, error = ZHAW_SPOT_THE_ERROR[which]
    shutil.copy(os.path.join(HERE, "seed_harness.py"), tmp_path)
    setup = "# harness\nimport numpy as np\nx = np.random.rand(32, 10).astype('float32')\ny = np.eye(10)[np.arange(32) % 10]"
    nb = write_notebook(tmp_path / f"{which}.ipynb", [setup, code])
    proc = run_compat(nb, cwd=tmp_path)
    assert proc.returncode == 1 and error in proc.stderr, proc.stderr[-2000:]
    assert "AttributeError" not in proc.stderr


# ---------------------------------------------------------------------------- seed 004: LSU introduction to deep learning
LSU = [
    """# import necessary modules
# The Sequential model is a linear stack of layers.
from keras.models import Sequential
from keras.layers import Dense, Dropout, Activation, Flatten
from keras.layers import Convolution2D, MaxPooling2D
from keras.utils import np_utils
from keras import backend as K""",
    HARNESS + "mnist = mnist_subset(2000, 1000)  # the bundled sample instead of mnist.pkl.gz\n"
    "img_rows, img_cols, nb_classes, batch_size, nb_epoch = 28, 28, 10, 128, 3",
    """# load the mnist training and test dataset
# download https://s3.amazonaws.com/img-datasets/mnist.pkl.gz
# to use in this tutorial
(X_train, y_train), (X_test, y_test) = mnist.load_data()
print(X_train.shape, y_train.shape, X_test.shape, y_test.shape)""",
    """X_train = X_train.reshape(X_train.shape[0], img_rows*img_cols)
X_test = X_test.reshape(X_test.shape[0], img_rows*img_cols)
input_shape = (img_rows*img_cols,)
X_train = X_train.astype('float32')
X_test = X_test.astype('float32')
X_train /= 255
X_test /= 255
Y_train = np_utils.to_categorical(y_train, nb_classes)
Y_test = np_utils.to_categorical(y_test, nb_classes)""",
    """# The Sequential model is a linear stack of layers in Keras
model = Sequential()
#build the softmax regression layer
model.add(Dense(nb_classes, input_shape=input_shape))
model.add(Activation('softmax'))

# Before training a model,
# configure the learning process via the compile method.
# using the cross-entropy loss function (objective)
model.compile(loss='categorical_crossentropy',
              #using one type of gradient descent method
              optimizer='rmsprop',
              # using accuracy to judge the performance of your model
              metrics=['accuracy'])

# fit the model, the training process
h = model.fit(X_train, Y_train, batch_size=batch_size, nb_epoch=nb_epoch,
              verbose=1, validation_data=(X_test, Y_test))""",
    "# harness\nrecord('softmax', [model.count_params(), len(h.history['val_acc']), h.history['val_acc'][-1]])",
    """model = Sequential()
# try also tanh, sigmoid
act_func='relu'
model.add(Dense(200,activation=act_func,input_shape=input_shape))
model.add(Dense(100,activation=act_func))
model.add(Dense( 60,activation=act_func))
model.add(Dense( 30,activation=act_func))
model.add(Dense(nb_classes,activation='softmax'))
model.compile(loss='categorical_crossentropy',optimizer='rmsprop',
              metrics=['accuracy'])
h = model.fit(X_train, Y_train, batch_size=batch_size,nb_epoch=nb_epoch,
              verbose=1, validation_data=(X_test, Y_test))""",
    "# harness\nrecord('five_layer', model.count_params())",
    """model = Sequential()
act_func='relu'
p_dropout=0.25 # apply a dropout rate 25 %
model.add(Dense(200,activation=act_func,input_shape=input_shape))
model.add(Dropout(p_dropout))
model.add(Dense(100,activation=act_func))
model.add(Dropout(p_dropout))
model.add(Dense( 60,activation=act_func))
model.add(Dropout(p_dropout))
model.add(Dense( 30,activation=act_func))
model.add(Dropout(p_dropout))
model.add(Dense(nb_classes,activation='softmax'))
model.compile(loss='categorical_crossentropy',optimizer='sgd',
              metrics=['accuracy'])
h = model.fit(X_train, Y_train, batch_size=batch_size,nb_epoch=nb_epoch,
              verbose=1, validation_data=(X_test, Y_test))""",
    "# harness: the notebook's image layout and its LossHistory callback\n"
    """X_train = X_train.reshape(-1, img_rows, img_cols, 1); X_test = X_test.reshape(-1, img_rows, img_cols, 1)
input_shape = (img_rows, img_cols, 1)
nb_filters, kernel_size, pool_size = 32, (3, 3), (2, 2)
import keras
class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs={}):
        self.losses = []
    def on_batch_end(self, batch, logs={}):
        self.losses.append(logs.get('loss'))
history = LossHistory()""",
    """model = Sequential()
# Adding the convolution layers
model.add(Convolution2D(nb_filters, kernel_size[0], kernel_size[1],
                        border_mode='valid',
                        input_shape=input_shape))
model.add(Activation('relu'))
model.add(Convolution2D(nb_filters, kernel_size[0], kernel_size[1]))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=pool_size))
model.add(Dropout(0.25))
# Fully connected layers
model.add(Flatten())
model.add(Dense(256, activation='relu'))
model.add(Dropout(0.25))
model.add(Dense(nb_classes, activation='softmax'))
model.compile(loss='categorical_crossentropy', optimizer='adadelta',
              metrics=['accuracy'])

h = model.fit(X_train, Y_train, batch_size=batch_size, nb_epoch=nb_epoch,
              verbose=1, callbacks=[history], validation_data=(X_test, Y_test))""",
    "# harness\nrecord('cnn', [model.count_params(), [list(l.output_shape) for l in model.layers][:5],\n"
    "    len(history.losses), h.history['val_acc'][-1]])",
]


def test_lsu_handout_runs_with_its_numbers(tmp_path):
    """Seed 004 on 2,000 training / 1,000 test digits of the sample, nb_epoch=3."""
    r = _run(tmp_path, LSU)
    assert r["softmax"][:2] == [7850, 3] and r["softmax"][2] > 0.6
    assert r["five_layer"] == 784 * 200 + 200 + 200 * 100 + 100 + 100 * 60 + 60 + 60 * 30 + 30 + 30 * 10 + 10
    params, shapes, batches, val_acc = r["cnn"]
    assert params == 320 + 9248 + 12 * 12 * 32 * 256 + 256 + 2570
    assert shapes == [[None, 26, 26, 32], [None, 26, 26, 32], [None, 24, 24, 32], [None, 24, 24, 32],
                      [None, 12, 12, 32]]
    assert batches == 3 * 16  # LossHistory.on_batch_end ran every batch (Keras 2's hook name)
    assert val_acc > 0.85
