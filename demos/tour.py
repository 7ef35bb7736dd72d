"""The glassgrad tour: about a minute through the course, ending in a gallery page.

1. function fitting: a line, a parabola and a small network, by gradient descent;
2. one neuron: its forward pass, every backward step, both passes drawn, the HTML player;
3. SGD: the saddle point that stops gradient descent but not SGD;
5. a 2-D function learned with Dense layers and nn.fit (training / validation / test).

    python demos/tour.py [--quick] [--out out]      (what `make demo` runs)

Open out/index.html to see every picture and player it made. The other lessons
(4: backprop_vs_numeric.py; moons.py; 6: mnist_cnn.py) are demos of their own.
"""

# %%
from __future__ import annotations

import html
import time
from pathlib import Path

import fit_function
import learn_2d
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
]


def gallery(out: Path) -> Path:
    """Write out/index.html: one section per lesson, linking every file the tour made."""
    parts = []
    for title, script, items in SECTIONS:
        cells = []
        for name, caption in items:
            if not (out / name).exists():
                continue
            link = html.escape(name)
            if name.endswith(".html"):
                body = f'<a class="player" href="{link}">&#9654; open the player</a>'
            else:
                body = f'<a href="{link}"><img src="{link}" alt="{html.escape(caption)}"></a>'
            wide = ' class="wide"' if name.startswith("neuron_") else ""  # graphs are wide
            cells.append(f"<figure{wide}>{body}<figcaption>{html.escape(caption)}</figcaption>"
                         "</figure>")
        parts.append(f"<section><h2>{html.escape(title)}</h2><p>made by "
                     f"<code>demos/{script}</code></p>{''.join(cells)}</section>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>glassgrad tour</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
section {{ margin-bottom: 2.5em; }}
figure {{ display: inline-block; vertical-align: top; margin: 0 1em 1em 0; max-width: 520px; }}
img {{ max-width: 520px; max-height: 340px; border: 1px solid #ddd; }}
figure.wide, figure.wide img {{ max-width: 100%; max-height: none; }}
figcaption {{ font-size: 0.9em; color: #555; }}
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
    args = demo_args(__doc__.splitlines()[0], argv)
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
    path = gallery(args.out)
    print(f"\nThe tour took {time.perf_counter() - start:.0f} s. Open {path} to see everything.")
    return path


if __name__ == "__main__":
    main()
