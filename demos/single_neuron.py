"""Lesson 2, the structure of a network: one neuron, forward and backward.

A neuron takes the outputs x_i of the previous layer, forms a linear combination
z = sum_i w_i x_i + b, and passes it through an activation: here the sigmoid,
sigma(z) = 1 / (1 + e^-z). With the numbers below z = 0.88 and sigma(0.88) = 0.71.
To learn, we measure its error on a target, L = 1/2 (y - sigma(z))^2, and backpropagate.

    python demos/single_neuron.py [--quick] [--out out]

Writes neuron_forward.svg (values only), neuron_backward.svg (values and gradients),
neuron_frames/ (one picture per step of both passes) and neuron_player.html.
"""

# %%
from __future__ import annotations

from _common import demo_args

from autograd import (
    Value,
    backward_frames,
    draw,
    forward_frames,
    save_frames,
    save_html,
    walk,
    walk_forward,
)


def build_neuron() -> tuple[Value, Value, list[Value]]:
    """The neuron of the slides and its squared error; returns (output, loss, parameters)."""
    x = [Value(1.0, label="x1"), Value(0.5, label="x2"), Value(2.0, label="x3")]
    w = [Value(0.3, label="w1"), Value(-0.2, label="w2"), Value(0.34, label="w3")]
    b = Value(0.0, label="b")
    products = []
    for k, (wi, xi) in enumerate(zip(w, x), start=1):
        p = wi * xi
        p.label = f"w{k}x{k}"
        products.append(p)
    z = products[0] + products[1]
    z.label = "s12"
    z = z + products[2]
    z.label = "s123"
    z = z + b
    z.label = "z"
    out = z.sigmoid()
    out.label = "o"
    y = Value(1.0, label="y")
    error = y - out
    error.label = "e"
    loss = 0.5 * error ** 2
    loss.label = "L"
    return out, loss, [*w, b]


# %%
def main(argv: list[str] | None = None) -> Value:
    args = demo_args(__doc__.splitlines()[0], argv)
    out, loss, params = build_neuron()
    print(f"z = w . x + b = {out._prev[0].data:.2f};  o = sigma(z) = {out.data:.2f};  "
          f"L = 1/2 (1 - o)^2 = {loss.data:.4f}")

    print("\nForward pass, one node at a time:")
    print(walk_forward(loss).run().table())

    print("\nBackward pass, one chain-rule step per node:")
    walker = walk(loss)
    for _ in range(len(walker)):
        walker.next()
        print(walker)
        print()
    print("Gradients of the loss with respect to the parameters:")
    for p in params:
        print(f"  dL/d{p.label} = {p.grad: .4f}")

    forward = draw(loss, show_grad=False)
    forward.render(args.out / "neuron_forward", format="svg", cleanup=True)
    draw(loss).render(args.out / "neuron_backward", format="svg", cleanup=True)
    # the picture for pages (the README): top to bottom, so it fits a page's width
    draw(loss, rankdir="TB").render(args.out / "neuron_backward", format="png", cleanup=True)
    frames = forward_frames(loss) + backward_frames(loss)
    save_frames(frames, args.out / "neuron_frames", format="svg")
    save_html(loss, args.out / "neuron_player.html", title="One neuron: z = w . x + b, "
              "o = sigma(z), L = 1/2 (y - o)^2")
    for name in ("neuron_forward.svg", "neuron_backward.svg", "neuron_backward.png",
                 "neuron_frames/", "neuron_player.html"):
        print(f"  wrote {args.out / name}")
    return loss


if __name__ == "__main__":
    main()
