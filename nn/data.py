"""Data: train/validation/test splits, minibatches, and the course's toy problems.

Every random choice takes an ``rng``: None (drawn from numpy's global generator, so
``np.random.seed`` makes it repeat), an int seed, or a ``numpy.random.Generator``, so ``rng=0``
always gives the same data.

>>> x, y = make_line(10, rng=0)
>>> (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = train_val_test_split(x, y, (0.6, 0.2, 0.2), rng=0)
>>> len(x_tr), len(x_va), len(x_te)
(6, 2, 2)
>>> [len(xb) for xb, yb in batches(x_tr, y_tr, batch_size=4, rng=0)]
[4, 2]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ._checks import count, generator

__all__ = [
    "batches", "make_function_2d", "make_line", "make_moons", "make_quadratic", "make_strokes",
    "train_val_test_split",
]

Rng = np.random.Generator | int | None
Split = tuple[np.ndarray, np.ndarray]


def _pair(owner: str, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{owner}: x and y must be arrays of samples, not scalars")
    if len(x) != len(y):
        raise ValueError(f"{owner}: x has {len(x)} samples but y has {len(y)}")
    return x, y


def train_val_test_split(x: Any, y: Any, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                         rng: Rng = None) -> tuple[Split, Split, Split]:
    """Shuffle the samples, then cut them into training, validation and test sets.

    Args:
        x, y: inputs and targets, the same number of samples (first axis).
        fractions: (train, validation, test), each in [0, 1], summing to 1. The sets are cut
            where the rounded running sums fall (each size within one sample of fraction * n).
        rng: seed or generator for the shuffle.

    Returns:
        ``((x_train, y_train), (x_val, y_val), (x_test, y_test))`` as numpy arrays.
    """
    x, y = _pair("train_val_test_split", x, y)
    if isinstance(fractions, str) or not isinstance(fractions, Sequence) or len(fractions) != 3:
        raise ValueError(f"train_val_test_split: fractions must be three numbers (train, "
                         f"validation, test), got {fractions!r:.60}")
    for name, f in zip(("train", "validation", "test"), fractions):
        if isinstance(f, bool) or not isinstance(f, numbers.Real) or not 0.0 <= f <= 1.0:
            raise ValueError(f"train_val_test_split: the {name} fraction must be a number in "
                             f"[0, 1], got {f!r}")
    if not math.isclose(sum(fractions), 1.0, abs_tol=1e-9):
        raise ValueError(f"train_val_test_split: fractions must sum to 1, got {tuple(fractions)} "
                         f"(sum {sum(fractions):g})")
    n = len(x)
    # cut where the running sums of the fractions fall: sizes are within one sample of
    # fraction * n, add up to n, and a fraction of 0 gets no sample
    n_train = math.floor(fractions[0] * n + 0.5)  # halves up (round() takes them to even)
    n_val = math.floor((fractions[0] + fractions[1]) * n + 0.5) - n_train
    if fractions[0] > 0 and n_train == 0:
        raise ValueError(f"train_val_test_split: {n} samples are too few for fractions "
                         f"{tuple(fractions)}")
    order = generator("train_val_test_split", rng).permutation(n)
    cuts = np.split(order, [n_train, n_train + n_val])
    tr, va, te = ((x[i], y[i]) for i in cuts)
    return tr, va, te


def batches(x: Any, y: Any, batch_size: int, shuffle: bool = True, rng: Rng = None,
            drop_last: bool = False) -> Iterator[Split]:
    """Yield ``(x_batch, y_batch)`` minibatches covering the data once (one epoch).

    With ``shuffle`` the samples are drawn at random without replacement: each sample appears in
    exactly one batch per epoch. The last batch is smaller when ``batch_size`` does not divide
    the number of samples, unless ``drop_last`` drops it.
    """
    x, y = _pair("batches", x, y)
    batch_size = count("batches", "batch_size", batch_size)
    n = len(x)
    order = generator("batches", rng).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        index = order[start:start + batch_size]
        yield x[index], y[index]


def _noisy(y: np.ndarray, noise: float, gen: np.random.Generator) -> np.ndarray:
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    return y + noise * gen.standard_normal(y.shape) if noise else y


def make_line(n: int = 100, slope: float = 2.0, intercept: float = 1.0, noise: float = 0.1,
              x_range: tuple[float, float] = (-1.0, 1.0), rng: Rng = None) -> Split:
    """Points near a line: y = slope * x + intercept + noise * N(0, 1), x uniform in x_range.

    Returns x and y, each shaped (n, 1).
    """
    gen = generator("make_line", rng)
    x = gen.uniform(*x_range, size=(count("make_line", "n", n), 1))
    return x, _noisy(slope * x + intercept, noise, gen)


def make_quadratic(n: int = 100, a: float = 1.0, b: float = 0.0, c: float = 0.0,
                   noise: float = 0.1, x_range: tuple[float, float] = (-2.0, 2.0),
                   rng: Rng = None) -> Split:
    """Points near a parabola: y = a * x**2 + b * x + c + noise * N(0, 1); x, y shaped (n, 1)."""
    gen = generator("make_quadratic", rng)
    x = gen.uniform(*x_range, size=(count("make_quadratic", "n", n), 1))
    return x, _noisy(a * x**2 + b * x + c, noise, gen)


def _saddle_wave(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    return np.sin(np.pi * x1) * np.cos(np.pi * x2 / 2)


def make_function_2d(n: int = 200,
                     f: Callable[[np.ndarray, np.ndarray], np.ndarray] = _saddle_wave,
                     noise: float = 0.0, low: float = -1.0, high: float = 1.0,
                     rng: Rng = None) -> Split:
    """Samples of a function of two inputs, y = f(x1, x2) + noise * N(0, 1).

    (x1, x2) is uniform in the square [low, high]^2; ``f`` works on arrays and defaults to
    f(x1, x2) = sin(pi * x1) * cos(pi * x2 / 2). Returns x shaped (n, 2) and y shaped (n, 1).

    >>> x, y = make_function_2d(5, f=lambda x1, x2: x1 + 10 * x2, rng=0)
    >>> bool(np.allclose(y[:, 0], x[:, 0] + 10 * x[:, 1]))
    True
    """
    gen = generator("make_function_2d", rng)
    x = gen.uniform(low, high, size=(count("make_function_2d", "n", n), 2))
    y = np.asarray(f(x[:, 0], x[:, 1]), dtype=np.float64).reshape(-1, 1)
    if len(y) != len(x):
        raise ValueError(f"make_function_2d: f returned {len(y)} values for {len(x)} points")
    return x, _noisy(y, noise, gen)


def make_moons(n: int = 100, noise: float = 0.0, rng: Rng = None) -> Split:
    """Two interleaving half circles (micrograd's demo data, as sklearn's ``make_moons``).

    The first moon (label 0) is (cos t, sin t) and the second (label 1) is
    (1 - cos t, 1/2 - sin t) for t evenly spaced in [0, pi]; the points are shuffled and
    ``noise * N(0, 1)`` is added to each coordinate. Returns x shaped (n, 2), y int64 in {0, 1}.
    micrograd's hinge loss wants labels -1 and +1: ``y * 2 - 1``.
    """
    gen = generator("make_moons", rng)
    n = count("make_moons", "n", n, minimum=2)
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)])
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    order = gen.permutation(n)
    return _noisy(x[order], noise, gen), y[order]


def make_strokes(n: int = 1000, classes: int = 4, size: int = 12, noise: float = 0.1,
                 rng: Rng = None) -> Split:
    """Small grey images of one pen stroke each, labelled by its direction: a tiny MNIST.

    Class k is a stroke at ``k * 180 / classes`` degrees (with 4 classes: horizontal, rising,
    vertical, falling), turned by up to a third of the gap between classes, of random centre,
    length and width. A pixel's brightness is ``exp(-d^2 / (2 w^2))`` with d its distance to the
    segment and w the stroke's half width, plus ``noise * N(0, 1)``, clipped to [0, 1]. Every
    image is drawn at once, with numpy broadcasting over (n, size, size).

    Returns x float32 shaped (n, 1, size, size) and y int64 labels in 0..classes-1.

    >>> x, y = make_strokes(6, rng=0)
    >>> x.shape, x.dtype, y.dtype, bool(0 <= x.min() and x.max() <= 1)
    ((6, 1, 12, 12), dtype('float32'), dtype('int64'), True)
    """
    gen = generator("make_strokes", rng)
    n = count("make_strokes", "n", n)
    classes = count("make_strokes", "classes", classes, minimum=2)
    size = count("make_strokes", "size", size, minimum=6)
    y = gen.integers(0, classes, size=n)
    gap = np.pi / classes
    angle = y * gap + gen.uniform(-gap / 3, gap / 3, size=n)
    centre = gen.uniform(0.35 * size, 0.65 * size, size=(n, 2))  # (row, column)
    half_length = gen.uniform(0.25 * size, 0.4 * size, size=n)
    width = gen.uniform(0.05 * size, 0.1 * size, size=n)
    # one direction (rows grow downwards, so a rising stroke has a negative row step)
    step = np.stack([-np.sin(angle), np.cos(angle)], axis=1)[:, :, None, None]
    rows, cols = np.mgrid[0:size, 0:size]
    offset = np.stack([rows, cols])[None] - centre[:, :, None, None]  # (n, 2, size, size)
    along = np.clip((offset * step).sum(axis=1), -half_length[:, None, None],
                    half_length[:, None, None])
    distance = np.linalg.norm(offset - along[:, None] * step, axis=1)
    images = np.exp(-distance ** 2 / (2 * width[:, None, None] ** 2))
    images = np.clip(_noisy(images, noise, gen), 0.0, 1.0)
    return images[:, None].astype(np.float32), y.astype(np.int64)
