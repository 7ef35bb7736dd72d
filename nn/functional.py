"""Neural-network functions on Tensors, where PyTorch users look for them (``nn.functional``).

The layers of :mod:`nn.layers` are thin modules around these; call them directly when you hold
the parameters yourself. Images use PyTorch's layout, (batch, channels, height, width).

- ``linear`` (``x @ weight.T + bias``, PyTorch's (out, in) weight), ``conv2d``,
  ``conv_transpose2d``, ``max_pool2d``, ``log_softmax``: the fused tensor ops (defined, with
  their gradient rules, in ``autograd.tensor``), checked and applied;
- ``softmax``, ``dropout``, ``leaky_relu``, ``embedding``, ``layer_norm``, ``batch_norm``:
  compositions of tensor ops (so their second derivatives come with them);
- the losses' functional forms: ``mse`` (``mse_loss``), ``cross_entropy``,
  ``binary_cross_entropy``, ``binary_cross_entropy_with_logits``, ``hinge`` (see
  :mod:`nn.losses`).

>>> import numpy as np
>>> from autograd import Tensor
>>> from nn import functional as F
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> w = Tensor(np.ones((2, 1, 3, 3)), requires_grad=True)
>>> F.conv2d(x, w, stride=1, padding=1).shape
(1, 2, 4, 4)
>>> F.max_pool2d(x, 2).numpy()[0, 0]
array([[ 5.,  7.],
       [13., 15.]])
>>> F.softmax(Tensor([0.0, 0.0]), axis=-1).numpy()
array([0.5, 0.5])
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd import Tensor, no_grad, where
from autograd.tensor import conv2d, conv_transpose2d, linear, log_softmax, max_pool2d

from ._checks import generator, indices, number, sizes
from .losses import binary_cross_entropy, cross_entropy, hinge, mse

__all__ = [
    "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d",
    "conv_transpose2d", "cross_entropy", "dropout", "embedding", "hinge", "layer_norm",
    "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse", "mse_loss", "softmax",
]


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``: ``exp(log_softmax(x))``, stable for any input."""
    return log_softmax(x, axis).exp()


def dropout(x: Tensor, p: float, training: bool = True,
            rng: np.random.Generator | int | None = None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) while
    training; the identity otherwise. ``rng``: a numpy Generator or a seed (default: drawn from
    numpy's global generator, so ``np.random.seed`` makes the masks reproducible).

    >>> y = dropout(Tensor(np.ones(6)), 0.5, rng=0)
    >>> sorted(set(y.numpy().tolist()))  # dropped, or kept and doubled
    [0.0, 2.0]
    """
    x = _floats(x, "dropout")
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"dropout: p must be a number, got {type(p).__name__} {p!r:.60}")
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p!r}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    draw_dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    keep = generator("dropout", rng).random(x.shape, dtype=draw_dtype) >= p
    return x * Tensor(keep * x.dtype.type(1.0 / (1.0 - p)))


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """PyTorch's name for :func:`nn.losses.mse`."""
    return mse(input, target, reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Any:
    """PyTorch's name for ``binary_cross_entropy(input, target, from_logits=True)``."""
    return binary_cross_entropy(input, target, from_logits=True, reduction=reduction)


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """``x`` where x > 0, else ``negative_slope * x``: ``where(x > 0, x, slope * x)``, whose
    derivative is 1 where x > 0, else the slope (PyTorch's ``leaky_relu``).

    >>> leaky_relu(Tensor([-2.0, 0.0, 3.0]), 0.1).numpy()
    array([-0.2,  0. ,  3. ])
    """
    x = _floats(input, "leaky_relu")
    slope = number("leaky_relu", "negative_slope", negative_slope, low=-math.inf)
    return where(x.data > 0, x, x * slope)


def embedding(input: Any, weight: Tensor) -> Tensor:
    """The rows of ``weight`` (num_embeddings, dim) picked by the integer array ``input`` of any
    shape S: ``out[s] = weight[input[s]]``, of shape S + (dim,) (PyTorch's ``embedding``). The
    gradient adds dL/dout[s] into row input[s] (rows picked twice get both).

    >>> w = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    >>> embedding(np.array([[2, 0], [2, 2]]), w).shape
    (2, 2, 2)
    """
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"embedding: weight must be a 2-D Tensor (num_embeddings, dim), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    return weight[indices("embedding", input, weight.shape[0])]


def layer_norm(input: Any, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last axes (``normalized_shape``): for each sample, over those axes,

        y = (x - mean) / sqrt(var + eps) * weight + bias,   var the biased variance

    (PyTorch's ``layer_norm``; weight and bias of shape ``normalized_shape``, or None).

    >>> y = layer_norm(Tensor([[1.0, 2.0, 3.0]]), (3,), eps=0.0)
    >>> np.round(y.numpy(), 4)
    array([[-1.2247,  0.    ,  1.2247]])
    """
    x = _floats(input, "layer_norm")
    shape = sizes("layer_norm", "normalized_shape", normalized_shape)
    k = len(shape)
    if x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise ValueError(f"layer_norm: input shape {x.shape} does not end in normalized_shape "
                         f"{shape}")
    eps = number("layer_norm", "eps", eps)
    axes = tuple(range(x.ndim - k, x.ndim))
    centered = x - x.mean(axes, keepdims=True)
    scale = ((centered * centered).mean(axes, keepdims=True) + eps) ** -0.5
    return _affine("layer_norm", centered, scale, weight, bias, shape, shape)


def batch_norm(input: Any, running_mean: np.ndarray | None, running_var: np.ndarray | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (axis 1) of (N, C, ...) over the batch and the other axes:

        y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c]

    In training (or without running statistics) mean and var are the batch's (var biased), and
    the running statistics, if given, are updated in place with PyTorch's convention:
    ``running = (1 - momentum) * running + momentum * batch`` (with the *unbiased* batch
    variance for running_var). Otherwise the running statistics are used (as constants).

    >>> rm, rv = np.zeros(1), np.ones(1)
    >>> y = batch_norm(Tensor([[1.0], [3.0]]), rm, rv, training=True, eps=0.0)
    >>> y.numpy().ravel(), rm, rv
    (array([-1.,  1.]), array([0.2]), array([1.1]))
    """
    x = _floats(input, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C) or (N, C, ...), got shape {x.shape}")
    c, eps = x.shape[1], number("batch_norm", "eps", eps)
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if stat is not None and (not isinstance(stat, np.ndarray) or stat.shape != (c,)):
            raise ValueError(f"batch_norm: {name} must be a numpy array of shape ({c},) for "
                             f"input shape {x.shape}, got {getattr(stat, 'shape', stat)!r:.40}")
    axes = (0, *range(2, x.ndim))
    shape = (c,) + (1,) * (x.ndim - 2)
    if training or running_mean is None or running_var is None:
        n = x.size // c if c else 0
        if training and n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input shape {x.shape}")
        mean = x.mean(axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axes, keepdims=True)
        if training and running_mean is not None and running_var is not None:
            m = number("batch_norm", "momentum", momentum, high=1.0)
            with no_grad():
                running_mean *= 1 - m
                running_mean += m * mean.data.reshape(c)
                running_var *= 1 - m
                running_var += (m * n / (n - 1)) * var.data.reshape(c)
        scale: Any = (var + eps) ** -0.5
    else:  # the running statistics: constants, in the input's dtype
        centered = x - running_mean.reshape(shape).astype(x.dtype, copy=False)
        scale = (1.0 / np.sqrt(running_var + eps)).reshape(shape).astype(x.dtype, copy=False)
    return _affine("batch_norm", centered, scale, weight, bias, (c,), shape)


def _affine(owner: str, centered: Tensor, scale: Any, weight: Tensor | None,
            bias: Tensor | None, shape: tuple[int, ...], view: tuple[int, ...]) -> Tensor:
    """``centered * (scale * weight) + bias``: the small factors are multiplied first, so the
    large tensor is passed over twice. weight and bias have ``shape`` (either may be None) and
    are seen as ``view`` (broadcast against ``centered``)."""
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (not isinstance(p, Tensor) or p.shape != shape):
            raise ValueError(f"{owner}: {name} must be a Tensor of shape {shape}, got "
                             f"{getattr(p, 'shape', type(p).__name__)}")
    if weight is not None:
        scale = weight.reshape(view) * scale
    y = centered * scale
    return y if bias is None else y + bias.reshape(view)


def _floats(x: Any, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{name}: input must be a Tensor or a numpy array, got "
                            f"{type(x).__name__}")
        x = Tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: needs a floating-point tensor, got dtype {x.dtype}")
    return x

