"""Placeholder mixin; replaced by the training engine."""


class TrainingMixin:
    def _init_training_state(self):
        self.compiled = False
