"""Recurrent layers: RNN, LSTM and GRU, with PyTorch's signatures, shapes and parameter names.

``layer(x, hx=None)`` takes a sequence x of shape (T, N, input_size), or (N, T, input_size) with
``batch_first=True``, or one unbatched sequence (T, input_size), and returns
``(output, h_n)`` (RNN, GRU) or ``(output, (h_n, c_n))`` (LSTM): output holds the last layer's
hidden state at every step, (T, N, H) (or (N, T, H)); h_n and c_n hold every layer's state after
the last step, (num_layers, N, H). ``hx`` (``(h_0, c_0)`` for an LSTM) gives the initial states,
(num_layers, N, H) each; zeros by default. Parameters are PyTorch's, per layer k:
``weight_ih_l{k}`` (G * H, in), ``weight_hh_l{k}`` (G * H, H), ``bias_ih_l{k}`` and
``bias_hh_l{k}`` (G * H,), with G = 1 (RNN), 4 (LSTM: gates i, f, g, o) or 3 (GRU: r, z, n),
drawn from U(-1/sqrt(H), 1/sqrt(H)) as PyTorch does; so ``load_state_dict`` takes a torch
layer's ``state_dict()`` as it is.

Each layer computes its input projections for all steps in one (batched) product,
``xw = x @ W_ih^T`` (made as ``W_ih @ x[t]^T``, in the layout the recurrence works in), then
runs the recurrence (biases included) as one op (``autograd.tensor``'s
``lstm_recurrence`` ...), whose rule is backpropagation through time. With ``unroll=True`` it
records every step instead, from primitive ops (``linear``, ``sigmoid``, ``tanh``, ``*``,
``+``): slower, but a drawing of the graph shows every gate of every step (each step in its own
cluster when scopes are recorded). Both give the same numbers.

>>> import numpy as np
>>> lstm = LSTM(3, 5, num_layers=2, rng=0)
>>> output, (h_n, c_n) = lstm(np.ones((7, 4, 3), dtype=np.float32))  # T=7, N=4
>>> output.shape, h_n.shape, c_n.shape
((7, 4, 5), (2, 4, 5), (2, 4, 5))
>>> [name for name, _ in lstm.named_parameters()][:4]
['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Tensor, is_recording_scopes, scope
from autograd.tensor import (
    concatenate,
    gru_cell,
    gru_recurrence,
    linear,
    lstm_cell,
    lstm_recurrence,
    rnn_cell,
    rnn_recurrence,
    stack,
)

from ._checks import count, generator
from .module import Module
from .parameter import Parameter

__all__ = ["GRU", "LSTM", "RNN"]

Shape = tuple[int | None, ...]


def _flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{owner}: {name} must be a bool, got {type(value).__name__} "
                        f"{value!r:.40}")
    return bool(value)


class _Recurrent(Module):
    """What the three layers share: parameters, argument checks, the loop over layers."""

    GATES = 1
    STATES = 1  # hidden states per layer: 1, or 2 for the LSTM's (h, c)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 batch_first: bool = False, unroll: bool = False, rng: Any = None) -> None:
        owner = type(self).__name__
        self.input_size = count(owner, "input_size", input_size)
        self.hidden_size = count(owner, "hidden_size", hidden_size)
        self.num_layers = count(owner, "num_layers", num_layers)
        self.batch_first = _flag(owner, "batch_first", batch_first)
        self.unroll = _flag(owner, "unroll", unroll)
        draw = generator(owner, rng)
        rows, bound = self.GATES * self.hidden_size, 1.0 / math.sqrt(self.hidden_size)
        for k in range(self.num_layers):
            nin = self.input_size if k == 0 else self.hidden_size
            for name, shape in (("weight_ih", (rows, nin)), ("weight_hh", (rows, hidden_size)),
                                ("bias_ih", (rows,)), ("bias_hh", (rows,))):
                data = draw.uniform(-bound, bound, size=shape).astype(np.float32)
                setattr(self, f"{name}_l{k}", Parameter(data, label=f"{name}_l{k}"))

    def weights(self, k: int) -> tuple[Parameter, Parameter, Parameter, Parameter]:
        """Layer k's ``(weight_ih, weight_hh, bias_ih, bias_hh)``."""
        return tuple(getattr(self, f"{name}_l{k}")  # type: ignore[return-value]
                     for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    # ---- the computation ---------------------------------------------------------------------
    def forward(self, x: Any, hx: Any = None) -> tuple[Tensor, Any]:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size or 0 in x.shape:
            order = "batch, steps" if self.batch_first else "steps, batch"
            raise ValueError(f"{self._name()}: expected input of shape ({order}, "
                             f"{self.input_size}) or (steps, {self.input_size}), got {x.shape}")
        batched = x.ndim == 3
        if not batched:  # one sequence: a batch of one, taken away again at the end
            x = x.reshape(x.shape[0], 1, x.shape[1])
        first = self.batch_first and batched
        steps, batch = (x.shape[1], x.shape[0]) if first else x.shape[:2]
        weight = self.weight_ih_l0.data
        dtype = np.result_type(x.dtype, weight.dtype) if x.dtype.kind == "f" else weight.dtype
        states = self._initial_states(hx, batch, batched, dtype)
        inp, last = x, []
        for k in range(self.num_layers):
            layer_states = [s[k] for s in states]
            for name, s in zip(("h_0", "c_0"), layer_states):
                s.label = f"{name}[{k}]"
            if self.unroll:
                time_major = inp.transpose(1, 0, 2) if first and k == 0 else inp
                inp, ends = self._unrolled(time_major, k, layer_states)
            else:
                inp, ends = self._fused(inp, k, layer_states, first and k == 0)
            last.append(ends)
        finals = [self._join([ends[j] for ends in last]) for j in range(self.STATES)]
        output = inp.transpose(1, 0, 2) if first else inp
        if not batched:
            output = output.reshape(steps, self.hidden_size)
            finals = [s.reshape(self.num_layers, self.hidden_size) for s in finals]
        return output, (finals[0] if self.STATES == 1 else tuple(finals))

    def _fused(self, inp: Tensor, k: int, states: list[Tensor],
               batch_first: bool) -> tuple[Tensor, list[Tensor]]:
        """One layer: the input projections of all the steps in one product, then the
        recurrence op. Returns the hidden states (T, N, H) and the last states, each (1, N, H).

        The product is made feature-major, ``W_ih @ x[t]^T`` for every step t in one batched
        product (one op), which gives the layout the recurrence's loop works in: ``xw`` is a
        transposed view of it, (T, N, G * H) in shape."""
        w_ih, w_hh, b_ih, b_hh = self.weights(k)
        time_major = inp.transpose(1, 0, 2) if batch_first else inp
        steps = time_major.shape[0]
        xw = (w_ih @ time_major.transpose(0, 2, 1)).transpose(0, 2, 1)
        xw.label = f"x @ weight_ih_l{k}^T"
        out = self._recurrence(xw, w_hh, b_ih, b_hh, states)
        out.label = "h[1..T], c[T]" if self.STATES == 2 else "h[1..T]"
        return out[:steps], [out[j:j + 1] for j in range(steps - 1, steps - 1 + self.STATES)]

    def _unrolled(self, inp: Tensor, k: int, states: list[Tensor],
                  ) -> tuple[Tensor, list[Tensor]]:
        """One layer recorded step by step from primitive ops (the cells)."""
        w_ih, w_hh, b_ih, b_hh = self.weights(k)
        outputs = []
        for t in range(inp.shape[0]):
            if is_recording_scopes():
                with scope(f"layer {k}, step {t + 1}"):
                    states = self._step(linear(inp[t], w_ih), states, w_hh, b_ih, b_hh)
            else:
                states = self._step(linear(inp[t], w_ih), states, w_hh, b_ih, b_hh)
            outputs.append(states[0])
        return stack(outputs), [s.reshape(1, *s.shape) for s in states]

    def _join(self, finals: list[Tensor]) -> Tensor:
        return finals[0] if len(finals) == 1 else concatenate(finals, 0)

    def _initial_states(self, hx: Any, batch: int, batched: bool,
                        dtype: np.dtype) -> list[Tensor]:
        """The initial states as (num_layers, N, H) tensors, from hx or zeros."""
        shape = (self.num_layers, batch, self.hidden_size)
        if hx is None:
            return [Tensor(np.zeros(shape, dtype=dtype), label=name)
                    for name in ("h_0", "c_0")[:self.STATES]]
        given = hx if self.STATES > 1 else (hx,)
        if self.STATES > 1 and (not isinstance(hx, tuple | list) or len(hx) != self.STATES):
            raise TypeError(f"{self._name()}: hx must be a pair (h_0, c_0), got "
                            f"{type(hx).__name__}")
        want = shape if batched else shape[::2]
        out = []
        for name, s in zip(("h_0", "c_0"), given):
            s = s if isinstance(s, Tensor) else Tensor(s)
            if s.shape != want:
                raise ValueError(f"{self._name()}: expected {name} of shape {want} (num_layers, "
                                 f"{'batch, ' if batched else ''}hidden_size), got {s.shape}")
            out.append(s if batched else s.reshape(shape))
        return out

    # ---- printing and summary() --------------------------------------------------------------
    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        """The output's shape (the first of the two results): one sample's (T, input_size),
        or a 3-D shape with None for the batch."""
        if input_shape is None:
            return None
        shape = tuple(input_shape)
        if len(shape) == 2:
            shape = (None, *shape) if self.batch_first else (shape[0], None, shape[1])
        if len(shape) != 3 or shape[-1] != self.input_size:
            raise ValueError(f"{self._name()}: expected input of shape (steps, batch, "
                             f"{self.input_size}), got {tuple(input_shape)}")
        return (*shape[:2], self.hidden_size)

    def _name(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.batch_first:
            text += ", batch_first=True"
        if self.unroll:
            text += ", unroll=True"
        return text

    def _recurrence(self, xw: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor,
                    states: list[Tensor]) -> Any:
        """The recurrence op on the projections xw = x @ W_ih^T of all the steps."""
        raise NotImplementedError

    def _step(self, xw: Tensor, states: list[Tensor], w_hh: Tensor, b_ih: Tensor,
              b_hh: Tensor) -> list[Tensor]:
        """One step from the cells: the new states."""
        raise NotImplementedError


class RNN(_Recurrent):
    """An Elman RNN (PyTorch's ``RNN``): ``h[t] = act(x[t] @ W_ih^T + b_ih + h[t-1] @ W_hh^T +
    b_hh)``, act tanh or relu (``nonlinearity``). Arguments as PyTorch's (input_size,
    hidden_size, num_layers, nonlinearity, batch_first), plus ``unroll`` and ``rng`` (see the
    module docstring). Returns ``(output, h_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", batch_first: bool = False, unroll: bool = False,
                 rng: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, batch_first, unroll, rng)

    def _recurrence(self, xw: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor,
                    states: list[Tensor]) -> Any:
        return rnn_recurrence(xw, w_hh, b_ih, b_hh, states[0], self.nonlinearity)

    def _step(self, xw: Tensor, states: list[Tensor], w_hh: Tensor, b_ih: Tensor,
              b_hh: Tensor) -> list[Tensor]:
        return [rnn_cell(xw, states[0], w_hh, b_ih, b_hh, self.nonlinearity)]

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity='relu'"


class LSTM(_Recurrent):
    """A long short-term memory layer (PyTorch's ``LSTM``)::

        i, f, g, o = σ, σ, tanh, σ of the four blocks of x[t] @ W_ih^T + b_ih + h @ W_hh^T + b_hh
        c[t] = f * c[t-1] + i * g,   h[t] = o * tanh(c[t])

    Returns ``(output, (h_n, c_n))``; ``hx`` is a pair ``(h_0, c_0)``."""

    GATES = 4
    STATES = 2

    def _recurrence(self, xw: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor,
                    states: list[Tensor]) -> Any:
        return lstm_recurrence(xw, w_hh, b_ih, b_hh, *states)  # h_1 ... h_T, then c_T

    def _step(self, xw: Tensor, states: list[Tensor], w_hh: Tensor, b_ih: Tensor,
              b_hh: Tensor) -> list[Tensor]:
        h, c, _ = lstm_cell(xw, *states, w_hh, b_ih, b_hh)
        return [h, c]


class GRU(_Recurrent):
    """A gated recurrent unit layer (PyTorch's ``GRU``)::

        r, z = σ(x W_ir^T + b_ir + h W_hr^T + b_hr), σ(x W_iz^T + b_iz + h W_hz^T + b_hz)
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),   h[t] = (1 - z) * n + z * h[t-1]

    Returns ``(output, h_n)``."""

    GATES = 3

    def _recurrence(self, xw: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor,
                    states: list[Tensor]) -> Any:
        return gru_recurrence(xw, w_hh, b_ih, b_hh, states[0])

    def _step(self, xw: Tensor, states: list[Tensor], w_hh: Tensor, b_ih: Tensor,
              b_hh: Tensor) -> list[Tensor]:
        return [gru_cell(xw, states[0], w_hh, b_ih, b_hh)[0]]
