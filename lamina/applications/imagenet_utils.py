"""ImageNet helpers shared by the applications: ``preprocess_input``, ``decode_predictions``,
and the input-shape rules of ``keras.applications.imagenet_utils``.

The 1,000 class ids and names ship with lamina (``_data/imagenet_class_index.json``, the
same table Keras downloads), so ``decode_predictions`` works offline.
"""
from __future__ import annotations

import json
import threading
from importlib import resources

import numpy as np
import torch

from .. import config as _config
from .._errors import check_choice

__all__ = ["preprocess_input", "decode_predictions", "obtain_input_shape", "correct_pad",
           "validate_activation", "class_index"]

# ImageNet channel means (BGR, 0-255) of the Caffe-trained networks, and torchvision's (RGB, 0-1).
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCH_MEAN = (0.485, 0.456, 0.406)
TORCH_STD = (0.229, 0.224, 0.225)

_CLASS_INDEX: dict | None = None
_lock = threading.Lock()


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocess a batch of RGB images with values in [0, 255], as the pretrained network expects.

    Args:
        x: numpy array or torch tensor, 3-D (one image) or 4-D (a batch), with 3 colour channels.
            A float numpy array is changed in place, as in Keras; pass ``x.copy()`` to keep it.
        data_format: 'channels_last' or 'channels_first' (default: ``lamina.config``'s).
        mode: 'caffe' (default: RGB -> BGR, minus the ImageNet means, no scaling; VGG and ResNet50),
            'tf' (scale to [-1, 1]; MobileNetV2) or 'torch' (scale to [0, 1], then subtract the
            ImageNet mean and divide by its standard deviation per RGB channel; torchvision weights).

    Returns:
        An array (for numpy input; integer images become float32) or a tensor (for a tensor) of the
        same shape.

    Example:
        >>> x = preprocess_input(np.full((1, 224, 224, 3), 128.0, dtype="float32"))
    """
    mode = check_choice("preprocess_input", "mode", mode, ["caffe", "tf", "torch"])
    data_format = _config.normalize_data_format(data_format)
    if isinstance(x, torch.Tensor):
        return _preprocess_tensor(x, data_format, mode)
    x = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(_config.floatx())
    _check_channels(x.shape, data_format)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x.ndim, data_format)
    shape = [1] * x.ndim
    shape[axis] = 3
    if mode == "torch":
        x /= 255.0
        x -= np.asarray(TORCH_MEAN, dtype=x.dtype).reshape(shape)
        x /= np.asarray(TORCH_STD, dtype=x.dtype).reshape(shape)
        return x
    x = np.flip(x, axis=axis)  # RGB -> BGR (a view, as in Keras)
    x -= np.asarray(CAFFE_MEAN_BGR, dtype=x.dtype).reshape(shape)
    return x


def _preprocess_tensor(x, data_format, mode):
    if not x.is_floating_point():
        x = x.to(_config.dtype())
    _check_channels(tuple(x.shape), data_format)
    if mode == "tf":
        return x / 127.5 - 1.0
    axis = _channel_axis(x.dim(), data_format)
    shape = [1] * x.dim()
    shape[axis] = 3
    if mode == "torch":
        mean = torch.tensor(TORCH_MEAN, dtype=x.dtype, device=x.device).reshape(shape)
        std = torch.tensor(TORCH_STD, dtype=x.dtype, device=x.device).reshape(shape)
        return (x / 255.0 - mean) / std
    mean = torch.tensor(CAFFE_MEAN_BGR, dtype=x.dtype, device=x.device).reshape(shape)
    return x.flip(axis) - mean


def _channel_axis(ndim, data_format):
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def _check_channels(shape, data_format):
    if len(shape) not in (3, 4) or shape[_channel_axis(len(shape), data_format)] != 3:
        layout = "(rows, cols, 3)" if data_format == "channels_last" else "(3, rows, cols)"
        raise ValueError(f"preprocess_input expects RGB images shaped {layout} or a batch of them "
                         f"({data_format}). Received shape {tuple(shape)}. Grey images need 3 channels: "
                         f"np.repeat(x, 3, axis=-1).")


def class_index() -> dict:
    """``{"0": ["n01440764", "tench"], ...}``: the 1,000 ImageNet classes, read once from the package."""
    global _CLASS_INDEX
    with _lock:
        if _CLASS_INDEX is None:
            path = resources.files(__package__) / "_data" / "imagenet_class_index.json"
            try:
                _CLASS_INDEX = json.loads(path.read_text())
            except FileNotFoundError:
                raise FileNotFoundError(f"lamina's bundled ImageNet class index is missing (looked for "
                                        f"{str(path)!r}). The installation is incomplete; reinstall lamina.") from None
        return _CLASS_INDEX


def decode_predictions(preds, top=5):
    """The ``top`` most probable ImageNet classes of each prediction.

    Args:
        preds: array or tensor of shape (samples, 1000), e.g. ``model.predict(x)``.
        top: how many classes per sample (default 5).

    Returns:
        One list per sample of ``(class_id, class_name, score)`` tuples, best first,
        e.g. ``[('n02504458', 'African_elephant', 0.909), ...]``.

    Example:
        >>> decode_predictions(np.eye(1000)[[386]], top=1)
        [[('n02504458', 'African_elephant', 1.0)]]
    """
    if isinstance(preds, torch.Tensor):
        preds = preds.detach().cpu().numpy()
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"decode_predictions expects a batch of ImageNet predictions, shape (samples, 1000). "
                         f"Received shape {preds.shape}. Pass model.predict(x) of a model with include_top=True "
                         f"and classes=1000.")
    top = int(top)
    if not 1 <= top <= 1000:
        raise ValueError(f"decode_predictions expects top between 1 and 1000. Received: top={top}.")
    index = class_index()
    results = []
    for pred in preds:
        best = np.argsort(-pred, kind="stable")[:top]
        results.append([tuple(index[str(i)]) + (pred[i],) for i in best])
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None,
                       model_name="the network"):
    """The input shape of an application, checked as Keras checks it, with lamina's errors.

    ``None`` gives ``(default, default, 3)`` when the top needs a fixed size and
    ``(None, None, 3)`` otherwise.
    """
    last = data_format == "channels_last"
    default_shape = (default_size, default_size, 3) if last else (3, default_size, default_size)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(f"{model_name} with include_top=True and weights='imagenet' takes input_shape="
                             f"{default_shape}, the size its classifier was trained at. Received: "
                             f"input_shape={tuple(input_shape)}. For another size use include_top=False and "
                             f"add your own classifier.")
        return default_shape
    if input_shape is None:
        if require_flatten:
            return default_shape
        return (None, None, 3) if last else (3, None, None)
    try:
        input_shape = tuple(None if d is None else int(d) for d in input_shape)
    except (TypeError, ValueError):
        input_shape = ()
    if len(input_shape) != 3:
        raise ValueError(f"{model_name} expects input_shape to be a tuple of 3 ints "
                         f"{'(rows, cols, channels)' if last else '(channels, rows, cols)'}. "
                         f"Received: input_shape={input_shape!r}.")
    channels = input_shape[-1] if last else input_shape[0]
    rows, cols = input_shape[:2] if last else input_shape[1:]
    if weights is not None and channels != 3:
        raise ValueError(f"{model_name} with pretrained weights needs 3 input channels (RGB). Received: "
                         f"input_shape={input_shape}. Repeat grey images on 3 channels: np.repeat(x, 3, axis=-1).")
    if (rows is not None and rows < min_size) or (cols is not None and cols < min_size):
        raise ValueError(f"{model_name} needs inputs of at least {min_size}x{min_size} pixels (its "
                         f"downsampling would shrink smaller images to nothing). Received: input_shape="
                         f"{input_shape}. Resize the images up, e.g. target_size=({min_size}, {min_size}).")
    if require_flatten and None in input_shape:
        raise ValueError(f"{model_name} with include_top=True needs a fixed input size (its Flatten/Dense top "
                         f"has a fixed width). Received: input_shape={input_shape}. Give every size, or use "
                         f"include_top=False with pooling='avg'.")
    return input_shape


def correct_pad(input_shape, kernel_size, data_format=None):
    """Zero padding ``((top, bottom), (left, right))`` before a stride-2 'valid' convolution, as Keras's
    MobileNets pad: one cell less at the top/left when the size is even (TensorFlow's 'same')."""
    data_format = _config.normalize_data_format(data_format)
    rows, cols = input_shape[1:3] if data_format == "channels_last" else input_shape[2:4]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights, model_name="the network"):
    """Pretrained classifiers were trained with softmax: only None (logits) or 'softmax' keep their meaning."""
    if weights is None:
        return
    from .. import activations
    act = activations.get(classifier_activation)
    if act not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(f"{model_name} with pretrained weights and include_top=True allows "
                         f"classifier_activation=None (logits) or 'softmax'. Received: "
                         f"classifier_activation={classifier_activation!r}.")
