"""What fit/evaluate/predict do differently under DataParallel.

The loops in :mod:`lamina.training.engine` ask :func:`loop_for` once per call; on a single
process it returns None and nothing here runs. Otherwise:

- :class:`ShardedData` gives each process its share of every (global) batch;
- optimizer step pre-hooks all-reduce the gradients, weighted by the share sizes, so the
  model stays a plain ``nn.Module`` and a custom ``train_step`` is synchronised too;
- metric states are summed across processes at the end of each pass, so logs are global;
- predictions are gathered back into the original order on every process.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist

from .api import DataParallel, distribution, num_processes, process_id

__all__ = ["ParallelLoop", "ShardedData", "loop_for", "share_bounds"]


def loop_for(model) -> "ParallelLoop | None":
    """The data-parallel helpers for one fit/evaluate/predict call, or None on a single process."""
    value = distribution()
    if value is None:
        return None
    if not isinstance(value, DataParallel):
        raise TypeError(f"lamina runs DataParallel distributions only. Received {type(value).__name__}; use "
                        f"lamina.distribution.set_distribution(lamina.distribution.DataParallel()).")
    return ParallelLoop(value)


def share_bounds(n: int, rank: int, world: int) -> tuple[int, int]:
    """The [lo, hi) rows of an n-sample batch that process ``rank`` of ``world`` takes: contiguous,
    sizes differing by at most one, the larger shares first."""
    base, extra = divmod(n, world)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


def _map(structure, fn):
    if isinstance(structure, dict):
        return {k: fn(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [fn(v) for v in structure]
    return fn(structure)


class ShardedData:
    """This process's share of each batch that ``data`` yields (same step count on every process).

    With ``pad=True`` (training), a process whose share of a final batch is empty (fewer samples
    than processes) repeats the batch's last sample with zero gradient weight, so every process
    steps together; its loss and metrics count that sample.
    """

    def __init__(self, data, loop: "ParallelLoop", pad: bool = False):
        self.data = data
        self.loop = loop
        self.pad = pad
        self.steps = data.steps
        self.class_weight = getattr(data, "class_weight", None)
        self.sizes: list[int] = []     # the global batch sizes of the last pass
        self.samples = 0               # the samples this process took in the last pass

    def batches(self, generator=None):
        loop = self.loop
        self.sizes, self.samples = [], 0
        for xb, yb, wb, n in self.data.batches(generator):
            if not loop.shard_batches:
                self.samples += n
                yield xb, yb, wb, n
                continue
            self.sizes.append(n)
            lo, hi = share_bounds(n, loop.rank, loop.world)
            if hi > lo:
                loop.fraction = (hi - lo) / n
            elif self.pad:
                lo, hi = n - 1, n
                loop.fraction = 0.0
            else:
                continue

            def take(v, lo=lo, hi=hi):
                return v[lo:hi]
            self.samples += hi - lo
            yield _map(xb, take), None if yb is None else _map(yb, take), None if wb is None else wb[lo:hi], hi - lo

    def reduce_logs(self, model, logs, to_floats, from_metrics: bool) -> dict:
        """The pass's logs as floats, global over all processes (called once, at the pass's end).
        ``to_floats`` reads a step's logs as floats; ``from_metrics`` says the logs are read from the
        model's metric states (the default step), so summing those states makes them global."""
        return self.loop.reduce_logs(model, logs, self.samples, to_floats, from_metrics)


class ParallelLoop:
    """Collectives for one loop call; see the module docstring."""

    def __init__(self, value: DataParallel):
        self.rank, self.world = process_id(), num_processes()
        self.shard_batches = value.auto_shard_dataset
        self.fraction = 1.0 / self.world          # this process's gradient weight for the current step
        self._in_step = 0
        if dist.get_backend() == "nccl":
            self.comm_device = torch.device("cuda", torch.cuda.current_device())
        else:
            self.comm_device = torch.device("cpu")

    # ------------------------------------------------------------------ collectives
    def _all_reduce(self, t: torch.Tensor) -> torch.Tensor:
        c = t.to(self.comm_device).contiguous()
        dist.all_reduce(c)
        return c

    def _broadcast_(self, t: torch.Tensor) -> None:
        c = t.to(self.comm_device).contiguous()
        dist.broadcast(c, src=0)
        if c is not t:
            t.copy_(c)

    # ------------------------------------------------------------------ what the loops call
    def verbose(self, verbose):
        """Progress output on rank 0 only."""
        return verbose if self.rank == 0 else 0

    def shard(self, data, pad: bool = False):
        return None if data is None else ShardedData(data, self, pad)

    def begin_fit(self, model, trainer, release):
        """Start every process from rank 0's weights and shuffle seed; synchronise gradients at
        each optimizer step. Returns the ``release`` to call when fit ends."""
        with torch.no_grad():
            seen = set()
            for t in list(model.parameters()) + list(model.buffers()):
                if id(t) not in seen:
                    seen.add(id(t))
                    self._broadcast_(t)
        state = trainer.generator.get_state()
        self._broadcast_(state)
        trainer.generator.set_state(state)
        handles = []
        optimizers = [getattr(model, "optimizer", None)] + list(vars(model).values())
        hooked = set()
        for opt in optimizers:
            if isinstance(opt, torch.optim.Optimizer) and id(opt) not in hooked:
                hooked.add(id(opt))
                handles.append(opt.register_step_pre_hook(self._reduce_gradients))
                handles.append(opt.register_step_post_hook(self._leave_step))

        def done():
            for h in handles:
                h.remove()
            release()
        return done

    def _reduce_gradients(self, optimizer, args, kwargs):
        # An optimizer that steps another (a wrapper) reduces once, in the outermost step.
        self._in_step += 1
        if self._in_step > 1:
            return
        groups: dict = {}
        for group in optimizer.param_groups:
            for p in group["params"]:
                groups.setdefault((p.device, p.dtype), []).append(p)
        with torch.no_grad():
            for params in groups.values():
                flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                                  for p in params])
                flat = self._all_reduce(flat.mul_(self.fraction))
                offset = 0
                for p in params:
                    n = p.numel()
                    if p.grad is not None:
                        p.grad.copy_(flat[offset:offset + n].view(p.grad.shape))
                    offset += n

    def _leave_step(self, optimizer, args, kwargs):
        self._in_step -= 1

    def reduce_logs(self, model, logs, samples: int, to_floats, from_metrics: bool) -> dict:
        """Sum every metric's state across processes, then read the logs; logs a custom step built
        itself (not from the metrics) are averaged, weighted by each process's sample count.

        The training loop passes ``to_floats`` and ``from_metrics`` in, so this package needs nothing
        from ``lamina.training`` (which calls it)."""
        states = [v for m in model.metrics for v in m.variables]
        if states:
            flat = self._all_reduce(torch.cat([s.detach().reshape(-1).to(self.comm_device, torch.float64)
                                               for s in states]))
            offset = 0
            with torch.no_grad():
                for s in states:
                    s.copy_(flat[offset:offset + s.numel()].view(s.shape))
                    offset += s.numel()
        if from_metrics:
            return to_floats(logs)   # read now, from the summed states
        floats = to_floats(logs)
        keys = [k for k, v in floats.items() if isinstance(v, float)]
        vec = torch.tensor([floats[k] * samples for k in keys] + [float(samples)], dtype=torch.float64)
        vec = self._all_reduce(vec).cpu()
        total = float(vec[-1]) or 1.0
        floats.update({k: float(vec[i]) / total for i, k in enumerate(keys)})
        return floats

    def gather_predictions(self, result, data: ShardedData):
        """Every process's predictions, put back in the order of the input samples."""
        if not self.shard_batches:
            return result
        parts: list = [None] * self.world
        dist.all_gather_object(parts, result)

        def merge(arrays):
            pieces, offsets = [], [0] * self.world
            for n in data.sizes:
                for r in range(self.world):
                    lo, hi = share_bounds(n, r, self.world)
                    pieces.append(arrays[r][offsets[r]:offsets[r] + hi - lo])
                    offsets[r] += hi - lo
            return np.concatenate(pieces)
        if isinstance(result, dict):
            return {k: merge([p[k] for p in parts]) for k in result}
        if isinstance(result, (list, tuple)):
            return [merge([p[i] for p in parts]) for i in range(len(result))]
        return merge(parts)
