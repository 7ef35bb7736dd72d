"""Small graphs shared by the drawing, stepping and player tests."""

from __future__ import annotations

from autograd import Value


def neuron() -> tuple[Value, dict[str, Value]]:
    """o = tanh(x * w + b) with labelled nodes; returns o and {"x", "w", "b", "n"}."""
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    b = Value(6.8813735870195432, label="b")
    n = x * w + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, {"x": x, "w": w, "b": b, "n": n}
