"""The contract every lamina layer keeps, checked in one place (Keras's run_layer_test).

``run_layer_test`` builds a layer through a symbolic Input, compares
``compute_output_shape`` with the real eager output, round-trips its config
(also through JSON, as saved models do), its weights in Keras layout and its
state_dict, and runs one training step: every trainable weight gets a gradient,
no non-trainable one does.
"""
from __future__ import annotations

import inspect
import json

import numpy as np
import torch

from lamina.layers import Input, Layer

__all__ = ["run_layer_test"]

_BASE_KEYS = {"name", "trainable", "dtype", "batch_input_shape", "activity_regularizer"}
_BASE_ARGS = set(inspect.signature(Layer.__init__).parameters)


def _normalize(cfg):
    """A config as it comes back from JSON (tuples -> lists)."""
    return json.loads(json.dumps(cfg))


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) and x and isinstance(x[0], (list, tuple)) else [x]


def _shape_eq(keras_shape, actual_shape):
    """A Keras shape (None = any size) matches a concrete one."""
    return len(keras_shape) == len(actual_shape) and all(
        k is None or k == a for k, a in zip(keras_shape, actual_shape))


def _call(layer, inputs, training):
    return layer(inputs, training=training) if layer._call_takes_training else layer(inputs)


def run_layer_test(layer_factory, input_shape, expected_output_shape=None, expected_num_params=None,
                   expected_num_trainable_weights=None, expected_num_non_trainable_weights=None,
                   expected_weight_shapes=None, input_data=None, deterministic_training=True,
                   differentiable_input=True):
    """Check the layer contract for ``layer_factory()`` on inputs of ``input_shape``.

    Args:
        layer_factory: callable returning a fresh, unbuilt layer.
        input_shape: full input shape with a concrete batch size, e.g. (2, 8, 8, 3), or a list of
            shapes for a merge layer.
        expected_output_shape: Keras output shape (batch None), checked on the symbolic output.
        expected_num_params: count_params() after build.
        expected_num_trainable_weights / expected_num_non_trainable_weights: number of weight tensors.
        expected_weight_shapes: Keras-layout shapes of get_weights().
        input_data: optional tensor (or list) to use instead of random normal data.
        deterministic_training: False for layers whose training output is random (dropout).
        differentiable_input: False for layers whose input is integer ids (Embedding): no gradient
            flows back to it.

    Returns:
        The built layer.
    """
    shapes = _as_list(input_shape)
    multi = isinstance(input_shape, list)
    if input_data is None:
        data = [torch.randn(*s) for s in shapes]
    else:
        data = [torch.as_tensor(d, dtype=torch.float32) for d in _as_list(input_data)]
    feed = data if multi else data[0]

    # 1. symbolic build, shapes
    layer = layer_factory()
    sym_in = [Input(shape=tuple(s[1:])) for s in shapes]
    sym_out = layer(sym_in if multi else sym_in[0])
    assert layer.built, f"{layer.name} is not built after a symbolic call"
    keras_in = [(None,) + tuple(s[1:]) for s in shapes]
    computed = layer.compute_output_shape(keras_in if multi else keras_in[0])
    assert tuple(sym_out.shape) == tuple(computed)
    if expected_output_shape is not None:
        assert tuple(sym_out.shape) == tuple(expected_output_shape), (sym_out.shape, expected_output_shape)

    # 2. eager output agrees with compute_output_shape
    with torch.no_grad():
        out = _call(layer, feed, training=False)
    assert _shape_eq(computed[1:], tuple(out.shape[1:])), (computed, tuple(out.shape))
    assert out.shape[0] == shapes[0][0]
    assert out.dtype == torch.float32
    with torch.no_grad():  # inference is deterministic
        again = _call(layer, feed, training=False)
    torch.testing.assert_close(out, again, rtol=0, atol=0)

    # 3. parameters and weights in Keras layout
    if expected_num_params is not None:
        assert layer.count_params() == expected_num_params, (layer.count_params(), expected_num_params)
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    weights = layer.get_weights()
    if expected_weight_shapes is not None:
        assert [w.shape for w in weights] == [tuple(s) for s in expected_weight_shapes]

    # 4. config holds exactly the init arguments (plus the base ones), and round-trips,
    #    straight and through JSON
    fresh = layer_factory()
    cfg = fresh.get_config()
    cls = type(fresh)
    # (a layer may give a base argument its own meaning: Embedding's input_dim is the vocabulary size)
    own = {"input_dim"} & set(cfg)
    params = set(inspect.signature(cls.__init__).parameters) - (_BASE_ARGS - own) - {"self", "kwargs"}
    assert params <= set(cfg), f"get_config() of {cls.__name__} misses {sorted(params - set(cfg))}"
    assert set(cfg) - _BASE_KEYS <= params, f"get_config() of {cls.__name__} has extra {sorted(set(cfg) - params)}"
    assert cls.from_config(cfg).get_config() == cfg
    assert _normalize(cls.from_config(_normalize(cfg)).get_config()) == _normalize(cfg)
    assert _normalize(layer.get_config()) == _normalize(cls.from_config(layer.get_config()).get_config())

    # 5. weights round trip: a layer rebuilt from config with set_weights computes the same
    clone = cls.from_config(layer.get_config())
    with torch.no_grad():
        _call(clone, feed, training=False)
    if weights:
        perturbed = [w + np.float32(0.5) for w in weights]
        layer.set_weights(perturbed)
        for a, b in zip(layer.get_weights(), perturbed):
            np.testing.assert_array_equal(a, b)
        layer.set_weights(weights)
    clone.set_weights(weights)
    with torch.no_grad():
        torch.testing.assert_close(_call(clone, feed, training=False), out)
    clone2 = cls.from_config(layer.get_config())
    with torch.no_grad():
        _call(clone2, feed, training=False)
    clone2.load_state_dict(layer.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(_call(clone2, feed, training=False), out)

    # 6. one training step
    grads_in = [d.clone().requires_grad_() for d in data]
    y = _call(layer, grads_in if multi else grads_in[0], training=True)
    assert tuple(y.shape) == tuple(out.shape)
    if deterministic_training and not layer._call_takes_training:
        torch.testing.assert_close(y, out)
    loss = (y * torch.linspace(-1, 1, y.numel()).reshape(y.shape)).sum() + y.square().mean()
    loss.backward()
    for t in layer.trainable_weights:
        assert t.grad is not None, f"no gradient for a trainable weight of {layer.name}"
        assert torch.isfinite(t.grad).all()
    for t in layer.non_trainable_weights:
        assert not t.requires_grad and t.grad is None
    if differentiable_input:
        assert all(g.grad is not None for g in grads_in), f"{layer.name} does not pass gradients to its input"
    return layer
