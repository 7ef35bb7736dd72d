"""A tensor's data: reading it, comparing it, and changing it in place under a version counter.

Reading: ``numpy()`` (the array itself), ``item()``, ``tolist()``, ``shape``, ``dtype``,
``ndim``, ``size``, and numpy's array protocol. Comparisons (``==``, ``<`` ...) are elementwise
and give boolean tensors that record no graph.

In-place methods (PyTorch's trailing underscore): ``t.add_(x)``, ``t.sub_(x)``, ``t.mul_(x)``,
``t.div_(x)``, ``t.copy_(x)``, ``t.fill_(v)`` and ``t.zero_()`` change ``t.data`` where it lies,
so every view of the array sees the change, and return ``t``. They record no graph: they are for
updates (an optimizer step, loading weights).

Each of them increases the tensor's version counter, ``t._version``, which tensors sharing its
memory share (``detach()``, reshapes, transposes, slices: ``w[0].zero_()`` counts for ``w``). A
graph node remembers the versions of its inputs and its own, and ``backward()`` refuses to run
through a tensor that has changed since, as PyTorch does: the gradient would be that of values
the graph never saw. Changing the array directly (``t.data -= ...``, or through ``t.numpy()``)
is not counted.

While a graph is being recorded (outside ``no_grad()``), a tensor that requires a gradient
cannot be changed in place; put updates under ``with no_grad():`` as the optimizers do.

>>> import numpy as np
>>> from autograd import Tensor, no_grad
>>> w = Tensor(np.ones(3), requires_grad=True)
>>> loss = (w * w).sum()
>>> with no_grad():
...     _ = w.sub_(np.full(3, 0.5))
>>> w.data, w._version
(array([0.5, 0.5, 0.5]), 1)
>>> loss.backward()
Traceback (most recent call last):
...
RuntimeError: backward: an unnamed tensor of shape (3,), saved by mul for the backward pass, ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from ..modes import modes

__all__ = ["DataMethods", "stale_graph_error"]

T = TypeVar("T", bound="DataMethods")


class DataMethods:
    """The data side of :class:`autograd.Tensor` (a base class that keeps it apart): reading
    the array, elementwise comparisons, and the in-place methods."""

    __slots__ = ()
    data: np.ndarray
    label: str
    requires_grad: bool
    _counter: list[int]

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has had (PyTorch's name)."""
        return self._counter[0]

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, not copied)."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a Python "
                             f"number, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        return bool(self.data)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return np.asarray(self.data, dtype=dtype)

    # comparisons are elementwise and record no graph (their gradient is zero)
    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._new_leaf(self.data == _value(other))

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._new_leaf(self.data != _value(other))

    def __lt__(self, other: Any) -> Any:
        return self._new_leaf(self.data < _value(other))

    def __le__(self, other: Any) -> Any:
        return self._new_leaf(self.data <= _value(other))

    def __gt__(self, other: Any) -> Any:
        return self._new_leaf(self.data > _value(other))

    def __ge__(self, other: Any) -> Any:
        return self._new_leaf(self.data >= _value(other))

    # ---- in-place methods: they record no graph and count the change ---------------------------

    def add_(self: T, other: Any, alpha: float = 1) -> T:
        """``data += alpha * other``, in place; returns self."""
        value = _value(other)
        return self._change("add_", np.add, value if alpha == 1 else np.multiply(value, alpha))

    def sub_(self: T, other: Any, alpha: float = 1) -> T:
        """``data -= alpha * other``, in place; returns self."""
        value = _value(other)
        return self._change("sub_", np.subtract, value if alpha == 1 else np.multiply(value, alpha))

    def mul_(self: T, other: Any) -> T:
        """``data *= other``, in place; returns self."""
        return self._change("mul_", np.multiply, _value(other))

    def div_(self: T, other: Any) -> T:
        """``data /= other``, in place (true division: float tensors only); returns self."""
        return self._change("div_", np.true_divide, _value(other))

    def copy_(self: T, source: Any) -> T:
        """Copy ``source`` (broadcast to this shape, cast to this dtype) into ``data``."""
        return self._change("copy_", None, _value(source))

    def fill_(self: T, value: float) -> T:
        """Set every element to ``value``; returns self."""
        return self._change("fill_", None, value)

    def zero_(self: T) -> T:
        """Set every element to 0; returns self."""
        return self._change("zero_", None, 0)

    def requires_grad_(self: T, requires_grad: bool = True) -> T:
        """Switch gradient tracking of a leaf on (or off); returns self."""
        if getattr(self, "_op", None) is not None:
            raise RuntimeError("requires_grad_: only leaves (tensors no recorded op made) can "
                               "change requires_grad; use detach() for a leaf copy")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad_: only floating-point tensors can require "
                            f"gradients, got dtype {self.data.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def _change(self: T, name: str, ufunc: Callable[..., Any] | None, value: Any) -> T:
        if self.requires_grad and modes().grad:
            what = repr(self.label) if self.label else "this tensor"
            raise RuntimeError(
                f"{name}: {what} requires a gradient, and an in-place change is not recorded in "
                "the graph; make updates under `with autograd.no_grad():` (as the optimizers "
                "do), or write `x = x + y` to compute a new tensor in the graph")
        shape, dtype = self.data.shape, self.data.dtype
        try:  # (an array of the tensor's own shape, an optimizer's update, needs no check)
            if getattr(value, "shape", None) != shape and np.broadcast_shapes(
                    shape, np.shape(value)) != shape:
                raise ValueError
        except ValueError:
            raise ValueError(f"{name}: a value of shape {np.shape(value)} does not broadcast to "
                             f"the tensor's shape {shape}") from None
        try:
            if ufunc is None:
                np.copyto(self.data, value, casting="same_kind")
            else:
                ufunc(self.data, value, out=self.data, casting="same_kind")
        except TypeError as error:  # e.g. a float into an integer tensor
            raise TypeError(f"{name}: {error} (the tensor's dtype is {dtype})") from None
        except OverflowError as error:  # e.g. -1 into an unsigned tensor
            raise OverflowError(f"{name}: {error} (the tensor's dtype is {dtype})") from None
        except ValueError as error:  # e.g. read-only data
            raise ValueError(f"{name}: {error} (tensor of shape {shape})") from None
        self._counter[0] += 1
        return self


def _value(x: Any) -> Any:
    return x.data if isinstance(x, DataMethods) else x


def stale_graph_error(changed: Any, saved_by: Any, saved: int) -> RuntimeError:
    """The error of a backward pass through a graph whose tensor ``changed`` was modified in
    place (it was at version ``saved``) after ``saved_by``'s op saved it."""
    base = changed  # a view (W.T, a reshape) is named after the tensor it shows
    while (not base.label and len(base._prev) == 1
           and base._prev[0]._counter is base._counter):
        base = base._prev[0]
    name = repr(base.label) if base.label else "an unnamed tensor"
    seen = f" (read through {changed._op.name})" if base is not changed else ""
    return RuntimeError(
        f"backward: {name} of shape {base.shape}{seen}, saved by {saved_by._op.name} for the "
        f"backward pass, has been modified in place since (version {changed._version} now, "
        f"{saved} when the graph was built): an optimizer step, load_weights, a restore of "
        "weights or an in-place method (add_, copy_, ...) changed it after the forward pass. "
        "Run the forward pass again with the new values and call backward() on its output: "
        "a graph gives the gradient at the values it was built from")
