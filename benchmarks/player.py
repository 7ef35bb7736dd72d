"""Player benchmark: how long ``autograd.save_html`` takes to write a graph's page.

Times the whole call (the forward and backward timeline, the graphviz layout by ``dot``, the
page written) on these graphs:

- ``chain``: a chain of exactly 1,000 Value ops, ``x = x * 0.999 + 0.001`` 500 times (the
  issue's target: a 1,000-op graph's page in under 10 s on 2 cores);
- ``moons``: micrograd's MLP(2, [16, 16, 1]) on one sample, its hinge loss, with module boxes
  (``record_scopes``) and names, as demos/moons.py plays it; ``moons2`` and ``moons8`` on 2 and
  8 samples (1,290 ops with long edges from every weight; 5,152 ops, past ``LAYOUT_LIMIT``);
- ``mnist``: Keras' MNIST CNN (demos/mnist_cnn.py's ``build_model``, 1,199,882 parameters) on one
  random minibatch, its cross-entropy in training mode, with boxes and names, as
  demos/mnist_cnn.py plays it.

Prints, for each graph, its op and node counts, the page's size and the median time of the
repeats (``save_html`` leaves the graph's gradients as they were, so each does the same work).

    python benchmarks/player.py [--repeats 5] [--graphs chain moons ...] [--batch-size 8]
                                [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "demos")]

import numpy as np  # noqa: E402

import nn  # noqa: E402
from autograd import Value, record_scopes, save_html, topological_order  # noqa: E402

Case = tuple[Any, dict[str, Any]]  # the loss, and save_html's options for it


def chain(ops: int = 1000) -> Case:
    """``x = x * 0.999 + 0.001`` until the graph has ``ops`` op nodes (each step makes two)."""
    x = Value(1.0, label="x")
    for _ in range(ops // 2):
        x = x * 0.999 + 0.001
    x.label = "y"
    return x, {}


def moons(samples: int = 1) -> Case:
    """demos/moons.py's player: ``samples`` samples through MLP(2, [16, 16, 1]), the sum of
    max(0, 1 - y score) (one sample: 643 ops; 2: 1,290 ops, every weight used twice; 8: 5,152
    ops, more than one layout holds, so the page folds the neurons into notes)."""
    random.seed(1337)
    x, labels = nn.data.make_moons(100, noise=0.1, rng=1337)
    model = nn.MLP(2, [16, 16, 1])
    with record_scopes() as scopes:
        losses = []
        for i in range(samples):
            score = model([Value(float(x[i, 0]), label=f"x{i}_1"),
                           Value(float(x[i, 1]), label=f"x{i}_2")])
            losses.append((1 + -float(labels[i] * 2 - 1) * score).relu())
    loss = losses[0] if samples == 1 else sum(losses[1:], losses[0])
    loss.label = "L"
    return loss, {"scopes": scopes, "names": model.named_modules(), "fmt": ".3f"}


def mnist(batch_size: int) -> Case:
    """demos/mnist_cnn.py's player on ``batch_size`` random standardized images."""
    import mnist_cnn

    rng = np.random.default_rng(0)
    images = rng.normal(size=(batch_size, 1, 28, 28)).astype(np.float32)
    model = mnist_cnn.build_model()
    loss, scopes = mnist_cnn.step_graph(model, images, rng.integers(0, 10, batch_size))
    return loss, {"scopes": scopes, "names": model, "fmt": ".3f", "rankdir": "TB"}


def time_page(loss: Any, options: dict[str, Any], path: Path, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        save_html(loss, path, **options)
        times.append(time.perf_counter() - t0)
    return times


def _dot_version() -> str:
    try:
        done = subprocess.run(["dot", "-V"], capture_output=True, text=True, timeout=30)
    except OSError:
        return "dot not found"
    return done.stderr.strip() or done.stdout.strip()


def _load() -> str:
    """The 1-minute load average (a shared machine's figures move with it), where known."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed calls per graph (default: %(default)s)")
    names = ["chain", "moons", "moons2", "moons8", "mnist"]
    parser.add_argument("--graphs", nargs="+", choices=names, default=names,
                        help="default: all")
    parser.add_argument("--batch-size", type=int, default=8,
                        help="images in the MNIST minibatch (default: %(default)s, as the lesson)")
    parser.add_argument("--out", type=Path, default=None,
                        help="keep the pages in DIR (default: a temporary folder, removed)")
    args = parser.parse_args()
    if min(args.repeats, args.batch_size) < 1:
        parser.error(f"--repeats and --batch-size must be at least 1, got {args.repeats} and "
                     f"{args.batch_size}")
    cases: dict[str, tuple[str, Callable[[], Case]]] = {
        "chain": ("chain of Value ops", chain),
        "moons": ("moons MLP(2, [16, 16, 1]), 1 sample", moons),
        "moons2": ("moons MLP, 2 samples", lambda: moons(2)),
        "moons8": ("moons MLP, 8 samples (folded)", lambda: moons(8)),
        "mnist": (f"MNIST CNN, minibatch of {args.batch_size}",
                  lambda: mnist(args.batch_size)),
    }
    print(f"save_html, the whole call (timeline, dot layout, page written), median of "
          f"{args.repeats}; python {platform.python_version()}, numpy {np.__version__}, "
          f"{_dot_version()}, {os.cpu_count()} CPUs, load average {_load()}")
    with tempfile.TemporaryDirectory() as temporary:
        out = args.out or Path(temporary)
        out.mkdir(parents=True, exist_ok=True)
        for name in args.graphs:
            title, make = cases[name]
            loss, options = make()
            nodes = topological_order(loss)
            ops = sum(1 for node in nodes if node._op is not None)
            path = out / f"{name}_player.html"
            times = time_page(loss, options, path, args.repeats)
            print(f"  {title:36s} {ops:6,d} ops {len(nodes):6,d} nodes "
                  f"{path.stat().st_size / 1e3:8.1f} KB {statistics.median(times):8.2f} s "
                  f"(min {min(times):.2f} s)")


if __name__ == "__main__":
    main()
