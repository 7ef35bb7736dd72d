"""Neural-network functions on Tensors, where PyTorch users look for them (``nn.functional``).

The layers of :mod:`nn.layers` are thin modules around these; call them directly when you hold
the parameters yourself. Images use PyTorch's layout, (batch, channels, height, width).

- ``linear`` (``x @ weight.T + bias``, PyTorch's (out, in) weight), ``conv2d``,
  ``max_pool2d``, ``log_softmax``: the fused tensor ops (defined, with their
  gradient rules, in ``autograd.tensor``), checked and applied;
- ``softmax``, ``dropout``: compositions of tensor ops;
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

import numbers
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.tensor import conv2d, linear, log_softmax, max_pool2d

from ._checks import generator
from .losses import binary_cross_entropy, cross_entropy, hinge, mse

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d", "cross_entropy",
    "dropout", "hinge", "linear", "log_softmax", "max_pool2d", "mse", "mse_loss", "softmax",
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
    if not isinstance(x, Tensor):
        if not isinstance(x, np.ndarray):
            raise TypeError(f"dropout: input must be a Tensor or a numpy array, got "
                            f"{type(x).__name__}")
        x = Tensor(x)
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"dropout: p must be a number, got {type(p).__name__} {p!r:.60}")
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p!r}")
    if x.dtype.kind != "f":
        raise TypeError(f"dropout: needs a floating-point tensor, got dtype {x.dtype}")
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
