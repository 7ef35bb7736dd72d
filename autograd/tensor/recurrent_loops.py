"""The forward passes of the recurrence ops (``recurrent.py``): loops over time on arrays.

Each loop works on arrays allocated once per sequence, *feature-major*: a step's gates are a
(G * H, N) array and its states (H, N), so every gate is a contiguous block of rows and the
elementwise work (in place, ``out=``) runs over contiguous memory. One product per step makes
all the gates, ``W_hh @ h[t-1]``. The sigmoid gates use sigmoid(a) = (1 + tanh(a / 2)) / 2:
with their rows of W_hh, of the projections and of the biases halved beforehand, one tanh over
all the gates of a step, then a scale and a shift of the sigmoid rows, gives every activation.
The LSTM's loop keeps its gates in the order (i, f, o, g), so that its three sigmoid gates are
side by side. About ten numpy calls per step.

After the loop, a few operations over the whole sequence work out what the rule reads
(``ctx.keep``, feature-major too): the *local factors* of backpropagation through time, which
say how each gate's pre-activation moves with ``dL/dh`` (or ``dL/dc``), in PyTorch's gate
order. ``recurrent.py`` states them as formulas of the gate values (its ``_*_kept`` functions,
which the recorded backward pass uses, and which the tests hold these loops to). The output is
returned as a transposed view, (T, N, H) in shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["gru_forward", "lstm_forward", "rnn_forward"]


def _projections(xw: np.ndarray, bias: np.ndarray, blocks: list[tuple[slice, slice]],
                 dtype: np.dtype) -> np.ndarray:
    """xw (T, N, G * H) plus the bias as a feature-major (T, G * H, N) array, its row blocks
    placed as ``blocks`` says: (rows here, columns of xw)."""
    steps, batch, rows = xw.shape
    a = np.empty((steps, rows, batch), dtype=dtype)
    for ours, theirs in blocks:
        np.add(xw[..., theirs].transpose(0, 2, 1), bias[theirs, None], out=a[:, ours])
    return a


def _per_gate(w: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """W (G * H, H) and the product's array (G * H, N) as G blocks, (G, H, H) and (G, H, N):
    ``np.matmul`` then makes one product per gate, (H, H) @ (H, N). They are as fast as one
    (G * H, H) @ (H, N) product or faster, and small enough that OpenBLAS runs each on one
    thread (it splits larger ones across threads, which costs more than it gains at this
    size, and far more when the other thread must wait for a busy core)."""
    gates, n = w.shape[0] // w.shape[1], w.shape[1]
    return w.reshape(gates, n, n), out.reshape(gates, n, out.shape[1])


def _states(steps: int, n: int, h0: np.ndarray, dtype: np.dtype, extra: int = 0) -> np.ndarray:
    """A feature-major (steps + 1 + extra, H, N) array of states, h0 (N, H) first."""
    h = np.empty((steps + 1 + extra, n, h0.shape[0]), dtype=dtype)
    h[0] = h0.T
    return h


def rnn_forward(xw: np.ndarray, w: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
                h0: np.ndarray, ctx: Any) -> np.ndarray:
    """h[t] = act(xw[t] + b_ih + b_hh + W h[t-1]); keeps (act'(pre), h[0..T])."""
    dtype = np.result_type(xw, w, b_ih, b_hh, h0)
    steps, n = xw.shape[0], w.shape[1]
    every = slice(0, n)
    pre = _projections(xw, np.add(b_ih, b_hh, dtype=dtype), [(every, every)], dtype)
    h = _states(steps, n, h0, dtype)
    weight = w.astype(dtype, copy=False)
    tanh = ctx.nonlinearity == "tanh"
    for t in range(steps):
        ht = h[t + 1]
        np.matmul(weight, h[t], out=ht)
        ht += pre[t]
        if tanh:
            np.tanh(ht, out=ht)
        else:
            np.maximum(ht, 0, out=ht)
    if tanh:
        slope = np.multiply(h[1:], h[1:], out=pre)
        np.subtract(1, slope, out=slope)
    else:
        slope = h[1:] > 0
    ctx.keep((xw, w, b_ih, b_hh, h0), (slope, h))
    return h[1:].transpose(0, 2, 1)


def lstm_forward(xw: np.ndarray, w: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
                 h0: np.ndarray, c0: np.ndarray, ctx: Any) -> np.ndarray:
    """The output (T + 1, N, H): h[1..T], then c[T] (one array: a node holds one). Keeps
    (q, e, f, h[0..T]): q = [g i(1-i), c[t-1] f(1-f), i (1-g^2), tanh(c) o(1-o)] and
    e = o (1 - tanh(c)^2), per step."""
    dtype = np.result_type(xw, w, b_ih, b_hh, h0, c0)
    steps, n = xw.shape[0], w.shape[1]
    order = [(slice(0, 2 * n), slice(0, 2 * n)), (slice(2 * n, 3 * n), slice(3 * n, 4 * n)),
             (slice(3 * n, 4 * n), slice(2 * n, 3 * n))]  # PyTorch's i, f, g, o -> i, f, o, g
    a = _projections(xw, np.add(b_ih, b_hh, dtype=dtype), order, dtype)
    a[:, :3 * n] *= 0.5  # then a[t] holds step t's gates: pre-activations, then activations
    ws = np.concatenate([w[theirs] for _, theirs in order]).astype(dtype)
    ws[:3 * n] *= 0.5
    h = _states(steps, n, h0, dtype, extra=1)  # h[0], h[1] ... h[T], and c[T]
    c = _states(steps, n, c0, dtype)
    tc = np.empty((steps, n, h.shape[2]), dtype=dtype)  # tanh(c[t])
    product, ig = np.empty((4 * n, h.shape[2]), dtype=dtype), np.empty_like(tc[0])
    blocks, per_gate = _per_gate(ws, product)
    for t in range(steps):
        gates = a[t]
        np.matmul(blocks, h[t], out=per_gate)
        gates += product
        np.tanh(gates, out=gates)
        sig = gates[:3 * n]
        sig *= 0.5
        sig += 0.5
        np.multiply(gates[n:2 * n], c[t], out=c[t + 1])
        np.multiply(gates[:n], gates[3 * n:], out=ig)
        c[t + 1] += ig
        np.tanh(c[t + 1], out=tc[t])
        np.multiply(gates[2 * n:3 * n], tc[t], out=h[t + 1])
    h[steps + 1] = c[steps]
    i, f, o, g = (a[:, k * n:(k + 1) * n] for k in range(4))
    slope = np.subtract(1, a)  # a(1 - a) for the sigmoids, 1 - g^2 for g
    slope[:, :3 * n] *= a[:, :3 * n]
    slope[:, 3 * n:] *= g + 1
    q = np.empty_like(a)  # PyTorch's order
    for k, (partner, s) in enumerate(((g, 0), (c[:-1], 1), (i, 3), (tc, 2))):
        np.multiply(partner, slope[:, s * n:(s + 1) * n], out=q[:, k * n:(k + 1) * n])
    e = np.multiply(tc, tc, out=tc)
    np.subtract(1, e, out=e)
    e *= o
    ctx.keep((xw, w, b_ih, b_hh, h0, c0), (q, e, f, h[:steps + 1]))
    return h[1:].transpose(0, 2, 1)


def gru_forward(xw: np.ndarray, w: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
                h0: np.ndarray, ctx: Any) -> np.ndarray:
    """h[t] = n + z (h[t-1] - n). Keeps (q, qh, z, h[0..T]): q = [qr, qz, qn] with
    qn = (1-z)(1-n^2), qr = qn hh_n r(1-r), qz = (h[t-1] - n) z(1-z), and qh = [qr, qz, qn r],
    per step."""
    dtype = np.result_type(xw, w, b_ih, b_hh, h0)
    steps, n = xw.shape[0], w.shape[1]
    every = slice(0, 3 * n)
    a = _projections(xw, b_ih.astype(dtype), [(every, every)], dtype)  # then r, z, n
    a[:, :2 * n] *= 0.5
    ws = w.astype(dtype)
    ws[:2 * n] *= 0.5
    bias = b_hh.astype(dtype)[:, None]
    bias[:2 * n] *= 0.5
    h = _states(steps, n, h0, dtype)
    hn = np.empty((steps, n, h.shape[2]), dtype=dtype)  # W_hn h + b_hn
    hh, tmp = np.empty((3 * n, h.shape[2]), dtype=dtype), np.empty_like(hn[0])
    blocks, per_gate = _per_gate(ws, hh)
    for t in range(steps):
        gates = a[t]
        rz, new = gates[:2 * n], gates[2 * n:]
        np.matmul(blocks, h[t], out=per_gate)
        hh += bias
        rz += hh[:2 * n]
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        hn[t] = hh[2 * n:]
        np.multiply(gates[:n], hn[t], out=tmp)
        new += tmp
        np.tanh(new, out=new)
        np.subtract(h[t], new, out=tmp)
        tmp *= gates[n:2 * n]
        np.add(new, tmp, out=h[t + 1])
    r, z, nn = (a[:, k * n:(k + 1) * n] for k in range(3))
    q, qh = np.empty((2, *a.shape), dtype=dtype)
    qr, qz, qn = (q[:, k * n:(k + 1) * n] for k in range(3))
    np.multiply(nn, nn, out=qn)
    np.subtract(1, qn, out=qn)
    qn *= 1 - z  # (1 - z)(1 - n^2)
    np.subtract(1, z, out=qz)
    qz *= z
    qz *= h[:-1] - nn  # (h[t-1] - n) z (1 - z)
    np.subtract(1, r, out=qr)
    qr *= r
    qr *= hn
    qr *= qn  # qn hh_n r (1 - r)
    qh[:, :2 * n] = q[:, :2 * n]
    np.multiply(qn, r, out=qh[:, 2 * n:])
    ctx.keep((xw, w, b_ih, b_hh, h0), (q, qh, z, h))
    return h[1:].transpose(0, 2, 1)
