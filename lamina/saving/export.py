"""``model.export(filepath, format=...)``: the model as an inference artifact that runs without lamina.

- ``'onnx'``: an ONNX graph (``torch.onnx.export`` with torch's ``torch.export``-based exporter,
  which needs the ``onnx`` and ``onnxscript`` packages: ``pip install lamina[export]``). Run it
  with onnxruntime: ``onnxruntime.InferenceSession(path).run(None, {"input_layer": x})``.
- ``'torchscript'``: a traced TorchScript module (``torch.jit.trace``); ``torch.jit.load(path)(x)``.
- ``'torch_export'``: a ``torch.export`` program (a ``.pt2`` file);
  ``torch.export.load(path).module()(x)``.

All three take the inputs in the model's layout (channels_last images stay channels_last), run
the model in inference mode (Dropout off, BatchNormalization with its moving statistics) and
keep the batch axis dynamic: any batch size works.

Keras's default format, a TensorFlow SavedModel, does not exist on PyTorch; lamina's default is
``'onnx'``.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import warnings

import torch
from torch import nn

from .._errors import check_choice

__all__ = ["export_model", "FORMATS"]

FORMATS = ("onnx", "torchscript", "torch_export")
_log = logging.getLogger(__name__)


class _Inference(nn.Module):
    """The model as ``forward(*inputs)`` in inference mode: what the exporters trace."""

    def __init__(self, model, n_inputs):
        super().__init__()
        self.model = model
        self.n_inputs = n_inputs

    def forward(self, *inputs):
        out = self.model(inputs[0] if self.n_inputs == 1 else list(inputs), training=False)
        return tuple(out) if isinstance(out, list) else out


def _example_inputs(model, input_signature):
    """One example tensor per input, batch 2, and the name of each input."""
    if input_signature is None:
        if not getattr(model, "inputs", None):
            raise ValueError(f"Model '{model.name}' has no known input shape to export with. Build it first (call "
                             f"it on data, or give the first layer input_shape=...), or pass input_signature=, "
                             f"e.g. model.export(path, input_signature=[(None, 28, 28, 1)]).")
        shapes = [tuple(t.shape) for t in model.inputs]
        names = [t.node.layer.name for t in model.inputs]
    else:
        sig = list(input_signature) if isinstance(input_signature, (list, tuple)) and input_signature and \
            not isinstance(input_signature[0], (int, type(None))) else [input_signature]
        shapes = [tuple(getattr(s, "shape", s)) for s in sig]
        names = [f"input_{i}" for i in range(len(shapes))] if len(shapes) > 1 else ["input"]
    examples = []
    for name, shape in zip(names, shapes):
        if any(d is None for d in shape[1:]):
            raise ValueError(f"export needs every size but the batch axis. Input '{name}' has shape "
                             f"{shape}. Pass input_signature with the sizes to export for, e.g. "
                             f"input_signature=[(None, 224, 224, 3)].")
        examples.append(torch.zeros((2,) + tuple(int(d) for d in shape[1:]), dtype=_input_dtype(model)))
    return examples, names


def _input_dtype(model):
    from .. import config
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return config.dtype()


def export_model(model, filepath, format="onnx", verbose=None, input_signature=None, **kwargs):
    """Export ``model`` for inference; see the module docstring for the formats.

    Args:
        model: a built lamina model.
        filepath: where to write the artifact (``.onnx``, ``.pt``; ``.pt2`` required for 'torch_export').
        format: 'onnx' (default), 'torchscript' or 'torch_export'.
        verbose: log what was written (to the ``lamina.saving.export`` logger).
        input_signature: the input shapes to export for, e.g. ``[(None, 28, 28, 1)]`` (default: the
            model's inputs). The batch size is always dynamic.
        **kwargs: for 'onnx', passed to ``torch.onnx.export`` (e.g. ``opset_version=18``).

    Example:
        >>> model.export("mnist.onnx", format="onnx")
    """
    if format == "tf_saved_model":
        raise ValueError("lamina runs on PyTorch and cannot write a TensorFlow SavedModel. Received: "
                         "format='tf_saved_model'. Use format='onnx' (runs in onnxruntime, TensorFlow via "
                         "onnx-tf, and most serving stacks), 'torchscript' or 'torch_export'.")
    format = check_choice("export", "format", format, FORMATS)
    if kwargs and format != "onnx":
        raise TypeError(f"export(format={format!r}) takes no extra arguments. Received: "
                        f"{', '.join(sorted(kwargs))}. Extra arguments go to torch.onnx.export with format='onnx'.")
    path = os.fspath(filepath)
    if format == "torch_export" and not path.endswith(".pt2"):
        raise ValueError(f"export(format='torch_export') writes a .pt2 archive, which torch.export.load opens "
                         f"only by that extension. Received: filepath={path!r}. Use e.g. 'model.pt2'.")
    examples, names = _example_inputs(model, input_signature)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    examples = [x.to(device) for x in examples]
    wrapper = _Inference(model, len(examples))
    was_training = model.training
    wrapper.eval()  # and the model with it
    try:
        with torch.no_grad():
            if format == "onnx":
                _export_onnx(wrapper, examples, names, path, kwargs)
            elif format == "torchscript":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", torch.jit.TracerWarning)
                    traced = torch.jit.trace(wrapper, tuple(examples), check_trace=False)
                traced.save(path)
            else:
                program = torch.export.export(wrapper, tuple(examples), dynamic_shapes=_dynamic_batch(examples))
                torch.export.save(program, path)
    finally:
        model.train(was_training)
    if verbose:
        _log.info("Exported model '%s' (%s) to %s", model.name, format, path)


def _dynamic_batch(examples):
    """The batch axis of every input is dynamic (``forward(*inputs)``: one entry, a tuple per input)."""
    batch = torch.export.Dim("batch", min=1)
    return (tuple({0: batch} for _ in examples),)


def _export_onnx(wrapper, examples, names, path, kwargs):
    missing = [m for m in ("onnx", "onnxscript") if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f"export(format='onnx') needs the {' and '.join(missing)} package"
                          f"{'s' if len(missing) > 1 else ''} (torch's ONNX exporter uses them). Install them "
                          f"with: pip install 'lamina[export]' (or pip install onnx onnxscript onnxruntime).")
    kwargs = dict(kwargs)
    kwargs.setdefault("input_names", names)
    registry = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registry.level
    registry.setLevel(logging.ERROR)  # "torchvision is not installed. Skipping torchvision::roi_align", ...
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning, message=r".*LeafSpec")  # torch-internal
            warnings.filterwarnings("ignore", message=r"# The axis name: batch will not be used")  # shared Dim
            program = torch.onnx.export(wrapper, tuple(examples), dynamic_shapes=_dynamic_batch(examples),
                                        dynamo=True, verbose=False, **kwargs)
    finally:
        registry.setLevel(level)
    program.save(path)
