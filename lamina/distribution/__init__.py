"""Training on several processes, with Keras 3's distribution API on torch.distributed.

Start one process per device with ``torchrun``, set a distribution, and train as usual::

    # train.py -- run with: torchrun --standalone --nproc-per-node 2 train.py
    import lamina
    lamina.distribution.set_distribution(lamina.distribution.DataParallel())
    model.fit(x, y, batch_size=64, epochs=5)     # 64 = the global batch

See :class:`DataParallel` for what changes (sharded batches, all-reduced gradients and
metrics, rank 0 writes files).
"""
from .api import (DataParallel, Distribution, distribution, initialize, is_chief, list_devices, num_processes,
                  process_id, set_distribution, shutdown)
from .loops import ParallelLoop, ShardedData, loop_for, share_bounds

__all__ = ["DataParallel", "Distribution", "distribution", "initialize", "is_chief", "list_devices", "loop_for",
           "num_processes", "process_id", "set_distribution", "shutdown", "ParallelLoop", "ShardedData", "share_bounds"]
