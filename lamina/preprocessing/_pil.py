"""Image files <-> arrays with Pillow: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``.

Same arguments and results as ``keras.preprocessing.image``; errors name the file.
"""
from __future__ import annotations

import errno
import io
import os
import pathlib
import warnings

import numpy as np

from .. import config as _config

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "UnreadableImageError",
           "INTERPOLATIONS", "COLOR_MODES", "decode_file"]

COLOR_MODES = ("grayscale", "rgb", "rgba")


def _resampling():
    from PIL import Image
    r = getattr(Image, "Resampling", Image)
    return {"nearest": r.NEAREST, "bilinear": r.BILINEAR, "bicubic": r.BICUBIC, "hamming": r.HAMMING,
            "box": r.BOX, "lanczos": r.LANCZOS}


INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


class UnreadableImageError(OSError):
    """An image file that Pillow cannot decode: corrupt, truncated, or not an image."""


def check_interpolation(owner: str, interpolation) -> str:
    if interpolation not in INTERPOLATIONS:
        from .._errors import did_you_mean
        raise ValueError(f"{owner} expects interpolation to be one of {', '.join(map(repr, INTERPOLATIONS))}. "
                         f"Received: interpolation={interpolation!r}"
                         f"{did_you_mean(str(interpolation), INTERPOLATIONS) or '.'}")
    return interpolation


def check_color_mode(owner: str, color_mode) -> str:
    if color_mode not in COLOR_MODES:
        from .._errors import did_you_mean
        raise ValueError(f"{owner} expects color_mode to be one of {', '.join(map(repr, COLOR_MODES))}. "
                         f"Received: color_mode={color_mode!r}{did_you_mean(str(color_mode), COLOR_MODES) or '.'}")
    return color_mode


def check_size(owner: str, arg: str, value) -> tuple[int, int]:
    """A (height, width) pair of positive ints."""
    ok = isinstance(value, (tuple, list)) and len(value) == 2
    if ok:
        try:
            ok = all(not isinstance(v, bool) and int(v) == v and int(v) > 0 for v in value)
        except (TypeError, ValueError):
            ok = False
    if not ok:
        raise ValueError(f"{owner} expects {arg} to be a (height, width) pair of positive ints. Received: "
                         f"{arg}={value!r}. E.g. {arg}=(150, 150).")
    return int(value[0]), int(value[1])


def _open(path):
    from PIL import Image
    if isinstance(path, io.BytesIO):
        name, data = "<BytesIO>", path.getvalue()
    elif isinstance(path, (str, bytes, os.PathLike)):
        name = os.fsdecode(path)
        try:
            with open(name, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            if os.path.islink(name):
                raise UnreadableImageError(f"Cannot read image file {name!r}: it is a broken symbolic link (it "
                                           f"points to {os.readlink(name)!r}, which does not exist).") from None
            raise FileNotFoundError(f"No image file at {name!r} (absolute: {os.path.abspath(name)!r}).") from None
        except OSError as err:  # a symlink loop (ELOOP), a directory, no permission, an I/O error
            what = "a symbolic link loop" if err.errno == errno.ELOOP else (err.strerror or str(err))
            raise UnreadableImageError(f"Cannot read image file {name!r}: {what}. Fix or remove it "
                                       f"(flow_from_directory(..., on_error='skip') skips such files).") from None
    else:
        raise TypeError(f"load_img expects a path (str or pathlib.Path) or io.BytesIO. Received: "
                        f"{type(path).__name__}.")
    try:
        img = Image.open(io.BytesIO(data))
        img.load()  # decode now: truncated files fail here, not later
    except Image.DecompressionBombError as err:
        raise UnreadableImageError(
            f"Cannot read image file {name!r}: it is a decompression bomb ({err}) - its header declares more "
            f"pixels than Pillow's safety limit (PIL.Image.MAX_IMAGE_PIXELS={Image.MAX_IMAGE_PIXELS}). Delete "
            f"it, or raise that limit if you trust the file (flow_from_directory(..., on_error='skip') skips "
            f"such files).") from None
    except Exception as err:  # Pillow's decoders raise many kinds (OSError, SyntaxError, struct.error, ...)
        reason = str(err) or type(err).__name__
        raise UnreadableImageError(
            f"Cannot read image file {name!r}: {reason}. The file is corrupt, truncated or not an image; "
            f"delete or replace it (flow_from_directory(..., on_error='skip') skips such files).") from None
    return img, name


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Load an image file into a PIL image, converted to ``color_mode`` and resized to ``target_size``.

    Args:
        path: path (str or pathlib.Path) or io.BytesIO.
        color_mode: 'rgb' (default), 'rgba' or 'grayscale'. Grayscale files become 3-channel RGB
            under 'rgb', colour files become one grey channel under 'grayscale' (16-bit grey stays 16-bit).
        target_size: None (default: keep the file's size) or (height, width).
        interpolation: resampling filter: 'nearest' (default), 'bilinear', 'bicubic', 'hamming',
            'box' or 'lanczos'.
        keep_aspect_ratio: crop the centre to the target aspect ratio before resizing (default False).

    Returns:
        A PIL Image, fully decoded.

    Raises:
        FileNotFoundError: no file at ``path``.
        UnreadableImageError (an OSError): the file is corrupt, truncated or not an image; the
            message names the file.

    Example:
        >>> img = load_img("cat.jpg", target_size=(150, 150))   # doctest: +SKIP
        >>> img_to_array(img).shape                             # doctest: +SKIP
        (150, 150, 3)
    """
    check_color_mode("load_img", color_mode)
    img, _ = _open(path)
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if target_size is not None:
        height, width = check_size("load_img", "target_size", target_size)
        check_interpolation("load_img", interpolation)
        if img.size != (width, height):
            resample = _resampling()[interpolation]
            if keep_aspect_ratio:
                img = img.resize((width, height), resample, box=_center_box(img.size, (height, width)))
            else:
                img = img.resize((width, height), resample)
    return img


def _center_box(size_wh, target_hw):
    """The largest centred crop with the target's aspect ratio, as a PIL box."""
    width, height = size_wh
    target_height, target_width = target_hw
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top = (height - crop_height) // 2
    left = (width - crop_width) // 2
    return (left, top, left + crop_width, top + crop_height)


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image -> a 3-D numpy array (rows, cols, channels), or channels first.

    Args:
        img: PIL Image.
        data_format: 'channels_last' (default from lamina.config) or 'channels_first'.
        dtype: default the float type (lamina.config.floatx(), 'float32').
    """
    data_format = _config.normalize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or _config.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}; expected (rows, cols) or "
                         f"(rows, cols, channels).")
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array -> a PIL image ('L', 'RGB' or 'RGBA' by the number of channels).

    Args:
        x: array (rows, cols, channels) or channels first; 1, 3 or 4 channels.
        data_format: 'channels_last' (default from lamina.config) or 'channels_first'.
        scale: map the array's min..max to 0..255 (default True); else values are cast to uint8.
        dtype: float type used for the scaling (default lamina.config.floatx()).
    """
    from PIL import Image
    data_format = _config.normalize_data_format(data_format)
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    x = np.array(x, dtype=dtype or _config.floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img expects a single image of rank 3 (rows, cols, channels). Received an "
                         f"array of shape {x.shape}.")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img supports 1, 3 or 4 channels. Received an array of shape {x.shape} "
                     f"({channels} channels, data_format={data_format!r}).")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save a 3-D array as an image file (format from the file extension unless ``file_format``)."""
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("JPEG cannot store an alpha channel; save_img converts the RGBA image to RGB.",
                      stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def _pad_to_aspect(img, target_hw):
    """Pad with black, centred, to the target's aspect ratio (image_dataset_from_directory's option)."""
    from PIL import Image
    width, height = img.size
    target_height, target_width = target_hw
    if width * target_height > height * target_width:
        new_w, new_h = width, -(-width * target_height // target_width)
    else:
        new_w, new_h = -(-height * target_width // target_height), height
    if (new_w, new_h) == (width, height):
        return img
    canvas = Image.new(img.mode, (new_w, new_h), 0)
    canvas.paste(img, ((new_w - width) // 2, (new_h - height) // 2))
    return canvas


def decode_file(path, color_mode, target_size, interpolation, keep_aspect_ratio=False,
                pad_to_aspect_ratio=False) -> np.ndarray:
    """One file -> (rows, cols, channels) array in the file's integer type (uint8 for 8-bit images)."""
    if pad_to_aspect_ratio:
        img = _pad_to_aspect(load_img(path, color_mode=color_mode), target_size)
        if img.size != (target_size[1], target_size[0]):
            img = img.resize((target_size[1], target_size[0]), _resampling()[interpolation])
    else:
        img = load_img(path, color_mode=color_mode, target_size=target_size, interpolation=interpolation,
                       keep_aspect_ratio=keep_aspect_ratio)
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return arr
