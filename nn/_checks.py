"""The argument checks nn's classes and functions share: errors name the owner and the argument.

>>> count("Dense", "in_features", 3), number("SGD", "momentum", 0.9, high=1.0, high_open=True)
(3, 0.9)
>>> sizes("LayerNorm", "normalized_shape", 4), sizes("Reshape", "shape", (2, -1), free=True)
((4,), (2, -1))
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def count(owner: str, name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum``: a TypeError if it is no int, else a
    ValueError if it is too small."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} "
                        f"{value!r:.40}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum}, got {value}")
    return int(value)


def number(owner: str, name: str, value: Any, low: float = 0.0, high: float = math.inf,
           high_open: bool = False, low_open: bool = False) -> float:
    """``value`` as a finite float in [low, high] (open ends with ``low_open``/``high_open``);
    a ValueError otherwise, as for every bad hyper-parameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{owner}: {name} must be a number, got {type(value).__name__} "
                         f"{value!r:.40}")
    value = float(value)
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (math.isfinite(value) and above and below):
        if high == math.inf:
            bound = f"> {low}" if low_open else f">= {low}"
        else:
            bound = f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{owner}: {name} must be a finite number {bound}, got {value!r}")
    return value


def generator(owner: str, rng: Any) -> np.random.Generator:
    """The random generator for ``rng``: a numpy Generator as it is, an int as its seed, None as
    a generator seeded from numpy's global one (so ``np.random.seed(0)`` makes a run repeat).
    The one place where nn turns an ``rng`` argument into a generator.

    >>> generator("fit", 0).permutation(4).tolist() == generator("fit", 0).permutation(4).tolist()
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(np.random.randint(2**31))
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"{owner}: rng must be None, an int seed or a numpy.random.Generator, got "
                    f"{type(rng).__name__}")


def sizes(owner: str, name: str, value: Any, free: bool = False) -> tuple[int, ...]:
    """``value`` (an int, or a non-empty tuple or list of ints, each at least 1) as a tuple;
    with ``free``, one entry may be -1 (worked out later, as in a reshape). A ValueError names
    the owner and the argument otherwise."""
    items = tuple(value) if isinstance(value, tuple | list) else (value,)
    ok = bool(items) and all(not isinstance(d, bool) and isinstance(d, numbers.Integral)
                             and (d >= 1 or (free and d == -1)) for d in items)
    if not ok or (free and items.count(-1) > 1):
        what = "positive ints (one may be -1)" if free else "positive ints"
        raise ValueError(f"{owner}: {name} must be an int or a tuple of {what}, got "
                         f"{value!r:.60}")
    return tuple(int(d) for d in items)


def indices(owner: str, input: Any, n: int) -> np.ndarray:
    """``input`` (an integer array, or a Tensor of one) as an integer array of indices into n
    rows: a TypeError for other dtypes, an IndexError naming the first index out of range."""
    data = input if isinstance(input, np.ndarray) else getattr(input, "data", None)
    if not isinstance(data, np.ndarray):
        raise TypeError(f"{owner}: expected an integer numpy array or Tensor of indices, got "
                        f"{type(input).__name__}")
    if data.dtype.kind not in "iu":
        raise TypeError(f"{owner}: expected integer indices, got dtype {data.dtype} (shape "
                        f"{data.shape})")
    bad = np.flatnonzero((data < 0) | (data >= n))
    if bad.size:
        where = tuple(int(i) for i in np.unravel_index(bad[0], data.shape))
        raise IndexError(f"{owner}: index {data.flat[bad[0]]} (at position {where} of the "
                         f"input of shape {data.shape}) is out of range for {n} embeddings: 0 "
                         f"to {n - 1}")
    return data
