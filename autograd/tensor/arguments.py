"""Arguments about shapes, checked once: axes, shape arguments, indices, and unbroadcast.

Plain functions of numpy arrays and Python values; the errors they raise name the op that was
given the bad argument.

>>> import numpy as np
>>> axes(-1, (2, 3), "sum"), shape_arg(((2, 3),), "reshape")
((1,), (2, 3))
>>> unbroadcast(np.ones((4, 2, 3)), (1, 3))
array([[8., 8., 8.]])
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..ops import GradientShapeError

__all__ = ["as_array", "axes", "index_arg", "shape_arg", "unbroadcast"]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient of a broadcast shape back to ``shape`` (the one place for this).

    Extra leading axes are summed away, and so are axes where ``shape`` has size 1. A gradient
    that cannot have come from broadcasting ``shape`` is a :class:`GradientShapeError` (the
    engine adds which op's rule gave it).
    """
    extra = grad.ndim - len(shape)
    if extra < 0 or any(s != 1 and s != g for s, g in zip(shape, grad.shape[extra:])):
        raise GradientShapeError(grad.shape, shape)
    summed = tuple(range(extra)) + tuple(extra + i for i, s in enumerate(shape)
                                         if s == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=summed, keepdims=True).reshape(shape)


def axes(axis: Any, shape: tuple[int, ...], name: str) -> tuple[int, ...] | None:
    """Normalise ``axis`` (None, an int or a sequence of ints) to sorted non-negative ints."""
    if axis is None:
        return None
    items = tuple(axis) if isinstance(axis, tuple | list) else (axis,)
    ndim, out = len(shape), []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral):
            raise TypeError(f"{name}: axis must be an int or a tuple of ints, got "
                            f"{type(a).__name__} {a!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"{name}: axis {a} is out of bounds for shape {shape}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: axis {axis} repeats an axis")
    return tuple(sorted(out))


def shape_arg(args: tuple, name: str) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))``; every entry must be an int."""
    if len(args) == 1 and isinstance(args[0], tuple | list):
        args = tuple(args[0])
    for a in args:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral):
            raise TypeError(f"{name}: expected ints, got {type(a).__name__} {a!r}")
    return tuple(int(a) for a in args)


def index_arg(index: Any) -> tuple[Any, bool]:
    """An index with lists and array-like nodes turned into arrays; whether it holds integer
    arrays (advanced indexing, whose gradient adds up repeated picks)."""
    items = index if isinstance(index, tuple) else (index,)
    out, advanced = [], False
    for i in items:
        if isinstance(i, list) or isinstance(getattr(i, "data", None), np.ndarray):
            i = np.asarray(getattr(i, "data", i))
        if isinstance(i, np.ndarray) and i.dtype.kind in "iu":
            advanced = True
        out.append(i)
    return (tuple(out) if isinstance(index, tuple) else out[0]), advanced


def as_array(data: Any, dtype: Any, where: str) -> np.ndarray:
    if isinstance(getattr(data, "data", None), np.ndarray):  # a Tensor: its array
        data = data.data
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == dtype):
        array = data
    elif data is None or isinstance(data, str | bytes | dict | set):
        raise TypeError(f"{where}: expected a numpy array, nested lists or a number, got "
                        f"{type(data).__name__} {data!r:.60}")
    else:
        try:
            array = np.asarray(data, dtype=dtype)
        except ValueError as error:
            raise ValueError(f"{where}: cannot make an array of {type(data).__name__} "
                             f"{data!r:.60}: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected numbers (a numpy array, nested lists or a number), "
                        f"got {type(data).__name__} of dtype {array.dtype}")
    return array
