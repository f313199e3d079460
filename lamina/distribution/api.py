"""Keras 3's distribution API on torch.distributed: DataParallel, set_distribution, scopes.

One process per device, started by ``torchrun`` (or any launcher that sets the
``torch.distributed`` environment: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
The process group is torch's own (``gloo`` on CPU, ``nccl`` on CUDA); lamina adds the
Keras semantics on top: sharded batches, all-reduced gradients and metrics, rank 0 writes.
"""
from __future__ import annotations

import atexit
import contextvars
import logging
import os

from .._errors import did_you_mean

__all__ = ["Distribution", "DataParallel", "set_distribution", "distribution", "list_devices", "initialize", "shutdown",
           "num_processes", "process_id", "is_chief"]

_log = logging.getLogger("lamina.distribution")

_TORCHRUN_HINT = ("Launch the script with torchrun, one process per device, e.g.\n"
                  "    torchrun --standalone --nproc-per-node 2 train.py\n"
                  "or on several machines\n"
                  "    torchrun --nnodes 2 --nproc-per-node 4 --rdzv-backend c10d --rdzv-endpoint HOST:29500 train.py\n"
                  "(`lamina train ... --nproc-per-node N` does this for the command line).")

_ENV = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")

# The distribution set with set_distribution() (process-wide, as in Keras), and the one of the
# innermost `with distribution.scope():` block (per thread / task).
_GLOBAL = None
_SCOPED: contextvars.ContextVar = contextvars.ContextVar("lamina_distribution", default=None)
_TOKENS: contextvars.ContextVar = contextvars.ContextVar("lamina_distribution_tokens", default=())


def initialize(backend: str | None = None) -> None:
    """Join the process group that ``torchrun`` describes in the environment (once per process).

    ``DataParallel()`` calls this for you. The backend is ``nccl`` when lamina trains on CUDA and
    ``gloo`` on CPU; each process then uses the GPU numbered by ``LOCAL_RANK``.

    Args:
        backend: 'gloo' or 'nccl' to choose yourself; None picks from the device.

    Raises:
        RuntimeError: when the environment has no torchrun variables (the message says how to launch).

    Example:
        >>> lamina.distribution.initialize()    # inside a script started by torchrun
    """
    import torch
    import torch.distributed as dist

    if not dist.is_available():
        raise RuntimeError("lamina.distribution needs torch.distributed, which this torch build lacks. "
                           "Install a torch build with distributed support.")
    if dist.is_initialized():
        return
    missing = [k for k in _ENV if k not in os.environ]
    if missing:
        raise RuntimeError(f"DataParallel needs several processes started by torchrun, but the environment lacks "
                           f"{', '.join(missing)}. {_TORCHRUN_HINT}")
    from .. import config

    device = config.device()
    if backend is None:
        backend = "nccl" if device.type == "cuda" else "gloo"
    if backend not in ("gloo", "nccl"):
        raise ValueError(f"initialize expects backend 'gloo' (CPU) or 'nccl' (CUDA). Received: "
                         f"backend={backend!r}{did_you_mean(str(backend), ['gloo', 'nccl']) or '.'}")
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    restart = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    if restart != "0" and os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True":
        # After a torchrun restart the agent's store still holds the first round's addresses:
        # join under a prefix of this round, or gloo would dial the dead workers.
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        store = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), world, is_master=False)
        dist.init_process_group(backend, store=dist.PrefixStore(f"lamina/restart_{restart}", store), rank=rank,
                                world_size=world)
    else:
        dist.init_process_group(backend)
    _log.info("joined process group: rank %d of %d (%s)", dist.get_rank(), dist.get_world_size(), backend)
    atexit.register(_release_at_exit)


def _release_at_exit() -> None:
    # A process that exits with its gloo threads still running aborts ("terminate called without
    # an active exception"), and torchrun then reports the whole job as failed. Leaving while a
    # peer is still connected does the same to the peer, so on gloo the processes first wait for
    # each other (bounded: a peer that died must not hold this one forever).
    import datetime

    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return
    if dist.get_backend() == "gloo":
        try:
            dist.monitored_barrier(timeout=datetime.timedelta(seconds=_EXIT_WAIT_SECONDS))
        except RuntimeError as err:   # a peer is gone or late: leave anyway, and say why
            _log.warning("leaving the process group without the other processes: %s", err)
    dist.destroy_process_group()


_EXIT_WAIT_SECONDS = 60


def shutdown(wait: bool = True) -> None:
    """Leave the process group at the end of a distributed script.

    With ``wait=True`` every process first waits until all have called ``shutdown``, so none
    exits while another still needs it (e.g. rank 0 still writing files after the last
    collective). Without torchrun it does nothing. lamina also releases the group (without
    waiting) when the process exits.

    Example:
        >>> model.fit(x, y, epochs=5)
        >>> if lamina.distribution.is_chief():
        ...     model.save("model.lamina")
        >>> lamina.distribution.shutdown()
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return
    if wait:
        dist.barrier()
    dist.destroy_process_group()


def num_processes() -> int:
    """The number of processes training together (1 without torch.distributed)."""
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def process_id() -> int:
    """This process's rank, 0 to ``num_processes() - 1`` (0 without torch.distributed)."""
    import torch.distributed as dist

    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_chief() -> bool:
    """False only on the processes other than rank 0 while a distribution is active: those do
    not write files (``save``, ``ModelCheckpoint``, ``CSVLogger``, ``BackupAndRestore``) nor
    progress output."""
    return distribution() is None or process_id() == 0


def list_devices(device_type: str | None = None) -> list[str]:
    """The devices this process can use, as strings ('cuda:0', ..., or 'cpu:0').

    Args:
        device_type: 'cpu', 'gpu' or 'cuda'; None means CUDA when available, else CPU.

    Example:
        >>> lamina.distribution.list_devices()
        ['cpu:0']
    """
    import torch

    if device_type is None:
        device_type = "cuda" if torch.cuda.is_available() else "cpu"
    kind = {"gpu": "cuda"}.get(str(device_type).lower(), str(device_type).lower())
    if kind == "cuda":
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if kind == "cpu":
        return ["cpu:0"]
    valid = ["cpu", "gpu", "cuda"]
    raise ValueError(f"list_devices expects device_type one of {', '.join(map(repr, valid))} or None. "
                     f"Received: device_type={device_type!r}{did_you_mean(str(device_type), valid) or '.'}")


class Distribution:
    """Base class of distributions: how fit/evaluate/predict spread work over processes."""

    def scope(self):
        """Use this distribution inside a ``with`` block (the block wins over ``set_distribution``)."""
        return _Scope(self)

    def __enter__(self):
        token = _SCOPED.set(self)
        _TOKENS.set(_TOKENS.get() + (token,))
        return self

    def __exit__(self, *exc):
        tokens = _TOKENS.get()
        _SCOPED.reset(tokens[-1])
        _TOKENS.set(tokens[:-1])
        return False


class _Scope:
    def __init__(self, value):
        self.value = value
        self.token = None

    def __enter__(self):
        self.token = _SCOPED.set(self.value)
        return self.value

    def __exit__(self, *exc):
        _SCOPED.reset(self.token)
        return False


class DataParallel(Distribution):
    """Data parallelism over torch DDP-style processes: each process holds a full copy of the
    model and trains on its share of every batch; gradients are averaged across processes.

    Under ``torchrun`` (one process per device) ``fit``/``evaluate``/``predict`` then:

    - split each batch of ``batch_size`` samples (the GLOBAL batch, as in Keras 3) across the
      processes, so every sample is seen once per epoch, in the same order as on one process
      (the shuffle seed is taken from rank 0);
    - all-reduce the gradients before each optimizer step, weighted by each share's size, so one
      step equals the single-process step on the whole batch (up to float rounding);
    - all-reduce the metric states at each epoch end, so every rank's logs and ``History`` hold
      the global figures (the progress bar shows rank 0's running values within an epoch);
    - write progress, ``save()``, ``ModelCheckpoint``, ``CSVLogger`` and ``BackupAndRestore``
      files from rank 0 only.

    BatchNormalization keeps per-process batch statistics unless it is made with
    ``synchronized=True`` (Keras 3's argument), which takes them over the global batch, so a
    model with BatchNormalization trains as on one process; Dropout draws differ per process.
    ``train_on_batch`` and ``test_on_batch`` are synchronised like ``fit``/``evaluate``: each
    process takes its share of the batch, and every process returns the whole batch's figures.
    A custom ``train_step`` is synchronised at each ``optimizer.step()``/``apply()``: gradients
    must not accumulate over several backward passes between steps.
    Generators, ``Sequence``s and DataLoaders are read in full by every process, which keeps
    its share of each batch: they must yield the same batches on every rank (seed them).

    Args:
        devices: accepted for Keras compatibility: each process uses its own device
            (``LOCAL_RANK``-th GPU, or the CPU).
        device_mesh: not supported (one process per device); leave it None.
        auto_shard_dataset: True (default) splits each batch across processes. False means each
            process already reads its own part of the data: batches are then per process and
            gradients are averaged with equal weights, as DDP does.

    Raises:
        RuntimeError: outside torchrun (the message shows the launch command).

    Example:
        >>> # train.py, run with: torchrun --standalone --nproc-per-node 2 train.py
        >>> lamina.distribution.set_distribution(lamina.distribution.DataParallel())
        >>> model.fit(x, y, batch_size=64, epochs=3)   # 32 samples per process per step
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None:
            raise ValueError("lamina's DataParallel runs one process per device under torchrun; a device_mesh is "
                             "not supported. Pass nothing (or devices=...) and launch with torchrun.")
        if not isinstance(auto_shard_dataset, bool):
            raise TypeError(f"DataParallel expects auto_shard_dataset to be True or False. Received: "
                            f"auto_shard_dataset={auto_shard_dataset!r}.")
        initialize()
        self.devices = list(devices) if devices is not None else list_devices()
        self.auto_shard_dataset = auto_shard_dataset

    @property
    def num_processes(self) -> int:
        return num_processes()

    @property
    def process_id(self) -> int:
        return process_id()

    def __repr__(self):
        return f"<DataParallel process {process_id()} of {num_processes()}>"


def set_distribution(value: Distribution | None) -> None:
    """Make ``value`` the distribution fit/evaluate/predict use (None: single process again).

    Example:
        >>> lamina.distribution.set_distribution(lamina.distribution.DataParallel())
    """
    if value is not None and not isinstance(value, Distribution):
        raise TypeError(f"set_distribution expects a lamina.distribution.Distribution (e.g. DataParallel()) or "
                        f"None. Received: {type(value).__name__}.")
    global _GLOBAL
    _GLOBAL = value


def distribution() -> Distribution | None:
    """The distribution in effect: the innermost ``with ...scope()`` block's, else the one given to
    ``set_distribution``, else None (single process)."""
    scoped = _SCOPED.get()
    return scoped if scoped is not None else _GLOBAL
