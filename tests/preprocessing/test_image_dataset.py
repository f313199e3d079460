"""lamina.utils.image_dataset_from_directory: Keras's modern folder reader."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import lamina
from lamina import layers
from lamina.preprocessing.image import load_img
from lamina.utils import image_dataset_from_directory


def test_batches_labels_and_class_names(digit_folder):
    ds = image_dataset_from_directory(digit_folder, image_size=(20, 24), batch_size=8, shuffle=False)
    assert ds.class_names == ["0", "1", "2"] and len(ds) == 5 and len(ds.file_paths) == 36
    images, labels = ds[0]
    assert images.shape == (8, 20, 24, 3) and images.dtype == torch.float32
    assert labels.dtype == torch.int32 and labels.tolist() == [0] * 8
    assert float(images.max()) > 1.0  # grey levels 0..255, not rescaled
    expected = np.asarray(load_img(ds.file_paths[0], target_size=(20, 24), interpolation="bilinear"), np.float32)
    np.testing.assert_allclose(images[0].numpy(), expected)


@pytest.mark.parametrize("label_mode,shape,dtype", [("categorical", (8, 3), torch.float32),
                                                    ("int", (8,), torch.int32)])
def test_label_modes(digit_folder, label_mode, shape, dtype):
    ds = image_dataset_from_directory(digit_folder, label_mode=label_mode, image_size=(8, 8), batch_size=8)
    _, labels = ds[0]
    assert tuple(labels.shape) == shape and labels.dtype == dtype


def test_binary_grayscale_channels_first_and_unbatched(digit_folder):
    ds = image_dataset_from_directory(digit_folder, class_names=["2", "0"], label_mode="binary",
                                      color_mode="grayscale", image_size=(8, 8), batch_size=4, shuffle=False,
                                      data_format="channels_first")
    images, labels = ds[0]
    assert images.shape == (4, 1, 8, 8) and labels.shape == (4, 1) and labels.dtype == torch.float32
    assert ds.class_names == ["2", "0"] and labels.ravel().tolist() == [0.0] * 4  # class_names fix the order
    single = image_dataset_from_directory(digit_folder, image_size=(8, 8), batch_size=None, shuffle=False)
    image, label = single[0]
    assert image.shape == (8, 8, 3) and label.shape == () and len(single) == 36


def test_validation_split_subsets_do_not_overlap(digit_folder):
    train, val = image_dataset_from_directory(digit_folder, validation_split=0.25, subset="both", seed=7,
                                              image_size=(8, 8), batch_size=4)
    assert len(train.file_paths) == 27 and len(val.file_paths) == 9
    assert not set(train.file_paths) & set(val.file_paths)
    again = image_dataset_from_directory(digit_folder, validation_split=0.25, subset="validation", seed=7,
                                         image_size=(8, 8))
    assert again.file_paths == val.file_paths


def test_iterating_runs_one_epoch_and_reshuffles(digit_folder):
    ds = image_dataset_from_directory(digit_folder, image_size=(8, 8), batch_size=10, seed=1)
    first = torch.cat([labels for _, labels in ds])
    second = torch.cat([labels for _, labels in ds])
    assert len(first) == 36 and sorted(first.tolist()) == sorted(second.tolist())
    assert first.tolist() != second.tolist()


def test_labels_none_and_explicit_labels(digit_folder):
    images = image_dataset_from_directory(digit_folder, labels=None, image_size=(8, 8), batch_size=6)[0]
    assert isinstance(images, torch.Tensor) and images.shape == (6, 8, 8, 3)
    labels = list(range(36))
    ds = image_dataset_from_directory(digit_folder, labels=labels, image_size=(8, 8), shuffle=False,
                                      batch_size=36)
    assert ds[0][1].tolist() == labels


def test_crop_and_pad_to_aspect_ratio(tmp_path):
    from PIL import Image
    (tmp_path / "a").mkdir()
    img = np.zeros((10, 30), np.uint8)
    img[:, 10:20] = 255  # the centre third is white
    Image.fromarray(img).save(tmp_path / "a" / "wide.png")
    crop = image_dataset_from_directory(tmp_path, image_size=(10, 10), crop_to_aspect_ratio=True,
                                        color_mode="grayscale", interpolation="nearest")[0][0]
    assert float(crop.min()) == 255.0
    pad = image_dataset_from_directory(tmp_path, image_size=(30, 30), pad_to_aspect_ratio=True,
                                       color_mode="grayscale", interpolation="nearest")[0][0]
    assert float(pad[0, 0, 15, 0]) == 0.0 and float(pad[0, 15, 15, 0]) == 255.0


def test_fit_with_map_and_rescaling_layer(digit_folder):
    ds = image_dataset_from_directory(digit_folder, image_size=(8, 8), color_mode="grayscale", batch_size=9,
                                      label_mode="categorical", seed=2).cache().prefetch(2)
    model = lamina.Sequential([layers.Rescaling(1 / 255.0, input_shape=(8, 8, 1)), layers.Flatten(),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(ds, epochs=2, verbose=0)
    mapped = ds.map(lambda x, y: (x / 255.0, y))
    assert float(mapped[0][0].max()) <= 1.0 and len(mapped.take(2)) == 2
    assert model.evaluate(ds, verbose=0)[1] >= 0


def test_importing_lamina_utils_does_not_import_torch():
    code = "import sys, lamina.utils; assert 'torch' not in sys.modules; lamina.utils.image_dataset_from_directory"
    subprocess.run([sys.executable, "-c", code], check=True)
