"""The convolution and its two adjoints: three op rows that are each other's gradients.

``conv2d(x, w)`` is linear in each of its arguments, so ``T(x, w, y) = <y, conv2d(x, w)>`` is a
trilinear form, and its gradient in each argument is an op of the family:

- ``dT/dy = conv2d(x, w)``, the convolution (plus a bias);
- ``dT/dx = conv_transpose2d(y, w)``, the adjoint in x (each output pixel's ``y`` spread back
  over its window through ``w``);
- ``dT/dw = conv2d_weight(x, y)``, the adjoint in w (each window of x weighted by ``y``).

So each op's rule calls the other two (conv2d's: ``dL/dx = conv_transpose2d(dL/df, w)``,
``dL/dw = conv2d_weight(x, dL/df)``), the rules are differentiable, and second derivatives
through a convolution stay inside the family. The three are primitives (rather than
compositions of the ops in ``ops.py``) for speed, with plain reference functions beside them
for the tests. The user-facing function, which checks its arguments, is
:func:`autograd.tensor.conv2d` (``nn.functional.conv2d``).

Layout: a convolution computes its output as one matrix ``(N * OH * OW, out)``, so the array it
returns has the NCHW *shape* with a channels-last *memory layout* (a transposed view). Elementwise
ops keep that layout, and the next convolution then gathers whole channel rows at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..ops import value_of
from .ops import tensor_op

__all__ = [
    "BLOCK_BYTES", "CONV2D", "CONV2D_WEIGHT", "CONV_TRANSPOSE2D", "ConvContext",
    "conv2d_vjp_reference", "conv2d_weight_reference", "conv_transpose2d_reference", "offsets",
    "output_size", "strided",
]


class ConvContext:
    """The constants of the three ops: ``stride`` and ``padding`` (pairs), the ``kernel`` size
    (kh, kw), which conv2d_weight's output needs, and the input ``size`` (H, W), which
    conv_transpose2d's output needs (y alone does not determine it when the stride does not
    divide). conv2d's forward fills in the last two, and keeps for conv2d_weight what it
    gathered from its input ``source``: the im2col matrix (N * OH * OW, kh * kw * C + 1, each
    row ending with a 1) when the whole batch fitted in one block of BLOCK_BYTES, else the
    zero-padded input (when there is padding). They serve that very array only (see
    :meth:`kept`). conv_transpose2d's forward keeps its input's pixel rows (N * H * W, C) in
    ``rows`` for its rule, which needs them again."""

    __slots__ = ("stride", "padding", "kernel", "size", "source", "padded", "cols", "rows")

    def __init__(self, stride: tuple[int, int], padding: tuple[int, int],
                 kernel: tuple[int, int] | None = None, size: tuple[int, int] | None = None,
                 ) -> None:
        self.stride, self.padding, self.kernel, self.size = stride, padding, kernel, size
        self.source: np.ndarray | None = None
        self.padded: np.ndarray | None = None
        self.cols: np.ndarray | None = None
        self.rows: np.ndarray | None = None

    def kept(self, x: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """``(cols, padded)`` kept by the forward pass if it was given ``x`` itself (the same
        array object, not an equal one), else ``(None, None)``."""
        return (self.cols, self.padded) if x is self.source else (None, None)

    def __repr__(self) -> str:
        return (f"ConvContext(stride={self.stride}, padding={self.padding}, "
                f"kernel={self.kernel}, size={self.size})")


def output_size(size: int, kernel: int, stride: int) -> int:
    return (size - kernel) // stride + 1


def offsets(kh: int, kw: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(kh) for j in range(kw)]


def strided(a: np.ndarray, i: int, j: int, oh: int, ow: int, sh: int, sw: int,
            channels_last: bool = False) -> np.ndarray:
    """The elements ``a[..., i + sh * r, j + sw * s]`` for r < oh, s < ow: one kernel offset."""
    rows, cols = slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw)
    return a[:, rows, cols, :] if channels_last else a[:, :, rows, cols]


# ---- blocks of samples ------------------------------------------------------------------------
# The im2col matrix of a whole batch is large (MNIST's second convolution: 85 MB at batch 128),
# and writing it to memory and reading it back costs as much as the products. So the ops walk
# the batch in blocks of samples whose im2col rows fit in the cache (BLOCK_BYTES): gather a
# block's rows, multiply them, move on. Each block is one BLAS call over many rows.

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


def _pixel_rows(y: np.ndarray) -> np.ndarray:
    """An output-shaped (n, o, oh, ow) array as a matrix (n * oh * ow, o): free when it is
    channels-last, as the convolution's output and its gradients are."""
    return y.transpose(0, 2, 3, 1).reshape(-1, y.shape[1])


# ---- the forward computations -----------------------------------------------------------------

def _conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, ctx: ConvContext) -> np.ndarray:
    o, c, kh, kw = w.shape
    ctx.kernel, ctx.size = (kh, kw), x.shape[2:]
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
    ctx.source, ctx.cols, ctx.padded = x, None, None
    if len(blocks) == 1 and cols.nbytes <= BLOCK_BYTES:  # all in one small block: keep it
        ctx.cols = cols
    elif xp is not x:  # conv2d_weight gathers again, from the padded input
        ctx.padded = xp
    return out.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)


def _conv_transpose2d_forward(y: np.ndarray, w: np.ndarray, b: np.ndarray,
                              ctx: ConvContext) -> np.ndarray:
    """Col2im on the zero-padded output grid, which starts as the bias. Every kernel offset's
    product ``y @ w[:, :, p, q]`` (its own contiguous block of pixel rows) is added at rows
    ``s*i + p``, columns ``s*j + q`` of the grid; the result is the grid without its padding,
    a view. By blocks of samples: one product of a block's pixel rows with every offset's
    weights at once, (kh * kw) x (m * OH * OW, o) @ (o, c)."""
    n, o, oh, ow = y.shape
    _, c, kh, kw = w.shape
    (sh, sw), (ph, pw), (h, wd) = ctx.stride, ctx.padding, ctx.size
    dtype, pixels = np.result_type(y, w), oh * ow
    # The grid (n, rows, sh, columns, sw, c): padded row r = sh * row + r % sh, so an offset's
    # rows s*i + p are grid rows i + p // s of phase p % s (and the same for columns).
    rows = max((kh - 1) // sh + oh, -(-(ph + h) // sh))
    columns = max((kw - 1) // sw + ow, -(-(pw + wd) // sw))
    grid = np.empty((n, rows, sh, columns, sw, c), dtype=dtype)
    grid[...] = b
    g = _pixel_rows(y)  # a copy unless y is channels-last: kept for the rule
    ctx.source, ctx.rows = y, g
    w_stack = np.ascontiguousarray(w.transpose(2, 3, 0, 1), dtype=dtype).reshape(kh * kw, o, c)
    blocks = _sample_blocks(n, pixels * kh * kw * c * dtype.itemsize)
    products = np.empty((kh * kw, blocks[0].stop * pixels, c), dtype=dtype)
    for block in blocks:
        m = block.stop - block.start
        product = products[:, :m * pixels]
        np.matmul(g[block.start * pixels:block.stop * pixels], w_stack, out=product)
        product = product.reshape(kh, kw, m, oh, ow, c)
        for i, j in offsets(kh, kw):
            (qi, a), (qj, e) = divmod(i, sh), divmod(j, sw)
            grid[block, qi:qi + oh, a, qj:qj + ow, e] += product[i, j]
    padded = grid.reshape(n, rows * sh, columns * sw, c)
    return padded[:, ph:ph + h, pw:pw + wd].transpose(0, 3, 1, 2)


def _conv2d_weight_forward(x: np.ndarray, y: np.ndarray, ctx: ConvContext) -> np.ndarray:
    """cols(x)^T @ y as a matrix (kh * kw * C, o): with the im2col rows conv2d's forward kept
    for this x, else gathered again block by block."""
    (kh, kw), c, o = ctx.kernel, x.shape[1], y.shape[1]
    k, g = kh * kw * c, _pixel_rows(y)
    cols, padded = ctx.kept(x)
    if cols is not None:
        gw = cols[:, :k].T @ g
    else:
        source = _padded(x, ctx.padding) if padded is None else padded
        windows = _windows(source, kh, kw, ctx.stride)
        n, pixels = x.shape[0], y.shape[2] * y.shape[3]
        blocks = _sample_blocks(n, pixels * k * x.itemsize)
        rows = np.empty((blocks[0].stop,) + windows.shape[1:], dtype=x.dtype)
        gw = np.zeros((k, o), dtype=np.result_type(x, y))
        for block in blocks:
            part = rows[:block.stop - block.start]
            _gather(part, source, windows, block, ctx.stride)
            gw += part.reshape(-1, k).T @ g[block.start * pixels:block.stop * pixels]
    return gw.reshape(kh, kw, c, o).transpose(3, 2, 0, 1)


def _conv2d_and_weight(x: np.ndarray, w: np.ndarray, y: np.ndarray, ctx: ConvContext,
                       y_rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``conv2d(x, w)`` (no bias) and ``conv2d_weight(x, y)`` from one gathering of x's
    windows: each block's im2col rows serve both products while they are in the cache.
    ``y_rows``: y's pixel rows, if already made."""
    o, c, kh, kw = w.shape
    xp = _padded(x, ctx.padding)
    windows = _windows(xp, kh, kw, ctx.stride)
    n, oh, ow = windows.shape[:3]
    pixels, k, dtype = oh * ow, kh * kw * c, np.result_type(x, w, y)
    w_matrix = np.ascontiguousarray(w.transpose(2, 3, 1, 0), dtype=dtype).reshape(k, o)
    g = _pixel_rows(y) if y_rows is None else y_rows
    out, gw = np.empty((n * pixels, o), dtype=dtype), np.zeros((k, o), dtype=dtype)
    blocks = _sample_blocks(n, pixels * k * x.itemsize)
    cols = np.empty((blocks[0].stop * pixels, k), dtype=x.dtype)
    for block in blocks:
        pixel_rows = slice(block.start * pixels, block.stop * pixels)
        rows = cols[:(block.stop - block.start) * pixels]
        _gather(rows.reshape((-1,) + windows.shape[1:]), xp, windows, block, ctx.stride)
        np.matmul(rows, w_matrix, out=out[pixel_rows])
        gw += rows.T @ g[pixel_rows]
    return (out.reshape(n, oh, ow, o).transpose(0, 3, 1, 2),
            gw.reshape(kh, kw, c, o).transpose(3, 2, 0, 1))


# ---- the rules: each op's gradient is made of the other two -----------------------------------

def _zeros_bias(w: Any, axis: int = 0) -> np.ndarray:
    """A bias of zeros for the output channels of weight ``w`` (its axis 0 for conv2d, 1 for
    conv_transpose2d)."""
    weight = value_of(w)
    return np.zeros(weight.shape[axis], dtype=weight.dtype)


def _pixel_sums(up: Any) -> Any:
    """``up`` summed over n, i, j, written as ``1^T @ G`` for its pixel rows G: the same sum
    as ``up.sum(axis=(0, 2, 3))``, but on arrays BLAS adds up G's columns several times faster
    than numpy's reduction (on MNIST's first layer, the sum would double the rule's time)."""
    rows = _pixel_rows(up)
    return np.ones(rows.shape[0], dtype=value_of(rows).dtype) @ rows


def _conv2d_vjp(node: Any, up: Any) -> tuple:
    """dL/dx = conv_transpose2d(dL/df, w);  dL/dw = conv2d_weight(x, dL/df);  dL/db = dL/df
    summed over n, i, j. The ops get the forward's context (what it kept for x)."""
    x, w, b = node._prev
    ctx: ConvContext = node._ctx
    return (CONV_TRANSPOSE2D.run(up, w.data, _zeros_bias(w.data, 1), ctx=ctx)
            if x.requires_grad else None,
            CONV2D_WEIGHT.run(x.data, up, ctx=ctx) if w.requires_grad else None,
            _pixel_sums(up) if b.requires_grad else None)


def _conv_transpose2d_vjp(node: Any, up: Any) -> tuple:
    """dL/dy = conv2d(dL/df, w) (no bias);  dL/dw = conv2d_weight(dL/df, y);  dL/db = dL/df
    summed over n, i, j. Both products read the windows of dL/df: on arrays they are made
    together from one gathering of them (:func:`_conv2d_and_weight`)."""
    y, w, b = node._prev
    ctx = ConvContext(node._ctx.stride, node._ctx.padding, kernel=value_of(w.data).shape[2:])
    gb = _pixel_sums(up) if b.requires_grad else None
    if y.requires_grad and w.requires_grad and all(
            isinstance(a, np.ndarray) for a in (up, y.data, w.data)):  # not a recorded pass
        kept = node._ctx.rows if node._ctx.source is y.data else None
        return (*_conv2d_and_weight(up, w.data, y.data, ctx, kept), gb)
    gy = CONV2D.run(up, w.data, _zeros_bias(w.data), ctx=ctx) if y.requires_grad else None
    gw = CONV2D_WEIGHT.run(up, y.data, ctx=ctx) if w.requires_grad else None
    return gy, gw, gb


def _conv2d_weight_vjp(node: Any, up: Any) -> tuple:
    """dL/dx = conv_transpose2d(y, dL/df);  dL/dy = conv2d(x, dL/df) (no bias)."""
    x, y = node._prev
    stride, padding = node._ctx.stride, node._ctx.padding
    gx = gy = None
    if x.requires_grad:
        size = value_of(x.data).shape[2:]
        gx = CONV_TRANSPOSE2D.run(y.data, up, _zeros_bias(up, 1),
                                  ctx=ConvContext(stride, padding, size=size))
    if y.requires_grad:
        gy = CONV2D.run(x.data, up, _zeros_bias(up), ctx=ConvContext(stride, padding))
    return gx, gy


# ---- plain references (the tests check the fast computations against them) -------------------

def conv_transpose2d_reference(y: np.ndarray, w: np.ndarray, ctx: ConvContext,
                               b: np.ndarray | None = None) -> np.ndarray:
    """conv_transpose2d written plainly: y times w[:, :, p, q] added at each offset (p, q),
    then the bias (if any) on each output channel."""
    (ph, pw), (h, wd), (oh, ow) = ctx.padding, ctx.size, y.shape[2:]
    dxp = np.zeros((y.shape[0], w.shape[1], h + 2 * ph, wd + 2 * pw), dtype=y.dtype)
    for p, q in offsets(*w.shape[2:]):
        strided(dxp, p, q, oh, ow, *ctx.stride)[...] += np.einsum("noij,oc->ncij", y,
                                                                  w[:, :, p, q])
    out = dxp[:, :, ph:ph + h, pw:pw + wd]
    return out if b is None else out + b.reshape(-1, 1, 1)


def conv2d_weight_reference(x: np.ndarray, y: np.ndarray, ctx: ConvContext) -> np.ndarray:
    """conv2d_weight written plainly: at each offset (p, q), the inputs seen there times y."""
    (ph, pw), (oh, ow) = ctx.padding, y.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gw = np.zeros((y.shape[1], x.shape[1], *ctx.kernel), dtype=y.dtype)
    for p, q in offsets(*ctx.kernel):
        gw[:, :, p, q] = np.einsum("noij,ncij->oc", y, strided(xp, p, q, oh, ow, *ctx.stride))
    return gw


def conv2d_vjp_reference(node: Any, up: np.ndarray) -> tuple:
    """conv2d's rule with the plain references (tests check the rule against it)."""
    x, w, _ = node._prev
    ctx = ConvContext(node._ctx.stride, node._ctx.padding, w.data.shape[2:], x.data.shape[2:])
    return (conv_transpose2d_reference(up, w.data, ctx), conv2d_weight_reference(x.data, up, ctx),
            up.sum(axis=(0, 2, 3)))


CONV2D = tensor_op(
    "conv2d", _conv2d_forward, vjp=_conv2d_vjp, symbol="conv", arity=3, uses_ctx=True,
    fresh_vjp=True,
    math="f(x, w, b)[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] * x[n, c, s*i + p, s*j + q]"
         " (x zero-padded; as a matrix product F = cols(x) @ W, im2col);  "
         "dL/dx = conv_transpose2d(dL/df, w);  dL/dw = conv2d_weight(x, dL/df);  "
         "dL/db = dL/df summed over n, i, j")
CONV_TRANSPOSE2D = tensor_op(
    "conv_transpose2d", _conv_transpose2d_forward, vjp=_conv_transpose2d_vjp, symbol="convT",
    arity=3, uses_ctx=True, fresh_vjp=True,
    math="f(y, w, b)[n, c, s*i + p, s*j + q] = b[c] + sum_o y[n, o, i, j] * w[o, c, p, q] summed "
         "over all i, j, p, q landing there (on the zero-padded H x W grid, then cropped: the "
         "adjoint of conv2d in x);  dL/dy = conv2d(dL/df, w);  "
         "dL/dw = conv2d_weight(dL/df, y);  dL/db = dL/df summed over n, i, j")
CONV2D_WEIGHT = tensor_op(
    "conv2d_weight", _conv2d_weight_forward, vjp=_conv2d_weight_vjp, symbol="convW", arity=2,
    uses_ctx=True, fresh_vjp=True,
    math="f(x, y)[o, c, p, q] = sum_{n, i, j} y[n, o, i, j] * x[n, c, s*i + p, s*j + q] "
         "(x zero-padded: the adjoint of conv2d in w; cols(x)^T @ y);  "
         "dL/dx = conv_transpose2d(y, dL/df);  dL/dy = conv2d(x, dL/df)")
