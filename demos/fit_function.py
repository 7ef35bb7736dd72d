"""Lesson 1, function fitting: a line, a parabola, then a small neural network.

Every fit has the four parts of the talk:
  data          noisy points (x_i, y_i)
  model         f(x; theta), e.g. f(x) = a x + b
  cost          L(theta) = 1/2 * sum_i (y_i - f(x_i; theta))^2
  optimisation  gradient descent: theta <- theta - eps * dL/dtheta, with dL/dtheta by backprop

    python demos/fit_function.py [--quick] [--out out]
"""

# %%
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from _common import demo_args, plt, save
from matplotlib import animation

import nn
from autograd import Value, no_grad


def half_sum_of_squares(model: Callable[[float], Value], xs: Sequence[float],
                        ys: Sequence[float]) -> Value:
    """The cost L = 1/2 * sum_i (y_i - f(x_i))^2, built as one graph of Values."""
    return 0.5 * sum((y - model(x)) ** 2 for x, y in zip(xs, ys))


def gradient_descent(params: list[Value], cost: Callable[[], Value], lr: float, steps: int,
                     snapshot: Callable[[], object]) -> tuple[list[float], list[object]]:
    """Plain gradient descent; returns the cost and a snapshot of the model at every step."""
    costs, snapshots = [], [snapshot()]
    for _ in range(steps):
        L = cost()
        for p in params:
            p.grad = 0.0
        L.backward()
        with no_grad():
            for p in params:
                p.data -= lr * p.grad
        costs.append(L.data)
        snapshots.append(snapshot())
    return costs, snapshots


def plot_fits(x: np.ndarray, y: np.ndarray, curves: list[tuple[int, np.ndarray]],
              grid: np.ndarray, costs: list[float], title: str) -> plt.Figure:
    """Left: the data and the model after chosen iterations; right: the cost curve."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    left.scatter(x, y, s=14, color="black", label="data", zorder=3)
    colours = plt.cm.viridis(np.linspace(0.1, 0.9, len(curves)))
    for (step, values), colour in zip(curves, colours):
        left.plot(grid, values, color=colour, label=f"after {step} steps")
    left.set(title=f"{title}: data and fits", xlabel="x", ylabel="y")
    left.legend(fontsize=8)
    right.plot(np.arange(1, len(costs) + 1), costs, color="tab:red", label="L(theta)")
    right.set(title="cost over the iterations", xlabel="iteration", ylabel="1/2 sum of squares",
              yscale="log")
    right.legend()
    return fig


def shown_steps(total: int) -> list[int]:
    return sorted({s for s in (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, total) if s <= total})


# %% [markdown]
# ## A line: f(x) = a x + b

# %%
def fit_line(out, quick: bool) -> tuple[float, float]:
    x, y = nn.data.make_line(30, slope=2.0, intercept=-1.0, noise=0.3, rng=0)  # data
    xs, ys = x[:, 0].tolist(), y[:, 0].tolist()
    a, b = Value(0.0, label="a"), Value(0.0, label="b")                     # model
    model = lambda x: a * x + b
    steps = 30 if quick else 150
    costs, snaps = gradient_descent([a, b], lambda: half_sum_of_squares(model, xs, ys),
                                    lr=0.02, steps=steps, snapshot=lambda: (a.data, b.data))
    grid = np.linspace(-1, 1, 50)
    curves = [(s, snaps[s][0] * grid + snaps[s][1]) for s in shown_steps(steps)]
    print(f"line: a = {a.data:.3f}, b = {b.data:.3f} (data made with a = 2, b = -1), "
          f"cost {costs[0]:.2f} -> {costs[-1]:.2f}")
    save(plot_fits(x, y, curves, grid, costs, "f(x) = a x + b"), out, "fit_line.png")
    save_animation(x, y, grid, snaps, out, "fit_line.gif", frames=10 if quick else 40)
    return a.data, b.data


def save_animation(x, y, grid, snaps, out, name: str, frames: int) -> None:
    """The fit moving towards the data, one frame per few iterations (the live demo)."""
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(x, y, s=14, color="black", label="data")
    (line,) = ax.plot([], [], color="tab:blue", label="a x + b")
    ax.set(xlabel="x", ylabel="y", xlim=(-1.05, 1.05), ylim=(y.min() - 0.5, y.max() + 0.5))
    ax.legend(loc="upper left")
    picks = np.unique(np.geomspace(1, len(snaps), frames).astype(int) - 1)

    def draw(k):
        a, b = snaps[picks[k]]
        line.set_data(grid, a * grid + b)
        ax.set_title(f"gradient descent, step {picks[k]}")
        return (line,)

    movie = animation.FuncAnimation(fig, draw, frames=len(picks), blit=True)
    path = out / name
    movie.save(path, writer=animation.PillowWriter(fps=6))
    plt.close(fig)
    print(f"  wrote {path}")


# %% [markdown]
# ## A parabola: f(x) = a x^2 + b x + c

# %%
def fit_quadratic(out, quick: bool) -> tuple[float, ...]:
    x, y = nn.data.make_quadratic(30, a=1.0, b=-0.5, c=0.5, noise=0.3, rng=1)
    xs, ys = x[:, 0].tolist(), y[:, 0].tolist()
    a, b, c = (Value(0.0, label=n) for n in "abc")
    model = lambda x: a * x ** 2 + b * x + c
    steps = 40 if quick else 300
    costs, snaps = gradient_descent([a, b, c], lambda: half_sum_of_squares(model, xs, ys),
                                    lr=0.003, steps=steps,
                                    snapshot=lambda: (a.data, b.data, c.data))
    grid = np.linspace(-2, 2, 80)
    curves = [(s, snaps[s][0] * grid**2 + snaps[s][1] * grid + snaps[s][2])
              for s in shown_steps(steps)]
    print(f"parabola: a = {a.data:.3f}, b = {b.data:.3f}, c = {c.data:.3f} "
          f"(data made with 1, -0.5, 0.5), cost {costs[0]:.2f} -> {costs[-1]:.2f}")
    save(plot_fits(x, y, curves, grid, costs, "f(x) = a x^2 + b x + c"), out,
         "fit_quadratic.png")
    return a.data, b.data, c.data


# %% [markdown]
# ## The same parabola with a small neural network
# No formula is given: an MLP with two hidden layers of 8 ReLU neurons learns the shape.

# %%
def fit_mlp(out, quick: bool) -> float:
    import random
    random.seed(0)
    x, y = nn.data.make_quadratic(30, a=1.0, b=-0.5, c=0.5, noise=0.3, rng=1)
    xs, ys = x[:, 0].tolist(), y[:, 0].tolist()
    model = nn.MLP(1, [8, 8, 1])
    predict = lambda x: model([x])
    steps = 25 if quick else 400
    grid = np.linspace(-2, 2, 80)

    def snapshot():
        with no_grad():
            return np.array([predict(g).data for g in grid])

    costs, snaps = gradient_descent(model.parameters(),
                                    lambda: half_sum_of_squares(predict, xs, ys),
                                    lr=0.002, steps=steps, snapshot=snapshot)
    curves = [(s, snaps[s]) for s in shown_steps(steps)]
    print(f"MLP(1, [8, 8, 1]) with {len(model.parameters())} parameters: "
          f"cost {costs[0]:.2f} -> {costs[-1]:.2f}")
    save(plot_fits(x, y, curves, grid, costs, "an MLP"), out, "fit_mlp.png")
    return costs[-1]


# %%
def main(argv: list[str] | None = None) -> None:
    args = demo_args(__doc__.splitlines()[0], argv)
    print(__doc__.split("\n\n")[1])
    fit_line(args.out, args.quick)
    fit_quadratic(args.out, args.quick)
    fit_mlp(args.out, args.quick)


if __name__ == "__main__":
    main()
