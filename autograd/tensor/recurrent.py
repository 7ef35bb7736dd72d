"""Recurrent ops: the whole recurrence of an RNN, an LSTM or a GRU layer as one op row each.

A recurrent layer computes its input projections for all T steps in one product,
``xw[t] = x[t] @ W_ih^T``, then runs the recurrence over time. Recorded step by step from
primitive ops that recurrence is a graph of hundreds of tiny nodes (about 20 per LSTM step); here
it is one node, ``f(xw, W_hh, b_ih, b_hh, h0[, c0])``, whose forward loops over time on arrays
allocated once (``recurrent_loops.py``: one product per step for all the gates, in place
elementwise work) and keeps the *local factors* of the rule. The rule is backpropagation through
time:

- from the last step back, ``dL/dh[t] = dL/doutput[t] + dL/dpre[t + 1] @ W_hh`` and each gate's
  ``dL/dpre[t]``, which is ``dL/dh[t]`` (or the LSTM's ``dL/dc[t]``) times its local factor
  (e.g. for the LSTM's input gate, ``g * i * (1 - i)``): the only sequential part, one product
  per step;
- then, in one product, ``dL/dW_hh = sum_t dL/dpre[t]^T @ h[t - 1]``; the biases' gradients are
  sums over steps and samples, and ``dL/dxw = dL/dpre``.

The rule works feature-major, as the loops do (a step's gradients are (features, N) arrays).
It is written with operators and ops called through ``Op.run`` (``concatenate``, ``@``,
indexing, ``sum``), so it runs on the kept arrays in ``backward()`` and on nodes in
``grad(..., create_graph=True)``. In that recorded pass the local factors are computed again from
the inputs, as nodes, by the plain cells below and the formulas of ``_*_kept``, so second
derivatives are exact.

The cells (:func:`rnn_cell`, :func:`lstm_cell`, :func:`gru_cell`) are PyTorch's equations written
with primitive ops, one step: they are the reference the fused ops are tested against, and what a
layer built with ``unroll=True`` records step by step (a graph that shows every gate). Gate order
and layouts are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n), ``W_hh`` of shape (G * H, H).

>>> import numpy as np
>>> xw = np.zeros((3, 1, 8))  # 3 steps, batch 1, 4 gates of 2 units
>>> w, b, h0, c0 = np.eye(8, 2), np.zeros(8), np.ones((1, 2)), np.ones((1, 2))
>>> out = lstm_recurrence(xw, w, b, b, h0, c0)  # h_1, h_2, h_3, then c_3
>>> out.shape
(4, 1, 2)
>>> np.allclose(out.data, lstm_reference(xw, w, b, b, h0, c0))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..ops import is_node, value_of
from .ops import CONCATENATE, LINEAR, RELU, SIGMOID, TANH, _needed, tensor_op
from .recurrent_loops import gru_forward, lstm_forward, rnn_forward

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

def rnn_cell(xw: Any, h: Any, w_hh: Any, b_ih: Any, b_hh: Any,
             nonlinearity: str = "tanh") -> Any:
    """One step of an Elman RNN, ``xw = x @ W_ih^T``, arrays or Tensors (N, H)::

        h' = act(xw + b_ih + h @ W_hh^T + b_hh),   act tanh or relu
    """
    pre = xw + b_ih + LINEAR.run(h, w_hh) + b_hh
    return _named(tanh(pre) if nonlinearity == "tanh" else RELU.run(pre), "h")


def lstm_cell(xw: Any, h: Any, c: Any, w_hh: Any, b_ih: Any, b_hh: Any,
              ) -> tuple[Any, Any, tuple]:
    """One LSTM step; ``xw = x @ W_ih^T`` (N, 4H), h and c (N, H)::

        i, f, g, o = σ, σ, tanh, σ of the four blocks of xw + b_ih + h @ W_hh^T + b_hh
        c' = f * c + i * g,   h' = o * tanh(c')

    Returns ``h', c'`` and the step's values ``(i, f, g, o, tanh(c'))``."""
    n = h.shape[-1]
    gates = _named(xw + b_ih + LINEAR.run(h, w_hh) + b_hh, "gates")
    i, f = _named(sigmoid(gates[:, :n]), "i"), _named(sigmoid(gates[:, n:2 * n]), "f")
    g, o = _named(tanh(gates[:, 2 * n:3 * n]), "g"), _named(sigmoid(gates[:, 3 * n:]), "o")
    c = _named(f * c + i * g, "c")
    tc = _named(tanh(c), "tanh(c)")
    return _named(o * tc, "h"), c, (i, f, g, o, tc)


def gru_cell(xw: Any, h: Any, w_hh: Any, b_ih: Any, b_hh: Any) -> tuple[Any, tuple]:
    """One GRU step; ``gx = x @ W_ih^T + b_ih`` (N, 3H), ``hh = h @ W_hh^T + b_hh``::

        r, z = σ(gx_r + hh_r), σ(gx_z + hh_z),   n = tanh(gx_n + r * hh_n)
        h' = (1 - z) * n + z * h

    Returns ``h'`` and the step's values ``(r, z, n, hh_n)``."""
    k = h.shape[-1]
    gx = xw + b_ih
    hh = _named(LINEAR.run(h, w_hh) + b_hh, "hh")
    r = _named(sigmoid(gx[:, :k] + hh[:, :k]), "r")
    z = _named(sigmoid(gx[:, k:2 * k] + hh[:, k:2 * k]), "z")
    hn = hh[:, 2 * k:]
    n = _named(tanh(gx[:, 2 * k:] + r * hn), "n")
    return _named((1 - z) * n + z * h, "h"), (r, z, n, hn)


# ---- the plain references: the cells over time (the rule's recorded pass uses them too) -------

def _rnn_states(xw: Any, w: Any, b_ih: Any, b_hh: Any, h0: Any, ctx: RecurrentContext) -> Any:
    hs = [h0]
    for t in range(xw.shape[0]):
        hs.append(rnn_cell(xw[t], hs[-1], w, b_ih, b_hh, ctx.nonlinearity))
    return _stack(hs)


def _lstm_states(xw: Any, w: Any, b_ih: Any, b_hh: Any, h0: Any, c0: Any) -> tuple:
    hs, cs, steps = [h0], [c0], []
    for t in range(xw.shape[0]):
        h, c, values = lstm_cell(xw[t], hs[-1], cs[-1], w, b_ih, b_hh)
        hs.append(h)
        cs.append(c)
        steps.append(values)
    i, f, g, o, tc = (_stack([s[k] for s in steps]) for k in range(5))
    return i, f, g, o, tc, _stack(cs), _stack(hs)


def _gru_states(xw: Any, w: Any, b_ih: Any, b_hh: Any, h0: Any) -> tuple:
    hs, steps = [h0], []
    for t in range(xw.shape[0]):
        h, values = gru_cell(xw[t], hs[-1], w, b_ih, b_hh)
        hs.append(h)
        steps.append(values)
    r, z, n, hn = (_stack([s[k] for s in steps]) for k in range(4))
    return r, z, n, hn, _stack(hs)


def rnn_reference(xw: Any, w_hh: Any, b_ih: Any, b_hh: Any, h0: Any,
                  nonlinearity: str = "tanh") -> Any:
    """RNN_RECURRENCE's output computed with :func:`rnn_cell`, step by step."""
    return _rnn_states(xw, w_hh, b_ih, b_hh, h0, RecurrentContext(nonlinearity))[1:]


def lstm_reference(xw: Any, w_hh: Any, b_ih: Any, b_hh: Any, h0: Any, c0: Any) -> Any:
    """LSTM_RECURRENCE's output computed with :func:`lstm_cell`, step by step."""
    *_, c, h = _lstm_states(xw, w_hh, b_ih, b_hh, h0, c0)
    return _cat([h[1:], c[-1:]], 0)


def gru_reference(xw: Any, w_hh: Any, b_ih: Any, b_hh: Any, h0: Any) -> Any:
    """GRU_RECURRENCE's output computed with :func:`gru_cell`, step by step."""
    return _gru_states(xw, w_hh, b_ih, b_hh, h0)[-1][1:]


# ---- what each rule reads ---------------------------------------------------------------------
# On arrays: kept by the forward loop. In a recorded backward pass: these formulas of the gate
# values, which the cells compute again from the inputs (as nodes). Both feature-major: a step's
# values are (features, N), each sequence (T, features, N).

def _feature_major(*sequences: Any) -> tuple:
    return tuple(s.transpose(0, 2, 1) for s in sequences)


def _rnn_kept(xw: Any, w: Any, b_ih: Any, b_hh: Any, h0: Any, ctx: RecurrentContext) -> tuple:
    """(act'(pre[t]), h[0..T]): 1 - h^2 for tanh, the mask h > 0 (a constant) for relu."""
    h = _rnn_states(xw, w, b_ih, b_hh, h0, ctx)
    slope = 1 - h[1:] * h[1:] if ctx.nonlinearity == "tanh" else value_of(h)[1:] > 0
    return _feature_major(slope, h)


def _lstm_kept(xw: Any, w: Any, b_ih: Any, b_hh: Any, h0: Any, c0: Any,
               ctx: RecurrentContext) -> tuple:
    """(q, e, f, h[0..T]): each gate's local factor q, and e = o (1 - tanh(c)^2)."""
    i, f, g, o, tc, c, h = _lstm_states(xw, w, b_ih, b_hh, h0, c0)
    q = _cat([g * i * (1 - i), c[:-1] * f * (1 - f), i * (1 - g * g), tc * o * (1 - o)], 2)
    return _feature_major(q, o * (1 - tc * tc), f, h)


def _gru_kept(xw: Any, w: Any, b_ih: Any, b_hh: Any, h0: Any, ctx: RecurrentContext) -> tuple:
    """(q, qh, z, h[0..T]): the gates' local factors on the input side and on hh's."""
    r, z, n, hn, h = _gru_states(xw, w, b_ih, b_hh, h0)
    qn = (1 - z) * (1 - n * n)
    qr = qn * hn * r * (1 - r)
    qz = (h[:-1] - n) * z * (1 - z)
    return _feature_major(_cat([qr, qz, qn], 2), _cat([qr, qz, qn * r], 2), z, h)


# ---- the rules: backpropagation through time, feature-major ----------------------------------

def _kept(node: Any, forward: Callable[..., np.ndarray], formulas: Callable[..., tuple]) -> tuple:
    """What the rule reads: kept by the forward (on arrays), or computed again from the inputs
    (on nodes, when the backward pass is recorded: differentiable)."""
    inputs = tuple(p.data for p in node._prev)
    ctx: RecurrentContext = node._ctx
    if any(is_node(x) for x in inputs):
        return formulas(*inputs, ctx)
    saved = ctx.kept(inputs)
    if saved is None:  # the context served another call: run the forward again
        again = RecurrentContext(ctx.nonlinearity)
        forward(*inputs, again)
        saved = again.saved
    return saved


def _columns(rows: Sequence[Any]) -> Any:
    """Each step's (features, N) array side by side: (features, T, N), so that the gradients
    below are single products and sums over contiguous rows."""
    g, n = rows[0].shape
    return _cat([r.reshape(g, 1, n) for r in rows[::-1]], 1)


def _grads(node: Any, dx: Any, dhh: Any, h: Any, *states: Any) -> tuple:
    """Every parent's gradient from the rule's results, dx and dhh (features, T, N): dL/dxw =
    dx; dL/dW_hh = dhh @ [h[0] ... h[T-1]]^T, one product; the biases' sums of dx and of dhh
    (a sum each: no two parents share an array); the initial states'."""
    xw, w, b_ih, b_hh, *initial = node._prev
    g, steps, batch = dhh.shape
    flat = dhh.reshape(g, steps * batch)
    gw = None
    if w.requires_grad:
        gw = flat @ h[:-1].transpose(1, 0, 2).reshape(h.shape[1], steps * batch).T
    return (_needed(xw, dx.transpose(1, 2, 0)), gw,
            *(d.reshape(g, steps * batch).sum(axis=1) if p.requires_grad else None
              for p, d in ((b_ih, dx), (b_hh, dhh))),
            *(_needed(p, s.T) for p, s in zip(initial, states)))


def _backward_product(w: Any) -> Callable[[Any], Any]:
    """``rows -> W^T @ rows`` for W (G * H, H) and rows (G * H, N), made as one product per gate
    and their sum: each small enough to run on one thread (see recurrent_loops._per_gate)."""
    gates, n = w.shape[0] // w.shape[1], w.shape[1]
    blocks = w.reshape(gates, n, n).transpose(0, 2, 1)
    return lambda rows: (blocks @ rows.reshape(gates, n, rows.shape[-1])).sum(axis=0)


def _rnn_vjp(node: Any, up: Any) -> tuple:
    """From the last step back: dL/dpre[t] = (dL/dout[t] + W^T dL/dpre[t + 1]) * act'."""
    slope, h = _kept(node, rnn_forward, _rnn_kept)
    wt, upt = _backward_product(node._prev[1].data), up.transpose(0, 2, 1)
    rows: list[Any] = []
    back = None  # dL/dh[t] through step t + 1
    for t in range(len(slope) - 1, -1, -1):
        dh = upt[t] if back is None else upt[t] + back
        rows.append(dh * slope[t])
        back = wt(rows[-1])
    dpre = _columns(rows)
    return _grads(node, dpre, dpre, h, back)


def _lstm_vjp(node: Any, up: Any) -> tuple:
    """From the last step back: dL/dh[t] = dL/dout[t] + W_hh^T dL/dgates[t + 1];
    dL/dc[t] = dL/dc[t + 1] * f[t + 1] + dL/dh[t] * e[t]; the gates' dL/dpre =
    [dL/dc; dL/dc; dL/dc; dL/dh] * q[t]."""
    q, e, f, h = _kept(node, lstm_forward, _lstm_kept)
    steps, wt, upt = len(e), _backward_product(node._prev[1].data), up.transpose(0, 2, 1)
    dc, back, rows = upt[steps], None, []
    for t in range(steps - 1, -1, -1):
        dh = upt[t] if back is None else upt[t] + back
        dc = dc + dh * e[t]
        rows.append(_cat([dc, dc, dc, dh], 0) * q[t])
        dc = dc * f[t]
        back = wt(rows[-1])
    dpre = _columns(rows)
    return _grads(node, dpre, dpre, h, back, dc)


def _gru_vjp(node: Any, up: Any) -> tuple:
    """From the last step back: dL/dh[t] = dL/dout[t] + W_hh^T dL/dhh[t + 1] + dL/dh[t + 1] *
    z[t + 1]; dL/dxw[t] = [dL/dh] * 3 * q[t] and dL/dhh[t] = [dL/dh] * 3 * qh[t]."""
    q, qh, z, h = _kept(node, gru_forward, _gru_kept)
    wt, upt = _backward_product(node._prev[1].data), up.transpose(0, 2, 1)
    rows, hh_rows, back = [], [], None
    for t in range(len(z) - 1, -1, -1):
        dh = upt[t] if back is None else upt[t] + back
        dh3 = _cat([dh, dh, dh], 0)
        rows.append(dh3 * q[t])
        hh_rows.append(dh3 * qh[t])
        back = wt(hh_rows[-1]) + dh * z[t]
    return _grads(node, _columns(rows), _columns(hh_rows), h, back)


RNN_RECURRENCE = tensor_op(
    "rnn_recurrence", rnn_forward, vjp=_rnn_vjp, symbol="RNN", arity=5, uses_ctx=True,
    fresh_vjp=True,
    math="f(xw, W, b_ih, b_hh, h0)[t] = h[t] = act(xw[t] + b_ih + h[t-1] @ W^T + b_hh), "
         "t = 1..T (act tanh or relu);  backprop through time: dL/dpre[t] = (dL/df[t] + "
         "dL/dpre[t+1] @ W) * act'(pre[t]);  dL/dxw = dL/dpre;  dL/dW = sum_t dL/dpre[t]^T @ "
         "h[t-1];  dL/db_ih = dL/db_hh = sum_t dL/dpre[t];  dL/dh0 = dL/dpre[1] @ W")
LSTM_RECURRENCE = tensor_op(
    "lstm_recurrence", lstm_forward, vjp=_lstm_vjp, symbol="LSTM", arity=6, uses_ctx=True,
    fresh_vjp=True,
    math="f(xw, W, b_ih, b_hh, h0, c0) = [h[1..T], c[T]] with (i, f, g, o) = (σ, σ, tanh, σ) "
         "of the blocks of xw[t] + b_ih + h[t-1] @ W^T + b_hh, c[t] = f * c[t-1] + i * g, "
         "h[t] = o * tanh(c[t]);  "
         "backprop through time: dL/dc[t] = dL/dc[t+1] * f[t+1] + dL/dh[t] * o * (1 - "
         "tanh(c[t])^2), dL/dh[t] = dL/df[t] + dL/dpre[t+1] @ W;  dL/dpre_i = dL/dc * g * "
         "i(1-i), dL/dpre_f = dL/dc * c[t-1] * f(1-f), dL/dpre_g = dL/dc * i * (1-g^2), "
         "dL/dpre_o = dL/dh * tanh(c) * o(1-o);  dL/dxw = dL/dpre;  dL/dW = sum_t "
         "dL/dpre[t]^T @ h[t-1];  dL/db_ih = dL/db_hh = sum_t dL/dpre[t]")
GRU_RECURRENCE = tensor_op(
    "gru_recurrence", gru_forward, vjp=_gru_vjp, symbol="GRU", arity=5, uses_ctx=True,
    fresh_vjp=True,
    math="f(xw, W, b_ih, b_hh, h0)[t] = h[t] = (1 - z) * n + z * h[t-1] with gx = xw[t] + "
         "b_ih, hh = h[t-1] @ W^T + b_hh, r = σ(gx_r + hh_r), z = σ(gx_z + hh_z), "
         "n = tanh(gx_n + r * hh_n);  backprop "
         "through time: dL/dh[t] = dL/df[t] + dL/dhh[t+1] @ W + dL/dh[t+1] * z[t+1];  "
         "dL/dpre_n = dL/dh * (1-z)(1-n^2), dL/dpre_z = dL/dh * (h[t-1] - n) * z(1-z), "
         "dL/dpre_r = dL/dpre_n * hh_n * r(1-r);  dL/dxw = dL/dpre;  dL/dhh = dL/dpre with its "
         "n block times r;  dL/dW = sum_t dL/dhh[t]^T @ h[t-1];  dL/db_ih = sum_t dL/dpre[t];  "
         "dL/db_hh = sum_t dL/dhh[t]")


# ---- the functions: check the arguments, apply the op -----------------------------------------

def _check(name: str, xw: Any, w: Any, biases: Sequence[Any], states: dict[str, Any],
           gates: int) -> None:
    """ValueErrors naming the op, the shapes and what was expected."""
    sx, sw = np.shape(xw), np.shape(w)
    if len(sw) != 2 or sw[0] != gates * sw[1]:
        raise ValueError(f"{name}: W_hh must be ({gates} * hidden, hidden), got shape {sw}")
    n = sw[1]
    if len(sx) != 3 or sx[0] < 1 or sx[2] != gates * n:
        raise ValueError(f"{name}: the input projections xw must be (steps >= 1, batch, "
                         f"{gates * n}) for W_hh of shape {sw}, got shape {sx}")
    for what, b in zip(("b_ih", "b_hh"), biases):
        if np.shape(b) != (gates * n,):
            raise ValueError(f"{name}: {what} must be ({gates * n},), got shape {np.shape(b)}")
    for what, s in states.items():
        if np.shape(s) != (sx[1], n):
            raise ValueError(f"{name}: {what} must be (batch, hidden) = {(sx[1], n)}, got "
                             f"shape {np.shape(s)}")


def rnn_recurrence(xw: Any, w_hh: Any, b_ih: Any, b_hh: Any, h0: Any,
                   nonlinearity: str = "tanh") -> Any:
    """The hidden states (T, N, H) of an Elman RNN given its input projections
    ``xw[t] = x[t] @ W_ih^T`` (T, N, H): ``h[t] = act(xw[t] + b_ih + h[t-1] @ W_hh^T + b_hh)``.
    One op."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"rnn_recurrence: nonlinearity must be 'tanh' or 'relu', got "
                         f"{nonlinearity!r}")
    _check("rnn_recurrence", xw, w_hh, (b_ih, b_hh), {"h0": h0}, 1)
    return RNN_RECURRENCE(xw, w_hh, b_ih, b_hh, h0, ctx=RecurrentContext(nonlinearity))


def lstm_recurrence(xw: Any, w_hh: Any, b_ih: Any, b_hh: Any, h0: Any, c0: Any) -> Any:
    """An LSTM's hidden states and last cell state, (T + 1, N, H): ``h[1] ... h[T]``, then
    ``c[T]``, given its input projections ``xw[t] = x[t] @ W_ih^T`` (T, N, 4H) (gates i, f, g,
    o). One op."""
    _check("lstm_recurrence", xw, w_hh, (b_ih, b_hh), {"h0": h0, "c0": c0}, 4)
    return LSTM_RECURRENCE(xw, w_hh, b_ih, b_hh, h0, c0, ctx=RecurrentContext())


def gru_recurrence(xw: Any, w_hh: Any, b_ih: Any, b_hh: Any, h0: Any) -> Any:
    """A GRU's hidden states (T, N, H) given its input projections ``xw[t] = x[t] @ W_ih^T``
    (T, N, 3H) (gates r, z, n). One op."""
    _check("gru_recurrence", xw, w_hh, (b_ih, b_hh), {"h0": h0}, 3)
    return GRU_RECURRENCE(xw, w_hh, b_ih, b_hh, h0, ctx=RecurrentContext())
