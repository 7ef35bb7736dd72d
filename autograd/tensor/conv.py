"""The convolution: one op row, conv2d, with its forward computation and its rule.

It is a primitive (rather than a composition of the ops in ``ops.py``) for speed, so it has its
own rule here, a ten-line reference rule beside it, and its own tests. The user-facing function,
which checks its arguments, is :func:`autograd.tensor.conv2d` (``nn.functional.conv2d``).

Layout: a convolution computes its output as one matrix ``(N * OH * OW, out)``, so the array it
returns has the NCHW *shape* with a channels-last *memory layout* (a transposed view). Elementwise
ops keep that layout, and the next convolution then gathers whole channel rows at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .ops import tensor_op

__all__ = ["BLOCK_BYTES", "CONV2D", "ConvContext", "offsets", "output_size", "strided"]


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


def output_size(size: int, kernel: int, stride: int) -> int:
    return (size - kernel) // stride + 1


def offsets(kh: int, kw: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(kh) for j in range(kw)]


def strided(a: np.ndarray, i: int, j: int, oh: int, ow: int, sh: int, sw: int,
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
    for i, j in offsets(kh, kw):
        np.copyto(rows[:, :, :, i, j, :],
                  strided(samples, i, j, oh, ow, *stride).transpose(0, 2, 3, 1))


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
    gw = gb = None
    if w.requires_grad and not gather:  # the forward's im2col rows, each ending with a 1
        both = ctx.cols.T @ g  # (k + 1, o): its last row sums g, which is the bias gradient
        gw = both[:k]
        if b.requires_grad:
            gb = both[k].copy()
    elif b.requires_grad:
        gb = g.sum(axis=0)
    if gather:
        gw = np.zeros((k, o), dtype=dtype)
        source = x.data if ctx.padded is None else ctx.padded
        windows = _windows(source, kh, kw, ctx.stride)
        cols = np.empty((size,) + windows.shape[1:], dtype=x.data.dtype)
    if x.requires_grad:
        dx = np.zeros((n, h + 2 * ph, wd + 2 * pw, c), dtype=dtype)  # padded, channels-last
        w_offsets = np.ascontiguousarray(w.data.transpose(2, 3, 0, 1))  # (kh, kw, out, in)
        product = np.empty((size * pixels, c), dtype=dtype)
    for block in blocks if gather or x.requires_grad else ():
        m = block.stop - block.start
        g_rows = g[block.start * pixels:block.stop * pixels]
        if gather:
            rows = cols[:m]
            _gather(rows, source, windows, block, ctx.stride)
            gw += rows.reshape(-1, k).T @ g_rows
        if x.requires_grad:
            part, prod = dx[block], product[:m * pixels]
            for i, j in offsets(kh, kw):
                np.matmul(g_rows, w_offsets[i, j], out=prod)
                strided(part, i, j, oh, ow, *ctx.stride, channels_last=True)[...] += \
                    prod.reshape(m, oh, ow, c)
    gx = gwt = None
    if x.requires_grad:
        gx = dx[:, ph:ph + h, pw:pw + wd, :].transpose(0, 3, 1, 2)
    if gw is not None:
        gwt = gw.reshape(kh, kw, c, o).transpose(3, 2, 0, 1)
    return gx, gwt, gb


def conv2d_vjp_reference(node: Any, up: np.ndarray) -> tuple:
    """The same rule written plainly, offset by offset (tests check the fast rule against it)."""
    x, w, _ = node._prev
    (ph, pw), (oh, ow) = node._ctx.padding, up.shape[2:]
    xp = np.pad(x.data, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp, gw = np.zeros(xp.shape, dtype=up.dtype), np.zeros(w.data.shape, dtype=up.dtype)
    for p, q in offsets(*w.data.shape[2:]):
        window = (p, q, oh, ow, *node._ctx.stride)  # the inputs each output sees at (p, q)
        gw[:, :, p, q] = np.einsum("noij,ncij->oc", up, strided(xp, *window))
        strided(dxp, *window)[...] += np.einsum("noij,oc->ncij", up, w.data[:, :, p, q])
    h, wd = x.data.shape[2:]
    return dxp[:, :, ph:ph + h, pw:pw + wd], gw, up.sum(axis=(0, 2, 3))


CONV2D = tensor_op(
    "conv2d", _conv2d_forward, vjp=_conv2d_vjp, symbol="conv", arity=3, uses_ctx=True,
    fresh_vjp=True,
    math="f(x, w, b)[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] * x[n, c, s*i + p, s*j + q]"
         ";  as a matrix product F = cols(x) @ W (im2col);  dL/dW = cols(x)^T @ dL/dF;  "
         "dL/dx = for each kernel offset (p, q), dL/dF @ w[:, :, p, q] added at that offset;  "
         "dL/db = dL/dF summed over n, i, j")


