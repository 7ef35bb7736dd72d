"""One test case per built-in tensor op: how to call it, numpy's answer, PyTorch's version.

``CASES`` maps an op name to a hypothesis strategy of :class:`Case`; the tests draw cases and
check the forward pass against numpy, the gradient against finite differences (float64) and both
against PyTorch. ``test_every_tensor_op_has_a_case`` keeps this table in step with the op table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import broadcast_to, concatenate, maximum, where
from autograd import tensor as F
from autograd.ops import get_op
from autograd.tensor.arguments import index_arg
from autograd.tensor.conv import (
    CONV2D_WEIGHT,
    CONV_TRANSPOSE2D,
    ConvContext,
    conv2d_weight_reference,
    conv_transpose2d_reference,
)
from autograd.tensor.pool import MAX_POOL2D, MAX_UNPOOL2D, PoolContext, max_positions
from autograd.tensor.recurrent import (
    gru_recurrence,
    gru_reference,
    lstm_recurrence,
    lstm_reference,
    rnn_recurrence,
    rnn_reference,
)
from autograd.testing import (
    arrays,
    broadcastable_shapes,
    distinct_arrays,
    shapes,
    tensor_op_arguments,
)


@dataclass
class Case:
    """``fn(*tensors)`` uses the op; ``reference(*arrays)`` is numpy's answer; ``torch_fn(torch,
    *torch_tensors)`` is PyTorch's (None when PyTorch has no direct equivalent)."""

    fn: Callable[..., Any]
    arrays: tuple[np.ndarray, ...]
    reference: Callable[..., np.ndarray]
    torch_fn: Callable[..., Any] | None = None


def _same(f: Callable[..., Any]) -> Callable[..., Any]:
    """An expression that reads the same for Tensors and torch tensors."""
    return lambda torch, *ts: f(*ts)


def elementwise(name: str, fn: Callable[..., Any], ref: Callable[..., np.ndarray],
                torch_fn: Callable[..., Any] | None = None) -> st.SearchStrategy[Case]:
    op = get_op(name, "tensor")

    def build(args: tuple) -> Case:
        values, ctx = args
        if op.uses_ctx:
            return Case(lambda *ts: fn(*ts, ctx), values, lambda *a: ref(*a, ctx),
                        lambda torch, *ts: fn(*ts, ctx))
        return Case(fn, values, ref, torch_fn or _same(fn))

    return tensor_op_arguments(op).map(build)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


@st.composite
def maximum_case(draw: st.DrawFn) -> Case:
    sa, sb = draw(broadcastable_shapes(2, max_side=3))
    grid = st.integers(-3, 3)  # a on k + 0.25, b on k + 0.75: never a tie
    a = draw(hnp.arrays(np.float64, sa, elements=grid.map(lambda k: k + 0.25)))
    b = draw(hnp.arrays(np.float64, sb, elements=grid.map(lambda k: k + 0.75)))
    return Case(maximum, (a, b), np.maximum, lambda torch, x, y: torch.maximum(x, y))


@st.composite
def where_case(draw: st.DrawFn) -> Case:
    sc, sa, sb = draw(broadcastable_shapes(3, max_side=3))
    cond = draw(hnp.arrays(np.bool_, sc))
    a, b = draw(arrays(sa)), draw(arrays(sb))
    return Case(lambda x, y: where(cond, x, y), (a, b), lambda x, y: np.where(cond, x, y),
                lambda torch, x, y: torch.where(torch.from_numpy(cond), x, y))


@st.composite
def matmul_case(draw: st.DrawFn) -> Case:
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    kind = draw(st.sampled_from(["2d", "batched", "broadcast", "vec-mat", "mat-vec", "vec-vec"]))
    batch = draw(st.integers(1, 3))
    sa, sb = {"2d": ((m, k), (k, n)), "batched": ((batch, m, k), (batch, k, n)),
              "broadcast": ((batch, m, k), (k, n)), "vec-mat": ((k,), (k, n)),
              "mat-vec": ((m, k), (k,)), "vec-vec": ((k,), (k,))}[kind]
    return Case(lambda a, b: a @ b, (draw(arrays(sa)), draw(arrays(sb))), np.matmul,
                _same(lambda a, b: a @ b))


@st.composite
def linear_case(draw: st.DrawFn) -> Case:
    """F.linear's op alone (no bias): x of 1 to 3 axes ending in ``in``, w (out, in)."""
    nin, nout = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    x, w = draw(arrays((*lead, nin))), draw(arrays((nout, nin)))
    return Case(lambda a, b: F.linear(a, b), (x, w), lambda a, b: a @ b.T,
                lambda torch, a, b: torch.nn.functional.linear(a, b))


@st.composite
def _axis(draw: st.DrawFn, shape: tuple[int, ...]) -> Any:
    if not shape:
        return None
    choice = draw(st.sampled_from(["none", "int", "tuple"]))
    if choice == "none":
        return None
    axes = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1,
                         max_size=len(shape), unique_by=lambda a: a % len(shape)))
    return axes[0] if choice == "int" else tuple(axes)


def _torch_dim(axis: Any, ndim: int) -> Any:
    if axis is None:
        return tuple(range(ndim))
    return axis


@st.composite
def reduction_case(draw: st.DrawFn, name: str) -> Case:
    shape = draw(shapes(max_side=3))
    a = draw(distinct_arrays(shape) if name == "max" else arrays(shape))
    axis, keepdims = draw(_axis(shape)), draw(st.booleans())
    dim = _torch_dim(axis, len(shape))
    if name == "sum":
        return Case(lambda t: t.sum(axis, keepdims), (a,),
                    lambda x: np.sum(x, axis, keepdims=keepdims),
                    lambda torch, t: torch.sum(t, dim=dim, keepdim=keepdims))
    return Case(lambda t: t.max(axis, keepdims), (a,),
                lambda x: np.max(x, axis, keepdims=keepdims),
                lambda torch, t: torch.amax(t, dim=dim, keepdim=keepdims))


@st.composite
def reshape_case(draw: st.DrawFn) -> Case:
    shape = draw(shapes(min_dims=1, max_side=3))
    new = draw(st.sampled_from([(-1,), shape[::-1], (1, *shape), (int(np.prod(shape)), 1)]))
    return Case(lambda t: t.reshape(new), (draw(arrays(shape)),), lambda x: x.reshape(new),
                lambda torch, t: t.reshape(new))


@st.composite
def transpose_case(draw: st.DrawFn) -> Case:
    shape = draw(shapes(min_dims=1, max_side=3))
    perm = tuple(draw(st.permutations(range(len(shape)))))
    return Case(lambda t: t.transpose(*perm), (draw(arrays(shape)),),
                lambda x: x.transpose(perm), lambda torch, t: t.permute(*perm))


def _index(draw: st.DrawFn, shape: tuple[int, ...]) -> Any:
    kind = draw(st.sampled_from(["int", "slice", "ints", "pairs", "mask"]))
    if kind == "int":
        return draw(st.integers(-shape[0], shape[0] - 1))
    if kind == "slice":
        return (slice(None, None, draw(st.sampled_from([1, 2]))), slice(1, None))
    if kind == "ints":  # repeats allowed: their gradients must add up
        return np.array(draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=5)))
    if kind == "pairs":  # logp[np.arange(n), labels]
        return (np.arange(shape[0]), np.array(draw(st.lists(
            st.integers(0, shape[1] - 1), min_size=shape[0], max_size=shape[0]))))
    return draw(hnp.arrays(np.bool_, shape[:1]))


@st.composite
def getitem_case(draw: st.DrawFn) -> Case:
    shape = draw(shapes(min_dims=2, max_dims=3, max_side=4))
    index = _index(draw, shape)
    return Case(lambda t: t[index], (draw(arrays(shape)),), lambda x: x[index],
                lambda torch, t: t[_torch_index(torch, index)])


@st.composite
def broadcast_to_case(draw: st.DrawFn) -> Case:
    shape = draw(shapes(max_side=3))
    target = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) + tuple(
        draw(st.integers(1, 3)) if n == 1 else n for n in shape)
    return Case(lambda t: broadcast_to(t, target), (draw(arrays(shape)),),
                lambda x: np.broadcast_to(x, target), lambda torch, t: t.broadcast_to(target))


@st.composite
def scatter_case(draw: st.DrawFn) -> Case:
    """The gradient of indexing as an op: zeros of ``shape`` with ``u`` added at ``index``."""
    shape = draw(shapes(min_dims=2, max_dims=3, max_side=4))
    index = _index(draw, shape)
    u = draw(arrays(np.zeros(shape)[index].shape))
    normalised, advanced = index_arg(index)
    op = get_op("scatter", "tensor")

    def reference(x: np.ndarray) -> np.ndarray:
        out = np.zeros(shape)
        np.add.at(out, index, x)
        return out

    def torch_fn(torch: Any, t: Any) -> Any:
        out = torch.zeros(shape, dtype=t.dtype)
        picks = _torch_index(torch, index)
        if advanced:
            return out.index_put(picks if isinstance(picks, tuple) else (picks,), t,
                                 accumulate=True)
        out[picks] = t
        return out

    return Case(lambda t: op(t, ctx=(shape, normalised, advanced)), (u,), reference, torch_fn)


def _torch_index(torch: Any, index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_torch_index(torch, i) for i in index)
    return torch.from_numpy(index) if isinstance(index, np.ndarray) else index


@st.composite
def concatenate_case(draw: st.DrawFn) -> Case:
    shape = draw(shapes(min_dims=1, max_side=3))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    values = []
    for _ in range(draw(st.integers(1, 3))):
        s = list(shape)
        s[axis] = draw(st.integers(1, 3))
        values.append(draw(arrays(tuple(s))))
    return Case(lambda *ts: concatenate(list(ts), axis), tuple(values),
                lambda *xs: np.concatenate(xs, axis), lambda torch, *ts: torch.cat(ts, axis))


def conv2d_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: Any,
                     padding: Any) -> np.ndarray:
    """The convolution sum written out with einsum, one kernel offset at a time."""
    (sh, sw), (ph, pw) = (s if isinstance(s, tuple) else (s, s) for s in (stride, padding))
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kh, kw = w.shape[2:]
    oh, ow = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
    out = np.zeros((x.shape[0], w.shape[0], oh, ow)) + b[None, :, None, None]
    for p in range(kh):
        for q in range(kw):
            patch = x[:, :, p:p + sh * (oh - 1) + 1:sh, q:q + sw * (ow - 1) + 1:sw]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, p, q])
    return out


@st.composite
def conv2d_case(draw: st.DrawFn) -> Case:
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    h = draw(st.integers(max(1, kh - 2 * padding), 5))
    w = draw(st.integers(max(1, kw - 2 * padding), 5))
    x, wt, b = draw(arrays((n, c, h, w))), draw(arrays((o, c, kh, kw))), draw(arrays((o,)))
    return Case(lambda *ts: F.conv2d(*ts, stride=stride, padding=padding), (x, wt, b),
                lambda *a: conv2d_reference(*a, stride, padding),
                lambda torch, *ts: torch.nn.functional.conv2d(*ts, stride=stride, padding=padding))


@st.composite
def _conv_shapes(draw: st.DrawFn) -> tuple:
    """(n, c, o, h, w, (kh, kw), stride, padding, (oh, ow)) of a convolution, as conv2d_case."""
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    h = draw(st.integers(max(1, kh - 2 * padding), 5))
    w = draw(st.integers(max(1, kw - 2 * padding), 5))
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    return n, c, o, h, w, (kh, kw), stride, padding, (oh, ow)


def _torch_conv2d_weight(torch: Any, x: Any, y: Any, kernel: tuple, stride: int,
                         padding: int) -> Any:
    """PyTorch's weight gradient of conv2d, as a differentiable function of x and y."""
    w = torch.zeros((y.shape[1], x.shape[1], *kernel), dtype=x.dtype, requires_grad=True)
    out = torch.nn.functional.conv2d(x, w, stride=stride, padding=padding)
    return torch.autograd.grad(out, w, y, create_graph=True)[0]


@st.composite
def conv_transpose2d_case(draw: st.DrawFn) -> Case:
    n, c, o, h, w, kernel, stride, padding, (oh, ow) = draw(_conv_shapes())
    y, wt, b = draw(arrays((n, o, oh, ow))), draw(arrays((o, c, *kernel))), draw(arrays((c,)))
    ctx = ConvContext((stride, stride), (padding, padding), size=(h, w))
    extra = ((h + 2 * padding - kernel[0]) % stride, (w + 2 * padding - kernel[1]) % stride)
    return Case(lambda a, k, e: CONV_TRANSPOSE2D(a, k, e, ctx=ctx), (y, wt, b),
                lambda a, k, e: conv_transpose2d_reference(a, k, ctx, e),
                lambda torch, a, k, e: torch.nn.functional.conv_transpose2d(
                    a, k, e, stride=stride, padding=padding, output_padding=extra))


@st.composite
def conv2d_weight_case(draw: st.DrawFn) -> Case:
    n, c, o, h, w, kernel, stride, padding, (oh, ow) = draw(_conv_shapes())
    x, y = draw(arrays((n, c, h, w))), draw(arrays((n, o, oh, ow)))
    ctx = ConvContext((stride, stride), (padding, padding), kernel=kernel)
    return Case(lambda a, b: CONV2D_WEIGHT(a, b, ctx=ctx), (x, y),
                lambda a, b: conv2d_weight_reference(a, b, ctx),
                lambda torch, a, b: _torch_conv2d_weight(torch, a, b, kernel, stride, padding))


def max_pool2d_reference(x: np.ndarray, k: int, s: int) -> np.ndarray:
    oh, ow = (x.shape[2] - k) // s + 1, (x.shape[3] - k) // s + 1
    out = np.full((*x.shape[:2], oh, ow), -np.inf)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s:i * s + k, j * s:j * s + k].max(axis=(2, 3))
    return out


@st.composite
def max_pool2d_case(draw: st.DrawFn) -> Case:
    k, s = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(k, 5)),
             draw(st.integers(k, 5)))
    x = draw(distinct_arrays(shape, spacing=0.05))
    return Case(lambda t: F.max_pool2d(t, k, s), (x,), lambda a: max_pool2d_reference(a, k, s),
                lambda torch, t: torch.nn.functional.max_pool2d(t, k, s))


@st.composite
def max_unpool2d_case(draw: st.DrawFn) -> Case:
    k, s = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(k, 5)),
             draw(st.integers(k, 5)))
    x = draw(distinct_arrays(shape, spacing=0.05))  # a constant: the routing
    pool = PoolContext((k, k), (s, s))
    out = MAX_POOL2D.forward(x, pool)
    u = draw(arrays(out.shape))

    def reference(a: np.ndarray) -> np.ndarray:
        scattered = np.zeros(x.size)
        np.add.at(scattered, max_positions(x, pool).reshape(-1), a.reshape(-1))
        return scattered.reshape(x.shape)

    def torch_fn(torch: Any, t: Any) -> Any:  # PyTorch's gradient of max-pooling, in t
        xt = torch.tensor(x, requires_grad=True)
        pooled = torch.nn.functional.max_pool2d(xt, k, s)
        return torch.autograd.grad(pooled, xt, t, create_graph=True)[0]

    return Case(lambda t: MAX_UNPOOL2D(t, ctx=(x, out, pool)), (u,), reference, torch_fn)


@st.composite
def log_softmax_case(draw: st.DrawFn) -> Case:
    shape = draw(shapes(min_dims=1, max_side=4))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    x = draw(arrays(shape, low=-10, high=10))

    def ref(a: np.ndarray) -> np.ndarray:
        e = np.exp(a - a.max(axis, keepdims=True))
        return np.log(e / e.sum(axis, keepdims=True)) + 0.0

    return Case(lambda t: F.log_softmax(t, axis), (x,), ref,
                lambda torch, t: torch.log_softmax(t, axis))


def _torch_recurrence(torch: Any, kind: str, xw: Any, w: Any, b_ih: Any, b_hh: Any, h0: Any,
                      *rest: Any) -> Any:
    """PyTorch's fused recurrence (``torch.lstm``, ``torch.gru``, ``torch.rnn_tanh`` ...) with
    W_ih the identity, so its input projections are ``xw`` itself."""
    params = [torch.eye(xw.shape[-1], dtype=xw.dtype), w, b_ih, b_hh]
    args = (params, True, 1, 0.0, True, False, False)  # biases, 1 layer, no dropout, time first
    if kind == "lstm":
        out, _, c_n = torch.lstm(xw, (h0[None], rest[0][None]), *args)
        return torch.cat([out, c_n], 0)
    return getattr(torch, "gru" if kind == "gru" else f"rnn_{kind}")(xw, h0[None], *args)[0]


def _away_from_relu_kinks(xw: np.ndarray, w: np.ndarray, b: np.ndarray,
                          h0: np.ndarray) -> np.ndarray:
    """xw moved so that no pre-activation of the relu RNN (b: both biases) is within 0.02 of 0
    (finite differences need smooth ground)."""
    xw, h = xw.copy(), h0
    for t in range(len(xw)):
        pre = xw[t] + h @ w.T + b
        xw[t] += np.where(np.abs(pre) < 0.02, 0.05, 0.0)
        h = np.maximum(xw[t] + h @ w.T + b, 0)
    return xw


@st.composite
def recurrence_case(draw: st.DrawFn, kind: str) -> Case:
    """A recurrence op on its own: input projections xw (T, N, G * H), W_hh (G * H, H), b_ih,
    b_hh, h0 (and c0) (N, H)."""
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)
    steps, batch, n = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    xw, w = draw(arrays((steps, batch, gates * n), -2, 2)), draw(arrays((gates * n, n), -2, 2))
    b_ih, b_hh = draw(arrays((gates * n,), -1, 1)), draw(arrays((gates * n,), -1, 1))
    h0 = draw(arrays((batch, n), -2, 2))
    if kind == "lstm":
        c0 = draw(arrays((batch, n), -2, 2))
        return Case(lstm_recurrence, (xw, w, b_ih, b_hh, h0, c0), lstm_reference,
                    lambda torch, *ts: _torch_recurrence(torch, kind, *ts))
    if kind == "gru":
        return Case(gru_recurrence, (xw, w, b_ih, b_hh, h0), gru_reference,
                    lambda torch, *ts: _torch_recurrence(torch, kind, *ts))
    act = draw(st.sampled_from(["tanh", "relu"]))
    if act == "relu":
        xw = _away_from_relu_kinks(xw, w, b_ih + b_hh, h0)
    return Case(lambda *ts: rnn_recurrence(*ts, act), (xw, w, b_ih, b_hh, h0),
                lambda *a: rnn_reference(*a, act),
                lambda torch, *ts: _torch_recurrence(torch, act, *ts))


CASES: dict[str, st.SearchStrategy[Case]] = {
    "add": elementwise("add", lambda a, b: a + b, np.add),
    "mul": elementwise("mul", lambda a, b: a * b, np.multiply),
    "div": elementwise("div", lambda a, b: a / b, np.divide),
    "pow": elementwise("pow", lambda a, n: a ** n, lambda a, n: a ** n),
    "pow_tensor": elementwise("pow_tensor", lambda a, b: a ** b, np.power),
    "exp": elementwise("exp", lambda a: a.exp(), np.exp),
    "log": elementwise("log", lambda a: a.log(), np.log),
    "tanh": elementwise("tanh", lambda a: a.tanh(), np.tanh),
    "sigmoid": elementwise("sigmoid", lambda a: a.sigmoid(), _sigmoid),
    "relu": elementwise("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0)),
    "abs": elementwise("abs", lambda a: a.abs(), np.abs),
    "sqrt": elementwise("sqrt", lambda a: a.sqrt(), np.sqrt),
    "maximum": maximum_case(),
    "where": where_case(),
    "matmul": matmul_case(),
    "linear": linear_case(),
    "sum": reduction_case("sum"),
    "max": reduction_case("max"),
    "reshape": reshape_case(),
    "transpose": transpose_case(),
    "getitem": getitem_case(),
    "broadcast_to": broadcast_to_case(),
    "scatter": scatter_case(),
    "concatenate": concatenate_case(),
    "conv2d": conv2d_case(),
    "conv_transpose2d": conv_transpose2d_case(),
    "conv2d_weight": conv2d_weight_case(),
    "max_pool2d": max_pool2d_case(),
    "max_unpool2d": max_unpool2d_case(),
    "log_softmax": log_softmax_case(),
    "rnn_recurrence": recurrence_case("rnn"),
    "lstm_recurrence": recurrence_case("lstm"),
    "gru_recurrence": recurrence_case("gru"),
}
