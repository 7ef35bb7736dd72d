"""The glassgrad tour (for now: the single neuron of the course, forward and backward).

    python demos/tour.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograd import Value, backward_steps


def main() -> None:
    # A neuron: a linear combination of the previous layer's outputs, then an activation.
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    s = x1w1 + x2w2
    n = s + b
    o = n.tanh()
    for node, name in ((x1w1, "x1*w1"), (x2w2, "x2*w2"), (s, "x1*w1 + x2*w2"), (n, "n"), (o, "o")):
        node.label = name
    print("forward: o = tanh(x1*w1 + x2*w2 + b)")
    for v in (x1, w1, x2, w2, b, x1w1, x2w2, s, n, o):
        print(f"  {v.label:>14s} = {v.data: .4f}")
    print("backward, one chain-rule step per node:")
    for step in backward_steps(o):
        for line in step.lines():
            print("  " + line)
    grads = (f"do/d{v.label} = {v.grad:.4f}" for v in (x1, w1, x2, w2, b))
    print("gradients:", ", ".join(grads))


if __name__ == "__main__":
    main()
