"""Folders of images as they come: broken files, empty or odd folders, wrong arguments."""
import os

import numpy as np
import pytest
from image_folders import write_folder
from PIL import Image

from lamina.preprocessing.image import ImageDataGenerator, UnreadableImageError, load_img
from lamina.utils import image_dataset_from_directory


def flow(directory, **kwargs):
    kwargs.setdefault("target_size", (28, 28))
    return ImageDataGenerator().flow_from_directory(directory, **kwargs)


def corrupt_files(folder):
    """One truncated PNG and one text file with an image extension; returns their paths."""
    good = os.path.join(folder, "0", "00000.png")
    truncated = os.path.join(folder, "0", "truncated.png")
    with open(good, "rb") as f:
        data = f.read()
    with open(truncated, "wb") as f:
        f.write(data[: len(data) // 2])
    fake = os.path.join(folder, "1", "notes.jpg")
    with open(fake, "w") as f:
        f.write("not an image")
    return truncated, fake


def test_corrupt_image_error_names_the_file(digit_folder):
    truncated, _ = corrupt_files(digit_folder)
    it = flow(digit_folder, batch_size=64, shuffle=False)
    with pytest.raises(UnreadableImageError, match=r"Cannot read image file '.*truncated\.png'.*on_error='skip'"):
        it[0]
    with pytest.raises(OSError, match=r"notes\.jpg"):  # UnreadableImageError is an OSError, like PIL's
        load_img(os.path.join(digit_folder, "1", "notes.jpg"))


def test_on_error_skip_drops_unreadable_files_with_one_warning_per_file(digit_folder):
    corrupt_files(digit_folder)
    with pytest.warns(UserWarning, match=r"skipped '.*notes\.jpg' \(\d of 2 unreadable among 38 image files") \
            as record:
        it = flow(digit_folder, on_error="skip", batch_size=64, shuffle=False)
    skipped = sorted(str(w.message) for w in record if "skipped" in str(w.message))
    assert len(skipped) == 2 and "notes.jpg" in skipped[0] + skipped[1] and "truncated.png" in skipped[0] + skipped[1]
    assert it.samples == 36 and len(it.classes) == 36
    assert not any("truncated" in f or "notes" in f for f in it.filenames)
    assert it[0][0].shape == (36, 28, 28, 3)


def test_empty_class_folder_warns_and_the_class_stays(digit_folder):
    os.makedirs(os.path.join(digit_folder, "3"))
    with pytest.warns(UserWarning, match=r"class folder\(s\) \['3'\].*hold no image files"):
        it = flow(digit_folder)
    assert it.class_indices["3"] == 3 and it.num_classes == 4 and it.samples == 36


def test_no_images_at_all(tmp_path):
    for name in ("cats", "dogs"):
        os.makedirs(tmp_path / name)
    (tmp_path / "cats" / "readme.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"found no images in the class folders \['cats', 'dogs'\].*png, jpg"):
        flow(tmp_path)


def test_folder_without_class_subfolders(tmp_path):
    Image.new("L", (8, 8)).save(tmp_path / "a.png")
    with pytest.raises(ValueError, match=r"no class subfolders.*one subfolder per class.*class_mode=None"):
        flow(tmp_path)


def test_non_image_files_are_ignored(digit_folder):
    for name in ("notes.txt", ".DS_Store", "labels.csv", "model.h5"):
        with open(os.path.join(digit_folder, "2", name), "w") as f:
            f.write("x")
    it = flow(digit_folder)
    assert it.samples == 36 and all(f.endswith(".png") for f in it.filenames)


def test_grayscale_files_are_converted_for_rgb_and_colour_for_grayscale(tmp_path, digits):
    x, y, _, _ = digits
    folder = write_folder(tmp_path / "mixed", x[:4], [0, 0, 1, 1])
    Image.fromarray(np.stack([x[4]] * 3, axis=-1)).save(os.path.join(folder, "1", "colour.png"))
    Image.fromarray(x[5]).convert("P").save(os.path.join(folder, "0", "palette.png"))
    rgb = flow(folder, color_mode="rgb", batch_size=6, shuffle=False)[0][0]
    assert rgb.shape == (6, 28, 28, 3)
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 1])  # grey copied to the three channels
    np.testing.assert_array_equal(rgb[0, ..., 0], x[0])
    grey = flow(folder, color_mode="grayscale", batch_size=6, shuffle=False)[0][0]
    assert grey.shape == (6, 28, 28, 1)
    rgba = flow(folder, color_mode="rgba", batch_size=6, shuffle=False)[0][0]
    assert rgba.shape == (6, 28, 28, 4) and (rgba[..., 3] == 255).all()


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"flow_from_directory: the directory '.*nowhere' does not exist"):
        flow(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"image_dataset_from_directory: the directory .*nowhere"):
        image_dataset_from_directory(tmp_path / "nowhere")
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match=r"file\.png' is a file, not a directory"):
        flow(tmp_path / "file.png")


@pytest.mark.parametrize("target_size", [(150,), (0, 150), (150.5, 150), "150x150", None, (True, 3)])
def test_invalid_target_size(digit_folder, target_size):
    with pytest.raises(ValueError, match=r"target_size to be a \(height, width\) pair of positive ints. "
                                         r"Received: target_size="):
        flow(digit_folder, target_size=target_size)


@pytest.mark.parametrize("kwargs,match", [
    ({"color_mode": "rbg"}, r"color_mode to be one of 'grayscale', 'rgb', 'rgba'.*'rbg'; did you mean 'rgb'\?"),
    ({"class_mode": "onehot"}, r"class_mode to be one of .*'onehot'"),
    ({"interpolation": "cubic"}, r"interpolation to be one of .*'cubic'; did you mean 'bicubic'\?"),
    ({"class_mode": "binary"}, r"class_mode='binary'\) needs exactly 2 classes.*has 3: \['0', '1', '2'\]"),
    ({"classes": ["0", "7"]}, r"classes \['7'\] have no subfolder"),
    ({"subset": "validation"}, r"needs a validation split.*validation_split=0.2"),
    ({"on_error": "ignore"}, r"on_error to be one of 'raise', 'skip'.*'ignore'"),
])
def test_bad_directory_arguments(digit_folder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        flow(digit_folder, **kwargs)


def test_dataset_from_directory_bad_input(digit_folder):
    with pytest.raises(ValueError, match=r"label_mode='binary'\) needs exactly 2 classes"):
        image_dataset_from_directory(digit_folder, label_mode="binary")
    with pytest.raises(ValueError, match=r"validation_split and shuffle=True, pass a seed"):
        image_dataset_from_directory(digit_folder, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match=r"image_size to be a \(height, width\) pair.*\(0, 3\)"):
        image_dataset_from_directory(digit_folder, image_size=(0, 3))
    with pytest.raises(ValueError, match=r"labels has 2 entries but .* holds 36 image files"):
        image_dataset_from_directory(digit_folder, labels=[0, 1])
    truncated, _ = corrupt_files(digit_folder)
    ds = image_dataset_from_directory(digit_folder, image_size=(28, 28), shuffle=False, batch_size=64)
    with pytest.raises(UnreadableImageError, match="truncated.png"):
        ds[0]
