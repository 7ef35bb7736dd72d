"""Recurrent ops: the whole recurrence of an RNN, an LSTM or a GRU layer as one op row each.

A recurrent layer computes its input projections for all T steps in one product (``linear``),
``xp[t] = x[t] @ W_ih^T + b_ih``, then runs the recurrence over time. Recorded step by step from
primitive ops that recurrence is a graph of hundreds of tiny nodes (about 18 per LSTM step); here
it is one node, ``f(xp, W_hh, b_hh, h0[, c0])``, whose forward loops over time on preallocated
arrays (one product per step for all the gates, in place elementwise) and keeps the gate values
for the rule. The rule is backpropagation through time:

- first, for every step at once, the local factors: how a gate's pre-activation moves when
  ``dL/dh`` (or ``dL/dc``) is 1 (e.g. for the LSTM's input gate, ``g * i * (1 - i)``);
- then, from the last step back, ``dL/dh[t] = dL/doutput[t] + dL/dpre[t + 1] @ W_hh`` and the
  gates' ``dL/dpre[t]`` (the only sequential part: one product per step);
- last, in one product each, ``dL/dW_hh = sum_t dL/dpre[t]^T @ h[t - 1]`` and ``dL/db_hh``.

The rule is written with operators and ops called through ``Op.run`` (``tanh``, ``sigmoid``,
``concatenate``, ``@``, indexing), so it runs on the kept arrays in ``backward()`` and on nodes in
``grad(..., create_graph=True)``. In that recorded pass the gate values are computed again from the
inputs, as nodes, by the plain cells below, so second derivatives are exact.

The cells (:func:`rnn_cell`, :func:`lstm_cell`, :func:`gru_cell`) are PyTorch's equations written
with primitive ops, one step: they are the reference the fused ops are tested against, and what a
layer built with ``unroll=True`` records step by step (a graph that shows every gate). Gate order
and layouts are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n), ``W_hh`` of shape (G * H, H).

>>> import numpy as np
>>> xp = np.zeros((3, 1, 8))  # 3 steps, batch 1, 4 gates of 2 units
>>> w, b, h0, c0 = np.eye(8, 2), np.zeros(8), np.ones((1, 2)), np.ones((1, 2))
>>> out = lstm_recurrence(xp, w, b, h0, c0)  # h_1, h_2, h_3, then c_3
>>> out.shape
(4, 1, 2)
>>> np.allclose(out.data, lstm_reference(xp, w, b, h0, c0))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..ops import is_node, value_of
from .ops import CONCATENATE, LINEAR, RELU, SIGMOID, TANH, _needed, tensor_op

__all__ = [
    "GRU_RECURRENCE", "LSTM_RECURRENCE", "RNN_RECURRENCE", "RecurrentContext", "gru_cell",
    "gru_recurrence", "gru_reference", "lstm_cell", "lstm_recurrence", "lstm_reference",
    "rnn_cell", "rnn_recurrence", "rnn_reference",
]

NONLINEARITIES = ("tanh", "relu")


class RecurrentContext:
    """A recurrence's constant, ``nonlinearity`` (the RNN's), and what its forward keeps for
    the rule: the sequences ``saved`` (gate values, states), which serve the very input arrays
    ``source`` only (see :meth:`kept`)."""

    __slots__ = ("nonlinearity", "source", "saved")

    def __init__(self, nonlinearity: str = "tanh") -> None:
        self.nonlinearity = nonlinearity
        self.source: tuple[np.ndarray, ...] = ()
        self.saved: tuple[np.ndarray, ...] = ()

    def keep(self, source: tuple[np.ndarray, ...], saved: tuple[np.ndarray, ...]) -> None:
        self.source, self.saved = source, saved

    def kept(self, inputs: Sequence[np.ndarray]) -> tuple[np.ndarray, ...] | None:
        """The saved sequences if the forward ran on ``inputs`` themselves (the same array
        objects), else None."""
        same = len(inputs) == len(self.source) and all(
            a is b for a, b in zip(inputs, self.source))
        return self.saved if same else None

    def __repr__(self) -> str:
        return f"RecurrentContext(nonlinearity={self.nonlinearity!r})"


# ---- the ops a cell or a rule calls, on arrays or on nodes alike ------------------------------

def sigmoid(x: Any) -> Any:
    return SIGMOID.run(x)


def tanh(x: Any) -> Any:
    return TANH.run(x)


def _named(x: Any, label: str) -> Any:
    """``x`` with a label for drawings, if it is a node (arrays have none)."""
    if is_node(x):
        x.label = label
    return x


def _cat(parts: Sequence[Any], axis: int) -> Any:
    return CONCATENATE.run(*parts, ctx=axis)


def _stack(items: Sequence[Any]) -> Any:
    """Equal-shaped arrays or nodes joined along a new first axis."""
    return _cat([x.reshape((1, *x.shape)) for x in items], 0)


# ---- the cells: one step, PyTorch's equations with primitive ops ------------------------------

def rnn_cell(gx: Any, h: Any, w_hh: Any, b_hh: Any, nonlinearity: str = "tanh") -> Any:
    """One step of an Elman RNN: ``h' = act(gx + h @ W_hh^T + b_hh)``, where
    ``gx = x @ W_ih^T + b_ih``; act is tanh or relu. Arrays or Tensors, (N, H)."""
    pre = gx + LINEAR.run(h, w_hh) + b_hh
    return _named(tanh(pre) if nonlinearity == "tanh" else RELU.run(pre), "h")


def lstm_cell(gx: Any, h: Any, c: Any, w_hh: Any, b_hh: Any) -> tuple[Any, Any, tuple]:
    """One LSTM step; ``gx = x @ W_ih^T + b_ih`` (N, 4H), h and c (N, H)::

        i, f, g, o = σ(·), σ(·), tanh(·), σ(·) of the four blocks of gx + h @ W_hh^T + b_hh
        c' = f * c + i * g,   h' = o * tanh(c')

    Returns ``h', c'`` and the step's values ``(i, f, g, o, tanh(c'))``."""
    n = h.shape[-1]
    gates = _named(gx + LINEAR.run(h, w_hh) + b_hh, "gates")
    i, f = _named(sigmoid(gates[:, :n]), "i"), _named(sigmoid(gates[:, n:2 * n]), "f")
    g, o = _named(tanh(gates[:, 2 * n:3 * n]), "g"), _named(sigmoid(gates[:, 3 * n:]), "o")
    c = _named(f * c + i * g, "c")
    tc = _named(tanh(c), "tanh(c)")
    return _named(o * tc, "h"), c, (i, f, g, o, tc)


def gru_cell(gx: Any, h: Any, w_hh: Any, b_hh: Any) -> tuple[Any, tuple]:
    """One GRU step; ``gx = x @ W_ih^T + b_ih`` (N, 3H), ``hh = h @ W_hh^T + b_hh``::

        r, z = σ(gx_r + hh_r), σ(gx_z + hh_z),   n = tanh(gx_n + r * hh_n)
        h' = (1 - z) * n + z * h

    Returns ``h'`` and the step's values ``(r, z, n, hh_n)``."""
    k = h.shape[-1]
    hh = _named(LINEAR.run(h, w_hh) + b_hh, "hh")
    r = _named(sigmoid(gx[:, :k] + hh[:, :k]), "r")
    z = _named(sigmoid(gx[:, k:2 * k] + hh[:, k:2 * k]), "z")
    hn = hh[:, 2 * k:]
    n = _named(tanh(gx[:, 2 * k:] + r * hn), "n")
    return _named((1 - z) * n + z * h, "h"), (r, z, n, hn)


# ---- the plain references: the cells over time (the rule's recorded pass uses them too) -------

def _rnn_states(xp: Any, w: Any, b: Any, h0: Any, ctx: RecurrentContext) -> tuple:
    hs = [h0]
    for t in range(xp.shape[0]):
        hs.append(rnn_cell(xp[t], hs[-1], w, b, ctx.nonlinearity))
    return (_stack(hs),)


def _lstm_states(xp: Any, w: Any, b: Any, h0: Any, c0: Any, ctx: RecurrentContext) -> tuple:
    hs, cs, steps = [h0], [c0], []
    for t in range(xp.shape[0]):
        h, c, values = lstm_cell(xp[t], hs[-1], cs[-1], w, b)
        hs.append(h)
        cs.append(c)
        steps.append(values)
    i, f, g, o, tc = (_stack([s[k] for s in steps]) for k in range(5))
    return i, f, g, o, tc, _stack(cs), _stack(hs)


def _gru_states(xp: Any, w: Any, b: Any, h0: Any, ctx: RecurrentContext) -> tuple:
    hs, steps = [h0], []
    for t in range(xp.shape[0]):
        h, values = gru_cell(xp[t], hs[-1], w, b)
        hs.append(h)
        steps.append(values)
    r, z, n, hn = (_stack([s[k] for s in steps]) for k in range(4))
    return r, z, n, hn, _stack(hs)


def rnn_reference(xp: Any, w_hh: Any, b_hh: Any, h0: Any, nonlinearity: str = "tanh") -> Any:
    """RNN_RECURRENCE's output computed with :func:`rnn_cell`, step by step."""
    return _rnn_states(xp, w_hh, b_hh, h0, RecurrentContext(nonlinearity))[0][1:]


def lstm_reference(xp: Any, w_hh: Any, b_hh: Any, h0: Any, c0: Any) -> Any:
    """LSTM_RECURRENCE's output computed with :func:`lstm_cell`, step by step."""
    *_, c, h = _lstm_states(xp, w_hh, b_hh, h0, c0, RecurrentContext())
    return _cat([h[1:], c[-1:]], 0)


def gru_reference(xp: Any, w_hh: Any, b_hh: Any, h0: Any) -> Any:
    """GRU_RECURRENCE's output computed with :func:`gru_cell`, step by step."""
    return _gru_states(xp, w_hh, b_hh, h0, RecurrentContext())[-1][1:]


# ---- the fused forwards: preallocated arrays, one product per step ----------------------------
# sigmoid(a) = (1 + tanh(a / 2)) / 2: with the sigmoid gates' columns of W_hh and xp + b halved
# beforehand, one tanh over all the gates, then a scale and a shift, gives every activation.

def _halving(blocks: Sequence[bool], n: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Per gate column: the scale (1/2 for a sigmoid gate, 1 for tanh) and the shift after tanh
    (1/2 for a sigmoid gate, 0 for tanh)."""
    sig = np.repeat(np.asarray(blocks), n)
    return np.where(sig, 0.5, 1.0).astype(dtype), np.where(sig, 0.5, 0.0).astype(dtype)


def _rnn_forward(xp: np.ndarray, w: np.ndarray, b: np.ndarray, h0: np.ndarray,
                 ctx: RecurrentContext) -> np.ndarray:
    dtype = np.result_type(xp, w, b, h0)
    steps, batch, n = xp.shape
    pre = np.add(xp, b, dtype=dtype)
    h = np.empty((steps + 1, batch, n), dtype=dtype)
    h[0] = h0
    wt = w.T
    for t in range(steps):
        np.matmul(h[t], wt, out=h[t + 1])
        h[t + 1] += pre[t]
        if ctx.nonlinearity == "tanh":
            np.tanh(h[t + 1], out=h[t + 1])
        else:
            np.maximum(h[t + 1], 0, out=h[t + 1])
    ctx.keep((xp, w, b, h0), (h,))
    return h[1:]


def _lstm_forward(xp: np.ndarray, w: np.ndarray, b: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                  ctx: RecurrentContext) -> np.ndarray:
    """The output (T + 1, N, H): h_1 ... h_T, then c_T (one array: a node holds one)."""
    dtype = np.result_type(xp, w, b, h0, c0)
    steps, batch, n = xp.shape[0], xp.shape[1], w.shape[1]
    scale, shift = _halving((True, True, False, True), n, dtype)
    a = np.add(xp, b, dtype=dtype)
    a *= scale  # then a[t] holds step t's gates: pre-activations, then activations
    wt = (w * scale[:, None]).astype(dtype, copy=False).T
    h = np.empty((steps + 2, batch, n), dtype=dtype)  # h_0, h_1 ... h_T and c_T
    c = np.empty((steps + 1, batch, n), dtype=dtype)
    tc = np.empty((steps, batch, n), dtype=dtype)
    h[0], c[0] = h0, c0
    product, ig = np.empty((batch, 4 * n), dtype=dtype), np.empty((batch, n), dtype=dtype)
    for t in range(steps):
        gates = a[t]
        np.matmul(h[t], wt, out=product)
        gates += product
        np.tanh(gates, out=gates)
        gates *= scale
        gates += shift
        np.multiply(gates[:, n:2 * n], c[t], out=c[t + 1])
        np.multiply(gates[:, :n], gates[:, 2 * n:3 * n], out=ig)
        c[t + 1] += ig
        np.tanh(c[t + 1], out=tc[t])
        np.multiply(gates[:, 3 * n:], tc[t], out=h[t + 1])
    h[steps + 1] = c[steps]
    gate = [a[..., k * n:(k + 1) * n] for k in range(4)]
    ctx.keep((xp, w, b, h0, c0), (*gate, tc, c, h[:steps + 1]))
    return h[1:]


def _gru_forward(xp: np.ndarray, w: np.ndarray, b: np.ndarray, h0: np.ndarray,
                 ctx: RecurrentContext) -> np.ndarray:
    dtype = np.result_type(xp, w, b, h0)
    steps, batch, n = xp.shape[0], xp.shape[1], w.shape[1]
    scale, shift = _halving((True, True, False), n, dtype)
    a = np.multiply(xp, scale, dtype=dtype)  # then step t's r, z, n
    wt = (w * scale[:, None]).astype(dtype, copy=False).T
    bias = (b * scale).astype(dtype, copy=False)
    hn = np.empty((steps, batch, n), dtype=dtype)  # W_hn h + b_hn
    h = np.empty((steps + 1, batch, n), dtype=dtype)
    h[0] = h0
    hh, tmp = np.empty((batch, 3 * n), dtype=dtype), np.empty((batch, n), dtype=dtype)
    for t in range(steps):
        gates = a[t]
        rz, new = gates[:, :2 * n], gates[:, 2 * n:]
        np.matmul(h[t], wt, out=hh)
        hh += bias
        rz += hh[:, :2 * n]
        np.tanh(rz, out=rz)
        rz *= scale[:2 * n]
        rz += shift[:2 * n]
        hn[t] = hh[:, 2 * n:]
        np.multiply(gates[:, :n], hn[t], out=tmp)
        new += tmp
        np.tanh(new, out=new)
        np.subtract(h[t], new, out=tmp)
        tmp *= gates[:, n:2 * n]
        np.add(new, tmp, out=h[t + 1])
    gate = [a[..., k * n:(k + 1) * n] for k in range(3)]
    ctx.keep((xp, w, b, h0), (*gate, hn, h))
    return h[1:]


# ---- the rules: backpropagation through time --------------------------------------------------

def _states(node: Any, forward: Callable[..., np.ndarray],
            reference: Callable[..., tuple]) -> tuple:
    """The sequences the rule reads: kept by the forward (on arrays), or computed again from the
    inputs by the cells when the backward pass is recorded (on nodes: differentiable)."""
    inputs = tuple(p.data for p in node._prev)
    ctx: RecurrentContext = node._ctx
    if any(is_node(x) for x in inputs):
        return reference(*inputs, ctx)
    saved = ctx.kept(inputs)
    if saved is None:  # the context served another call: run the forward again
        again = RecurrentContext(ctx.nonlinearity)
        forward(*inputs, again)
        saved = again.saved
    return saved


def _weight_grads(w: Any, b: Any, dpre: Any, h_prev: Any) -> tuple[Any, Any]:
    """dL/dW_hh = sum_t dpre[t]^T @ h[t - 1] and dL/db_hh = sum_t dpre[t], one product each."""
    g, n = dpre.shape[-1], h_prev.shape[-1]
    gw = dpre.reshape(-1, g).T @ h_prev.reshape(-1, n) if w.requires_grad else None
    gb = dpre.sum(axis=(0, 1)) if b.requires_grad else None
    return gw, gb


def _rnn_vjp(node: Any, up: Any) -> tuple:
    """dL/dpre[t] = (dL/dout[t] + dL/dpre[t + 1] @ W) * act'(h[t]), from the last step back."""
    xp, w, b, h0 = node._prev
    (h,) = _states(node, _rnn_forward, _rnn_states)
    if node._ctx.nonlinearity == "tanh":
        slope = 1 - h[1:] * h[1:]
    else:
        slope = value_of(h)[1:] > 0  # a mask: a constant
    rows: list[Any] = []
    back = None  # dL/dh[t] from step t + 1
    for t in range(len(slope) - 1, -1, -1):
        dh = up[t] if back is None else up[t] + back
        rows.append(dh * slope[t])
        back = rows[-1] @ w.data
    dpre = _stack(rows[::-1])
    return (_needed(xp, dpre), *_weight_grads(w, b, dpre, h[:-1]), _needed(h0, back))


def _lstm_vjp(node: Any, up: Any) -> tuple:
    """From the last step back: dL/dh[t] = dL/dout[t] + dL/dgates[t + 1] @ W_hh;
    dL/dc[t] = dL/dc[t + 1] * f[t + 1] + dL/dh[t] * o * (1 - tanh(c)^2); each gate's
    dL/dpre = dL/dc (dL/dh for o) times its local factor q."""
    xp, w, b, h0, c0 = node._prev
    i, f, g, o, tc, c, h = _states(node, _lstm_forward, _lstm_states)
    steps = len(tc)
    q = _cat([g * i * (1 - i), c[:-1] * f * (1 - f), i * (1 - g * g), tc * o * (1 - o)], 2)
    e = o * (1 - tc * tc)
    dc, back, rows = up[steps], None, []
    for t in range(steps - 1, -1, -1):
        dh = up[t] if back is None else up[t] + back
        dc = dc + dh * e[t]
        rows.append(_cat([dc, dc, dc, dh], 1) * q[t])
        dc = dc * f[t]
        back = rows[-1] @ w.data
    dpre = _stack(rows[::-1])
    return (_needed(xp, dpre), *_weight_grads(w, b, dpre, h[:-1]), _needed(h0, back),
            _needed(c0, dc))


def _gru_vjp(node: Any, up: Any) -> tuple:
    """From the last step back: dL/dh[t] = dL/dout[t] + dL/dhh[t + 1] @ W_hh + dL/dh[t + 1] * z;
    the gates' dL/dpre = dL/dh times local factors (q for the input side, qh for hh's)."""
    xp, w, b, h0 = node._prev
    r, z, n, hn, h = _states(node, _gru_forward, _gru_states)
    qn = (1 - z) * (1 - n * n)
    qr = qn * hn * r * (1 - r)
    qz = (h[:-1] - n) * z * (1 - z)
    q, qh = _cat([qr, qz, qn], 2), _cat([qr, qz, qn * r], 2)
    rows, hh_rows, back = [], [], None
    for t in range(len(n) - 1, -1, -1):
        dh = up[t] if back is None else up[t] + back
        dh3 = _cat([dh, dh, dh], 1)
        rows.append(dh3 * q[t])
        hh_rows.append(dh3 * qh[t])
        back = hh_rows[-1] @ w.data + dh * z[t]
    dxp, dhh = _stack(rows[::-1]), _stack(hh_rows[::-1])
    return (_needed(xp, dxp), *_weight_grads(w, b, dhh, h[:-1]), _needed(h0, back))


RNN_RECURRENCE = tensor_op(
    "rnn_recurrence", _rnn_forward, vjp=_rnn_vjp, symbol="RNN", arity=4, uses_ctx=True,
    fresh_vjp=True,
    math="f(xp, W, b, h0)[t] = h[t] = act(xp[t] + h[t-1] @ W^T + b), t = 1..T (act tanh or "
         "relu);  backprop through time: dL/dpre[t] = (dL/df[t] + dL/dpre[t+1] @ W) * "
         "act'(pre[t]);  dL/dxp = dL/dpre;  dL/dW = sum_t dL/dpre[t]^T @ h[t-1];  "
         "dL/db = sum_t dL/dpre[t];  dL/dh0 = dL/dpre[1] @ W")
LSTM_RECURRENCE = tensor_op(
    "lstm_recurrence", _lstm_forward, vjp=_lstm_vjp, symbol="LSTM", arity=5, uses_ctx=True,
    fresh_vjp=True,
    math="f(xp, W, b, h0, c0) = [h[1..T], c[T]] with (i, f, g, o) = (σ, σ, tanh, σ) of the "
         "blocks of xp[t] + h[t-1] @ W^T + b, c[t] = f * c[t-1] + i * g, h[t] = o * tanh(c[t]);  "
         "backprop through time: dL/dc[t] = dL/dc[t+1] * f[t+1] + dL/dh[t] * o * (1 - "
         "tanh(c[t])^2), dL/dh[t] = dL/df[t] + dL/dpre[t+1] @ W;  dL/dpre_i = dL/dc * g * "
         "i(1-i), dL/dpre_f = dL/dc * c[t-1] * f(1-f), dL/dpre_g = dL/dc * i * (1-g^2), "
         "dL/dpre_o = dL/dh * tanh(c) * o(1-o);  dL/dxp = dL/dpre;  dL/dW = sum_t "
         "dL/dpre[t]^T @ h[t-1];  dL/db = sum_t dL/dpre[t]")
GRU_RECURRENCE = tensor_op(
    "gru_recurrence", _gru_forward, vjp=_gru_vjp, symbol="GRU", arity=4, uses_ctx=True,
    fresh_vjp=True,
    math="f(xp, W, b, h0)[t] = h[t] = (1 - z) * n + z * h[t-1] with hh = h[t-1] @ W^T + b, "
         "r = σ(xp_r + hh_r), z = σ(xp_z + hh_z), n = tanh(xp_n + r * hh_n);  backprop "
         "through time: dL/dh[t] = dL/df[t] + dL/dhh[t+1] @ W + dL/dh[t+1] * z[t+1];  "
         "dL/dpre_n = dL/dh * (1-z)(1-n^2), dL/dpre_z = dL/dh * (h[t-1] - n) * z(1-z), "
         "dL/dpre_r = dL/dpre_n * hh_n * r(1-r);  dL/dxp = dL/dpre;  dL/dhh = dL/dpre with its "
         "n block times r;  dL/dW = sum_t dL/dhh[t]^T @ h[t-1];  dL/db = sum_t dL/dhh[t]")


# ---- the functions: check the arguments, apply the op -----------------------------------------

def _check(name: str, xp: Any, w: Any, b: Any, states: dict[str, Any], gates: int) -> None:
    """ValueErrors naming the op, the shapes and what was expected."""
    sx, sw = np.shape(xp), np.shape(w)
    if len(sw) != 2 or sw[0] != gates * sw[1]:
        raise ValueError(f"{name}: W_hh must be ({gates} * hidden, hidden), got shape {sw}")
    n = sw[1]
    if len(sx) != 3 or sx[0] < 1 or sx[2] != gates * n:
        raise ValueError(f"{name}: the input projections xp must be (steps >= 1, batch, "
                         f"{gates * n}) for W_hh of shape {sw}, got shape {sx}")
    if np.shape(b) != (gates * n,):
        raise ValueError(f"{name}: b_hh must be ({gates * n},), got shape {np.shape(b)}")
    for what, s in states.items():
        if np.shape(s) != (sx[1], n):
            raise ValueError(f"{name}: {what} must be (batch, hidden) = {(sx[1], n)}, got "
                             f"shape {np.shape(s)}")


def rnn_recurrence(xp: Any, w_hh: Any, b_hh: Any, h0: Any, nonlinearity: str = "tanh") -> Any:
    """The hidden states (T, N, H) of an Elman RNN given its input projections xp (T, N, H),
    ``xp[t] = x[t] @ W_ih^T + b_ih``: ``h[t] = act(xp[t] + h[t-1] @ W_hh^T + b_hh)``. One op."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"rnn_recurrence: nonlinearity must be 'tanh' or 'relu', got "
                         f"{nonlinearity!r}")
    _check("rnn_recurrence", xp, w_hh, b_hh, {"h0": h0}, 1)
    return RNN_RECURRENCE(xp, w_hh, b_hh, h0, ctx=RecurrentContext(nonlinearity))


def lstm_recurrence(xp: Any, w_hh: Any, b_hh: Any, h0: Any, c0: Any) -> Any:
    """An LSTM's hidden states and last cell state, (T + 1, N, H): ``h[1] ... h[T]``, then
    ``c[T]``, given its input projections xp (T, N, 4H) (gates i, f, g, o). One op."""
    _check("lstm_recurrence", xp, w_hh, b_hh, {"h0": h0, "c0": c0}, 4)
    return LSTM_RECURRENCE(xp, w_hh, b_hh, h0, c0, ctx=RecurrentContext())


def gru_recurrence(xp: Any, w_hh: Any, b_hh: Any, h0: Any) -> Any:
    """A GRU's hidden states (T, N, H) given its input projections xp (T, N, 3H) (gates r, z,
    n). One op."""
    _check("gru_recurrence", xp, w_hh, b_hh, {"h0": h0}, 3)
    return GRU_RECURRENCE(xp, w_hh, b_hh, h0, ctx=RecurrentContext())
