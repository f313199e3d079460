"""Hostile image folders: decompression bombs, symlink loops and unreadable files are named in the error;
on_error='skip' skips each with one warning; a folder loop is listed once."""
import io
import errno
import os
import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

from lamina.preprocessing import image as image_lib
from lamina.preprocessing.image import ImageDataGenerator, load_img
from lamina.preprocessing._pil import UnreadableImageError


def png_bomb(width=30000, height=30000) -> bytes:
    """A valid PNG header declaring width x height grey pixels, with a tiny compressed body."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\0" * (width + 1) * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(4):
            Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(tmp_path / cls / f"{i}.png")
    return tmp_path


def test_decompression_bomb_is_named(tmp_path):
    (tmp_path / "bomb.png").write_bytes(png_bomb())
    with pytest.raises(UnreadableImageError, match=r"Cannot read image file '.*bomb\.png': it is a decompression "
                                                   r"bomb"):
        load_img(tmp_path / "bomb.png")


def test_bomb_raises_in_flow_and_is_skipped_with_on_error_skip(folder):
    (folder / "a" / "bomb.png").write_bytes(png_bomb())
    gen = ImageDataGenerator()
    it = gen.flow_from_directory(str(folder), target_size=(8, 8), batch_size=16, shuffle=False)
    with pytest.raises(UnreadableImageError, match=r"bomb\.png.*decompression bomb"):
        it[0]
    with pytest.warns(UserWarning, match=r"skipped '.*a/bomb\.png' \(1 of 1 unreadable among 9 image files"):
        it = gen.flow_from_directory(str(folder), target_size=(8, 8), batch_size=16, shuffle=False,
                                     on_error="skip")
    assert it.samples == 8 and it[0][0].shape == (8, 8, 8, 3)


def test_folder_symlink_loop_is_listed_once(folder):
    os.symlink(folder / "a", folder / "a" / "loop")
    with pytest.warns(UserWarning, match=r"Skipping '.*a/loop': it is a symbolic link to .*a', a folder already "
                                         r"scanned"):
        it = ImageDataGenerator().flow_from_directory(str(folder), target_size=(8, 8), follow_links=True,
                                                      shuffle=False)
    assert it.samples == 8


def test_file_symlink_loop_is_named_and_skipped(folder):
    os.symlink(folder / "a" / "y.png", folder / "a" / "x.png")
    os.symlink(folder / "a" / "x.png", folder / "a" / "y.png")
    with pytest.raises(UnreadableImageError, match=r"x\.png': a symbolic link loop"):
        load_img(folder / "a" / "x.png")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        it = ImageDataGenerator().flow_from_directory(str(folder), target_size=(8, 8), follow_links=True,
                                                      on_error="skip", shuffle=False)
    skipped = [str(w.message) for w in record if "skipped" in str(w.message)]
    assert len(skipped) == 2 and all("symbolic link loop" in s for s in skipped)
    assert it.samples == 8


def test_broken_symlink_is_named(folder):
    os.symlink(folder / "nowhere.png", folder / "a" / "broken.png")
    with pytest.raises(UnreadableImageError, match=r"broken\.png': it is a broken symbolic link"):
        load_img(folder / "a" / "broken.png")


def test_unreadable_permission_is_named(folder, monkeypatch):
    """A file the process may not read. chmod cannot arrange that when the tests run as root (as in
    CI containers), so the refusal is made where lamina opens the file, as the kernel would make it."""
    import builtins
    from lamina.preprocessing import _pil
    path = folder / "a" / "0.png"

    def denied(name, *args, **kwargs):
        if os.fspath(name) == os.fspath(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(name))
        return builtins.open(name, *args, **kwargs)
    monkeypatch.setattr(_pil, "open", denied, raising=False)
    with pytest.raises(UnreadableImageError, match=r"0\.png'.*Permission denied"):
        load_img(path)


def test_image_dataset_skip_and_bomb(folder):
    (folder / "b" / "bomb.png").write_bytes(png_bomb())
    with pytest.raises(UnreadableImageError, match=r"bomb\.png"):
        image_lib.load_img(folder / "b" / "bomb.png", target_size=(8, 8))
    Image.open(io.BytesIO(png_bomb(10, 10)))  # the same writer makes a valid small PNG
