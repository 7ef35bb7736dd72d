"""Value: a scalar node of the computation graph (micrograd-compatible).

Each arithmetic operation on Values makes a new Value that remembers its parents and the op that
made it. ``backward()`` then fills in ``grad`` (dL/dnode) for every node with the op table's rules.
"""

from __future__ import annotations

import numbers
from typing import Any

from . import engine
from .modes import modes, note_scope
from .ops import (
    ABS,
    ADD,
    EXP,
    LOG,
    MUL,
    POW,
    POW_VALUE,
    RELU,
    SIGMOID,
    SQRT,
    TANH,
    DivisionByZeroError,
    Op,
    register_kind,
)

__all__ = ["Value", "apply"]

Number = int | float


def _as_float(data: Any, where: str) -> float:
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real) and not isinstance(data, bool):
        return float(data)
    if isinstance(data, bool):
        return float(data)
    raise TypeError(f"{where}: expected an int, a float or a numpy scalar, got "
                    f"{type(data).__name__} {data!r:.60}")


class Value:
    """A scalar in the computation graph: its ``data``, its ``grad`` and how it was made.

    ``grad`` holds dL/dself after ``L.backward()``; leaves accumulate it until reset.

    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = a * b + 1
    >>> c.backward()
    >>> c, a.grad, b.grad
    (Value(data=-5.0, grad=1.0), -3.0, 2.0)
    """

    __slots__ = ("data", "grad", "label", "_a", "_b", "_op", "_ctx")
    requires_grad = True

    def __init__(self, data: Any, label: str = "") -> None:
        self.data = _as_float(data, "Value")
        self.grad = 0.0
        self.label = label
        self._a = self._b = None
        self._op: Op | None = None
        self._ctx: Any = None

    # ---- node protocol used by the engine -----------------------------------------------------
    # Parents live in two fixed slots rather than a tuple: one object fewer per node for the
    # allocator and the garbage collector. An op with more than two inputs keeps their tuple in
    # _a and the marker _MANY in _b.
    @property
    def _prev(self) -> tuple[Value, ...]:
        """The parents, in order (``a + a`` gives ``(a, a)``); ``()`` for a leaf."""
        a = self._a
        if a is None:
            return ()
        b = self._b
        if b is None:
            return (a,)
        return a if b is _MANY else (a, b)

    def _reset_grad(self) -> None:
        self.grad = 0.0

    _prepare_backward = _reset_grad  # a Value's rule reads floats that cannot change in place

    def _check_saved(self) -> None:
        """Nothing to check: a Value's data is a float, which cannot change in place."""

    def _accumulate_grad(self, contribution: float, fresh: bool = False) -> None:
        self.grad += contribution

    def _fit_grad(self, contribution: Any) -> Any:
        return contribution

    def _seed_grad(self, grad: Any, where: str = "backward(grad=...)") -> float:
        return 1.0 if grad is None else _as_float(grad, where)

    def _new_leaf(self, data: Any) -> Value:
        return Value(data)

    # ---- public API --------------------------------------------------------------------------
    def backward(self, create_graph: bool = False) -> None:
        """Compute dself/dnode for every node of the graph, into each node's ``grad``.

        ``grad`` stays a float: for gradients that are themselves Values (to differentiate
        again), use ``autograd.grad(self, inputs, create_graph=True)``.
        """
        if create_graph:
            raise ValueError(engine.CREATE_GRAPH_IN_BACKWARD)
        engine.backward(self)

    def _backward(self) -> None:
        """Pass this node's grad on to its parents once (micrograd's per-node step).

        Uses the op table's rule; ``backward()`` does this for every node in order.
        """
        if self._op is None:
            return
        for parent, d in zip(self._prev, self._op.local(self)):
            parent.grad += self.grad * d

    def zero_grad(self) -> None:
        """Reset the gradient of every node in this Value's graph to 0.0."""
        engine.zero_grad(self)

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # ---- primitives (rules in ops.py) ----------------------------------------------------------
    def __add__(self, other: Value | Number) -> Value:
        if type(other) is not Value:
            other = _const(other, "+")
        return apply(ADD, self.data + other.data, (self, other))

    def __mul__(self, other: Value | Number) -> Value:
        if type(other) is not Value:
            other = _const(other, "*")
        return apply(MUL, self.data * other.data, (self, other))

    def __pow__(self, other: Value | Number) -> Value:
        if type(other) is Value:
            return apply(POW_VALUE, POW_VALUE.forward(self.data, other.data), (self, other))
        n = _as_float(other, "**") if not isinstance(other, int) else other
        return apply(POW, POW.forward(self.data, n), (self,), n)

    def __rpow__(self, other: Number) -> Value:
        return _const(other, "**") ** self

    def relu(self) -> Value:
        """max(self, 0) as a float; the gradient is 1 where self > 0, else 0."""
        return apply(RELU, RELU.forward(self.data), (self,))

    def tanh(self) -> Value:
        return apply(TANH, TANH.forward(self.data), (self,))

    def exp(self) -> Value:
        return apply(EXP, EXP.forward(self.data), (self,))

    def log(self) -> Value:
        return apply(LOG, LOG.forward(self.data), (self,))

    def sigmoid(self) -> Value:
        return apply(SIGMOID, SIGMOID.forward(self.data), (self,))

    def abs(self) -> Value:
        return apply(ABS, ABS.forward(self.data), (self,))

    __abs__ = abs

    def sqrt(self) -> Value:
        return apply(SQRT, SQRT.forward(self.data), (self,))

    # ---- derived operations: compositions of the primitives -----------------------------------
    def __neg__(self) -> Value:  # -self
        return self * -1

    def __radd__(self, other: Number) -> Value:  # other + self
        return self + other

    def __sub__(self, other: Value | Number) -> Value:  # self - other
        return self + (-other)

    def __rsub__(self, other: Number) -> Value:  # other - self
        return other + (-self)

    def __rmul__(self, other: Number) -> Value:  # other * self
        return self * other

    def __truediv__(self, other: Value | Number) -> Value:  # self / other
        divisor = other.data if type(other) is Value else _as_float(other, "/")
        if divisor == 0.0:
            raise DivisionByZeroError(f"div: division by zero ({self!r} / {other!r})")
        return self * other ** -1

    def __rtruediv__(self, other: Number) -> Value:  # other / self
        return _const(other, "/") / self


CONSTANT = "constant"
"""The ``_ctx`` of a leaf that :func:`_const` made: drawings name it by its value (``0.5``)."""


def _const(x: Any, op: str) -> Value:
    """Wrap a plain number met in an expression as a constant Value (marked by its ``_ctx``)."""
    try:
        out = Value(x if type(x) is float else _as_float(x, op))
    except TypeError:
        raise TypeError(f"unsupported operand for {op}: Value and {type(x).__name__} "
                        f"{x!r:.60}; expected a Value, an int or a float") from None
    out._ctx = CONSTANT
    return out


_MANY = object()


def apply(op: Op, data: float, parents: tuple, ctx: Any = None) -> Value:
    """Make the output node of ``op``: records parents and op unless in :func:`no_grad`."""
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    current = modes()
    if current.grad:
        n = len(parents)
        if n == 1:
            out._a, out._b = parents[0], None
        elif n == 2:
            out._a, out._b = parents
        else:
            out._a, out._b = (parents, _MANY) if n else (None, None)
        out._op = op
        out._ctx = ctx
        if current.scopes is not None:
            note_scope(out, current)
    else:
        out._a = out._b = None
        out._op = None
        out._ctx = None
    return out


def _apply_to_values(op: Op, args: tuple, ctx: Any) -> Value:
    """How a scalar op is called on Values and numbers (``op(a, 2.0)``): see :meth:`Op.__call__`."""
    nodes = tuple(a if isinstance(a, Value) else _const(a, op.name) for a in args)
    return apply(op, op.compute([n.data for n in nodes], ctx), nodes, ctx)


register_kind("scalar", _apply_to_values, Value)
