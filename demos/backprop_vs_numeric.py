"""Lesson 4, backprop: "much simpler than computing the gradient naively", measured.

The naive gradient perturbs each of the P parameters in turn and runs the network twice:

    dL/dtheta_k ~ (L(theta + eps e_k) - L(theta - eps e_k)) / (2 eps)      2P forward passes

Backpropagation gets all P derivatives from one forward and one backward pass. This demo times
both as P grows, checks that they agree, and plots the times on log-log axes: the naive cost
grows like P^2 (2P passes of a network of size P), backprop's like P.

It ends with the backward pass of one neuron drawn as a graph: ``grad(L, w, create_graph=True)``
records every multiplication the chain rule makes as a node, so the gradient is a graph like the
loss, one cluster per rule, that can be drawn, stepped through and differentiated again.

    python demos/backprop_vs_numeric.py [--quick] [--out out]
"""

# %%
from __future__ import annotations

import random
import time

import numpy as np
from _common import demo_args, plt, save

import nn
from autograd import Value, draw, grad, no_grad, record_scopes, topological_order


def loss_of(model: nn.MLP, xs: list[list[float]], ys: list[float]) -> Value:
    """Mean squared error of the network on a few samples."""
    return nn.mse([model(x) for x in xs], ys)


def numeric_gradient(model: nn.MLP, xs, ys, eps: float = 1e-6) -> list[float]:
    """Central differences: two forward passes per parameter, nothing else."""
    grads = []
    with no_grad():
        for p in model.parameters():
            original = p.data
            p.data = original + eps
            plus = loss_of(model, xs, ys).data
            p.data = original - eps
            minus = loss_of(model, xs, ys).data
            p.data = original
            grads.append((plus - minus) / (2 * eps))
    return grads


def backprop_gradient(model: nn.MLP, xs, ys) -> list[float]:
    """One forward pass building the graph, one backward pass through it."""
    model.zero_grad()
    loss_of(model, xs, ys).backward()
    return [p.grad for p in model.parameters()]


def measure(width: int, xs, ys) -> tuple[int, float, float, float]:
    """(P, seconds naive, seconds backprop, largest disagreement) for MLP(2, [w, w, 1])."""
    random.seed(width)
    model = nn.MLP(2, [width, width, 1])
    t0 = time.perf_counter()
    naive = numeric_gradient(model, xs, ys)
    t1 = time.perf_counter()
    exact = backprop_gradient(model, xs, ys)
    t2 = time.perf_counter()
    error = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(naive, exact))
    return len(model.parameters()), t1 - t0, t2 - t1, error


def backward_graph(out) -> tuple[Value, Value]:
    """L = tanh(w x + b) for one neuron; dL/dw recorded as a graph, drawn, and differentiated
    again. Returns (dL/dw, d2L/dw2)."""
    x, w, b = Value(0.8, label="x"), Value(-1.2, label="w"), Value(0.3, label="b")
    z = w * x + b
    z.label = "z"
    L = z.tanh()
    L.label = "L"
    with record_scopes() as scopes:  # each rule's nodes form one cluster in the drawing
        (dw,) = grad(L, w, create_graph=True)
    dw.label = "dL/dw"
    (d2w,) = grad(dw, w)
    print(f"  dL/dw = (1 - tanh(z)^2) x = {dw.data:.4f}: a graph of "
          f"{len(topological_order(dw))} nodes (L's has {len(topological_order(L))}); "
          f"d2L/dw2 = -2 tanh(z) (1 - tanh(z)^2) x^2 = {d2w.data:.4f}, its gradient")
    draw(dw, scopes=scopes, show_grad=False).render(out / "backward_graph", format="png",
                                                   cleanup=True)
    print(f"  wrote {out / 'backward_graph.png'}")
    return dw, d2w


# %%
def main(argv: list[str] | None = None) -> list[tuple[int, float, float, float]]:
    args = demo_args(__doc__.splitlines()[0], argv)
    x, y = nn.data.make_moons(8, noise=0.1, rng=0)
    xs, ys = x.tolist(), (y * 2.0 - 1.0).tolist()
    widths = [2, 4, 8, 12] if args.quick else [2, 4, 8, 16, 24, 32]
    rows = []
    print(f"{'P':>6} {'naive (s)':>11} {'backprop (s)':>13} {'ratio':>8} {'max rel. diff':>14}")
    for width in widths:
        P, naive, backprop, error = measure(width, xs, ys)
        rows.append((P, naive, backprop, error))
        print(f"{P:>6} {naive:>11.4f} {backprop:>13.5f} {naive / backprop:>8.1f} {error:>14.2e}")
        if error > 1e-4:
            raise RuntimeError(f"backprop and central differences disagree at P={P}: {error:.2e}")
    P, naive, backprop, _ = map(np.array, zip(*rows))
    fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
    def slope(times: np.ndarray) -> float:  # the exponent k in time ~ P ** k
        return float(np.polyfit(np.log(P), np.log(times), 1)[0])

    ax.loglog(P, naive, "o-",
              label=f"central differences (2P forward passes): slope {slope(naive):.1f}")
    ax.loglog(P, backprop, "s-",
              label=f"backprop (1 forward + 1 backward): slope {slope(backprop):.1f}")
    ax.set(title="time for one gradient", xlabel="number of parameters P",
           ylabel="seconds")
    ax.legend()
    save(fig, args.out, "backprop_vs_numeric.png")
    backward_graph(args.out)
    return rows


if __name__ == "__main__":
    main()
