"""The tensor op table: numpy primitives with their local gradient rules, side by side.

Every rule returns gradients in the *output's* shape; the engine sums each one back to its
parent's shape (unbroadcast) in one place, ``Tensor._accumulate_grad``, so the elementwise rules
below read exactly like the scalar ones in ``ops.py``. A rule returns ``None`` for a parent that
needs no gradient (a constant, or data without ``requires_grad``), and the engine skips it.

Elementwise ops give ``local`` derivatives (the stepper can show them); the others give a
vector-Jacobian product ``vjp(node, upstream)``. Every rule is differentiable (see
:mod:`autograd.ops`): it uses operators, array methods that Tensors share (``sum``, ``reshape``,
``transpose``, indexing) and the ops themselves through ``Op.run`` (``exp``, ``log``, ``where``,
``broadcast_to``, ``scatter`` below), and reads masks with ``value_of``; so the same lines run on
arrays in ``backward()`` and record a graph in ``grad(..., create_graph=True)``. ``broadcast_to``
and ``scatter`` are primitives for that purpose: the gradients of ``sum`` and of indexing.
Derived operations (``a - b = a + (-1 * b)``,
``mean``, ``flatten``, ``stack``, ``softmax`` ...) are built from these in ``tensor.py``,
``functions.py`` and ``nn.functional``. Log-softmax is here too (fused for numerical stability);
convolution and pooling have modules of their own (``conv.py``, ``pool.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ops import Op, define_builtin_op, value_of

__all__ = [
    "ADD", "MUL", "DIV", "POW", "POW_TENSOR", "EXP", "LOG", "TANH", "SIGMOID", "RELU", "ABS",
    "SQRT", "MAXIMUM", "WHERE", "MATMUL", "LINEAR", "SUM", "MAX", "BROADCAST_TO", "RESHAPE",
    "TRANSPOSE", "GETITEM", "SCATTER", "CONCATENATE", "LOG_SOFTMAX", "tensor_op",
]

POSITIVE = ((0.1, 4.0),)
AWAY_FROM_ZERO = ((-3.0, -0.01), (0.01, 3.0))


def tensor_op(name: str, forward: Callable[..., Any], **fields: Any) -> Op:
    """Define one of glassgrad's tensor ops (a built-in row of the table, ``kind="tensor"``)."""
    return define_builtin_op(name, forward, kind="tensor", **fields)


def _needed(parent: Any, grad: Any) -> Any:
    """``grad`` if the parent wants a gradient, else None (the engine then skips it)."""
    return grad if parent.requires_grad else None


# The ops a rule calls, on arrays or on nodes alike (each is a row defined below).

def exp(x: Any) -> Any:
    return EXP.run(x)


def log(x: Any) -> Any:
    return LOG.run(x)


def where(cond: np.ndarray, a: Any, b: Any) -> Any:
    return WHERE.run(a, b, ctx=cond)


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    return BROADCAST_TO.run(x, ctx=tuple(shape))


def scatter(x: Any, shape: tuple[int, ...], index: Any, advanced: bool) -> Any:
    return SCATTER.run(x, ctx=(tuple(shape), index, advanced))


# ---- elementwise: local derivatives -----------------------------------------------------------

def _add_local(node: Any) -> tuple:
    a, b = node._prev
    return _needed(a, 1.0), _needed(b, 1.0)


def _mul_local(node: Any) -> tuple:
    a, b = node._prev
    return _needed(a, b.data), _needed(b, a.data)


def _div_local(node: Any) -> tuple:
    a, b = node._prev
    return ((1 / b.data) if a.requires_grad else None,
            (-node.data / b.data) if b.requires_grad else None)


def _pow_local(node: Any) -> tuple:
    (a,) = node._prev
    n = node._ctx
    if n == 0:
        return (np.zeros_like(value_of(a.data)),)
    return (n * a.data ** (n - 1),)


def _pow_tensor_local(node: Any) -> tuple:
    a, b = node._prev
    da = b.data * a.data ** (b.data - 1) if a.requires_grad else None
    db = None
    if b.requires_grad:  # log(a) where a > 0; at a == 0 the output is 0 (b > 0), so is the slope
        db = node.data * log(where(value_of(a.data) > 0, a.data, 1))
    return da, db


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # exp never sees a large positive number: for a < 0, sigmoid(a) = e^a / (1 + e^a).
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _maximum_local(node: Any) -> tuple:
    a, b = node._prev
    av, bv = value_of(a.data), value_of(b.data)  # masks: constants
    ties = (av == bv) * value_of(node.data).dtype.type(0.5)  # as PyTorch: ties split it in half
    return (((av > bv) + ties) if a.requires_grad else None,
            ((bv > av) + ties) if b.requires_grad else None)


def _where_local(node: Any) -> tuple:
    a, b = node._prev
    cond = node._ctx
    return _needed(a, cond), (~cond if b.requires_grad else None)


def _only(node: Any) -> np.ndarray:
    return node._prev[0].data


ADD = tensor_op("add", np.add, local=_add_local, symbol="+", arity=2,
                math="f(a, b) = a + b;  df/da = 1;  df/db = 1")
MUL = tensor_op("mul", np.multiply, local=_mul_local, symbol="*", arity=2,
                math="f(a, b) = a * b;  df/da = b;  df/db = a")
DIV = tensor_op("div", np.true_divide, local=_div_local, symbol="/", arity=2,
                domain=[((-3.0, 3.0),), AWAY_FROM_ZERO],
                math="f(a, b) = a / b;  df/da = 1 / b;  df/db = -a / b ** 2 = -f / b")
POW = tensor_op("pow", lambda a, n: a ** n, local=_pow_local, symbol="**", uses_ctx=True,
                domain=[POSITIVE], ctx_examples=(2, 3, -1, -2, 0.5, -0.5, 1.5, 0),
                math="f(a) = a ** n  (n a constant);  df/da = n * a ** (n - 1)")
POW_TENSOR = tensor_op("pow_tensor", np.power, local=_pow_tensor_local, symbol="**", arity=2,
                       domain=[POSITIVE, [(-2.0, 2.0)]],
                       math="f(a, b) = a ** b;  df/da = b * a ** (b - 1);  "
                            "df/db = a ** b * log(a)")
EXP = tensor_op("exp", np.exp, local=lambda node: (node.data,),
                math="f(a) = e ** a;  df/da = e ** a")
LOG = tensor_op("log", np.log, local=lambda node: (1 / _only(node),), domain=[POSITIVE],
                math="f(a) = ln(a);  df/da = 1 / a")
TANH = tensor_op("tanh", np.tanh, local=lambda node: (1 - node.data * node.data,),
                 math="f(a) = tanh(a);  df/da = 1 - tanh(a) ** 2")
SIGMOID = tensor_op("sigmoid", _sigmoid, local=lambda node: (node.data * (1 - node.data),),
                    symbol="σ", math="f(a) = 1 / (1 + e ** -a);  df/da = f(a) * (1 - f(a))")
RELU = tensor_op("relu", lambda a: np.maximum(a, 0), local=lambda node: (value_of(node.data) > 0,),
                 symbol="ReLU", domain=[AWAY_FROM_ZERO],
                 math="f(a) = max(a, 0);  df/da = 1 if a > 0 else 0")
ABS = tensor_op("abs", np.abs, local=lambda node: (np.sign(value_of(_only(node))),), symbol="|a|",
                domain=[AWAY_FROM_ZERO], math="f(a) = |a|;  df/da = sign(a)")
SQRT = tensor_op("sqrt", np.sqrt, local=lambda node: (0.5 / node.data,), symbol="√",
                 domain=[POSITIVE], math="f(a) = sqrt(a);  df/da = 1 / (2 * sqrt(a))")
MAXIMUM = tensor_op("maximum", np.maximum, local=_maximum_local, arity=2,
                    math="f(a, b) = max(a, b);  df/da = 1 if a > b, 1/2 if a == b, else 0;  "
                         "df/db likewise")
WHERE = tensor_op("where", lambda a, b, cond: np.where(cond, a, b), local=_where_local,
                  arity=2, uses_ctx=True,
                  math="f(a, b) = a if cond else b  (cond a constant mask);  "
                       "df/da = cond;  df/db = not cond")

# ---- linear algebra and reductions: vector-Jacobian products ----------------------------------

def _matmul_vjp(node: Any, up: np.ndarray) -> tuple:
    a, b = node._prev
    A, B = a.data, b.data
    if A.ndim == 2 and B.ndim == 2:  # the common case: transposed views, no copies
        # Each gradient is made in its operand's memory order: for ``x @ w.T`` the gradient of
        # the view w.T comes out as (up^T @ x)^T, so the one that reaches w is C-ordered like
        # w, and the optimizer's update runs along rows (across them it is several times slower).
        ga = gb = None
        if a.requires_grad:
            ga = (B @ _swap_last(up)).T if _column_major(A) else up @ B.T
        if b.requires_grad:
            gb = (_swap_last(up) @ A).T if _column_major(B) else A.T @ up
        return ga, gb
    # 1-D operands act as a row (left) or a column (right): restore those axes in ``up``.
    A2 = A[None, :] if A.ndim == 1 else A
    B2 = B[:, None] if B.ndim == 1 else B
    up2 = up[..., None] if B.ndim == 1 else up
    up2 = up2[..., None, :] if A.ndim == 1 else up2
    ga = gb = None
    if a.requires_grad:  # the engine sums broadcast batch axes back to a's shape
        ga = up2 @ _swap_last(B2)
        ga = ga[..., 0, :] if A.ndim == 1 else ga
    if b.requires_grad:
        if B2.ndim == 2:  # batched @ matrix: one matmul over all the batch rows
            gb = A2.reshape(-1, A2.shape[-1]).T @ up2.reshape(-1, up2.shape[-1])
        else:
            gb = _swap_last(A2) @ up2
        gb = gb[..., 0] if B.ndim == 1 else gb
    return ga, gb


def _column_major(x: Any) -> bool:
    """Whether ``x`` (an array, or a tensor's array) is laid out column by column, as the
    transposed view of a C-ordered matrix is."""
    data = value_of(x)
    return bool(data.flags.f_contiguous and not data.flags.c_contiguous)


def _linear_vjp(node: Any, up: Any) -> tuple:
    """x (..., in), w (out, in), up (..., out): dL/dx = up @ w;  dL/dw = up^T @ x over all the
    leading axes, made (out, in) and C-ordered like w, so the update of w runs along rows."""
    x, w = node._prev
    X, W = x.data, w.data
    gx = up @ W if x.requires_grad else None
    gw = None
    if w.requires_grad:
        rows = up.reshape(-1, W.shape[0]) if up.ndim != 2 else up
        inputs = X.reshape(-1, W.shape[1]) if X.ndim != 2 else X
        gw = _swap_last(rows) @ inputs
    return gx, gw


def _linear(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return x @ w.T


def _swap_last(x: Any) -> Any:
    """``x`` with its last two axes swapped (a transposed view, for arrays and tensors)."""
    perm = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return x.transpose(perm)


def _expand(up: Any, shape: tuple[int, ...], axes: tuple[int, ...] | None,
            keepdims: bool) -> Any:
    """``up`` with the reduced axes of ``shape`` put back as size 1, so it broadcasts against
    the input (a reshape, for arrays and tensors)."""
    if keepdims:
        return up
    kept = tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))
    return up.reshape(kept)


def _sum_vjp(node: Any, up: Any) -> tuple:
    (a,) = node._prev
    axes, keepdims = node._ctx
    shape = a.data.shape
    return (broadcast_to(_expand(up, shape, axes, keepdims), shape),)


def _max_vjp(node: Any, up: Any) -> tuple:
    (a,) = node._prev
    axes, keepdims = node._ctx
    data = value_of(a.data)
    winners = data == _expand(value_of(node.data), data.shape, axes, keepdims)  # a mask
    count = winners.sum(axis=axes, keepdims=True).astype(data.dtype)  # ties share equally
    return (winners / count * _expand(up, data.shape, axes, keepdims),)


def _broadcast_to(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(shape, dtype=a.dtype)  # materialised: BLAS wants real strides
    out[...] = a
    return out


def _sum(a: np.ndarray, ctx: tuple) -> np.ndarray:
    return np.sum(a, axis=ctx[0], keepdims=ctx[1])


def _max(a: np.ndarray, ctx: tuple) -> np.ndarray:
    return np.max(a, axis=ctx[0], keepdims=ctx[1])


MATMUL = tensor_op("matmul", np.matmul, vjp=_matmul_vjp, symbol="@", arity=2, fresh_vjp=True,
                   math="f(A, B) = A @ B;  dL/dA = dL/df @ B^T;  dL/dB = A^T @ dL/df")
LINEAR = tensor_op("linear", _linear, vjp=_linear_vjp, symbol="x·Wᵀ", arity=2, fresh_vjp=True,
                   math="f(x, W) = x @ W^T  (W is (out, in));  dL/dx = dL/df @ W;  "
                        "dL/dW = (dL/df)^T @ x")
SUM = tensor_op("sum", _sum, vjp=_sum_vjp, symbol="Σ", uses_ctx=True, fresh_vjp=True,
                ctx_examples=((None, False), ((0,), True), ((-1,), False)),
                math="f(a) = sum of a over the axes;  dL/da = dL/df copied along the axes")
MAX = tensor_op("max", _max, vjp=_max_vjp, uses_ctx=True, fresh_vjp=True,
                ctx_examples=((None, False), ((0,), True), ((-1,), False)),
                math="f(a) = max of a over the axes;  dL/da = dL/df where a is the max "
                     "(split equally among ties), else 0")
BROADCAST_TO = tensor_op("broadcast_to", _broadcast_to, vjp=lambda node, up: (up,),
                         symbol="bcast", uses_ctx=True, ctx_examples=((2, 3, 4),),
                         math="f(a) = a repeated along new and size-1 axes to a shape (the "
                              "gradient of sum);  dL/da = dL/df summed over those axes")

# ---- shape ops: views forward, the inverse view backward --------------------------------------

def _inverse(permutation: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(permutation))


def _getitem_vjp(node: Any, up: Any) -> tuple:
    (a,) = node._prev
    index, advanced = node._ctx
    return (scatter(up, a.data.shape, index, advanced),)


def _scatter(up: np.ndarray, ctx: tuple) -> np.ndarray:
    shape, index, advanced = ctx
    out = np.zeros(shape, dtype=up.dtype)
    if advanced:  # integer arrays may pick an element twice: add, don't overwrite
        np.add.at(out, index, up)
    else:
        out[index] = up
    return out


def _concatenate_vjp(node: Any, up: Any) -> tuple:
    axis = node._ctx
    ends = np.cumsum([0] + [p.data.shape[axis] for p in node._prev])
    before = (slice(None),) * axis
    return tuple(_needed(p, up[before + (slice(start, end),)])
                 for p, start, end in zip(node._prev, ends[:-1], ends[1:]))


RESHAPE = tensor_op("reshape", lambda a, shape: a.reshape(shape),
                    vjp=lambda node, up: (up.reshape(node._prev[0].data.shape),),
                    uses_ctx=True, ctx_examples=((-1,),),
                    math="f(a) = a with a new shape;  dL/da = dL/df reshaped back")
TRANSPOSE = tensor_op("transpose", lambda a, axes: a.transpose(axes),
                      vjp=lambda node, up: (up.transpose(_inverse(node._ctx)),),
                      symbol="T", uses_ctx=True,
                      math="f(a) = a with its axes permuted;  dL/da = dL/df with the inverse "
                           "permutation")
GETITEM = tensor_op("getitem", lambda a, ctx: a[ctx[0]], vjp=_getitem_vjp, symbol="[]",
                    uses_ctx=True, fresh_vjp=True,
                    math="f(a) = a[index];  dL/da = zeros with dL/df added at index")
SCATTER = tensor_op("scatter", _scatter, vjp=lambda node, up: (up[node._ctx[1]],),
                    symbol="[]+=", uses_ctx=True, fresh_vjp=True,
                    math="f(u) = zeros of a shape with u added at index (the gradient of "
                         "indexing);  dL/du = dL/df[index]")
CONCATENATE = tensor_op("concatenate", lambda *args: np.concatenate(args[:-1], axis=args[-1]),
                        vjp=_concatenate_vjp, symbol="cat", arity=2, uses_ctx=True,
                        math="f(a, b, ...) = [a, b, ...] joined along an axis (any number of "
                             "inputs);  dL/da, dL/db, ... = dL/df split at the same places")


# ---- log_softmax ------------------------------------------------------------------------------

def _log_softmax_forward(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)  # exp never overflows
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _log_softmax_vjp(node: Any, up: Any) -> tuple:
    axis = node._ctx
    return (up - exp(node.data) * up.sum(axis=axis, keepdims=True),)


LOG_SOFTMAX = tensor_op(
    "log_softmax", _log_softmax_forward, vjp=_log_softmax_vjp, uses_ctx=True, fresh_vjp=True,
    ctx_examples=(-1, 0),
    math="f(x)_i = x_i - log(sum_j e^{x_j}) (computed after subtracting max x);  "
         "dL/dx = dL/df - softmax(x) * sum(dL/df)")
