"""The fused tensor ops that neural networks need: conv2d, max_pool2d and log_softmax.

They are primitives (rather than compositions of ``tensor_ops``) for speed or numerical
stability, so each has its own rule here and its own tests. The user-facing functions, which
check their arguments, are in ``functional.py``.

Layout: a convolution computes its output as one matrix ``(N * OH * OW, out)``, so the array it
returns has the NCHW *shape* with a channels-last *memory layout* (a transposed view). Elementwise
ops keep that layout, and the next convolution then gathers whole channel rows at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import tensor_ops  # noqa: F401  (the first part of the tensor op table)
from .ops import define_op, mark_builtin

__all__ = ["CONV2D", "LOG_SOFTMAX", "MAX_POOL2D", "ConvContext", "PoolContext"]


class ConvContext:
    """A convolution's constants, and what its forward pass keeps for backward: the im2col
    matrix (N * OH * OW, kh * kw * C + 1, each row ending with a 1) when the whole batch fitted
    in one block of BLOCK_BYTES, else the zero-padded input (when there is padding) to gather it
    from again."""

    __slots__ = ("stride", "padding", "padded", "cols")

    def __init__(self, stride: tuple[int, int], padding: tuple[int, int]) -> None:
        self.stride, self.padding = stride, padding
        self.padded: np.ndarray | None = None
        self.cols: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"ConvContext(stride={self.stride}, padding={self.padding})"


class PoolContext:
    """A pooling's window and stride."""

    __slots__ = ("kernel", "stride")

    def __init__(self, kernel: tuple[int, int], stride: tuple[int, int]) -> None:
        self.kernel, self.stride = kernel, stride

    def __repr__(self) -> str:
        return f"PoolContext(kernel={self.kernel}, stride={self.stride})"


def output_size(size: int, kernel: int, stride: int) -> int:
    return (size - kernel) // stride + 1


def _offsets(kh: int, kw: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(kh) for j in range(kw)]


def _strided(a: np.ndarray, i: int, j: int, oh: int, ow: int, sh: int, sw: int,
             channels_last: bool = False) -> np.ndarray:
    """The elements ``a[..., i + sh * r, j + sw * s]`` for r < oh, s < ow: one kernel offset."""
    rows, cols = slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw)
    return a[:, rows, cols, :] if channels_last else a[:, :, rows, cols]


# ---- conv2d -----------------------------------------------------------------------------------
# The im2col matrix of a whole batch is large (MNIST's second convolution: 85 MB at batch 128),
# and writing it to memory and reading it back costs as much as the products. So all three
# passes walk the batch in blocks of samples whose im2col rows fit in the cache (BLOCK_BYTES):
# gather a block's rows, multiply them, move on. Each block is one BLAS call over many rows.

BLOCK_BYTES = 6 << 20
"""How many bytes of im2col rows a convolution gathers at a time (at least one sample's)."""


def _sample_blocks(n: int, bytes_per_sample: int) -> list[slice]:
    step = max(1, BLOCK_BYTES // max(1, bytes_per_sample))
    return [slice(start, min(n, start + step)) for start in range(0, max(n, 1), step)]


def _padded(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """``x`` with zeros around its spatial axes, built channels-last (the gather reads rows)."""
    ph, pw = padding
    if not (ph or pw):
        return x
    n, c, h, w = x.shape
    padded = np.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    padded[:, ph:ph + h, pw:pw + w, :] = x.transpose(0, 2, 3, 1)
    return padded.transpose(0, 3, 1, 2)


def _windows(xp: np.ndarray, kh: int, kw: int, stride: tuple[int, int]) -> np.ndarray:
    """A view (n, oh, ow, kh, kw, c) of every window: one im2col row per output pixel."""
    sh, sw = stride
    view = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]  # n c oh ow kh kw
    return view.transpose(0, 2, 3, 4, 5, 1)


def _gather(rows: np.ndarray, xp: np.ndarray, windows: np.ndarray, block: slice,
            stride: tuple[int, int]) -> None:
    """Copy the im2col rows of the samples ``block`` into ``rows`` (m, oh, ow, kh, kw, c)."""
    if xp.shape[1] != 1:
        np.copyto(rows, windows[block])  # contiguous runs of kw * c values
        return
    # One input channel (a grayscale image): the window copy would move kw values at a time;
    # offset by offset it moves whole output rows (three times faster on MNIST's first layer).
    _, oh, ow, kh, kw, _ = rows.shape
    samples = xp[block]
    for i, j in _offsets(kh, kw):
        np.copyto(rows[:, :, :, i, j, :],
                  _strided(samples, i, j, oh, ow, *stride).transpose(0, 2, 3, 1))


def _conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, ctx: ConvContext) -> np.ndarray:
    o, c, kh, kw = w.shape
    xp = _padded(x, ctx.padding)
    windows = _windows(xp, kh, kw, ctx.stride)
    n, oh, ow = windows.shape[:3]
    pixels, k = oh * ow, kh * kw * c
    dtype = np.result_type(x, w)
    # The bias rides in the product: each im2col row ends with a 1 and the weight matrix with
    # the bias row, so no pass over the output adds it afterwards.
    w_matrix = np.empty((k + 1, o), dtype=dtype)
    w_matrix[:k], w_matrix[k] = w.transpose(2, 3, 1, 0).reshape(k, o), b
    out = np.empty((n * pixels, o), dtype=dtype)
    blocks = _sample_blocks(n, pixels * k * x.itemsize)
    cols = np.empty((blocks[0].stop * pixels, k + 1), dtype=x.dtype)
    cols[:, k] = 1
    for block in blocks:  # im2col for a block of samples, then one product
        m = block.stop - block.start
        rows = cols[:m * pixels]
        _gather(rows[:, :k].reshape((m,) + windows.shape[1:]), xp, windows, block, ctx.stride)
        np.matmul(rows, w_matrix, out=out[block.start * pixels:block.stop * pixels])
    if len(blocks) == 1 and cols.nbytes <= BLOCK_BYTES:  # all in one small block: keep it
        ctx.cols = cols
    elif xp is not x:  # backward gathers again, from the padded input
        ctx.padded = xp
    return out.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)


def _conv2d_vjp(node: Any, up: np.ndarray) -> tuple:
    """dL/dW = cols^T @ g and dL/dx = g @ w[:, :, p, q] added at each offset (p, q), by blocks."""
    x, w, b = node._prev
    ctx: ConvContext = node._ctx
    n, o, oh, ow = up.shape
    _, c, kh, kw = w.data.shape
    pixels, k = oh * ow, kh * kw * c
    g = up.transpose(0, 2, 3, 1).reshape(n * pixels, o)  # free when up is channels-last
    (ph, pw), (h, wd) = ctx.padding, x.data.shape[2:]
    dtype = np.result_type(up, x.data, w.data)
    blocks = _sample_blocks(n, pixels * k * x.data.itemsize)
    size = blocks[0].stop  # samples in a block
    gather = w.requires_grad and ctx.cols is None  # else the forward's im2col is at hand
    in_blocks = gather or x.requires_grad
    gw = gb = None
    if w.requires_grad and not gather:  # the forward's im2col rows, each ending with a 1
        both = ctx.cols.T @ g  # (k + 1, o): its last row sums g, which is the bias gradient
        gw = both[:k]
        if b.requires_grad:
            gb = both[k].copy()
    sum_bias = b.requires_grad and gb is None and in_blocks  # block by block, while in cache
    if b.requires_grad and gb is None:
        gb = np.zeros(o, dtype=dtype) if sum_bias else g.sum(axis=0)
    if gather:
        gw = np.zeros((k, o), dtype=dtype)
        source = x.data if ctx.padded is None else ctx.padded
        windows = _windows(source, kh, kw, ctx.stride)
        cols = np.empty((size,) + windows.shape[1:], dtype=x.data.dtype)
    if x.requires_grad:
        dx = np.zeros((n, h + 2 * ph, wd + 2 * pw, c), dtype=dtype)  # padded, channels-last
        w_offsets = np.ascontiguousarray(w.data.transpose(2, 3, 0, 1))  # (kh, kw, out, in)
        product = np.empty((size * pixels, c), dtype=dtype)
    for block in blocks if in_blocks else ():
        m = block.stop - block.start
        g_rows = g[block.start * pixels:block.stop * pixels]
        if sum_bias:
            gb += g_rows.sum(axis=0)
        if gather:
            rows = cols[:m]
            _gather(rows, source, windows, block, ctx.stride)
            gw += rows.reshape(-1, k).T @ g_rows
        if x.requires_grad:
            part, prod = dx[block], product[:m * pixels]
            for i, j in _offsets(kh, kw):
                np.matmul(g_rows, w_offsets[i, j], out=prod)
                _strided(part, i, j, oh, ow, *ctx.stride, channels_last=True)[...] += \
                    prod.reshape(m, oh, ow, c)
    gx = gwt = None
    if x.requires_grad:
        gx = dx[:, ph:ph + h, pw:pw + wd, :].transpose(0, 3, 1, 2)
    if gw is not None:
        gwt = gw.reshape(kh, kw, c, o).transpose(3, 2, 0, 1)
    return gx, gwt, gb


CONV2D = define_op(
    "conv2d", _conv2d_forward, vjp=_conv2d_vjp, symbol="conv", arity=3, uses_ctx=True,
    kind="tensor", fresh_vjp=True,
    math="f(x, w, b)[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] * x[n, c, s*i + p, s*j + q]"
         ";  as a matrix product F = cols(x) @ W (im2col);  dL/dW = cols(x)^T @ dL/dF;  "
         "dL/dx = for each kernel offset (p, q), dL/dF @ w[:, :, p, q] added at that offset;  "
         "dL/db = dL/dF summed over n, i, j")


# ---- max_pool2d -------------------------------------------------------------------------------
# Both passes work on channels-last views, so every window offset reads whole channel rows. Ties
# go to a window's first maximum in row-major order; a NaN is a window's maximum, and of several
# NaNs the last one gets the gradient: what PyTorch does. The gradient is handed out by
# multiplying with 0/1 masks, which is fast but turns an inf or NaN upstream into NaN in the
# window's other cells (inf * 0); such an upstream takes an exact path that selects instead.

def _max_pool2d_forward(x: np.ndarray, ctx: PoolContext) -> np.ndarray:
    """The maximum over each window's rows first, (n, oh, w, c), then over its columns: fewer
    passes over memory than one pass per window offset (a 2x2 pool: two instead of four)."""
    (kh, kw), (sh, sw) = ctx.kernel, ctx.stride
    oh, ow = output_size(x.shape[2], kh, sh), output_size(x.shape[3], kw, sw)
    xt = x.transpose(0, 2, 3, 1)
    rows = _maximum_of([xt[:, i:i + sh * (oh - 1) + 1:sh] for i in range(kh)])
    out = _maximum_of([rows[:, :, j:j + sw * (ow - 1) + 1:sw] for j in range(kw)])
    return out.transpose(0, 3, 1, 2)


def _maximum_of(views: list[np.ndarray]) -> np.ndarray:
    """The elementwise maximum of same-shape arrays, as a new array (NaN wins, as in max)."""
    if len(views) == 1:
        return views[0].copy()
    out = np.maximum(views[0], views[1])
    for view in views[2:]:
        np.maximum(out, view, out=out)
    return out


def _max_pool2d_vjp(node: Any, up: np.ndarray) -> tuple:
    (x,) = node._prev
    kernel, stride = node._ctx.kernel, node._ctx.stride
    xt, out = x.data.transpose(0, 2, 3, 1), node.data.transpose(0, 2, 3, 1)
    upt = np.ascontiguousarray(up.transpose(0, 2, 3, 1))
    exact = not np.isfinite(upt).all()  # inf * 0 would be NaN: select instead of multiplying
    with np.errstate(invalid="ignore"):  # exact: inf + -inf in overlapping windows is NaN
        if stride == kernel:
            dx = _tiled_max_grad(xt, out, upt, kernel, exact)
        else:
            dx = _strided_max_grad(xt, out, upt, kernel, stride, exact)
    return (dx.transpose(0, 3, 1, 2),)


def _tiled_max_grad(xt: np.ndarray, out: np.ndarray, up: np.ndarray,
                    kernel: tuple[int, int], exact: bool) -> np.ndarray:
    """Windows side by side (stride = kernel, the usual case): view the input as tiles
    (n, oh, kh, ow, kw, c), find every window's maxima with one comparison, keep one per
    window, and hand out the gradient with one product (a select when ``exact``)."""
    (kh, kw), (n, oh, ow, c), (h, w) = kernel, out.shape, xt.shape[1:3]
    tiles = xt[:, :oh * kh, :ow * kw].reshape(n, oh, kh, ow, kw, c)
    offsets = _offsets(kh, kw)
    won = tiles == out[:, :, None, :, None, :]
    _keep_one(won, offsets)  # ties: the first maximum in row-major order, as PyTorch
    if np.isnan(out).any():  # a window holding NaN has the maximum NaN; PyTorch picks its last
        nans = np.isnan(tiles)
        _keep_one(nans, offsets[::-1])
        won |= nans
    tiled_up = up[:, :, None, :, None, :]
    if exact:
        grads = np.where(won, tiled_up, np.zeros((), dtype=up.dtype))
    else:
        grads = np.multiply(won, tiled_up, dtype=up.dtype)
    grads = grads.reshape(n, oh * kh, ow * kw, c)
    if (oh * kh, ow * kw) == (h, w):
        return grads
    dx = np.zeros((n, h, w, c), dtype=up.dtype)  # rows or columns no window covers get 0
    dx[:, :oh * kh, :ow * kw] = grads
    return dx


def _keep_one(marks: np.ndarray, order: list[tuple[int, int]]) -> None:
    """In tiles of marks (n, oh, kh, ow, kw, c), keep only each window's first mark in
    ``order`` (in place)."""
    taken = marks[:, :, order[0][0], :, order[0][1]].copy()
    for k, (i, j) in enumerate(order[1:], start=2):
        here = marks[:, :, i, :, j]
        np.greater(here, taken, out=here)  # marked here and nowhere before
        if k < len(order):
            taken |= here


def _strided_max_grad(xt: np.ndarray, out: np.ndarray, up: np.ndarray,
                      kernel: tuple[int, int], stride: tuple[int, int],
                      exact: bool) -> np.ndarray:
    """Overlapping windows, or gaps between them: offset by offset (see ``_hand_out``)."""
    (sh, sw), (n, oh, ow, c), (h, w) = stride, out.shape, xt.shape[1:3]
    offsets = _offsets(*kernel)
    nan = np.isnan(out)
    has_nan = bool(nan.any())
    adding = sh < kernel[0] or sw < kernel[1] or has_nan  # else each element is written once
    dx = np.zeros((n, h, w, c), dtype=up.dtype)

    def window(i: int, j: int) -> np.ndarray:
        return _strided(xt, i, j, oh, ow, sh, sw, channels_last=True)

    def part(i: int, j: int) -> np.ndarray:
        return _strided(dx, i, j, oh, ow, sh, sw, channels_last=True)

    rest = up.copy()  # used up in place, so not the engine's array
    if has_nan:  # a window holding NaN has the maximum NaN; PyTorch picks its last
        _hand_out(np.where(nan, up, 0), offsets[::-1], lambda i, j: np.isnan(window(i, j)),
                  part, adding, exact)
        rest[nan] = 0
    _hand_out(rest, offsets, lambda i, j: window(i, j) == out, part, adding, exact)
    return dx


def _hand_out(rest: np.ndarray, order: list[tuple[int, int]],
              is_max: Callable[[int, int], np.ndarray], part: Callable[[int, int], np.ndarray],
              adding: bool, exact: bool) -> None:
    """Give each window's gradient (``rest``, used up in place) to the first offset in
    ``order`` where ``is_max(i, j)``; what is left belongs to the last offset. ``exact``: select
    with the mask rather than multiply by it (for an inf or NaN in ``rest``)."""
    for i, j in order[:-1]:
        target, mask = part(i, j), is_max(i, j)
        if exact:
            given = np.where(mask, rest, np.zeros((), dtype=rest.dtype))
            np.copyto(rest, 0, where=mask)
            target += given  # the windows' cells start at 0 when not adding
            continue
        if adding:
            given = rest * mask
            target += given
        else:  # no element is in two windows: write, don't add
            given = np.multiply(rest, mask, out=target)
        rest -= given
    last = part(*order[-1])
    if adding:
        last += rest
    else:
        last[...] = rest


MAX_POOL2D = define_op(
    "max_pool2d", _max_pool2d_forward, vjp=_max_pool2d_vjp, symbol="maxpool", uses_ctx=True,
    kind="tensor", fresh_vjp=True,
    math="f(x)[n, c, i, j] = max over the window at (s*i, s*j) of x;  dL/dx = dL/df at the "
         "window's first maximum (a NaN counts as the maximum; of several NaNs, the last), 0 "
         "elsewhere; an element in several (overlapping) windows adds what each gives it")


# ---- log_softmax ------------------------------------------------------------------------------

def _log_softmax_forward(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)  # exp never overflows
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _log_softmax_vjp(node: Any, up: np.ndarray) -> tuple:
    axis = node._ctx
    return (up - np.exp(node.data) * up.sum(axis=axis, keepdims=True),)


LOG_SOFTMAX = define_op(
    "log_softmax", _log_softmax_forward, vjp=_log_softmax_vjp, uses_ctx=True, kind="tensor",
    fresh_vjp=True,
    ctx_examples=(-1, 0),
    math="f(x)_i = x_i - log(sum_j e^{x_j}) (computed after subtracting max x);  "
         "dL/dx = dL/df - softmax(x) * sum(dL/df)")


mark_builtin("tensor")
