"""BatchNormalization with Keras semantics on torch's fused batch-norm kernel."""
from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F

from .._errors import probability
from . import _utils
from .base import InputSpec, Layer, format_shape

__all__ = ["BatchNormalization"]


class BatchNormalization(Layer):
    """Normalizes each feature with batch statistics while training, moving averages otherwise.

    Training (``training=True``): ``gamma * (x - mean) / sqrt(var + epsilon) + beta`` with the
    batch mean and (biased) variance, and ``moving = moving * momentum + batch * (1 - momentum)``.
    Inference: the same with ``moving_mean`` and ``moving_variance``. As in Keras >= 2.1.3, a layer
    with ``trainable=False`` always runs in inference mode and leaves its moving statistics alone.

    Args:
        axis: int (default -1), the feature axis; use 1 after channels_first convolutions.
        momentum: float in [0, 1] (default 0.99) for the moving averages.
        epsilon: positive float (default 1e-3) added to the variance.
        center: bool (default True), learn the offset ``beta``.
        scale: bool (default True), learn the factor ``gamma``.
        beta_initializer: default 'zeros'. gamma_initializer: default 'ones'.
        moving_mean_initializer: default 'zeros'. moving_variance_initializer: default 'ones'.
        beta_regularizer, gamma_regularizer: optional penalties.
        synchronized: default False. True: under data-parallel training
            (``lamina.distribution.DataParallel`` across processes), the mean and variance come
            from the global batch of all processes, not from each process's share, so the layer
            trains as it would on one process with the whole batch (one all-reduce per layer
            and step). On one process it changes nothing. Keras 3's argument.

    Weights (Keras order): gamma, beta (trainable), moving_mean, moving_variance (non-trainable).

    Input shape: any, at least 2-D. Output shape: same as input.

    Example:
        >>> layer = BatchNormalization(input_shape=(26, 26, 32))
    """

    _elementwise = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"BatchNormalization expects axis to be an int (the feature axis). "
                             f"Received: axis={axis!r}. E.g. axis=-1 (channels_last) or axis=1 (channels_first).")
        self.axis = axis
        self.momentum = probability("BatchNormalization", "momentum", momentum, inclusive_high=True)
        try:
            eps = float(epsilon)
        except (TypeError, ValueError):
            eps = float("nan")
        if not eps > 0:
            raise ValueError(f"BatchNormalization expects epsilon to be a positive float. "
                             f"Received: epsilon={epsilon!r}. The Keras default is 1e-3.")
        self.epsilon = eps
        self.center = bool(center)
        self.scale = bool(scale)
        if not isinstance(synchronized, bool):
            raise ValueError(f"BatchNormalization expects synchronized to be True or False. Received: "
                             f"synchronized={synchronized!r}.")
        self.synchronized = synchronized
        _utils.check_names((beta_initializer, gamma_initializer, moving_mean_initializer,
                            moving_variance_initializer), (beta_regularizer, gamma_regularizer))
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.input_spec = InputSpec(min_ndim=2)
        self._axis = None

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(f"Layer '{self.name}' (BatchNormalization) has axis={self.axis}, which is not a "
                             f"feature axis of its input shape {format_shape(input_shape)}. Use -1 for "
                             f"channels_last data or 1 for channels_first.")
        self._axis = self.axis % ndim
        size = input_shape[self._axis]
        if size is None:
            raise ValueError(f"Layer '{self.name}' (BatchNormalization) needs the size of axis {self.axis} to be "
                             f"known. Received shape {format_shape(input_shape)}.")
        shape = (size,)
        self.gamma = (self._add_weight("gamma", shape, self.gamma_initializer, self.gamma_regularizer)
                      if self.scale else None)
        self.beta = (self._add_weight("beta", shape, self.beta_initializer, self.beta_regularizer)
                     if self.center else None)
        self.moving_mean = self._add_weight("moving_mean", shape, self.moving_mean_initializer, trainable=False)
        self.moving_variance = self._add_weight("moving_variance", shape, self.moving_variance_initializer,
                                                trainable=False)
        self.input_spec = InputSpec(ndim=ndim, axes={self._axis: size})

    def call(self, inputs, training=None):
        if training is None:
            training = self.training
        x = inputs if self._axis == 1 else inputs.movedim(self._axis, 1)
        if training and self._trainable:
            y = self._train_step(x)
        else:
            y = F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                             False, 0.0, self.epsilon)
        return y if self._axis == 1 else y.movedim(1, self._axis)

    def _train_step(self, x):
        if self.synchronized and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            return self._synchronized_train_step(x)
        n = x.numel() // x.shape[1]
        if n > 1:
            # torch moves running_var towards the unbiased variance, Keras towards the biased one.
            # Pre-scaling the buffer by n/(n-1) and undoing it afterwards gives Keras's update while
            # keeping torch's fused kernel (about 10x faster than computing the moments here).
            var = self.moving_variance * (n / (n - 1))
            y = F.batch_norm(x, self.moving_mean, var, self.gamma, self.beta, True, 1.0 - self.momentum,
                             self.epsilon)
            with torch.no_grad():
                torch.mul(var, (n - 1) / n, out=self.moving_variance)
            return y
        # One value per feature: torch refuses, Keras normalises with variance 0.
        dims = [d for d in range(x.dim()) if d != 1]
        var, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=True)
        with torch.no_grad():
            m = 1.0 - self.momentum
            self.moving_mean.mul_(self.momentum).add_(mean.flatten(), alpha=m)
            self.moving_variance.mul_(self.momentum).add_(var.flatten(), alpha=m)
        shape = [1, -1] + [1] * (x.dim() - 2)
        y = (x - mean) * torch.rsqrt(var + self.epsilon)
        if self.gamma is not None:
            y = y * self.gamma.view(shape)
        if self.beta is not None:
            y = y + self.beta.view(shape)
        return y

    def _synchronized_train_step(self, x):
        """Batch statistics of the global batch: every process adds its per-feature sums, sums of
        squares and counts in one all-reduce (differentiable, so gradients flow to every process's
        inputs as they would through one process's batch)."""
        dims = [d for d in range(x.dim()) if d != 1]
        xf = x.float()
        local = torch.cat([xf.sum(dims), (xf * xf).sum(dims), xf.new_tensor([x.numel() // x.shape[1]])])
        total = _GlobalSum.apply(local)
        c = x.shape[1]
        n = total[-1]
        mean = total[:c] / n
        var = (total[c:2 * c] / n - mean * mean).clamp_min(0.0)
        with torch.no_grad():
            m = 1.0 - self.momentum
            self.moving_mean.mul_(self.momentum).add_(mean.to(self.moving_mean.dtype), alpha=m)
            self.moving_variance.mul_(self.momentum).add_(var.to(self.moving_variance.dtype), alpha=m)
        shape = [1, -1] + [1] * (x.dim() - 2)
        y = (xf - mean.view(shape)) * torch.rsqrt(var + self.epsilon).view(shape)
        if self.gamma is not None:
            y = y * self.gamma.view(shape)
        if self.beta is not None:
            y = y + self.beta.view(shape)
        return y.to(x.dtype)

    def get_config(self):
        ser = _utils.serialize_arg
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": ser(self.beta_initializer), "gamma_initializer": ser(self.gamma_initializer),
                "moving_mean_initializer": ser(self.moving_mean_initializer),
                "moving_variance_initializer": ser(self.moving_variance_initializer),
                "beta_regularizer": ser(self.beta_regularizer), "gamma_regularizer": ser(self.gamma_regularizer),
                "synchronized": self.synchronized}

    def extra_repr(self):
        return f"name={self.name!r}, axis={self.axis}, momentum={self.momentum}, epsilon={self.epsilon}"


class _GlobalSum(torch.autograd.Function):
    """The sum of a tensor over all processes; its last entry is this process's sample count.

    Backward: data-parallel training weights each process's gradient by its share of the global
    batch (count / total) before summing them, so the gradient each process sends back is
    weighted the same way: sum over processes of (share * grad), divided by this process's share.
    """

    @staticmethod
    def forward(ctx, local):
        total = local.clone()
        dist.all_reduce(total)
        ctx.share = float(local[-1]) / max(float(total[-1]), 1.0)
        return total

    @staticmethod
    def backward(ctx, grad):
        g = grad * ctx.share
        dist.all_reduce(g)
        return g / ctx.share if ctx.share > 0 else g
