"""Functions of tensors that are not methods: joining, selecting, and the network ops.

``concatenate``, ``stack``, ``where``, ``maximum`` are numpy's names (PyTorch: ``cat``,
``stack``, ``where``, ``maximum``); ``conv2d``, ``max_pool2d`` and ``log_softmax`` check their
arguments and apply the fused ops of ``conv.py``, ``pool.py`` and ``ops.py``. ``nn.functional``
(PyTorch's ``torch.nn.functional``) is where users find the network ones, with softmax, dropout
and the losses.

>>> import numpy as np
>>> from autograd import Tensor
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> w = Tensor(np.ones((2, 1, 3, 3)), requires_grad=True)
>>> conv2d(x, w, stride=1, padding=1).shape
(1, 2, 4, 4)
>>> max_pool2d(x, 2).numpy()[0, 0]
array([[ 5.,  7.],
       [13., 15.]])
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .arguments import axes
from .conv import CONV2D, CONV_TRANSPOSE2D, ConvContext
from .ops import BROADCAST_TO, CONCATENATE, LINEAR, LOG_SOFTMAX, MAXIMUM, WHERE
from .pool import MAX_POOL2D, PoolContext
from .tensor import Tensor, apply, binary, constant, operands, promote

__all__ = [
    "broadcast_to", "concatenate", "conv2d", "conv_transpose2d", "int_pair", "linear",
    "log_softmax", "max_pool2d", "maximum", "stack", "where",
]


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``)."""
    ts = _tensor_list(tensors, "concatenate")
    first = ts[0]
    if first.ndim == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated; "
                         "use stack")
    (ax,) = axes(axis, first.shape, "concatenate")
    for t in ts[1:]:
        if t.ndim != first.ndim or any(i != ax and s != u for i, (s, u)
                                       in enumerate(zip(first.shape, t.shape))):
            raise ValueError(f"concatenate: shapes {first.shape} and {t.shape} differ outside "
                             f"axis {ax}")
    return apply(CONCATENATE, np.concatenate([t.data for t in ts], axis=ax), ts, ax)


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    """``x`` repeated along new leading axes and its size-1 axes to ``shape`` (numpy's and
    PyTorch's ``broadcast_to``); the gradient sums over the repeats.

    >>> broadcast_to(Tensor([1.0, 2.0]), (2, 2)).numpy()
    array([[1., 2.],
           [1., 2.]])
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    target = tuple(int(n) for n in shape)
    try:
        if np.broadcast_shapes(x.shape, target) != target:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: shape {x.shape} cannot be broadcast to {target}; "
                         "each axis must match or be 1 (new axes go in front)") from None
    return apply(BROADCAST_TO, BROADCAST_TO.forward(x.data, target), (x,), target)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new axis: a reshape of each, then concatenate."""
    ts = _tensor_list(tensors, "stack")
    shape = ts[0].shape
    for t in ts[1:]:
        if t.shape != shape:
            raise ValueError(f"stack: shapes {shape} and {t.shape} differ; stack needs equal "
                             "shapes")
    (ax,) = axes(axis, shape + (1,), "stack")
    new = shape[:ax] + (1,) + shape[ax:]
    return concatenate([t.reshape(new) for t in ts], axis=ax)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a if cond else b``; ``cond`` is a constant mask (no gradient)."""
    mask = np.asarray(cond.data if isinstance(cond, Tensor) else cond)
    if mask.dtype != np.bool_:
        mask = mask.astype(bool)
    a, b, dtype = promote(*operands(a, b, "where"))
    try:
        data = np.where(mask, a.data, b.data)
    except ValueError:
        raise ValueError(f"where: shapes {mask.shape} (cond), {a.shape} and {b.shape} do not "
                         "broadcast") from None
    if dtype is not None and data.dtype != dtype:
        data = data.astype(dtype)
    return apply(WHERE, data, (a, b), mask)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum of two tensors (or a tensor and a number); ties share the gradient."""
    a, b = operands(a, b, "maximum")
    return binary(MAXIMUM, a, b)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y = x @ weight.T + bias``, PyTorch's ``linear``: ``x`` (..., in), ``weight`` (out, in),
    ``bias`` (out,) or None; returns (..., out).

    One op, ``f(x, W) = x @ W^T`` with ``dL/dx = dL/df @ W`` and ``dL/dW = (dL/df)^T @ x``:
    the product reads the weight transposed in place (no copy), and the weight's gradient is
    made (out, in) directly, in the weight's own memory order.

    >>> w = Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)  # 1 output, 3 inputs
    >>> y = linear(Tensor(np.ones((2, 3))), w, Tensor(np.array([0.5])))
    >>> y.numpy()
    array([[6.5],
           [6.5]])
    >>> y.sum().backward(); w.grad
    array([[2., 2., 2.]])
    """
    x, weight = _tensor(x, "linear", "input"), _tensor(weight, "linear", "weight")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out, in), got shape {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input shape {x.shape} does not end in the {weight.shape[1]} "
                         f"inputs of weight shape {weight.shape} (out, in)")
    x, weight, _ = promote(x, weight)
    out = apply(LINEAR, x.data @ weight.data.T, (x, weight))
    if bias is None:
        return out
    bias = _tensor(bias, "linear", "bias")
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias shape {bias.shape} does not match the {weight.shape[0]} "
                         f"outputs of weight shape {weight.shape}")
    return out + bias


def conv2d(x: Tensor, w: Tensor, b: Tensor | None = None, stride: int | tuple[int, int] = 1,
           padding: int | tuple[int, int] = 0) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch): ``x`` (N, C, H, W), ``w`` (out, C, kh, kw),
    ``b`` (out,) or None. Returns (N, out, OH, OW) with OH = (H + 2 padding - kh) // stride + 1.

    im2col (``sliding_window_view``) and a matrix product forward; backward, a matrix product
    for the weights and one per kernel offset for the input. The batch is walked in blocks of
    samples small enough to stay in the cache (``autograd.tensor.conv.BLOCK_BYTES``), one
    product per block.
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
        b = constant(np.zeros(o, dtype=np.result_type(x.data, w.data)))
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


def conv_transpose2d(x: Tensor, w: Tensor, b: Tensor | None = None,
                     stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                     output_padding: int | tuple[int, int] = 0) -> Tensor:
    """Transposed convolution (PyTorch's ``conv_transpose2d``): ``x`` (N, in, H, W), ``w``
    (in, out, kh, kw), ``b`` (out,) or None. Returns (N, out, OH, OW) with

        OH = (H - 1) * stride - 2 * padding + kh + output_padding   (OW likewise)

    Each input pixel ``x[n, :, i, j]`` spreads ``sum_c x[n, c, i, j] * w[c, o, p, q]`` onto the
    output at ``(stride*i + p - padding, stride*j + q - padding)``: the adjoint of ``conv2d`` in
    its input, so ``conv_transpose2d(y, w)`` is the gradient that ``conv2d(x, w)`` sends back to
    x (a conv2d weight (out_c, in_c, kh, kw) is exactly this function's (in, out, kh, kw)). Several
    sizes H convolve to the same OH when the stride does not divide; ``output_padding``
    (< stride) picks one of them. One op, ``conv_transpose2d`` of ``autograd.tensor.conv``, the
    bias included, whose rule uses conv2d and conv2d_weight, so it has derivatives of every
    order.

    >>> y = Tensor(np.ones((1, 1, 2, 2)))
    >>> conv_transpose2d(y, Tensor(np.ones((1, 1, 3, 3))), stride=2, padding=1,
    ...                  output_padding=1).numpy()[0, 0]
    array([[1., 2., 1., 1.],
           [2., 4., 2., 2.],
           [1., 2., 1., 1.],
           [1., 2., 1., 1.]])
    """
    x, w = _tensor(x, "conv_transpose2d", "input"), _tensor(w, "conv_transpose2d", "weight")
    if x.ndim != 4:
        raise ValueError(f"conv_transpose2d: input must be 4-D (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"conv_transpose2d: weight must be 4-D (in, out, kh, kw), got shape "
                         f"{w.shape}")
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"conv_transpose2d: input shape {x.shape} has {x.shape[1]} channels but "
                         f"weight shape {w.shape} (in, out, kh, kw) expects {w.shape[0]}")
    stride = int_pair("conv_transpose2d", "stride", stride)
    padding = int_pair("conv_transpose2d", "padding", padding, minimum=0)
    extra = int_pair("conv_transpose2d", "output_padding", output_padding, minimum=0)
    if extra[0] >= stride[0] or extra[1] >= stride[1]:
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be smaller than the "
                         f"stride {stride} on each axis")
    (kh, kw), (sh, sw), (ph, pw) = w.shape[2:], stride, padding
    size = ((x.shape[2] - 1) * sh - 2 * ph + kh + extra[0],
            (x.shape[3] - 1) * sw - 2 * pw + kw + extra[1])
    if min(size) < 1 or x.shape[2] < 1 or x.shape[3] < 1:
        raise ValueError(f"conv_transpose2d: input shape {x.shape} with a {kh}x{kw} kernel, "
                         f"stride {stride}, padding {padding} and output_padding {extra} gives "
                         f"an output of {size[0]}x{size[1]} pixels; it needs at least 1x1")
    x, w, _ = promote(x, w)
    if b is None:
        b = constant(np.zeros(w.shape[1], dtype=w.dtype))
    b = _tensor(b, "conv_transpose2d", "bias")
    if b.shape != (w.shape[1],):
        raise ValueError(f"conv_transpose2d: bias shape {b.shape} does not match the "
                         f"{w.shape[1]} output channels of weight shape {w.shape} "
                         "(in, out, kh, kw)")
    ctx = ConvContext(stride, padding, size=size)
    return apply(CONV_TRANSPOSE2D, CONV_TRANSPOSE2D.forward(x.data, w.data, b.data, ctx),
                 (x, w, b), ctx)


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
    (ax,) = axes(axis, x.shape or (1,), "log_softmax")
    if x.ndim == 0:
        raise ValueError("log_softmax: the input needs at least one axis, got shape ()")
    return apply(LOG_SOFTMAX, LOG_SOFTMAX.forward(x.data, ax), (x,), ax)


def _tensor_list(tensors: Any, name: str) -> tuple[Tensor, ...]:
    if isinstance(tensors, Tensor | np.ndarray) or not isinstance(tensors, Sequence):
        raise TypeError(f"{name}: expected a list or tuple of Tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}: needs at least one tensor")
    return tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)


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
