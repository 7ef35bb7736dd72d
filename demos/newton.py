"""Newton's method: curvature from the backward pass.

Gradient descent steps against the slope with a fixed step eps; Newton's method divides the
slope by the curvature, so each step lands where the tangent of f' crosses zero:

    gradient descent   x <- x - eps * f'(x)
    Newton             x <- x - f'(x) / f''(x)          (in n-D: x <- x - H^-1 grad f)

Both derivatives come from autograd: ``grad(f, x, create_graph=True)`` records the backward pass
as a graph, so f' is a node that can be differentiated again for f'' (and again, to any order).
The demo compares the two methods on a 1-D function and on the Rosenbrock valley, and ends with
tanh and its first four derivatives, each the gradient of the one before.

    python demos/newton.py [--quick] [--out out]
"""

# %%
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from _common import demo_args, plt, save
from matplotlib import patheffects
from matplotlib.colors import LogNorm

from autograd import Tensor, Value, grad
from autograd.functional import hessian

TOL = 1e-8  # stop when |f'(x)| (in 2-D: |grad f|) is below this


# %% [markdown]
# ## Newton in 1-D: the root of f'
# f(x) = x^4/4 + x^2/2 - x has one minimum, where f'(x) = x^3 + x - 1 = 0 (x* = 0.6823).
# Its curvature f''(x) = 3 x^2 + 1 is 19.75 at the start x = 2.5 but 2.40 at x*: gradient
# descent needs eps < 2 / 19.75 to survive the first step, and then crawls near x*.

# %%
def f(x):
    """f(x) = x^4/4 + x^2/2 - x, on floats, numpy arrays and Values alike."""
    return x ** 4 / 4 + x ** 2 / 2 - x


def derivatives(x: float) -> tuple[float, float, float]:
    """f(x), f'(x) and f''(x): f' is the backward pass recorded as a graph
    (``create_graph=True``), f'' the gradient of that graph."""
    xv = Value(x, label="x")
    y = f(xv)
    (slope,) = grad(y, xv, create_graph=True)   # f'(x) = x^3 + x - 1, a node
    (curvature,) = grad(slope, xv)              # f''(x) = 3 x^2 + 1
    return y.data, slope.data, curvature.data


def newton_1d(x0: float, tol: float = TOL, max_steps: int = 50) -> list[float]:
    """Newton's iterates x <- x - f'(x) / f''(x) from x0, until |f'(x)| < tol."""
    path = [x0]
    for _ in range(max_steps):
        _, slope, curvature = derivatives(path[-1])
        if abs(slope) < tol:
            break
        path.append(path[-1] - slope / curvature)
    return path


def descent_1d(x0: float, lr: float, tol: float = TOL, max_steps: int = 2000) -> list[float]:
    """Gradient descent's iterates x <- x - lr f'(x) from x0, until |f'(x)| < tol."""
    path = [x0]
    for _ in range(max_steps):
        _, slope, _ = derivatives(path[-1])
        if abs(slope) < tol:
            break
        path.append(path[-1] - lr * slope)
    return path


def one_dimension(out, quick: bool) -> tuple[int, int]:
    x0, lr = 2.5, 0.1
    newton, descent = newton_1d(x0), descent_1d(x0, lr)
    slopes = {name: [abs(derivatives(x)[1]) for x in path]
              for name, path in (("newton", newton), ("descent", descent))}
    n_steps, d_steps = len(newton) - 1, len(descent) - 1
    print(f"  f(x) = x^4/4 + x^2/2 - x from x0 = {x0}: f'(x0) = {derivatives(x0)[1]:.3f}, "
          f"f''(x0) = {derivatives(x0)[2]:.3f}")
    print(f"  Newton:           {n_steps:3d} steps to |f'| < {TOL:g}, x = {newton[-1]:.10f}")
    print(f"  gradient descent: {d_steps:3d} steps (eps = {lr}), x = {descent[-1]:.10f}")
    print("  Newton's |f'(x)| per step (the number of correct digits doubles):")
    print("    " + "  ".join(f"{s:.1e}" for s in slopes["newton"]))

    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.6), layout="constrained")
    grid = np.linspace(-0.6, 2.7, 300)
    left.plot(grid, f(grid), color="black", lw=1.2, label="f(x) = x^4/4 + x^2/2 - x")
    left.plot(descent, [f(x) for x in descent], "o-", ms=3, lw=0.8, color="tab:blue",
              label=f"gradient descent, eps = {lr}: {d_steps} steps")
    left.plot(newton, [f(x) for x in newton], "s--", ms=5, lw=1, color="tab:red",
              label=f"Newton: {n_steps} steps")
    for k, x in enumerate(newton[:3]):
        left.annotate(f"x{k}", (x, f(x)), textcoords="offset points", xytext=(-16, 2),
                      fontsize=8, color="tab:red")
    left.set(title="the same start, two methods", xlabel="x", ylabel="f(x)")
    left.legend(fontsize=8, loc="upper center")

    middle.plot(grid, [derivatives(x)[1] for x in grid], color="black", lw=1.2,
                label="f'(x) = x^3 + x - 1")
    middle.axhline(0, color="grey", lw=0.8)
    for k, (x, x_next) in enumerate(zip(newton[:-1], newton[1:])):
        slope = derivatives(x)[1]
        middle.plot([x, x_next], [slope, 0], color="tab:red", lw=1,   # the tangent of f' at x
                    label="tangent of f' at x_k, to its zero x_k+1" if k == 0 else None)
        middle.plot([x_next, x_next], [0, derivatives(x_next)[1]], ":", color="tab:red", lw=1)
        middle.plot([x], [slope], "s", color="tab:red", ms=4)
        if k < 3:
            middle.annotate(f"x{k}", (x, slope), textcoords="offset points", xytext=(6, -4),
                            fontsize=8)
    middle.set(title="Newton: follow the tangent of f' to zero", xlabel="x", ylabel="f'(x)")
    middle.legend(fontsize=8, loc="upper left")

    right.semilogy(slopes["descent"], "o-", ms=2, color="tab:blue", label="gradient descent")
    right.semilogy(slopes["newton"], "s--", ms=4, color="tab:red", label="Newton")
    right.axhline(TOL, color="black", ls=":", lw=1, label=f"tolerance {TOL:g}")
    right.set(title="|f'(x_k)|: linear against quadratic convergence", xlabel="step k",
              ylabel="|f'(x_k)|")
    right.legend(fontsize=8)
    save(fig, out, "newton_1d.png")
    return n_steps, d_steps


# %% [markdown]
# ## The Rosenbrock valley: f(x, y) = (1 - x)^2 + 100 (y - x^2)^2
# The minimum is at (1, 1), at the bottom of a curved, narrow valley: its Hessian there has
# eigenvalues 1002 and 0.4, so a stable step eps < 2 / 1002 moves 2500 times too slowly along the
# valley. Momentum (the heavy ball) accumulates those small steps; Newton solves H d = grad f and
# rescales every direction by its own curvature. Plain Newton is no descent method: it jumps to
# the minimum of the local quadratic model, and its step 2 climbs the valley's wall (f goes from
# 4.7 to 1412) before step 3 lands on the floor, near the minimum.

# %%
def rosenbrock(x, y):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2; any nodes (Values, Tensor entries) or arrays."""
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def rosenbrock_gradient(p: np.ndarray) -> np.ndarray:
    """grad f at p, by one backward pass over two Values."""
    x, y = Value(p[0], label="x"), Value(p[1], label="y")
    gx, gy = grad(rosenbrock(x, y), (x, y))
    return np.array([gx.data, gy.data])


def heavy_ball(p0, lr: float, beta: float, cap: int, tol: float = TOL
               ) -> tuple[np.ndarray, bool]:
    """Momentum v <- beta v - lr grad f(p), p <- p + v (beta = 0: gradient descent), until
    |grad f| < tol or ``cap`` steps; returns the path and whether it converged."""
    path, v = [np.asarray(p0, dtype=float)], np.zeros(2)
    for _ in range(cap):
        g = rosenbrock_gradient(path[-1])
        if np.linalg.norm(g) < tol:
            return np.array(path), True
        v = beta * v - lr * g
        path.append(path[-1] + v)
    return np.array(path), np.linalg.norm(rosenbrock_gradient(path[-1])) < tol


def newton_2d(p0, tol: float = TOL, max_steps: int = 50) -> np.ndarray:
    """Newton's iterates p <- p - H^-1 grad f(p), with H the exact Hessian from
    ``autograd.functional.hessian`` (the gradient differentiated once more)."""
    func: Callable[[Tensor], Tensor] = lambda t: rosenbrock(t[0], t[1])
    path = [np.asarray(p0, dtype=float)]
    for _ in range(max_steps):
        p = Tensor(path[-1], requires_grad=True)
        (g,) = grad(func(p), p)
        if np.linalg.norm(g.data) < tol:
            break
        H = hessian(func, p).data                   # shape (2, 2)
        path.append(path[-1] - np.linalg.solve(H, g.data))
    return np.array(path)


def valley(out, quick: bool) -> dict[str, int | None]:
    start, cap = (-1.2, 1.0), 20000  # a second of Value arithmetic, quick or not
    runs = {}
    for name, lr, beta in (("gradient descent", 1e-3, 0.0), ("momentum", 1e-3, 0.9)):
        path, converged = heavy_ball(start, lr, beta, cap)
        runs[name] = (path, converged, lr, beta)
    newton = newton_2d(start)
    H0 = hessian(lambda t: rosenbrock(t[0], t[1]), Tensor(np.array([1.0, 1.0]))).data
    print(f"  Hessian at the minimum (1, 1): {H0.tolist()}, eigenvalues "
          f"{', '.join(f'{e:.4g}' for e in np.linalg.eigvalsh(H0))}")
    steps: dict[str, int | None] = {}
    labels = {}
    for name, (path, converged, lr, beta) in runs.items():
        k = len(path) - 1
        steps[name] = k if converged else None
        settings = f"eps = {lr:g}" + (f", beta = {beta}" if beta else "")
        gnorm = np.linalg.norm(rosenbrock_gradient(path[-1]))
        labels[name] = (f"{name} ({settings}): {k} steps" if converged else
                        f"{name} ({settings}): not converged in {cap} steps")
        print(f"  {name + ':':18s}" + (f"{k:6d} steps" if converged else
              f"not converged after {cap} steps") + f", at ({path[-1, 0]:.6f}, "
              f"{path[-1, 1]:.6f}), |grad f| = {gnorm:.1e}")
    steps["newton"] = len(newton) - 1
    print(f"  {'Newton:':18s}{len(newton) - 1:6d} steps, at ({newton[-1, 0]:.6f}, "
          f"{newton[-1, 1]:.6f});  path: "
          + " -> ".join(f"({x:.2f}, {y:.2f})" for x, y in newton[:4]) + " -> ...")

    fig, ax = plt.subplots(figsize=(8, 8), layout="constrained")
    xs, ys = np.meshgrid(np.linspace(-2, 2, 400), np.linspace(-3.6, 3.2, 400))
    levels = np.logspace(-1, 3.7, 25)
    filled = ax.contourf(xs, ys, rosenbrock(xs, ys), levels=levels, norm=LogNorm(),
                         cmap="viridis", extend="both")
    ax.contour(xs, ys, rosenbrock(xs, ys), levels=levels, colors="white", linewidths=0.3,
               alpha=0.5)
    fig.colorbar(filled, ax=ax, label="f(x, y), log scale", ticks=[0.1, 1, 10, 100, 1000],
                 format="%g")
    outline = [patheffects.withStroke(linewidth=3, foreground="black")]
    styles = {"gradient descent": dict(color="white", lw=1.5, path_effects=outline),
              "momentum": dict(color="tab:orange", lw=1.2)}
    for name, (path, *_rest) in runs.items():
        ax.plot(path[:, 0], path[:, 1], label=labels[name], **styles[name])
    ax.plot(newton[:, 0], newton[:, 1], "s--", color="tab:red", ms=6, lw=1.5,
            label=f"Newton (exact Hessian): {len(newton) - 1} steps")
    for k, (x, y) in enumerate(newton[:4]):
        ax.annotate(str(k), (x, y), textcoords="offset points", xytext=(8, -4), color="tab:red",
                    fontsize=10, fontweight="bold",
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    ax.plot([start[0]], [start[1]], "o", color="black", ms=7, label="start (-1.2, 1)")
    ax.plot([1], [1], "*", color="gold", mec="black", ms=15, label="minimum (1, 1)")
    ax.set(title=f"Rosenbrock from (-1.2, 1): steps to |grad f| < {TOL:g}", xlabel="x",
           ylabel="y", xlim=(-2, 2), ylim=(-3.6, 3.2))
    fig.legend(loc="outside lower center", ncols=2, fontsize=9)
    save(fig, out, "newton_rosenbrock.png")
    return steps


# %% [markdown]
# ## Derivatives of any order: tanh, tanh', ..., tanh''''
# On a Tensor x of many points, the gradient of sum(g(x)) with respect to x is g'(x) at every
# point (each term depends on its own x_i only). With ``create_graph=True`` that gradient is a
# graph again, so the next derivative is the gradient of its sum. With t = tanh(x):
#   tanh' = 1 - t^2,  tanh'' = -2 t (1 - t^2),  tanh''' = -2 (1 - t^2)(1 - 3 t^2),
#   tanh'''' = 8 t (1 - t^2)(2 - 3 t^2).

# %%
def tanh_derivatives(x: np.ndarray, order: int = 4) -> list[np.ndarray]:
    """[tanh(x), tanh'(x), ..., the order-th derivative], each the gradient of the sum of the
    one before, recorded as a graph (``create_graph=True``) to be differentiated again."""
    xt = Tensor(np.asarray(x, dtype=np.float64), requires_grad=True, label="x")
    curves = [xt.tanh()]
    for _ in range(order):
        (next_one,) = grad(curves[-1].sum(), xt, create_graph=True)
        curves.append(next_one)
    return [c.data.copy() for c in curves]


def tanh_closed_forms(x: np.ndarray) -> list[np.ndarray]:
    """The same five curves from their formulas in t = tanh(x)."""
    t = np.tanh(x)
    s = 1 - t ** 2
    return [t, s, -2 * t * s, -2 * s * (1 - 3 * t ** 2), 8 * t * s * (2 - 3 * t ** 2)]


NAMES = ["tanh", "tanh' = 1 - t^2", "tanh'' = -2t(1 - t^2)", "tanh''' = -2(1 - t^2)(1 - 3t^2)",
         "tanh'''' = 8t(1 - t^2)(2 - 3t^2)"]


def tanh_orders(out, quick: bool) -> list[float]:
    x = np.linspace(-4, 4, 201 if quick else 801)
    curves, exact = tanh_derivatives(x), tanh_closed_forms(x)
    errors = [float(np.max(np.abs(c - e))) for c, e in zip(curves, exact)]
    for k, (name, err) in enumerate(zip(NAMES, errors)):
        print(f"  order {k}: {name:34s} max |autograd - formula| = {err:.1e}")
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    for name, curve in zip(NAMES, curves):
        ax.plot(x, curve, lw=1.6, label=name)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set(title="tanh and its derivatives, each the gradient of the previous one",
           xlabel="x", ylabel="value")
    ax.legend(fontsize=9, loc="lower right", title="t = tanh(x)")
    save(fig, out, "tanh_derivatives.png")
    return errors


# %%
def main(argv: list[str] | None = None) -> None:
    args = demo_args(__doc__.splitlines()[0], argv)
    print("Newton in 1-D, the root of f':")
    one_dimension(args.out, args.quick)
    print("the Rosenbrock valley:")
    valley(args.out, args.quick)
    print("tanh and four derivatives, by differentiating the backward pass again:")
    tanh_orders(args.out, args.quick)


if __name__ == "__main__":
    main()
