"""Check a model config against its weights file before anything is allocated.

The model is first built on torch's ``meta`` device, where a tensor has a shape but no
memory, so a config asking for ``Dense(units=10**12)`` or an input of 10**9 values costs
nothing; every weight it would create is then compared with the weights file's header
(names, shapes, total bytes). Only a config that fits is built for real.
"""
from __future__ import annotations

import logging

import torch

from ._limits import LoadError

__all__ = ["build_checked", "build_within", "check_sizes"]

_log = logging.getLogger(__name__)

# Config fields that size a weight or an activation; checked statically when a dry run is impossible.
_SIZE_KEYS = ("units", "filters", "output_dim", "input_dim", "depth_multiplier", "n", "num_tokens")
_SHAPE_KEYS = ("batch_input_shape", "batch_shape", "shape", "input_shape", "target_shape", "build_input_shape")
_STATIC_FLOOR = 1 << 24


def _fmt(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def check_sizes(cfg, limit: int, where: str, path=None) -> None:
    """Refuse any size in ``cfg`` (units, filters, shape dimensions...) larger than ``limit`` values."""
    stack = [cfg]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        for key, v in value.items():
            sizes = [v] if key in _SIZE_KEYS else (v if key in _SHAPE_KEYS and isinstance(v, list) else [])
            for d in sizes:
                if isinstance(d, int) and not isinstance(d, bool) and (d > limit or d < 0):
                    raise LoadError(f"{where}: the config sets {key}={str(v)[:60]}, but the weights file holds "
                                    f"only {limit:,} values in all. The config is damaged or hostile; nothing "
                                    f"was allocated.", path, "config.json")
            if isinstance(v, (dict, list)):
                stack.append(v)


def build_checked(build, cfg, header, where: str, path=None):
    """``build()`` once on the meta device to compare its weights with ``header``, then for real.

    Args:
        build: a function returning the model from its config.
        cfg: the config (for the static check when the dry run cannot run).
        header: ``({key: (dtype, shape)}, metadata, total bytes)`` from the weights file.
    """
    from .weights import plan_from_header
    tensors, metadata, total = header
    elements = sum(_numel(s) for _, s in tensors.values())
    return build_within(build, cfg, elements, total, where, path,
                        check=lambda probe: plan_from_header(probe, tensors, metadata))


def build_within(build, cfg, elements: int, total: int, where: str, path=None, check=None):
    """``build()`` on the meta device first: refuse a config needing more weight bytes than the file's
    ``total`` (or that ``check(probe)`` finds a problem with), then build it for real."""
    check_sizes(cfg, max(elements, _STATIC_FLOOR), where, path)
    try:
        with torch.device("meta"):
            probe = build()
    except LoadError:
        raise
    except (ValueError, TypeError, KeyError) as err:
        raise LoadError(f"{where}: the config cannot be rebuilt: {err}", path, "config.json") from None
    except Exception as err:  # a layer whose build cannot run on 'meta' (e.g. numpy-based): the static check
        _log.debug("meta-device dry run of %s failed (%s); relying on the static size check", where, err)
        probe = None
    if probe is not None:
        needed = sum(t.numel() * t.element_size() for t in probe.state_dict().values())
        problem = check(probe) if check is not None else None
        if problem is not None:
            raise LoadError(f"Cannot load weights from {where} into model '{probe.name}': {problem}. The "
                            f"file's config and weights do not fit each other (checked before anything was "
                            f"allocated): the file is damaged, or its parts come from different models.",
                            path, "config.json")
        if needed > 2 * total + (1 << 20):
            raise LoadError(f"Cannot load {where}: the config needs {needed:,} bytes of weights but the weights "
                            f"file holds {total:,}. Nothing was allocated.", path, "config.json")
    return build()


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
