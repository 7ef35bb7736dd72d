"""Lesson 3, stochastic gradient descent.

Gradient descent updates the parameters with the gradient of the whole cost,

    theta' = theta - eps * grad L(theta),   L = 1/N sum_i l_i(theta)     (all N samples)

stochastic gradient descent with the gradient of a minibatch of m << N randomly chosen samples,

    theta' = theta - eps * grad (1/m sum_{i in batch} l_i(theta))        (N/m steps per epoch)

This demo compares both on one regression task (cost against epochs and against wall time),
shows what the learning rate eps does, and ends on a cost surface with a saddle point, where
gradient descent started on the ridge stalls and the noise of minibatches escapes.

    python demos/sgd.py [--quick] [--out out]
"""

# %%
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from _common import demo_args, plt, save

import nn
from autograd import Tensor, Value, grad, no_grad


def regression_data(n: int, rng: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples of y = sin(3x) + x / 2 on [-2, 2], float32, shaped (n, 1)."""
    gen = np.random.default_rng(rng)
    x = gen.uniform(-2, 2, size=(n, 1))
    y = np.sin(3 * x) + x / 2 + 0.1 * gen.standard_normal(x.shape)
    return x.astype(np.float32), y.astype(np.float32)


def make_model(seed: int) -> nn.Sequential:
    return nn.Sequential(nn.Dense(1, 32, rng=seed), nn.Tanh(), nn.Dense(32, 32, rng=seed + 1),
                         nn.Tanh(), nn.Dense(32, 1, rng=seed + 2))


def full_cost(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with no_grad():
        return nn.mse(model(Tensor(x)), Tensor(y)).item()


def train(x, y, batch_size: int, lr: float, epochs: int, seed: int = 0,
          on_record: Callable[[nn.Module, float], None] | None = None,
          ) -> tuple[list[float], list[float], list[float]]:
    """Train with minibatches of ``batch_size`` (= len(x) for full-batch gradient descent).

    Returns the epoch (fractional), the wall time and the cost on all N samples, recorded about
    20 times per epoch for small batches and once per step for the full batch; at each record,
    ``on_record(model, epoch)`` may look at the model (outside the timed steps).
    """
    model = make_model(seed)
    optimizer = nn.SGD(model.parameters(), lr=lr)
    steps_per_epoch = int(np.ceil(len(x) / batch_size))
    record_every = max(1, steps_per_epoch // 20)
    epochs_seen, times, costs = [0.0], [0.0], [full_cost(model, x, y)]
    rng = np.random.default_rng(seed)
    clock = 0.0
    for epoch in range(epochs):
        for step, (xb, yb) in enumerate(nn.data.batches(x, y, batch_size, shuffle=True, rng=rng)):
            t0 = time.perf_counter()
            loss = nn.mse(model(Tensor(xb)), Tensor(yb))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            clock += time.perf_counter() - t0
            if (step + 1) % record_every == 0 or step + 1 == steps_per_epoch:
                epochs_seen.append(epoch + (step + 1) / steps_per_epoch)
                times.append(clock)
                costs.append(full_cost(model, x, y))
                if on_record is not None:
                    on_record(model, epochs_seen[-1])
                if not np.isfinite(costs[-1]) or costs[-1] > 1e3:
                    return epochs_seen, times, costs  # diverged: eps is too large
    return epochs_seen, times, costs


def sharpness(model: nn.Module, x: np.ndarray, y: np.ndarray, iterations: int = 20) -> float:
    """The cost's sharpest curvature at the model's parameters theta: the largest eigenvalue of
    its Hessian H, by power iteration v <- H v / |H v|, each product exact:

        H v = d/dtheta (grad L(theta) . v)      the gradient's vector-Jacobian product with v

    The backward pass is recorded once (``grad(..., create_graph=True)``), so grad L is a graph
    in theta; each H v is one more backward pass through it, seeded with v (what
    ``autograd.functional.hvp`` does for a function of its inputs; here the model holds theta).

    Gradient descent with step eps is stable along a direction of curvature lam only while
    |1 - eps * lam| < 1, that is lam < 2 / eps.
    """
    params = model.parameters()
    loss = nn.mse(model(Tensor(x)), Tensor(y))
    gradients = grad(loss, params, create_graph=True)  # grad L(theta), itself a graph
    flat = np.random.default_rng(0).standard_normal(sum(p.data.size for p in params))
    lam = 0.0
    for _ in range(iterations):
        flat /= np.linalg.norm(flat)
        pieces = np.split(flat, np.cumsum([p.data.size for p in params])[:-1])
        v = [d.reshape(p.shape).astype(p.data.dtype) for d, p in zip(pieces, params)]
        hv = np.concatenate([h.data.ravel() for h in grad(gradients, params, v)])
        lam, flat = float(flat @ hv), hv.astype(np.float64)
    return lam


# %% [markdown]
# ## Gradient descent against SGD on the same task

# %%
def compare(out, quick: bool) -> dict[str, float]:
    x, y = regression_data(2048 if not quick else 512, rng=0)
    epochs = 3 if quick else 30
    gd_lr, curvature = 0.1, {}

    def probe(model: nn.Module, epoch: float) -> None:  # every 10th step of gradient descent
        if round(epoch) % 10 == 0 or epoch == 1:
            curvature[epoch] = sharpness(model, x, y)

    runs = {
        "gradient descent (m = N)": train(x, y, len(x), lr=gd_lr, epochs=epochs * 8,
                                          on_record=probe),
        "SGD, m = 32": train(x, y, 32, lr=0.05, epochs=epochs),
        "SGD, m = 8": train(x, y, 8, lr=0.02, epochs=epochs),
    }
    fig, (by_epoch, by_time, sharp) = plt.subplots(1, 3, figsize=(15, 4), layout="constrained",
                                                   width_ratios=(1, 1, 0.8))
    for name, (epochs_seen, times, costs) in runs.items():
        by_epoch.plot(epochs_seen[1:], costs[1:], label=name)  # log axis: no epoch 0
        by_time.plot(times, costs, label=name)
        print(f"  {name:26s} final cost {costs[-1]:.4f} after {epochs_seen[-1]:.0f} epochs, "
              f"{times[-1]:.2f} s")
    by_epoch.set(title="cost against epochs (passes over the data)", xlabel="epoch",
                 ylabel="mean squared error on all N samples", yscale="log", xscale="log")
    by_time.set(title="cost against wall time", xlabel="seconds of training",
                ylabel="mean squared error on all N samples", yscale="log")
    by_epoch.legend()
    by_time.legend()
    # Full-batch gradient descent moves to ever sharper parts of the cost, up to the limit
    # 2 / eps of a stable step (the "edge of stability"); past it the steps overshoot along the
    # sharpest direction, more at every step, until the cost jumps: the bump on its curve.
    sharp.plot(list(curvature), list(curvature.values()), "o-", ms=3,
               label="largest eigenvalue of the Hessian\n(power iteration on exact H v)")
    sharp.axhline(2 / gd_lr, color="black", ls="--", lw=1, label=f"2 / eps = {2 / gd_lr:.0f}")
    sharp.set(title="gradient descent: sharpness of the cost", xlabel="epoch (= step)",
              ylabel="sharpest curvature of L")
    sharp.legend(loc="lower right")
    past = [epoch for epoch, lam in curvature.items() if lam > 2 / gd_lr]
    if past:  # where the steps start to overshoot; it shows in the cost much later
        by_epoch.axvline(past[0], color="tab:blue", ls=":", lw=1)
        by_epoch.annotate("sharpness passes 2 / eps", (past[0], 0.72), xycoords=("data", "axes "
                          "fraction"), rotation=90, fontsize=8, ha="right", va="center")
    save(fig, out, "sgd_vs_gd.png")
    top = max(curvature, key=curvature.get)
    print(f"  gradient descent's sharpest curvature: {curvature[top]:.1f} at step {top:.0f}; "
          f"a step of eps = {gd_lr} is stable below 2 / eps = {2 / gd_lr:.0f}")
    return {name: run[2][-1] for name, run in runs.items()}


# %% [markdown]
# ## The learning rate eps

# %%
def learning_rates(out, quick: bool) -> None:
    x, y = regression_data(512, rng=1)
    fig, ax = plt.subplots(figsize=(6, 4.2), layout="constrained")
    for lr in (0.002, 0.02, 0.1, 0.8):
        with np.errstate(all="ignore"):  # the largest eps overflows: that is the lesson
            epochs_seen, _, costs = train(x, y, 16, lr=lr, epochs=2 if quick else 15)
        diverged = not np.isfinite(costs[-1]) or costs[-1] > 1e3
        costs = np.nan_to_num(np.minimum(costs, 1e3), nan=1e3)  # keep a diverging run on the plot
        ax.plot(epochs_seen, costs, label=f"eps = {lr}" + (" (diverges)" if diverged else ""))
        print(f"  eps = {lr:<6} " + ("diverged" if diverged else f"final cost {costs[-1]:.4f}"))
    ax.set(title="SGD (m = 16) with different learning rates", xlabel="epoch",
           ylabel="mean squared error", yscale="log")
    ax.legend()
    save(fig, out, "sgd_learning_rates.png")


# %% [markdown]
# ## A saddle point
# The cost is an average over N samples, L(t1, t2) = 1/N sum_i l_i with
# l_i = (t1 - a_i)^2 + t2^4 / 4 - t2^2 + c_i t2, where the a_i and the c_i average to 0:
# L = t1^2 + t2^4/4 - t2^2 + const has a saddle at (0, 0) and minima at (0, +-sqrt 2).
# Started on the ridge t2 = 0, the full gradient never has a t2 component; a minibatch's has.

# %%
def saddle(out, quick: bool) -> tuple[float, float]:
    gen = np.random.default_rng(3)
    n = 64
    a = gen.standard_normal(n)
    c = gen.standard_normal(n)
    a, c = a - a.mean(), c - c.mean()

    def cost(t1: Value, t2: Value, batch: np.ndarray) -> Value:
        terms = [(t1 - a[i]) ** 2 + t2 ** 4 / 4 - t2 ** 2 + c[i] * t2 for i in batch]
        return sum(terms) * (1.0 / len(batch))

    def descend(batch_size: int, steps: int, lr: float = 0.05) -> np.ndarray:
        t1, t2 = Value(1.5, label="t1"), Value(0.0, label="t2")
        path = [(t1.data, t2.data)]
        rng = np.random.default_rng(0)
        for _ in range(steps):
            batch = rng.choice(n, size=batch_size, replace=False) if batch_size < n else range(n)
            L = cost(t1, t2, batch)
            t1.grad = t2.grad = 0.0
            L.backward()
            t1.data -= lr * t1.grad
            t2.data -= lr * t2.grad
            path.append((t1.data, t2.data))
        return np.array(path)

    steps = 60 if quick else 200
    gd, sgd = descend(n, steps), descend(4, steps)
    grid1, grid2 = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-2.2, 2.2, 200))
    surface = grid1 ** 2 + grid2 ** 4 / 4 - grid2 ** 2
    fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
    contours = ax.contourf(grid1, grid2, surface, levels=30, cmap="viridis")
    fig.colorbar(contours, ax=ax, label="L(t1, t2)")
    ax.plot(gd[:, 0], gd[:, 1], "o-", ms=2, color="white", label="gradient descent (m = N)")
    ax.plot(sgd[:, 0], sgd[:, 1], "o-", ms=2, color="tab:red", label="SGD (m = 4)")
    ax.plot([0], [0], "x", color="black", ms=10, mew=2, label="saddle point")
    ax.set(title="a saddle: GD stalls, SGD's noise escapes", xlabel="t1", ylabel="t2")
    ax.legend(loc="lower left", fontsize=8)
    save(fig, out, "sgd_saddle.png")
    print(f"  after {steps} steps: gradient descent at t = ({gd[-1, 0]:.3f}, {gd[-1, 1]:.3f}), "
          f"SGD at t = ({sgd[-1, 0]:.3f}, {sgd[-1, 1]:.3f})")
    return float(gd[-1, 1]), float(sgd[-1, 1])


# %%
def main(argv: list[str] | None = None) -> None:
    args = demo_args(__doc__.splitlines()[0], argv)
    print("gradient descent against SGD on minibatches:")
    compare(args.out, args.quick)
    print("the learning rate:")
    learning_rates(args.out, args.quick)
    print("a saddle point:")
    saddle(args.out, args.quick)


if __name__ == "__main__":
    main()
