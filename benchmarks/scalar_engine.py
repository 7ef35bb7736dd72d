"""Scalar engine benchmark: micrograd's moons problem, glassgrad against micrograd in one run.

Builds and backpropagates the loss of micrograd's demo (MLP(2, [16, 16, 1]) on 100 moons samples,
SVM max-margin loss + 1e-4 L2 regularisation; about 66,000 nodes) with micrograd (PyPI
micrograd==0.1.0) and with glassgrad, alternating in one process with the garbage collector on,
and prints the median time, nodes/second, their ratio and bytes per node (tracemalloc).

    python benchmarks/scalar_engine.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograd import Value as GlassValue  # noqa: E402
from autograd import topological_order  # noqa: E402


def moons(n: int, noise: float, rng: random.Random) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles, labels -1 and +1 (as micrograd's demo uses them)."""
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2 == 0:
            x1, x2, y = math.cos(t), math.sin(t), -1.0
        else:
            x1, x2, y = 1.0 - math.cos(t), 0.5 - math.sin(t), 1.0
        xs.append([x1 + rng.gauss(0, noise), x2 + rng.gauss(0, noise)])
        ys.append(y)
    return xs, ys


def make_mlp(value_cls: type, sizes: list[int], rng: random.Random) -> list:
    """Weights as nested lists of Values: layers -> neurons -> (weights, bias)."""
    return [[([value_cls(rng.uniform(-1, 1)) for _ in range(nin)], value_cls(0.0))
             for _ in range(nout)] for nin, nout in zip(sizes[:-1], sizes[1:])]


def forward(model: list, x: list) -> object:
    for k, layer in enumerate(model):
        last = k == len(model) - 1
        outs = []
        for w, b in layer:
            act = sum((wi * xi for wi, xi in zip(w, x)), b)
            outs.append(act if last else act.relu())
        x = outs
    return x[0]


def loss_of(value_cls: type, model: list, xs: list, ys: list) -> object:
    """micrograd demo's loss: mean hinge loss + 1e-4 * sum of squared parameters."""
    inputs = [[value_cls(v) for v in row] for row in xs]
    scores = [forward(model, x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    params = [p for layer in model for w, b in layer for p in [*w, b]]
    return data_loss + 1e-4 * sum(p * p for p in params)


def run_once(value_cls: type, model: list, xs: list, ys: list) -> float:
    """One training-step's worth of graph work: build, backpropagate, and free the graph.

    Freeing is timed too (``gc.collect()`` after dropping the loss), so that each engine pays for
    its own garbage: micrograd's closures form reference cycles that only the collector frees, and
    left uncollected they would slow down whichever engine runs next.
    """
    t0 = time.perf_counter()
    loss = loss_of(value_cls, model, xs, ys)
    loss.backward()
    del loss
    gc.collect()
    return time.perf_counter() - t0


def bytes_per_node(value_cls: type, model: list, xs: list, ys: list, nodes: int) -> float:
    tracemalloc.start()
    loss = loss_of(value_cls, model, xs, ys)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del loss
    return current / nodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    from micrograd.engine import Value as MicroValue

    rng = random.Random(1337)
    xs, ys = moons(100, 0.1, rng)
    engines = {"micrograd": MicroValue, "glassgrad": GlassValue}
    models = {name: make_mlp(cls, [2, 16, 16, 1], random.Random(0))
              for name, cls in engines.items()}
    nodes = len(topological_order(loss_of(GlassValue, models["glassgrad"], xs, ys)))
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(args.repeats):
        for name, cls in engines.items():
            times[name].append(run_once(cls, models[name], xs, ys))
    mem = {name: bytes_per_node(cls, models[name], xs, ys, nodes) for name, cls in engines.items()}
    print(f"moons: MLP(2, [16, 16, 1]), 100 samples, {nodes} nodes; median of {args.repeats} "
          "forward+backward+free passes, gc on")
    for name in engines:
        med = statistics.median(times[name])
        print(f"  {name:10s} {med * 1e3:8.1f} ms  {nodes / med / 1e3:8.1f}k nodes/s  "
              f"{mem[name]:6.0f} bytes/node")
    ratio = statistics.median(times["micrograd"]) / statistics.median(times["glassgrad"])
    print(f"  glassgrad throughput = {ratio:.2f}x micrograd's; memory = "
          f"{mem['glassgrad'] / mem['micrograd']:.2f}x micrograd's")


if __name__ == "__main__":
    main()
