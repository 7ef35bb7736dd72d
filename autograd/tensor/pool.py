"""Max-pooling: two op rows, max_pool2d and its gradient max_unpool2d, with their computations.

``max_pool2d``'s gradient is linear in the upstream gradient, with a routing fixed by the data
(each window's chosen maximum): that linear map is the op ``max_unpool2d(u)``, which hands each
window's ``u`` to its maximum. Its own gradient gathers: ``dL/du = dL/df`` read at the maxima's
positions. The routing is a constant (read from data), so the rules are differentiable and a
second derivative through max-pooling is a ``max_unpool2d`` followed by a gather. Both are
primitives for speed, with their own tests. The user-facing function, which checks its
arguments, is :func:`autograd.tensor.max_pool2d` (``nn.functional.max_pool2d``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..ops import value_of
from .conv import offsets, output_size, strided
from .ops import tensor_op

__all__ = ["MAX_POOL2D", "MAX_UNPOOL2D", "PoolContext", "max_positions"]


class PoolContext:
    """A pooling's window and stride."""

    __slots__ = ("kernel", "stride")

    def __init__(self, kernel: tuple[int, int], stride: tuple[int, int]) -> None:
        self.kernel, self.stride = kernel, stride

    def __repr__(self) -> str:
        return f"PoolContext(kernel={self.kernel}, stride={self.stride})"


# ---- max_pool2d and max_unpool2d -------------------------------------------------------------
# Both ops work on channels-last views, so every window offset reads whole channel rows. Ties
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


def _max_pool2d_vjp(node: Any, up: Any) -> tuple:
    """dL/dx = max_unpool2d(dL/df): the routing (input, output, window) is a constant."""
    (x,) = node._prev
    return (MAX_UNPOOL2D.run(up, ctx=(value_of(x.data), value_of(node.data), node._ctx)),)


def _max_unpool2d_forward(up: np.ndarray, ctx: tuple) -> np.ndarray:
    """Each window's ``up`` added at its chosen maximum in an input-shaped array of zeros, by
    0/1 masks on channels-last views (see the comment above)."""
    x, out, pool = ctx
    xt, out = x.transpose(0, 2, 3, 1), out.transpose(0, 2, 3, 1)
    upt = np.ascontiguousarray(up.transpose(0, 2, 3, 1))
    exact = not np.isfinite(upt).all()  # inf * 0 would be NaN: select instead of multiplying
    with np.errstate(invalid="ignore"):  # exact: inf + -inf in overlapping windows is NaN
        if pool.stride == pool.kernel:
            dx = _tiled_max_grad(xt, out, upt, pool.kernel, exact)
        else:
            dx = _strided_max_grad(xt, out, upt, pool.kernel, pool.stride, exact)
    return dx.transpose(0, 3, 1, 2)


def _max_unpool2d_vjp(node: Any, grad: Any) -> tuple:
    """A gather: each window's gradient is ``grad`` (dL/df) at its maximum; integer-array
    indexing, so it works on arrays and on nodes (a getitem, whose gradient is a scatter)."""
    x, _, pool = node._ctx
    return (grad.reshape(-1)[max_positions(x, pool)],)


def max_positions(x: np.ndarray, ctx: PoolContext) -> np.ndarray:
    """The flat index into ``x`` of each window's chosen maximum, shaped like the pooled output
    (n, c, oh, ow): the first maximum in row-major order; in a window holding NaN, its last NaN
    (the rules of max_pool2d's gradient)."""
    (kh, kw), (sh, sw) = ctx.kernel, ctx.stride
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, sh), output_size(w, kw, sw)
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    flat = windows.reshape(n, c, oh, ow, kh * kw)
    k = flat.argmax(axis=-1)  # the first maximum
    nans = np.isnan(flat)
    if nans.any():
        k = np.where(nans.any(axis=-1), kh * kw - 1 - nans[..., ::-1].argmax(axis=-1), k)
    p, q = np.divmod(k, kw)
    rows, cols = sh * np.arange(oh)[:, None] + p, sw * np.arange(ow) + q
    planes = np.arange(n * c).reshape(n, c, 1, 1)  # (sample, channel) planes of h * w
    return (planes * h + rows) * w + cols


def _tiled_max_grad(xt: np.ndarray, out: np.ndarray, up: np.ndarray,
                    kernel: tuple[int, int], exact: bool) -> np.ndarray:
    """Windows side by side (stride = kernel, the usual case): view the input as tiles
    (n, oh, kh, ow, kw, c), find every window's maxima with one comparison, keep one per
    window, and hand out the gradient with one product (a select when ``exact``)."""
    (kh, kw), (n, oh, ow, c), (h, w) = kernel, out.shape, xt.shape[1:3]
    tiles = xt[:, :oh * kh, :ow * kw].reshape(n, oh, kh, ow, kw, c)
    order = offsets(kh, kw)
    won = tiles == out[:, :, None, :, None, :]
    _keep_one(won, order)  # ties: the first maximum in row-major order, as PyTorch
    if np.isnan(out).any():  # a window holding NaN has the maximum NaN; PyTorch picks its last
        nans = np.isnan(tiles)
        _keep_one(nans, order[::-1])
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
    order = offsets(*kernel)
    nan = np.isnan(out)
    has_nan = bool(nan.any())
    adding = sh < kernel[0] or sw < kernel[1] or has_nan  # else each element is written once
    dx = np.zeros((n, h, w, c), dtype=up.dtype)

    def window(i: int, j: int) -> np.ndarray:
        return strided(xt, i, j, oh, ow, sh, sw, channels_last=True)

    def part(i: int, j: int) -> np.ndarray:
        return strided(dx, i, j, oh, ow, sh, sw, channels_last=True)

    rest = up.copy()  # used up in place, so not the engine's array
    if has_nan:  # a window holding NaN has the maximum NaN; PyTorch picks its last
        _hand_out(np.where(nan, up, 0), order[::-1], lambda i, j: np.isnan(window(i, j)),
                  part, adding, exact)
        rest[nan] = 0
    _hand_out(rest, order, lambda i, j: window(i, j) == out, part, adding, exact)
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


MAX_POOL2D = tensor_op(
    "max_pool2d", _max_pool2d_forward, vjp=_max_pool2d_vjp, symbol="maxpool", uses_ctx=True,
    fresh_vjp=True,
    math="f(x)[n, c, i, j] = max over the window at (s*i, s*j) of x;  dL/dx = "
         "max_unpool2d(dL/df): dL/df at the window's first maximum (a NaN counts as the "
         "maximum; of several NaNs, the last), 0 elsewhere; an element in several "
         "(overlapping) windows adds what each gives it")
MAX_UNPOOL2D = tensor_op(
    "max_unpool2d", _max_unpool2d_forward, vjp=_max_unpool2d_vjp, symbol="unpool",
    uses_ctx=True, fresh_vjp=True,
    math="f(u)[n, c, a, b] = sum of u[n, c, i, j] over the windows (i, j) whose chosen maximum "
         "of x is at (a, b) (x, max_pool2d(x) and the window are constants: the gradient of "
         "max_pool2d);  dL/du[n, c, i, j] = dL/df[n, c, a, b] at that window's maximum (a "
         "gather)")
