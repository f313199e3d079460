"""Placeholder mixin; replaced by the saving implementation."""


class SavingMixin:
    pass
