"""``keras.layers.advanced_activations`` (Keras 1/2 module path): LeakyReLU, PReLU, ELU,
ThresholdedReLU, Softmax, ReLU."""
import torch

from . import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: F401
from ...layers.base import Layer
from ._legacy import missing_name

__all__ = ["LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "ReLU", "Softmax"]


class ThresholdedReLU(Layer):
    """Keras 2's ``ThresholdedReLU``: ``f(x) = x if x > theta else 0`` (strictly greater; Keras 3 dropped
    the layer, its nearest form is ``ReLU(threshold=theta)``, which keeps ``x == theta``).

    Args:
        theta: non-negative float threshold (default 1.0).

    Input shape: any. Output shape: same as input.

    Example:
        >>> from keras.layers.advanced_activations import ThresholdedReLU  # doctest: +SKIP
        >>> layer = ThresholdedReLU(theta=0.5)  # doctest: +SKIP
    """

    _elementwise = True

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(theta, bool) or not isinstance(theta, (int, float)) or theta < 0:
            raise ValueError(f"ThresholdedReLU expects theta to be a non-negative number. Received: theta={theta!r}. "
                             f"Pass e.g. ThresholdedReLU(theta=1.0).")
        self.theta = float(theta)

    def call(self, inputs):
        return torch.where(inputs > self.theta, inputs, torch.zeros((), dtype=inputs.dtype, device=inputs.device))

    def get_config(self):
        return {**super().get_config(), "theta": self.theta}


def __getattr__(name):
    raise missing_name(__name__.replace("lamina.", "", 1), name)
