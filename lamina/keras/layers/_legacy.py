"""Keras 1/2 layer names lamina serves as functions, and helpful errors for the ones it lacks."""
from __future__ import annotations

from ...compat import LegacyNameError, warn_legacy
from ... import layers as _layers

__all__ = ["AtrousConvolution1D", "AtrousConvolution2D", "Merge", "legacy_merge", "missing_name"]


def AtrousConvolution1D(*args, atrous_rate=1, **kwargs):
    """Keras 1 ``AtrousConvolution1D``: a Conv1D with ``dilation_rate=atrous_rate``."""
    warn_legacy("AtrousConvolution1D", "AtrousConvolution1D is the Keras 1 name; use Conv1D(..., dilation_rate=...).")
    from . import Conv1D
    return Conv1D(*args, dilation_rate=atrous_rate, **kwargs)


def AtrousConvolution2D(*args, atrous_rate=(1, 1), **kwargs):
    """Keras 1 ``AtrousConvolution2D``: a Conv2D with ``dilation_rate=atrous_rate``."""
    warn_legacy("AtrousConvolution2D", "AtrousConvolution2D is the Keras 1 name; use Conv2D(..., dilation_rate=...).")
    from . import Conv2D
    return Conv2D(*args, dilation_rate=atrous_rate, **kwargs)


def Merge(*args, **kwargs):
    """Keras 1 ``Merge`` layer (merging Sequential branches): not supported."""
    raise TypeError("Merge([branch_a, branch_b], mode=...) (Keras 1) merged Sequential models; Keras 2 removed it. "
                    "Use the functional API: keras.layers.concatenate([a.output, b.output]) (or add, multiply, "
                    "average, maximum) and Model(inputs=[a.input, b.input], outputs=...).")


_MODES = {"sum": ("add", _layers.add), "mul": ("multiply", _layers.multiply), "ave": ("average", _layers.average),
          "max": ("maximum", _layers.maximum)}


def legacy_merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None,
                 arguments=None, node_indices=None, tensor_indices=None, name=None):
    """Keras 1 ``merge(inputs, mode='sum'|'mul'|'ave'|'max'|'concat', concat_axis=-1, name=None)``."""
    if mode == "concat":
        warn_legacy("merge.concat", "merge(inputs, mode='concat', concat_axis=...) is the Keras 1 form; use "
                    "keras.layers.concatenate(inputs, axis=...).")
        return _layers.concatenate(inputs, axis=concat_axis, name=name)
    if isinstance(mode, str) and mode in _MODES:
        modern, fn = _MODES[mode]
        warn_legacy(f"merge.{mode}", f"merge(inputs, mode={mode!r}) is the Keras 1 form; use "
                    f"keras.layers.{modern}(inputs).")
        return fn(inputs, name=name)
    raise ValueError(f"merge(mode={mode!r}) (Keras 1) is not supported by lamina. Supported modes: 'sum', 'mul', "
                     f"'ave', 'max', 'concat' (keras.layers.add, multiply, average, maximum, concatenate); for "
                     f"'dot'/'cos' or a function use a Lambda layer on the list of tensors.")


_RECURRENT = ("CuDNNLSTM", "CuDNNGRU")
_REMOVED = {"Highway": "Keras 2 removed Highway; write it as a custom Layer",
            "MaxoutDense": "Keras 2 removed MaxoutDense; use Dense(units * k) then a Lambda taking the max over k",
            "TimeDistributedDense": "Keras 2 removed TimeDistributedDense; Dense applies to the last axis of any "
                                    "input, so use Dense(units) directly"}


_KERAS_LAYERS = frozenset(
    "Conv3D Convolution3D Conv3DTranspose SeparableConv1D SeparableConvolution1D Cropping1D Cropping2D Cropping3D "
    "UpSampling1D UpSampling3D ZeroPadding1D ZeroPadding3D LocallyConnected1D LocallyConnected2D MaxPooling3D "
    "AveragePooling3D MaxPool3D AvgPool3D GlobalMaxPooling3D GlobalAveragePooling3D "
    "ActivityRegularization AlphaDropout SpatialDropout1D SpatialDropout3D Dot dot LayerNormalization "
    "Attention MultiHeadAttention".split())


def missing_name(module: str, name: str):
    """The error for a classic keras.layers name lamina does not have (an AttributeError for other names)."""
    if name.startswith("__"):
        return AttributeError(f"module {module!r} has no attribute {name!r}")
    if name in _REMOVED:
        return LegacyNameError(f"{module}.{name} (Keras 1): {_REMOVED[name]}.")
    if name in _RECURRENT:
        return LegacyNameError(f"{module}.{name}: use {name[5:]}(...) instead; with tanh/sigmoid activations "
                               f"(lamina.layers' defaults) lamina runs torch's fused kernel, cuDNN on a GPU.")
    if name in _KERAS_LAYERS:
        return LegacyNameError(f"{module}.{name}: lamina has no {name} layer. Its layers: "
                               f"{', '.join(n for n in _layers.__all__ if n[0].isupper())}.")
    from ..._errors import did_you_mean
    hint = did_you_mean(name, _layers.__all__)
    return AttributeError(f"module {module!r} has no attribute {name!r}: lamina has no layer of that name{hint or '.'}")
