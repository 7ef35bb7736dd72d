"""The glassgrad tour: about a minute through the course, ending in a gallery page.

1. function fitting: a line, a parabola and a small network, by gradient descent;
2. one neuron: its forward pass, every backward step, both passes drawn, the HTML player;
3. SGD: the saddle point that stops gradient descent but not SGD;
5. a 2-D function learned with Dense layers and nn.fit (training / validation / test);
then whole networks, played: micrograd's moons MLP on one sample (moons.py --quick), and Keras'
MNIST CNN on one minibatch (6: mnist_cnn.py --quick) when the MNIST files are in --data DIR
(default: mnist_cnn.py's). The tour never downloads: without them the gallery says how.

    python demos/tour.py [--quick] [--out out] [--data DIR]      (what `make demo` runs)

Open out/index.html to see every picture and player it made. The other lessons, and moons and
MNIST in full (4: backprop_vs_numeric.py; moons.py; 6: mnist_cnn.py), are demos of their own.
"""

# %%
from __future__ import annotations

import html
import time
from pathlib import Path

import fit_function
import learn_2d
import mnist_cnn
import moons
import sgd
import single_neuron
from _common import demo_args

SECTIONS = [
    ("Fitting a function", "fit_function.py",
     [("fit_line.png", "f(x) = a x + b, fitted by gradient descent"),
      ("fit_line.gif", "the same fit, animated"),
      ("fit_quadratic.png", "f(x) = a x^2 + b x + c"),
      ("fit_mlp.png", "the parabola learned by an MLP")]),
    ("One neuron, forward and backward", "single_neuron.py",
     [("neuron_backward.png", "the graph with values and gradients"),
      ("neuron_forward.svg", "the forward pass: values only"),
      ("neuron_player.html", "the HTML player: step through both passes")]),
    ("Stochastic gradient descent", "sgd.py",
     [("sgd_saddle.png", "a saddle point: gradient descent stalls, SGD escapes")]),
    ("Learning a 2-D function with nn.fit", "learn_2d.py",
     [("learn_2d_heatmaps.png", "true function, learned function and error on test data"),
      ("learn_2d_curves.png", "learning curves on training and validation data")]),
    ("Whole networks, played", "moons.py mnist_cnn.py",
     [("moons_player.html", "micrograd's MLP(2, [16, 16, 1]) on one sample, Value by Value"),
      ("mnist_cnn_player.html", "Keras' MNIST CNN: one training step on 8 digits, tensor by "
                                "tensor")]),
]

# what the gallery says for a file the tour could not make
HOW_TO_MAKE = {
    "mnist_cnn_player.html": "The MNIST CNN's player needs the MNIST files (the tour never "
                             "downloads): <code>python demos/mnist_cnn.py --data DIR</code> "
                             "makes it.",
}


def gallery(out: Path) -> Path:
    """Write out/index.html: one section per lesson, linking every file the tour made; where
    it could not make one (``HOW_TO_MAKE``), a line says how to make it."""
    parts = []
    for title, script, items in SECTIONS:
        cells = []
        for name, caption in items:
            if not (out / name).exists():
                if name in HOW_TO_MAKE:
                    cells.append(f'<p class="missing">{HOW_TO_MAKE[name]}</p>')
                continue
            link = html.escape(name)
            if name.endswith(".html"):
                body = f'<a class="player" href="{link}">&#9654; open the player</a>'
            else:
                body = f'<a href="{link}"><img src="{link}" alt="{html.escape(caption)}"></a>'
            wide = ' class="wide"' if name.startswith("neuron_") else ""  # graphs are wide
            cells.append(f"<figure{wide}>{body}<figcaption>{html.escape(caption)}</figcaption>"
                         "</figure>")
        made_by = " and ".join(f"<code>demos/{html.escape(s)}</code>" for s in script.split())
        parts.append(f"<section><h2>{html.escape(title)}</h2><p>made by {made_by}</p>"
                     f"{''.join(cells)}</section>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>glassgrad tour</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
section {{ margin-bottom: 2.5em; }}
figure {{ display: inline-block; vertical-align: top; margin: 0 1em 1em 0; max-width: 520px; }}
img {{ max-width: 520px; max-height: 340px; border: 1px solid #ddd; }}
figure.wide, figure.wide img {{ max-width: 100%; max-height: none; }}
figcaption {{ font-size: 0.9em; color: #555; }}
p.missing {{ color: #555; }}
a.player {{ display: inline-block; padding: 1em 2em; background: #1f5fa8; color: white;
           border-radius: 6px; text-decoration: none; }}
</style></head><body>
<h1>glassgrad: a tour of the course</h1>
<p>Every number and every gradient, visible. Each picture links to its full size.</p>
{''.join(parts)}
</body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


# %%
def main(argv: list[str] | None = None) -> Path:
    args = demo_args(__doc__.splitlines()[0], argv, mnist_cnn.data_option)
    out_args = ["--out", str(args.out)] + (["--quick"] if args.quick else [])
    start = time.perf_counter()
    print("== Lesson 1. Fitting a function ==")
    fit_function.fit_line(args.out, args.quick)
    fit_function.fit_quadratic(args.out, args.quick)
    fit_function.fit_mlp(args.out, args.quick)
    print("\n== Lesson 2. One neuron ==")
    single_neuron.main(out_args)
    print("\n== Lesson 3. SGD and a saddle point ==")
    sgd.saddle(args.out, args.quick)
    print("\n== Lesson 5. A 2-D function with nn.fit ==")
    learn_2d.main(out_args)
    print("\n== Whole networks, played ==")
    quick = ["--quick", "--out", str(args.out)]  # one step is played: a short training will do
    moons.main(quick)
    if mnist_cnn.has_mnist(args.data):
        mnist_cnn.main([*quick, "--data", str(args.data)])
    else:
        print(f"no MNIST files in {args.data}: mnist_cnn_player.html not made (the tour never "
              "downloads; --data DIR points at them)")
    path = gallery(args.out)
    print(f"\nThe tour took {time.perf_counter() - start:.0f} s. Open {path} to see everything.")
    return path


if __name__ == "__main__":
    main()
