"""Normalisation layers: BatchNorm (over the batch, per channel) and LayerNorm (per sample).

Both standardise their input to mean 0 and variance 1 and then scale and shift it by learned
``weight`` (starting at 1) and ``bias`` (starting at 0):

    y = (x - mean) / sqrt(var + eps) * weight + bias        (var: the biased variance)

They differ in what the mean and variance are taken over. **BatchNorm** takes them per channel
over the batch (and the pixels): in training the batch's own statistics are used and running
averages of them are kept (buffers ``running_mean``, ``running_var``, saved by ``state_dict``);
in evaluation mode (``model.eval()``) the running averages are used, so a sample's output no
longer depends on the rest of its batch. **LayerNorm** takes them per sample over its last axes,
the same way in training and evaluation.

>>> import numpy as np
>>> bn = BatchNorm(2)
>>> x = np.array([[1.0, 10.0], [3.0, 30.0]], dtype=np.float32)
>>> bn(x).numpy().round(3)  # training: each column standardised over the batch
array([[-1., -1.],
       [ 1.,  1.]], dtype=float32)
>>> bn.running_mean, bn.running_var, bn.num_batches_tracked
(array([0.2, 2. ], dtype=float32), array([ 1.1, 20.9], dtype=float32), array(1))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor

from . import functional as F
from ._checks import count, number, sizes
from .layers import Shape, _as_tensor, _batched
from .module import Module
from .parameter import Parameter

__all__ = ["BatchNorm", "LayerNorm"]


def _ones_and_zeros(owner: str, shape: tuple[int, ...]) -> tuple[Parameter, Parameter]:
    return (Parameter(np.ones(shape, dtype=np.float32), label=f"{owner}.weight"),
            Parameter(np.zeros(shape, dtype=np.float32), label=f"{owner}.bias"))


class BatchNorm(Module):
    """Batch normalisation of (N, C), (N, C, L) or (N, C, H, W) inputs, per channel C (PyTorch's
    ``BatchNorm1d`` and ``BatchNorm2d`` in one layer; Keras' ``BatchNormalization``).

    In training, each channel is standardised with the mean and the biased variance of the
    batch (over N, and L or H, W), then ``y = x_hat * weight + bias``; the gradient flows
    through the batch statistics too. The running statistics follow PyTorch's convention:

        running_mean = (1 - momentum) * running_mean + momentum * batch_mean
        running_var  = (1 - momentum) * running_var  + momentum * batch_var * n / (n - 1)

    (the unbiased variance, n values per channel) and ``num_batches_tracked`` counts the
    training batches. In evaluation mode they take the batch's place and nothing changes.

    Args:
        num_features: the channels C (axis 1 of the input).
        eps: added to the variance under the square root.
        momentum: the weight of a new batch in the running statistics, in [0, 1]; None makes
            them the plain average of all the batches seen (momentum 1 / num_batches_tracked).

    State: parameters ``weight``, ``bias`` (C,); buffers ``running_mean`` (C,) zeros,
    ``running_var`` (C,) ones, ``num_batches_tracked`` a 0-d int64: torch.nn.BatchNorm1d's and
    BatchNorm2d's keys, shapes and dtypes. ``input_ndim`` is the number of axes of the last
    input (None before the first call); :func:`nn.export.to_torch` makes a ``BatchNorm2d`` of a
    layer that last saw 4-D input and a ``BatchNorm1d`` of one that saw 2-D or 3-D input.
    """

    def __init__(self, num_features: int, eps: float = 1e-5,
                 momentum: float | None = 0.1) -> None:
        self.num_features = count("BatchNorm", "num_features", num_features)
        self.eps = number("BatchNorm", "eps", eps)
        self.momentum = (None if momentum is None
                         else number("BatchNorm", "momentum", momentum, high=1.0))
        self.weight, self.bias = _ones_and_zeros("BatchNorm", (self.num_features,))
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=np.float32))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=np.float32))
        self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        self.input_ndim: int | None = None

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor("BatchNorm", x)
        if x.ndim not in (2, 3, 4) or x.shape[1] != self.num_features:
            raise self._error(x.shape)
        if x.dtype.kind != "f":
            raise TypeError(f"{self._name()}: needs a floating-point input, got dtype {x.dtype}")
        if self.training and x.size // self.num_features <= 1:
            raise ValueError(f"{self._name()}: expected more than 1 value per channel when "
                             f"training, got input shape {x.shape}")
        self.input_ndim = x.ndim
        momentum = self.momentum
        if momentum is None:
            momentum = 1.0 / (int(self.num_batches_tracked) + 1)
        out = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                           training=self.training, momentum=momentum, eps=self.eps)
        if self.training:
            self.num_batches_tracked += 1
        return out

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        if input_shape is None:
            return None
        shape = _batched(tuple(input_shape))
        if len(shape) not in (2, 3, 4) or shape[1] != self.num_features:
            raise self._error(input_shape)
        return shape

    def _error(self, got: Any) -> ValueError:
        c = self.num_features
        return ValueError(f"{self._name()}: expected input of shape (batch, {c}), (batch, {c}, "
                          f"length) or (batch, {c}, height, width), got {tuple(got)}")

    def _name(self) -> str:
        return f"BatchNorm({self.extra_repr()})"

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class LayerNorm(Module):
    """Layer normalisation (PyTorch's ``LayerNorm``): each sample is standardised over its last
    ``len(normalized_shape)`` axes, which must be ``normalized_shape``, then scaled and shifted:

        y = (x - mean) / sqrt(var + eps) * weight + bias     (mean, biased var over those axes)

    with ``weight`` (ones) and ``bias`` (zeros) of shape ``normalized_shape``. No running
    statistics: training and evaluation compute the same thing.

    >>> import numpy as np
    >>> LayerNorm(3)(np.array([[1.0, 2.0, 3.0]])).numpy().round(4)
    array([[-1.2247,  0.    ,  1.2247]])
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5) -> None:
        self.normalized_shape = sizes("LayerNorm", "normalized_shape", normalized_shape)
        self.eps = number("LayerNorm", "eps", eps)
        self.weight, self.bias = _ones_and_zeros("LayerNorm", self.normalized_shape)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor("LayerNorm", x)
        self._check(x.shape)
        if x.dtype.kind != "f":
            raise TypeError(f"{self._name()}: needs a floating-point input, got dtype {x.dtype}")
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        if input_shape is None:
            return None
        shape = _batched(tuple(input_shape))
        self._check(shape)
        return shape

    def _check(self, shape: tuple) -> None:
        k = len(self.normalized_shape)
        if len(shape) < k or tuple(shape[len(shape) - k:]) != self.normalized_shape:
            raise ValueError(f"{self._name()}: expected input of shape (..., "
                             f"{', '.join(map(str, self.normalized_shape))}), got {tuple(shape)}")

    def _name(self) -> str:
        return f"LayerNorm({self.extra_repr()})"

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"
