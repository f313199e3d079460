"""The seeds' three ways of using a pretrained network: fast feature extraction (conv_base.predict
on a generator, then a dense classifier), a frozen base with augmentation end to end, fine-tuning
the last block after recompiling; and what trainable/frozen means for summary() and BatchNorm."""
import numpy as np
import pytest
import torch
from weightfiles import VGG16_BLOCKS, keras_vgg_layers_from_state, torchvision_vgg_state, write_keras_h5, write_photos

from lamina import Sequential, layers, optimizers
from lamina.applications import VGG16, MobileNetV2, ResNet50
from lamina.preprocessing.image import ImageDataGenerator


def _summary(model):
    lines = []
    model.summary(print_fn=lines.append)
    return [line.rstrip() for line in lines]


def _unfreeze_from(conv_base, first):
    """The seeds' loop, verbatim."""
    conv_base.trainable = True
    set_trainable = False
    for layer in conv_base.layers:
        if layer.name == first:
            set_trainable = True
        if set_trainable:
            layer.trainable = True
        else:
            layer.trainable = False


def test_frozen_conv_base_summary_is_the_seeds_table():
    conv_base = VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
    model = Sequential()
    model.add(conv_base)
    model.add(layers.Flatten())
    model.add(layers.Dense(256, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    assert len(model.trainable_weights) == 30
    conv_base.trainable = False
    assert len(model.trainable_weights) == 4
    text = _summary(model)
    assert "vgg16 (Functional)           (None, 4, 4, 512)         14714688" in text
    assert "flatten (Flatten)            (None, 8192)              0" in text
    assert "dense (Dense)                (None, 256)               2097408" in text
    assert text[-4:-1] == ["Total params: 16,812,353", "Trainable params: 2,097,665",
                           "Non-trainable params: 14,714,688"]
    _unfreeze_from(conv_base, "block5_conv1")
    assert len(model.trainable_weights) == 10
    assert _summary(model)[-3] == "Trainable params: 9,177,089"  # block5 (3 x 2,359,808) + the classifier
    assert [p.requires_grad for p in conv_base.get_layer("block4_conv3").weights] == [False, False]
    assert [p.requires_grad for p in conv_base.get_layer("block5_conv1").weights] == [True, True]


@pytest.fixture(scope="module")
def photo_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cats_and_dogs_small")
    rng = np.random.default_rng(1)
    for split, n in (("train", 12), ("validation", 6)):
        write_photos(root / split, n, rng)
    return root


@pytest.fixture(scope="module")
def vgg16_file(tmp_path_factory):
    """Stand-in 'imagenet' weights: He-scaled, so features of [0, 1] images stay O(1) through 13 layers."""
    path = tmp_path_factory.mktemp("weights") / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    write_keras_h5(path, keras_vgg_layers_from_state(torchvision_vgg_state(VGG16_BLOCKS, np.random.default_rng(4)),
                                                     VGG16_BLOCKS))
    return str(path)


def _frozen(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_fast_feature_extraction_with_predict_on_a_generator(photo_dirs, vgg16_file):
    conv_base = VGG16(weights=vgg16_file, include_top=False, input_shape=(32, 32, 3))
    datagen = ImageDataGenerator(rescale=1.0 / 255)
    batch_size = 5

    def extract_features(directory, sample_count):  # the seeds' loop
        features = np.zeros(shape=(sample_count, 1, 1, 512))
        labels = np.zeros(shape=(sample_count,))
        generator = datagen.flow_from_directory(directory, target_size=(32, 32), batch_size=batch_size,
                                                class_mode="binary")
        i = 0
        for inputs_batch, labels_batch in generator:
            features_batch = conv_base.predict(inputs_batch, verbose=0)
            features[i * batch_size: (i + 1) * batch_size] = features_batch[: sample_count - i * batch_size]
            labels[i * batch_size: (i + 1) * batch_size] = labels_batch[: sample_count - i * batch_size]
            i += 1
            if i * batch_size >= sample_count:
                break
        return features, labels

    train_features, train_labels = extract_features(str(photo_dirs / "train"), 24)
    val_features, val_labels = extract_features(str(photo_dirs / "validation"), 12)
    ordered = datagen.flow_from_directory(str(photo_dirs / "train"), target_size=(32, 32), batch_size=batch_size,
                                          class_mode="binary", shuffle=False)
    whole = conv_base.predict(ordered, verbose=0)  # predict takes the generator itself too
    assert whole.shape == (24, 1, 1, 512)
    images = np.concatenate([ordered[i][0] for i in range(len(ordered))])
    np.testing.assert_allclose(whole, conv_base.predict(images, verbose=0), rtol=1e-5, atol=1e-6)
    # the seeds' loop saw the same 24 images, shuffled: each of its feature rows is one of predict's
    dist = np.abs(train_features.reshape(24, 1, -1) - whole.reshape(1, 24, -1)).max(-1)
    assert dist.min(1).max() < 1e-5 and len(set(dist.argmin(1))) == 24

    model = Sequential([layers.Dense(256, activation="relu", input_dim=1 * 1 * 512), layers.Dropout(0.5),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.RMSprop(learning_rate=1e-3), loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(train_features.reshape(24, 512), train_labels, epochs=30, batch_size=6, verbose=0,
                        validation_data=(val_features.reshape(12, 512), val_labels))
    assert history.history["val_acc"][-1] >= 0.9


def test_frozen_base_with_augmentation_end_to_end(photo_dirs):
    conv_base = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    model = Sequential()
    model.add(conv_base)
    model.add(layers.Flatten())
    model.add(layers.Dense(32, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    conv_base.trainable = False
    train_datagen = ImageDataGenerator(rescale=1.0 / 255, rotation_range=40, width_shift_range=0.2,
                                       height_shift_range=0.2, shear_range=0.2, zoom_range=0.2,
                                       horizontal_flip=True, fill_mode="nearest")
    train_generator = train_datagen.flow_from_directory(str(photo_dirs / "train"), target_size=(32, 32),
                                                        batch_size=6, class_mode="binary", seed=0)
    validation_generator = ImageDataGenerator(rescale=1.0 / 255).flow_from_directory(
        str(photo_dirs / "validation"), target_size=(32, 32), batch_size=6, class_mode="binary")
    model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(learning_rate=2e-5), metrics=["acc"])
    base_before, head_before = conv_base.get_weights(), model.layers[2].get_weights()
    history = model.fit(train_generator, steps_per_epoch=2, epochs=2, validation_data=validation_generator,
                        validation_steps=1, verbose=0)
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"} and len(history.epoch) == 2
    assert _frozen(base_before, conv_base.get_weights())
    assert not _frozen(head_before, model.layers[2].get_weights())


def test_fine_tuning_block5_with_a_small_learning_rate_after_recompiling():
    conv_base = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    model = Sequential([conv_base, layers.Flatten(), layers.Dense(16, activation="relu"),
                        layers.Dense(1, activation="sigmoid")])
    conv_base.trainable = False
    model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(learning_rate=1e-3), metrics=["acc"])
    x = np.random.default_rng(0).uniform(0, 1, (8, 32, 32, 3)).astype("float32")
    y = np.array([0, 1] * 4, "float32")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    _unfreeze_from(conv_base, "block5_conv1")
    model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(learning_rate=1e-5), metrics=["acc"])
    assert model.optimizer.learning_rate == pytest.approx(1e-5)
    before = {layer.name: layer.get_weights() for layer in conv_base.layers if layer.weights}
    head_before = model.layers[2].get_weights()
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    for name, weights in before.items():
        changed = not _frozen(weights, conv_base.get_layer(name).get_weights())
        assert changed == name.startswith("block5_"), name
    assert not _frozen(head_before, model.layers[2].get_weights())
    assert {id(p) for p in model.optimizer.param_groups[0]["params"]} == {id(w) for w in model.trainable_weights}


def test_fine_tuned_model_saves_and_loads(tmp_path):
    from lamina.saving import load_model
    conv_base = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    model = Sequential([conv_base, layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    _unfreeze_from(conv_base, "block5_conv1")
    model.compile(loss="binary_crossentropy", optimizer="rmsprop")
    model.save(tmp_path / "cats_and_dogs_small_3.lamina")
    loaded = load_model(tmp_path / "cats_and_dogs_small_3.lamina")
    x = np.random.default_rng(0).uniform(0, 1, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert _summary(loaded)[-4:-1] == _summary(model)[-4:-1]


@pytest.mark.parametrize("factory", [ResNet50, MobileNetV2], ids=["resnet50", "mobilenet_v2"])
def test_frozen_batchnorm_runs_in_inference_mode(factory):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (8, 32, 32, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 8)]

    def moving(base):
        return [w.detach().clone() for w in base.non_trainable_weights]

    for frozen in (True, False):
        base = factory(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
        model = Sequential([base, layers.Dense(2, activation="softmax")])
        base.trainable = not frozen
        model.compile(optimizer=optimizers.SGD(learning_rate=0.01), loss="categorical_crossentropy")
        stats = moving(base)
        with torch.no_grad():
            t = torch.from_numpy(x)
            same = torch.allclose(base(t, training=True), base(t, training=False))
        model.fit(x, y, epochs=1, batch_size=4, verbose=0)
        unchanged = all(torch.equal(a, b) for a, b in zip(stats, moving(base)))
        assert same == frozen and unchanged == frozen
        if frozen:
            assert base.count_params() == sum(w.numel() for w in base.non_trainable_weights)
