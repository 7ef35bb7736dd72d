"""Neural-network functions on Tensors, with PyTorch's names and layouts (NCHW).

>>> import numpy as np
>>> from autograd import Tensor, functional as F
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> w = Tensor(np.ones((2, 1, 3, 3)), requires_grad=True)
>>> y = F.conv2d(x, w, stride=1, padding=1)
>>> y.shape
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

from .tensor import Tensor, _axes, _constant, apply
from .tensor_nn_ops import (
    CONV2D,
    LOG_SOFTMAX,
    MAX_POOL2D,
    ConvContext,
    PoolContext,
)

__all__ = ["conv2d", "dropout", "int_pair", "log_softmax", "max_pool2d", "softmax"]


def conv2d(x: Tensor, w: Tensor, b: Tensor | None = None, stride: int | tuple[int, int] = 1,
           padding: int | tuple[int, int] = 0) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch): ``x`` (N, C, H, W), ``w`` (out, C, kh, kw),
    ``b`` (out,) or None. Returns (N, out, OH, OW) with OH = (H + 2 padding - kh) // stride + 1.

    im2col (``sliding_window_view``) and a matrix product forward; backward, a matrix product
    for the weights and one per kernel offset for the input. The batch is walked in blocks of
    samples small enough to stay in the cache (``tensor_nn_ops.BLOCK_BYTES``), one product per
    block.
    """
    x, w = _tensor(x, "conv2d", "input"), _tensor(w, "conv2d", "weight")
    if x.ndim != 4:
        raise ValueError(f"conv2d: input must be 4-D (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D (out, in, kh, kw), got shape {w.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"conv2d: input shape {x.shape} has {x.shape[1]} channels but weight "
                         f"shape {w.shape} expects {w.shape[1]}")
    o, _, kh, kw = w.shape
    if b is None:
        b = _constant(np.zeros(o, dtype=np.result_type(x.data, w.data)))
    b = _tensor(b, "conv2d", "bias")
    if b.shape != (o,):
        raise ValueError(f"conv2d: bias shape {b.shape} does not match the {o} output channels "
                         f"of weight shape {w.shape}")
    stride = int_pair("conv2d", "stride", stride)
    padding = int_pair("conv2d", "padding", padding, minimum=0)
    h, wd = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    if h < kh or wd < kw:
        raise ValueError(f"conv2d: kernel {kh}x{kw} is larger than the padded input {h}x{wd} "
                         f"(input shape {x.shape}, padding {padding})")
    ctx = ConvContext(stride, padding)
    return apply(CONV2D, CONV2D.forward(x.data, w.data, b.data, ctx), (x, w, b), ctx)


def max_pool2d(x: Tensor, kernel_size: int | tuple[int, int],
               stride: int | tuple[int, int] | None = None) -> Tensor:
    """Maximum over each kernel_size window of (N, C, H, W); stride defaults to kernel_size."""
    x = _tensor(x, "max_pool2d", "input")
    if x.ndim != 4:
        raise ValueError(f"max_pool2d: input must be 4-D (N, C, H, W), got shape {x.shape}")
    kernel = int_pair("max_pool2d", "kernel_size", kernel_size)
    stride = kernel if stride is None else int_pair("max_pool2d", "stride", stride)
    if x.shape[2] < kernel[0] or x.shape[3] < kernel[1]:
        raise ValueError(f"max_pool2d: kernel {kernel[0]}x{kernel[1]} is larger than the input "
                         f"{x.shape[2]}x{x.shape[3]} (shape {x.shape})")
    if x.size == 0:
        raise ValueError(f"max_pool2d: the input of shape {x.shape} is empty")
    ctx = PoolContext(kernel, stride)
    return apply(MAX_POOL2D, MAX_POOL2D.forward(x.data, ctx), (x,), ctx)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``axis``, computed stably (the max is subtracted first)."""
    x = _tensor(x, "log_softmax", "input")
    (ax,) = _axes(axis, x.shape or (1,), "log_softmax")
    if x.ndim == 0:
        raise ValueError("log_softmax: the input needs at least one axis, got shape ()")
    return apply(LOG_SOFTMAX, LOG_SOFTMAX.forward(x.data, ax), (x,), ax)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``: ``exp(log_softmax(x))``."""
    return log_softmax(x, axis).exp()


def dropout(x: Tensor, p: float, training: bool = True,
            rng: np.random.Generator | int | None = None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) while
    training; the identity otherwise. ``rng``: a numpy Generator or a seed (default: numpy's
    global generator, so ``np.random.seed`` makes the masks reproducible)."""
    x = _tensor(x, "dropout", "input")
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
    if rng is None:
        rng = np.random.default_rng(np.random.randint(2**31))  # seeded by np.random.seed
    elif not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    draw_dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    keep = rng.random(x.shape, dtype=draw_dtype) >= p
    return x * _constant(keep * x.dtype.type(1.0 / (1.0 - p)))


def _tensor(x: Any, name: str, what: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor(x)
    raise TypeError(f"{name}: {what} must be a Tensor or a numpy array, got {type(x).__name__}")


def int_pair(owner: str, what: str, value: Any, minimum: int = 1) -> tuple[int, int]:
    """``value`` (an int, or a pair of ints, each at least ``minimum``) as a pair ``(h, w)``.

    The check that kernel sizes, strides and paddings share; errors name ``owner`` and ``what``.

    >>> int_pair("conv2d", "stride", 2), int_pair("conv2d", "padding", (0, 1), minimum=0)
    ((2, 2), (0, 1))
    """
    items = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(items) != 2 or any(isinstance(v, bool) or not isinstance(v, numbers.Integral)
                              for v in items):
        raise TypeError(f"{owner}: {what} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in items):
        raise ValueError(f"{owner}: {what} must be at least {minimum}, got {value!r}")
    return int(items[0]), int(items[1])
