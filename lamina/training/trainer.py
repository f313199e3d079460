"""The running fit loop, as callbacks see it."""
from __future__ import annotations

import torch

__all__ = ["Trainer"]


class Trainer:
    """State of one fit() call.

    Attributes:
        epoch: the epoch running now (0-based).
        initial_epoch: where the loop starts; a callback may raise it in
            on_train_begin to resume (BackupAndRestore does).
        stop_training: set True to end training after the current epoch.
        generator: the torch.Generator that shuffles the data, seeded from
            torch's global generator so ``set_random_seed`` makes runs repeat.
        thread_governor: the :class:`lamina.threads.ThreadGovernor` adapting torch's
            thread count to other processes' load during this run (``changes``
            lists what it did), or a no-op one.
    """

    def __init__(self, model):
        self.model = model
        self.epoch = 0
        self.initial_epoch = 0
        self.stop_training = False
        self.progress = None
        self.thread_governor = None
        self.generator = torch.Generator()
        self.generator.manual_seed(int(torch.randint(0, 2**62, (1,)).item()))

    def _layer_generators(self):
        for layer in self.model._flatten_layers():
            for attr, value in vars(layer).items():
                if isinstance(value, torch.Generator):
                    yield f"layer/{layer.name}/{attr}", layer, attr, value

    def rng_state(self) -> dict[str, torch.Tensor]:
        """Every random state fit draws from, as CPU byte tensors (safetensors-ready)."""
        state = {"torch": torch.get_rng_state(), "shuffle": self.generator.get_state()}
        if torch.cuda.is_available():
            for i, s in enumerate(torch.cuda.get_rng_state_all()):
                state[f"cuda/{i}"] = s
        for key, _, _, gen in self._layer_generators():
            state[key] = gen.get_state()
        return state

    def set_rng_state(self, state: dict) -> None:
        torch.set_rng_state(state["torch"].cpu())
        self.generator.set_state(state["shuffle"].cpu())
        if torch.cuda.is_available():
            for i in range(torch.cuda.device_count()):
                if f"cuda/{i}" in state:
                    torch.cuda.set_rng_state(state[f"cuda/{i}"].cpu(), i)
        for key, _, _, gen in self._layer_generators():
            if key in state:
                gen.set_state(state[key].cpu())

    def message(self, text: str) -> None:
        """Print a callback's notice through the progress display (or stdout when silent)."""
        if self.progress is not None:
            self.progress.message(text)
        else:
            print(text)
