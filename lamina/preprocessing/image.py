"""``keras.preprocessing.image`` on torch: ImageDataGenerator, its iterators, and image files.

ImageDataGenerator keeps Keras 2's arguments and their meanings, but transforms a
whole batch at once: one random affine matrix per image, applied by
``torch.nn.functional.grid_sample`` on the iterator's device, with the same
results as Keras's per-image ``scipy.ndimage.affine_transform`` (bilinear,
fill modes 'nearest', 'reflect', 'wrap', 'constant').

Per image and in Keras's order, a batch goes through: affine warp (rotation,
shifts, shear, zoom) -> channel shift -> horizontal / vertical flip ->
brightness -> ``preprocessing_function`` -> ``rescale`` -> sample-wise centring
and scaling -> feature-wise centring and scaling -> ZCA whitening. So, as in
Keras, ``rescale`` multiplies the transformed image (``cval`` and
``channel_shift_range`` are in the units of the input data), while ``fit()``
rescales before computing its statistics.

One deliberate difference: the geometry follows Keras 2 as documented and as
in the Keras 2.2 era of the classic courses (``width_shift_range`` moves the
content horizontally by a fraction of the width, rotations turn about the image
centre). Keras >= 2.3 (keras-preprocessing >= 1.1.1) and Keras 3's legacy copy
apply the transposed matrix: on square images that only swaps which of the two
shift ranges acts on which axis and turns rotations the other way, but on
non-square images their width shift moves the content vertically and their
rotation centre is off.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np
import torch

from .. import config as _config
from .._errors import check_choice
from . import affine as _affine
from ._file_iterators import DataFrameIterator, DirectoryIterator
from ._iterators import Iterator, NumpyArrayIterator
from ._pil import UnreadableImageError, array_to_img, img_to_array, load_img, save_img
from ._transforms_api import (apply_affine_transform, apply_brightness_shift, apply_channel_shift, flip_axis,
                              random_brightness, random_channel_shift, random_rotation, random_shear,
                              random_shift, random_zoom)

__all__ = [
    "ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator", "DataFrameIterator",
    "load_img", "img_to_array", "array_to_img", "save_img", "UnreadableImageError",
    "apply_affine_transform", "apply_channel_shift", "apply_brightness_shift", "flip_axis", "random_rotation",
    "random_shift", "random_shear", "random_zoom", "random_channel_shift", "random_brightness",
]


def _number(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"ImageDataGenerator expects {name} to be a number. Received: {name}={value!r}.")
    return value


def _shift_spec(name, value):
    """Keras's shift ranges: float (uniform fraction or pixels), int n (whole pixels 0..n-1 with a
    random sign), or a 1-D list of values (one picked, random sign). Fractions when all are < 1."""
    if isinstance(value, bool):
        raise ValueError(f"ImageDataGenerator expects {name} to be a float, an int or a list of numbers. "
                         f"Received: {name}={value!r}.")
    if isinstance(value, numbers.Integral):
        if value < 0:
            raise ValueError(f"ImageDataGenerator expects {name} >= 0. Received: {name}={value!r}.")
        return ("choice", np.arange(int(value), dtype=np.float64), value < 1) if value else None
    if isinstance(value, numbers.Real):
        if not value >= 0:
            raise ValueError(f"ImageDataGenerator expects {name} >= 0. Received: {name}={value!r}.")
        return ("uniform", float(value), value < 1) if value else None
    try:
        values = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if values is None or values.ndim != 1 or values.size == 0:
        raise ValueError(f"ImageDataGenerator expects {name} to be a float, an int or a 1-D list of numbers. "
                         f"Received: {name}={value!r}.")
    return ("choice", values, bool(np.max(values) < 1))


class ImageDataGenerator:
    """Batches of images with real-time augmentation, Keras 2's ImageDataGenerator.

    Args:
        featurewise_center: subtract the per-channel dataset mean (computed by ``fit``).
        samplewise_center: subtract each image's mean.
        featurewise_std_normalization: divide by the per-channel dataset std (from ``fit``).
        samplewise_std_normalization: divide each image by its std.
        zca_whitening: apply ZCA whitening (from ``fit``); zca_epsilon (default 1e-6) regularises it.
        rotation_range: degrees; a random angle in [-r, r].
        width_shift_range, height_shift_range: float < 1 a fraction of the width / height, float >= 1
            pixels, int n whole pixels in {-(n-1), ..., n-1}, or a list of allowed values.
        brightness_range: (low, high) brightness factors.
        shear_range: shear angle in degrees, in [-s, s].
        zoom_range: float z for [1 - z, 1 + z], or [low, high]; above 1 zooms out.
        channel_shift_range: random shift of all channel values in [-c, c], clipped to the image's range.
        fill_mode: 'nearest' (default), 'constant', 'reflect' or 'wrap' (scipy.ndimage's meanings).
        cval: value outside the image for fill_mode='constant'.
        horizontal_flip, vertical_flip: flip half of the images.
        rescale: factor multiplying the transformed images (e.g. 1/255), or None.
        preprocessing_function: called on each transformed image (a 3-D NumPy array), before rescale.
        data_format: 'channels_last' (default from lamina.config) or 'channels_first'.
        validation_split: fraction held out for ``subset='validation'``.
        interpolation_order: 1 (bilinear, default) or 0 (nearest).
        dtype: output float type (default 'float32').

    Example:
        >>> datagen = ImageDataGenerator(rotation_range=10, width_shift_range=0.2,
        ...                              height_shift_range=0.2, shear_range=0.1, zoom_range=0.1)
        >>> it = datagen.flow(x_train, y_train, batch_size=50)      # doctest: +SKIP
        >>> model.fit(it, epochs=10)                                # doctest: +SKIP
    """

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None):
        self.featurewise_center = bool(featurewise_center)
        self.samplewise_center = bool(samplewise_center)
        self.featurewise_std_normalization = bool(featurewise_std_normalization)
        self.samplewise_std_normalization = bool(samplewise_std_normalization)
        self.zca_whitening = bool(zca_whitening)
        self.zca_epsilon = _number("zca_epsilon", zca_epsilon)
        self.rotation_range = _number("rotation_range", rotation_range)
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = _number("shear_range", shear_range)
        self.channel_shift_range = _number("channel_shift_range", channel_shift_range)
        self.fill_mode = check_choice("ImageDataGenerator", "fill_mode", fill_mode, _affine.SCIPY_FILL_MODES)
        self.cval = _number("cval", cval)
        self.horizontal_flip = bool(horizontal_flip)
        self.vertical_flip = bool(vertical_flip)
        self.rescale = _number("rescale", rescale, allow_none=True)
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise TypeError(f"ImageDataGenerator expects preprocessing_function to be a function of one image "
                            f"or None. Received: {preprocessing_function!r}.")
        self.preprocessing_function = preprocessing_function
        self.dtype = dtype or _config.floatx()
        if interpolation_order not in (0, 1):
            raise ValueError(f"ImageDataGenerator supports interpolation_order 0 (nearest) and 1 (bilinear). "
                             f"Received: interpolation_order={interpolation_order!r}.")
        self.interpolation_order = int(interpolation_order)
        self.data_format = _config.normalize_data_format(data_format)
        self.channel_axis, self.row_axis, self.col_axis = (3, 1, 2) if self.data_format == "channels_last" \
            else (1, 2, 3)
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(f"ImageDataGenerator expects validation_split strictly between 0 and 1. "
                             f"Received: validation_split={validation_split!r}.")
        self._validation_split = float(validation_split or 0.0)
        self.mean = None
        self.std = None
        self.zca_whitening_matrix = None
        self._stats = {}
        if isinstance(zoom_range, numbers.Real) and not isinstance(zoom_range, bool):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif isinstance(zoom_range, (list, tuple)) and len(zoom_range) == 2 and all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) for v in zoom_range):
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(f"ImageDataGenerator expects zoom_range to be a float or a pair [low, high]. "
                             f"Received: zoom_range={zoom_range!r}.")
        if self.zca_whitening:
            if not self.featurewise_center:
                self.featurewise_center = True
                warnings.warn("ImageDataGenerator: zca_whitening=True turns featurewise_center on.", stacklevel=2)
            if self.featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("ImageDataGenerator: zca_whitening=True turns featurewise_std_normalization off.",
                              stacklevel=2)
        if self.featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn("ImageDataGenerator: featurewise_std_normalization=True turns featurewise_center on.",
                          stacklevel=2)
        if self.samplewise_std_normalization and not self.samplewise_center:
            self.samplewise_center = True
            warnings.warn("ImageDataGenerator: samplewise_std_normalization=True turns samplewise_center on.",
                          stacklevel=2)
        if brightness_range is not None and (not isinstance(brightness_range, (tuple, list))
                                             or len(brightness_range) != 2):
            raise ValueError(f"ImageDataGenerator expects brightness_range to be a pair (low, high) of floats. "
                             f"Received: brightness_range={brightness_range!r}.")
        self.brightness_range = brightness_range

    @property
    def width_shift_range(self):
        return self._width_shift_range

    @width_shift_range.setter
    def width_shift_range(self, value):
        self._width_shift = _shift_spec("width_shift_range", value)
        self._width_shift_range = value

    @property
    def height_shift_range(self):
        return self._height_shift_range

    @height_shift_range.setter
    def height_shift_range(self, value):
        self._height_shift = _shift_spec("height_shift_range", value)
        self._height_shift_range = value

    # ------------------------------------------------------------------ iterators
    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", ignore_class_split=False, subset=None, device=None):
        """Batches of augmented images (and labels) from arrays: a NumpyArrayIterator.

        Args:
            x: images, rank 4 in the generator's data_format; or (images, other_inputs).
            y: labels, or None. sample_weight: per-sample weights, or None.
            batch_size: default 32. shuffle: default True. seed: None or int for repeatable batches.
            save_to_dir: None or a folder to write the augmented images to (save_prefix, save_format).
            subset: 'training' or 'validation' with validation_split set.
            device: lamina only: None (NumPy batches) or a torch device to augment on and return
                tensors on.
        """
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype,
                                  device=device)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, save_to_dir=None,
                            save_prefix="", save_format="png", follow_links=False, subset=None,
                            interpolation="nearest", keep_aspect_ratio=False, cache=False, workers=None,
                            on_error="raise", device=None):
        """Batches of augmented images read from ``directory/<class>/<image files>``: a DirectoryIterator.

        Args:
            directory: folder with one subfolder per class (files of other types are ignored).
            target_size: (height, width) every image is resized to (default (256, 256)).
            color_mode: 'rgb' (default), 'grayscale' or 'rgba'; files are converted as needed.
            classes: class subfolders to use, in label order (default: all, alphanumeric).
            class_mode: 'categorical' (one-hot, default), 'binary' (0/1 floats), 'sparse' (class
                indices), 'input' (the images again, for autoencoders) or None (images only).
            interpolation: resampling filter for resizing (default 'nearest').
            cache: lamina only: keep decoded images in memory after the first epoch (default False).
            workers: lamina only: decoding threads. Default None: decode in the calling thread, and
                switch to one thread per CPU (at most 8) when files take over 2 ms each to decode.
            on_error: lamina only: 'raise' (default: an unreadable file raises an error naming it) or
                'skip' (unreadable files are found up front, dropped and counted in one warning).
            device: lamina only: None (NumPy batches) or a torch device.
        """
        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 data_format=self.data_format, save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links, subset=subset,
                                 interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio,
                                 dtype=self.dtype, cache=cache, workers=workers, on_error=on_error, device=device)

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class", weight_col=None,
                            target_size=(256, 256), color_mode="rgb", classes=None, class_mode="categorical",
                            batch_size=32, shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", subset=None, interpolation="nearest", validate_filenames=True,
                            keep_aspect_ratio=False, cache=False, workers=None, on_error="raise", device=None,
                            **kwargs):
        """Batches of augmented images whose files (and labels) are listed in a pandas DataFrame.

        ``x_col`` holds file names (relative to ``directory``), ``y_col`` the labels; class_mode is
        one of 'categorical', 'binary', 'sparse', 'input', 'multi_output', 'raw' or None.
        """
        for old in ("has_ext", "sort", "drop_duplicates"):
            if old in kwargs:
                kwargs.pop(old)
                warnings.warn(f"flow_from_dataframe: {old} is deprecated and ignored.", DeprecationWarning,
                              stacklevel=2)
        if kwargs:
            raise TypeError(f"flow_from_dataframe got unexpected keyword argument(s) {sorted(kwargs)}.")
        if class_mode == "other":
            warnings.warn("flow_from_dataframe: class_mode='other' is deprecated; use 'raw'.", DeprecationWarning,
                          stacklevel=2)
            class_mode = "raw"
        return DataFrameIterator(dataframe, directory, self, x_col=x_col, y_col=y_col, weight_col=weight_col,
                                 target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 data_format=self.data_format, save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, subset=subset, interpolation=interpolation,
                                 keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype,
                                 validate_filenames=validate_filenames, cache=cache, workers=workers,
                                 on_error=on_error, device=device)

    # ------------------------------------------------------------------ random parameters
    @property
    def _augments(self) -> bool:
        return bool(self.rotation_range or self._width_shift or self._height_shift or self.shear_range
                    or self.zoom_range != [1, 1] or self.horizontal_flip or self.vertical_flip
                    or self.channel_shift_range or self.brightness_range is not None)

    def _plan(self) -> tuple:
        """What ``_sample`` draws: (key, column, low, high) uniforms, shift specs and flip columns."""
        key = (self.rotation_range, id(self._height_shift), id(self._width_shift), self.shear_range,
               tuple(self.zoom_range), self.horizontal_flip, self.vertical_flip, self.channel_shift_range,
               None if self.brightness_range is None else tuple(self.brightness_range))
        if getattr(self, "_plan_cache", (None,))[0] == key:
            return self._plan_cache[1]
        spans = []
        if self.rotation_range:
            spans.append(("theta", 0, -self.rotation_range, self.rotation_range))
        if self.shear_range:
            spans.append(("shear", 5, -self.shear_range, self.shear_range))
        if self.zoom_range[0] != 1 or self.zoom_range[1] != 1:
            spans += [("zx", 6, self.zoom_range[0], self.zoom_range[1]), ("zy", 7, *self.zoom_range)]
        if self.channel_shift_range:
            spans.append(("channel_shift_intensity", 10, -self.channel_shift_range, self.channel_shift_range))
        if self.brightness_range is not None:
            spans.append(("brightness", 11, self.brightness_range[0], self.brightness_range[1]))
        shifts = [(k, spec, axis, col) for k, spec, axis, col in (("tx", self._height_shift, 0, 1),
                                                                   ("ty", self._width_shift, 1, 3)) if spec]
        flips = [(k, col) for k, col, on in (("flip_horizontal", 8, self.horizontal_flip),
                                             ("flip_vertical", 9, self.vertical_flip)) if on]
        plan = (spans, shifts, flips)
        self._plan_cache = (key, plan)
        return plan

    def _sample(self, n: int, h: int, w: int, generator=None) -> dict:
        """Random transform parameters for n images of size (h, w): float64 (bool for flips) arrays of
        shape (n,), from one draw of uniforms on torch's CPU generator (``generator`` or the global one)."""
        spans, shifts, flips = self._plan()
        u = torch.rand(n, 12, generator=generator, dtype=torch.float64).numpy()
        p = {key: u[:, col] * (high - low) + low for key, col, low, high in spans}
        for key, (kind, value, fraction), axis, col in shifts:
            if kind == "uniform":
                shift = u[:, col] * (2 * value) - value
            else:  # one of the values, with a random sign
                pick = np.minimum((u[:, col] * len(value)).astype(np.int64), len(value) - 1)
                shift = value[pick] * np.where(u[:, col + 1] < 0.5, -1.0, 1.0)
            p[key] = shift * (h, w)[axis] if fraction else shift
        for key, col in flips:
            p[key] = u[:, col] < 0.5
        return p

    def _apply_batch(self, x: torch.Tensor, p: dict) -> torch.Tensor:
        """Apply parameters (arrays of shape (n,), as ``_sample`` makes) to a batch x of shape (n, C, h, w)."""
        n, _, h, w = x.shape
        keys = ("theta", "tx", "ty", "shear", "zx", "zy")
        if any(p.get(k) is not None for k in keys):
            mats = _affine.keras_matrices(n, h, w, **{k: p.get(k) for k in keys})
            if not _affine.is_identity(mats):
                x = _affine.warp(x, mats, self.fill_mode, self.cval, self.interpolation_order)
        if p.get("channel_shift_intensity") is not None:
            x = _affine.channel_shift(x, p["channel_shift_intensity"])
        if p.get("flip_horizontal") is not None:
            x = _affine.flip(x, p["flip_horizontal"], 3)
        if p.get("flip_vertical") is not None:
            x = _affine.flip(x, p["flip_vertical"], 2)
        if p.get("brightness") is not None:
            x = _affine.brightness(x, p["brightness"])
        return x

    def _process_batch(self, batch: torch.Tensor, generator=None, data_format=None) -> torch.Tensor:
        """Random transforms then standardize, for a float batch in the generator's data_format."""
        if self._augments:
            batch = self._augment_batches(batch, [len(batch)], [generator], data_format)[0]
        return self._standardize_tensor(batch)

    def _augment_batches(self, x: torch.Tensor, sizes, generators, data_format=None) -> list:
        """Random transforms of consecutive batches stacked in ``x`` (sizes[j] images each), in one warp;
        batch j draws its parameters from generators[j], so the result equals one call per batch."""
        last = (data_format or self.data_format) == "channels_last"
        h, w = (x.shape[1], x.shape[2]) if last else (x.shape[2], x.shape[3])
        parts = [self._sample(n, h, w, g) for n, g in zip(sizes, generators)]
        params = parts[0] if len(parts) == 1 else {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        nchw = self._apply_batch(x.permute(0, 3, 1, 2) if last else x, params)
        out = nchw.permute(0, 2, 3, 1) if last else nchw
        return list(torch.split(out, list(sizes))) if len(sizes) > 1 else [out]

    # ------------------------------------------------------------------ standardization
    def _stat(self, name, device, dtype):
        value = getattr(self, name)
        key = (name, id(value), device, dtype)
        if key not in self._stats:
            self._stats = {k: v for k, v in self._stats.items() if k[0] != name}
            self._stats[key] = torch.as_tensor(np.asarray(value), dtype=dtype, device=device)
        return self._stats[key]

    def _standardize_tensor(self, x: torch.Tensor) -> torch.Tensor:
        """Keras's standardize on a batch the iterator owns (it is changed in place where possible)."""
        if self.preprocessing_function is not None:
            images = x.detach().cpu().numpy()
            out = [np.asarray(self.preprocessing_function(np.array(img)), dtype=self.dtype) for img in images]
            shapes = {o.shape for o in out}
            if shapes != {images.shape[1:]}:
                raise ValueError(f"preprocessing_function must return an image of the shape it received, "
                                 f"{images.shape[1:]}; it returned {sorted(shapes)}.")
            x = torch.from_numpy(np.stack(out)).to(x.device)
        if self.rescale:
            x = x.mul_(self.rescale)
        if self.samplewise_center:
            x = x.sub_(x.mean(dim=(1, 2, 3), keepdim=True))
        if self.samplewise_std_normalization:
            x = x.div_(x.std(dim=(1, 2, 3), keepdim=True, correction=0) + 1e-6)
        if self.featurewise_center:
            if self.mean is not None:
                x = x.sub_(self._stat("mean", x.device, x.dtype))
            else:
                warnings.warn("ImageDataGenerator has featurewise_center=True but was not fit on any data: call "
                              ".fit(x_train) first.", stacklevel=4)
        if self.featurewise_std_normalization:
            if self.std is not None:
                x = x.div_(self._stat("std", x.device, x.dtype) + 1e-6)
            else:
                warnings.warn("ImageDataGenerator has featurewise_std_normalization=True but was not fit on any "
                              "data: call .fit(x_train) first.", stacklevel=4)
        if self.zca_whitening:
            if self.zca_whitening_matrix is not None:
                zca = self._stat("zca_whitening_matrix", x.device, x.dtype)
                x = (x.reshape(x.shape[0], -1) @ zca).reshape(x.shape)
            else:
                warnings.warn("ImageDataGenerator has zca_whitening=True but was not fit on any data: call "
                              ".fit(x_train) first.", stacklevel=4)
        return x

    def standardize(self, x):
        """Apply the normalization settings to one image (rank 3) or a batch (rank 4); returns a new array.

        The order is Keras's: preprocessing_function, rescale, sample-wise, feature-wise, ZCA. On a
        batch, the sample-wise statistics are those of each image.
        """
        arr = np.asarray(x, dtype=self.dtype)
        if arr.ndim not in (3, 4):
            raise ValueError(f"standardize expects one image (rank 3) or a batch (rank 4). Received shape "
                             f"{arr.shape}.")
        t = torch.from_numpy(np.array(arr[None] if arr.ndim == 3 else arr))
        out = self._standardize_tensor(t).numpy()
        return out[0] if arr.ndim == 3 else out

    # ------------------------------------------------------------------ one image, Keras's API
    def get_random_transform(self, img_shape, seed=None):
        """Random parameters for one image of shape ``img_shape`` (in the generator's data_format).

        Returns:
            dict with 'theta', 'tx', 'ty', 'shear', 'zx', 'zy', 'flip_horizontal', 'flip_vertical',
            'channel_shift_intensity', 'brightness' (Keras's keys and meanings).
        """
        if len(img_shape) != 3:
            raise ValueError(f"get_random_transform expects the shape of one image (rank 3). Received "
                             f"{tuple(img_shape)}.")
        h, w = img_shape[self.row_axis - 1], img_shape[self.col_axis - 1]
        g = None if seed is None else torch.Generator().manual_seed(int(seed))
        p = self._sample(1, h, w, g)

        def val(key, default):
            return default if key not in p else (bool(p[key][0]) if p[key].dtype == bool else float(p[key][0]))
        return {"theta": val("theta", 0), "tx": val("tx", 0), "ty": val("ty", 0), "shear": val("shear", 0),
                "zx": val("zx", 1), "zy": val("zy", 1), "flip_horizontal": val("flip_horizontal", False),
                "flip_vertical": val("flip_vertical", False),
                "channel_shift_intensity": val("channel_shift_intensity", None),
                "brightness": val("brightness", None)}

    def apply_transform(self, x, transform_parameters):
        """Apply a parameter dict (``get_random_transform``'s keys) to one image of rank 3."""
        arr = np.asarray(x, dtype=self.dtype)
        if arr.ndim != 3:
            raise ValueError(f"apply_transform expects one image of rank 3. Received shape {arr.shape}.")
        p = {key: np.array([value], dtype=bool if key.startswith("flip") else np.float64)
             for key, value in transform_parameters.items() if value is not None}
        t = torch.from_numpy(np.array(arr))[None]
        last = self.data_format == "channels_last"
        nchw = t.permute(0, 3, 1, 2) if last else t
        out = self._apply_batch(nchw, p)
        out = out.permute(0, 2, 3, 1) if last else out
        return out[0].contiguous().numpy()

    def random_transform(self, x, seed=None):
        """One image with a random transform applied."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    # ------------------------------------------------------------------ fit
    def fit(self, x, augment=False, rounds=1, seed=None):
        """Compute the dataset statistics featurewise_center / _std_normalization and zca_whitening need.

        Args:
            x: sample images, rank 4 in the generator's data_format. ``rescale`` is applied first.
            augment: fit on ``rounds`` randomly augmented copies of the data (default False).
            rounds: copies for augment=True (default 1).
            seed: None or int.
        """
        x = np.array(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit expects images of rank 4 (samples, rows, cols, channels) "
                             f"in data_format {self.data_format!r}. Received shape {x.shape}.")
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(f"ImageDataGenerator.fit: data_format is {self.data_format!r} (channels on axis "
                          f"{self.channel_axis}), so 1, 3 or 4 channels are expected there, but x has shape "
                          f"{x.shape}.", stacklevel=2)
        g = None
        if seed is not None:
            np.random.seed(seed)
            g = torch.Generator().manual_seed(int(seed))
        if self.rescale:
            x *= self.rescale
        if augment:
            t = torch.from_numpy(x)
            last = self.data_format == "channels_last"
            h, w = x.shape[self.row_axis], x.shape[self.col_axis]
            copies = []
            for _ in range(int(rounds)):
                for start in range(0, len(x), 1024):
                    chunk = t[start:start + 1024]
                    nchw = chunk.permute(0, 3, 1, 2) if last else chunk
                    out = self._apply_batch(nchw, self._sample(len(chunk), h, w, g))
                    copies.append((out.permute(0, 2, 3, 1) if last else out).contiguous().numpy())
            x = np.concatenate(copies)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        axes = (0, self.row_axis, self.col_axis)
        if self.featurewise_center:
            self.mean = np.mean(x, axis=axes).reshape(shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=axes).reshape(shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = torch.from_numpy(x.reshape(len(x), -1)).double()
            u, s, _ = torch.linalg.svd(flat.T, full_matrices=False)
            s_inv = np.sqrt(len(x)) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = ((u * s_inv) @ u.T).numpy().astype(self.dtype)
        self._stats = {}
