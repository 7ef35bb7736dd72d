"""micrograd's classic: a scalar MLP separates the two moons with a max-margin loss.

The network MLP(2, [16, 16, 1]) is built from Values, one number per node, exactly as in
micrograd: each training step builds a graph of about 66,000 nodes and backpropagates through
it. The cost is micrograd's:

    L = 1/N sum_i max(0, 1 - y_i * score_i)  +  1e-4 * sum_p p^2        (labels y_i = -1 or +1)

At the end the same network is rebuilt with Tensors (one matrix per layer): the loss and every
gradient agree with the scalar engine's, and the Tensor copy draws the decision boundary fast.

    python demos/moons.py [--quick] [--out out]
"""

# %%
from __future__ import annotations

import random
import time

import numpy as np
from _common import demo_args, plt, save

import nn
from autograd import Tensor, Value, record_scopes, save_html


def scalar_loss(model: nn.MLP, x: np.ndarray, y: np.ndarray) -> tuple[Value, float]:
    """micrograd's loss (mean hinge + L2) and the accuracy, with Values."""
    inputs = [[Value(float(a)) for a in row] for row in x]
    scores = [model(row) for row in inputs]
    data_loss = nn.hinge(scores, y.tolist())
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    accuracy = np.mean([(s.data > 0) == (yi > 0) for s, yi in zip(scores, y)])
    return data_loss + reg_loss, float(accuracy)


def layer_arrays(model: nn.MLP, field: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each layer's weights (``field="data"``) or gradients (``"grad"``) as one (n_in, n_out)
    matrix and one bias vector."""
    return [(np.array([[getattr(p, field) for p in n.w] for n in layer.neurons]).T,
             np.array([getattr(n.b, field) for n in layer.neurons])) for layer in model.layers]


def as_tensors(model: nn.MLP) -> list[tuple[Tensor, Tensor]]:
    """The MLP's weights as Tensors (float64), one matrix and one bias vector per layer."""
    return [(Tensor(w, requires_grad=True), Tensor(b, requires_grad=True))
            for w, b in layer_arrays(model, "data")]


def tensor_forward(layers: list[tuple[Tensor, Tensor]], x: np.ndarray) -> Tensor:
    h = Tensor(x)
    for k, (w, b) in enumerate(layers):
        h = h @ w + b
        if k < len(layers) - 1:
            h = h.relu()
    return h.reshape(-1)


def tensor_loss(layers: list[tuple[Tensor, Tensor]], x: np.ndarray, y: np.ndarray) -> Tensor:
    """The same loss on whole matrices: one node per layer operation instead of per number."""
    data_loss = nn.hinge(tensor_forward(layers, x), y)
    reg_loss = 1e-4 * sum((p * p).sum() for wb in layers for p in wb)
    return data_loss + reg_loss


# %%
def main(argv: list[str] | None = None) -> float:
    args = demo_args(__doc__.splitlines()[0], argv)
    random.seed(1337)
    x, labels = nn.data.make_moons(100, noise=0.1, rng=1337)
    y = labels * 2 - 1  # micrograd's labels: -1 and +1
    model = nn.MLP(2, [16, 16, 1])
    print(f"{model.num_parameters()} parameters")
    steps = 5 if args.quick else 100
    losses, accuracies = [], []
    for k in range(steps):
        t0 = time.perf_counter()
        loss, accuracy = scalar_loss(model, x, y)
        model.zero_grad()
        loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100  # micrograd's schedule
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        losses.append(loss.data)
        accuracies.append(accuracy)
        if k % 10 == 0 or k == steps - 1:
            print(f"step {k:3d} loss {loss.data:.4f}, accuracy {accuracy:.0%} "
                  f"({time.perf_counter() - t0:.2f} s)")

    # %% Parity: the Tensor engine computes the same loss and the same gradients
    loss, _ = scalar_loss(model, x, y)
    model.zero_grad()
    loss.backward()
    layers = as_tensors(model)
    t_loss = tensor_loss(layers, x, y)
    t_loss.backward()
    gap = max(float(np.abs(tensor.grad - grad).max())
              for wb, grads in zip(layers, layer_arrays(model, "grad"))
              for tensor, grad in zip(wb, grads))
    print(f"parity: loss {loss.data:.12f} (Values) vs {t_loss.item():.12f} (Tensors); "
          f"largest gradient difference {gap:.1e}")
    if abs(loss.data - t_loss.item()) > 1e-9 or gap > 1e-9:
        raise RuntimeError("the scalar and Tensor engines disagree")

    # %% The decision boundary, evaluated with the Tensor copy on a grid
    h = 0.05
    g1, g2 = np.meshgrid(np.arange(x[:, 0].min() - 1, x[:, 0].max() + 1, h),
                         np.arange(x[:, 1].min() - 1, x[:, 1].max() + 1, h))
    scores = tensor_forward(layers, np.c_[g1.ravel(), g2.ravel()]).data.reshape(g1.shape)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.3), layout="constrained")
    left.contourf(g1, g2, scores > 0, cmap="coolwarm", alpha=0.6)
    left.scatter(x[y < 0, 0], x[y < 0, 1], c="tab:blue", edgecolors="k", s=25, label="y = -1")
    left.scatter(x[y > 0, 0], x[y > 0, 1], c="tab:red", edgecolors="k", s=25, label="y = +1")
    left.set(title=f"decision boundary after {steps} steps", xlabel="x1", ylabel="x2")
    left.legend(loc="lower left")
    right.plot(losses, label="loss")
    right.plot(accuracies, label="accuracy")
    right.set(title="training", xlabel="step", ylabel="loss / accuracy")
    right.legend()
    save(fig, args.out, "moons.png")

    # %% One sample's forward and backward pass, played: the layers and neurons as boxes.
    # The sample the model gets most wrong: a sample beyond the margin has L = 0 and passes
    # back nothing but zeros.
    margins = 1 - y * tensor_forward(layers, x).data.ravel()
    i = int(np.argmax(margins))
    with record_scopes() as scopes:
        score = model([Value(float(x[i, 0]), label="x1"), Value(float(x[i, 1]), label="x2")])
    sample_loss = (1 + -float(y[i]) * score).relu()
    sample_loss.label = "L"
    page = save_html(sample_loss, args.out / "moons_player.html", scopes=scopes,
                     names=model, fmt=".3f",
                     title=f"micrograd's MLP(2, [16, 16, 1]) on sample {i} (y = {int(y[i]):+d}): "
                           "L = max(0, 1 - y score)")
    print(f"wrote {page}: click a layer's box to open it, a neuron's to see its numbers")
    return accuracies[-1]


if __name__ == "__main__":
    main()
