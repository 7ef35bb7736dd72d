"""Tensor: a numpy array as a node of the computation graph, with PyTorch's names.

A Tensor records the op that made it only when gradient mode is on and some input requires a
gradient (PyTorch's rule), so data and constants cost nothing in the backward pass. The op rules
live in ``ops.py``, ``conv.py`` and ``pool.py``; the engine (``autograd/engine.py``) is the same
one that drives :class:`autograd.Value`.

Each tensor carries a version counter, ``_version``, which in-place methods (``add_``,
``copy_`` ...), and so the optimizers and weight loading, increase; tensors sharing memory share
it. A node remembers its inputs' versions and its own, and ``backward()`` refuses a graph whose
saved tensors have changed since, as PyTorch does, instead of mixing old and new values.

>>> w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x = Tensor([1.0, -1.0])
>>> loss = (w @ x).relu().sum()
>>> loss.backward()
>>> loss.item(), w.grad.tolist()
(0.0, [[0.0, 0.0], [0.0, 0.0]])
>>> (x * w).sum().backward()  # gradients of leaves accumulate, as in PyTorch
>>> w.grad
array([[ 1., -1.],
       [ 1., -1.]])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..modes import modes, note_scope
from ..ops import DivisionByZeroError, Op, register_kind
from .anomaly import check_output
from .arguments import as_array, index_arg, shape_arg
from .arguments import axes as _axes
from .data import DataMethods
from .node import GraphNode
from .ops import (
    ABS,
    ADD,
    DIV,
    EXP,
    GETITEM,
    LOG,
    MATMUL,
    MAX,
    MUL,
    POW,
    POW_TENSOR,
    RELU,
    RESHAPE,
    SIGMOID,
    SQRT,
    SUM,
    TANH,
    TRANSPOSE,
)

__all__ = ["Tensor", "apply", "binary", "constant", "operands", "promote"]


class Tensor(GraphNode, DataMethods):
    """An n-dimensional array in the computation graph: ``data``, ``grad`` and how it was made.

    Args:
        data: a numpy array (wrapped without a copy when ``dtype`` matches), nested lists or a
            number. Python floats become float64, as in numpy.
        requires_grad: whether backward passes compute ``grad`` for this tensor (floats only).
        dtype: convert ``data`` to this numpy dtype first, e.g. ``"float32"``.
        label: a name for printing and drawing.

    ``grad`` is None until a backward pass reaches the tensor, then an array of its shape; leaves
    accumulate it across passes until it is reset (``t.grad = None`` or :meth:`zero_grad`).
    ``_version`` counts the in-place changes of ``data`` made through the tensor's methods; a
    tensor that shares its base's memory (``detach()``, a reshape, a transpose, a slice, or
    ``Tensor(t)``) shares its counter too, as in PyTorch.
    """

    __slots__ = ("data", "grad", "label", "requires_grad", "_prev", "_op", "_ctx", "_counter",
                 "_saved")
    __hash__ = object.__hash__  # nodes hash by identity: elementwise == never bothers the engine
    __array_ufunc__ = None  # ndarray (op) Tensor calls the Tensor's reflected operator

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 label: str = "") -> None:
        self.data = as_array(data, dtype, "Tensor")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating-point tensors can require gradients, got "
                            f"dtype {self.data.dtype} (pass dtype='float32' or 'float64')")
        self.grad: np.ndarray | None = None
        self.label = label
        self.requires_grad = bool(requires_grad)
        self._prev: tuple[Tensor, ...] = ()
        self._op: Op | None = None
        self._ctx: Any = None
        self._counter = [0]  # one box, shared with views of the same memory
        self._saved: list[int] | None = None
        if isinstance(data, Tensor) and self.data is data.data:
            self._counter = data._counter

    def _new_leaf(self, data: Any) -> Tensor:
        return constant(data if type(data) is np.ndarray else np.asarray(data))

    def detach(self) -> Tensor:
        """The same data (shared, not copied) as a new leaf that requires no gradient (it shares
        the version counter too: an in-place change through it is one of this tensor's)."""
        return _view(constant(self.data), self)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        extra += f", op={self._op.name}" if self._op is not None else ""
        extra += f", label={self.label!r}" if self.label else ""
        return f"Tensor({body}, shape={self.shape}, dtype={self.data.dtype}{extra})"

    # ---- primitives (rules in ops.py) ---------------------------------------------------
    def _operand(self, other: Any, symbol: str) -> Tensor:
        """``other`` as a Tensor; a Python or numpy number takes this tensor's dtype if it fits
        (``float32 * 2.0`` stays float32), following numpy's rules for Python scalars."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Real | np.bool_):  # a 0-d mask in a rule is an np.bool_
            value = other.item() if isinstance(other, np.generic) else other
            return constant(np.asarray(value, dtype=np.result_type(self.data.dtype, value)))
        if isinstance(other, np.ndarray | list | tuple):
            return Tensor(other)
        raise TypeError(f"unsupported operand for {symbol}: Tensor and {type(other).__name__} "
                        f"{other!r:.60}; expected a Tensor, a numpy array or a number")

    def __add__(self, other: Any) -> Tensor:
        return binary(ADD, self, self._operand(other, "+"))

    def __radd__(self, other: Any) -> Tensor:
        return binary(ADD, self._operand(other, "+"), self)

    def __mul__(self, other: Any) -> Tensor:
        return binary(MUL, self, self._operand(other, "*"))

    def __rmul__(self, other: Any) -> Tensor:
        return binary(MUL, self._operand(other, "*"), self)

    def __pow__(self, other: Any) -> Tensor:
        if isinstance(other, numbers.Real) and not isinstance(other, Tensor):
            n = other.item() if isinstance(other, np.generic) else other
            return apply(POW, self.data ** n, (self,), n)
        return binary(POW_TENSOR, self, self._operand(other, "**"))

    def __rpow__(self, other: Any) -> Tensor:
        return binary(POW_TENSOR, self._operand(other, "**"), self)

    def __matmul__(self, other: Any) -> Tensor:
        return _matmul(self, self._operand(other, "@"))

    def __rmatmul__(self, other: Any) -> Tensor:
        return _matmul(self._operand(other, "@"), self)

    def exp(self) -> Tensor:
        return apply(EXP, np.exp(self.data), (self,))

    def log(self) -> Tensor:
        return apply(LOG, np.log(self.data), (self,))

    def tanh(self) -> Tensor:
        return apply(TANH, np.tanh(self.data), (self,))

    def sigmoid(self) -> Tensor:
        return apply(SIGMOID, SIGMOID.forward(self.data), (self,))

    def relu(self) -> Tensor:
        return apply(RELU, np.maximum(self.data, 0), (self,))

    def abs(self) -> Tensor:
        return apply(ABS, np.abs(self.data), (self,))

    __abs__ = abs

    def sqrt(self) -> Tensor:
        return apply(SQRT, np.sqrt(self.data), (self,))

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (an int, a tuple of ints, or None for all axes)."""
        ctx = (_axes(axis, self.shape, "sum"), bool(keepdims))
        return apply(SUM, SUM.forward(self.data, ctx), (self,), ctx)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis`` (values only, like numpy's max or torch.amax)."""
        ctx = (_axes(axis, self.shape, "max"), bool(keepdims))
        if self.data.size == 0:
            raise ValueError(f"max: the tensor of shape {self.shape} is empty")
        return apply(MAX, MAX.forward(self.data, ctx), (self,), ctx)

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """A tensor of the same data with a new shape; one entry may be -1."""
        new = shape_arg(shape, "reshape")
        try:
            data = self.data.reshape(new)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape shape {self.shape} ({self.size} "
                             f"elements) into {new}") from None
        return _view(apply(RESHAPE, data, (self,), new), self)

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (numpy's rule): no argument reverses them, as ``.T`` does."""
        ndim = self.ndim
        perm = shape_arg(axes, "transpose") if axes else tuple(range(ndim))[::-1]
        norm = tuple(a + ndim if a < 0 else a for a in perm)
        if sorted(norm) != list(range(ndim)):
            raise ValueError(f"transpose: axes {perm} are not a permutation of the {ndim} axes "
                             f"of shape {self.shape}")
        return _view(apply(TRANSPOSE, self.data.transpose(norm), (self,), norm), self)

    def __getitem__(self, index: Any) -> Tensor:
        """Basic indexing and slicing (a view), and integer-array indexing like
        ``logp[np.arange(n), labels]`` (its gradient adds up repeated picks)."""
        index, advanced = index_arg(index)
        try:
            data = self.data[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor of shape {self.shape})") from None
        out = apply(GETITEM, data, (self,), (index, advanced))
        return out if advanced else _view(out, self)  # integer arrays copy; slices are views

    # ---- derived operations: compositions of the primitives -----------------------------------
    def __neg__(self) -> Tensor:  # -self
        if self.data.dtype.kind == "u":  # as numpy: wraps around (-uint8(3) is 253)
            return constant(np.negative(self.data))
        return self * -1

    def __sub__(self, other: Any) -> Tensor:  # self - other
        if isinstance(other, numbers.Real) and not isinstance(other, Tensor):
            value = other.item() if isinstance(other, np.generic) else other
            if self.data.dtype.kind in "biu":  # no gradient here: numpy's own rules (uint8 - 3)
                return constant(np.subtract(self.data, value))
            return self + -value
        return _subtract(self, self._operand(other, "-"))

    def __rsub__(self, other: Any) -> Tensor:  # other - self
        return _subtract(self._operand(other, "-"), self)

    def __truediv__(self, other: Any) -> Tensor:  # self / other
        if isinstance(other, numbers.Real) and not isinstance(other, Tensor) and other == 0:
            raise DivisionByZeroError(f"div: division by zero (a tensor of shape {self.shape} "
                                      f"/ {other!r})")
        return binary(DIV, self, self._operand(other, "/"))  # integers / integers: floats

    def __rtruediv__(self, other: Any) -> Tensor:  # other / self
        return binary(DIV, self._operand(other, "/"), self)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``: the sum times 1/n."""
        axes = _axes(axis, self.shape, "mean")
        n = self.size if axes is None else math.prod(self.shape[a] for a in axes)
        if n == 0:
            raise ValueError(f"mean: no elements to average (shape {self.shape}, axis {axis})")
        return self.sum(axis, keepdims) * (1.0 / n)

    def min(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """Minimum over ``axis``: ``-max(-self)``."""
        return -((-self).max(axis, keepdims))

    @property
    def T(self) -> Tensor:  # noqa: N802 (numpy's and PyTorch's name)
        return self.transpose()

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge the axes ``start_dim..end_dim`` into one (PyTorch's rule), by a reshape."""
        shape = self.shape or (1,)
        start, end = (_axes(d, shape, "flatten")[0] for d in (start_dim, end_dim))
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for shape {self.shape}")
        return self.reshape(shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


# ---- helpers ---------------------------------------------------------------------------------

def apply(op: Op, data: Any, parents: tuple, ctx: Any = None) -> Tensor:
    """Make the output node of ``op``: it records parents, op and ``ctx`` only when grad mode is
    on and some parent requires a gradient."""
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    out = Tensor.__new__(Tensor)
    out.data = data
    out.grad = None
    out.label = ""
    needed = False
    current = modes()
    if current.grad:
        for p in parents:
            if p.requires_grad:
                needed = True
                break
    out._counter = [0]
    if needed:
        out.requires_grad = True
        out._prev = parents
        out._op = op
        out._ctx = ctx
        out._saved = [p._counter[0] for p in parents]  # and this node's own, last:
        out._saved.append(0)
        if current.scopes is not None:
            note_scope(out, current)
    else:
        out.requires_grad = False
        out._prev = ()
        out._op = None
        out._ctx = None
        out._saved = None
    if current.anomaly is not None:
        check_output(current.anomaly, op, out, parents)
    return out


def _view(out: Tensor, base: Tensor) -> Tensor:
    """``out`` shares ``base``'s version counter when it shares its memory (as PyTorch's views
    do), so an in-place change through either is seen by every graph that saved the other."""
    if np.may_share_memory(out.data, base.data):
        out._counter = base._counter
        if out._saved is not None:
            out._saved[-1] = base._counter[0]
    return out


def constant(data: np.ndarray) -> Tensor:
    """A leaf holding ``data`` (not copied) that requires no gradient."""
    out = Tensor.__new__(Tensor)
    out.data, out.grad, out.label, out.requires_grad = data, None, "", False
    out._prev, out._op, out._ctx, out._counter, out._saved = (), None, None, [0], None
    return out


def binary(op: Op, a: Tensor, b: Tensor, name: str = "") -> Tensor:
    a, b, dtype = promote(a, b)
    try:
        data = op.forward(a.data, b.data)
    except ValueError as error:
        _check_broadcast(name or op.name, a, b)
        raise ValueError(f"{name or op.name}: {error}") from None
    if dtype is not None and data.dtype != dtype:
        data = data.astype(dtype)
    return apply(op, data, (a, b))


def _subtract(a: Tensor, b: Tensor) -> Tensor:
    """``a + (-b)``, the operands promoted first (negating uint8(3) would give 253)."""
    a, b, _ = promote(a, b)
    return binary(ADD, a, -b, name="sub")


def _check_broadcast(name: str, a: Tensor, b: Tensor) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} do not broadcast") from None


def promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor, np.dtype | None]:
    """PyTorch's result dtype where numpy's differs: a float tensor keeps its dtype next to an
    integer or boolean operand (``x32 * mask`` stays float32) and next to a 0-d tensor
    (``x32 * scale``). Returns the operands, constants already converted, and the dtype the
    result must have (None: numpy's). A 0-d tensor that needs its gradient is not converted (it
    would leave the graph); the result is, and its gradient keeps its own dtype."""
    da, db = a.data.dtype, b.data.dtype
    if da == db:
        return a, b, None
    if da.kind == "f" and (db.kind != "f" or b.ndim == 0 < a.ndim):
        dtype = da
    elif db.kind == "f" and (da.kind != "f" or a.ndim == 0 < b.ndim):
        dtype = db
    else:
        return a, b, None
    return _converted(a, dtype), _converted(b, dtype), dtype


def _converted(t: Tensor, dtype: np.dtype) -> Tensor:
    if t.data.dtype == dtype or t.requires_grad:
        return t
    return constant(t.data.astype(dtype))


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    a, b, _ = promote(a, b)  # only integer operands differ here (0-d is an error below)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape}: @ needs at least one axis on "
                         "each side; use * for scalars")
    k = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned: "
                         f"{a.shape[-1]} != {k}")
    try:
        data = a.data @ b.data
    except ValueError:
        raise ValueError(f"matmul: the batch axes of shapes {a.shape} and {b.shape} do not "
                         "broadcast") from None
    return apply(MATMUL, data, (a, b))


def operands(a: Any, b: Any, name: str) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        return a, a._operand(b, name)
    if isinstance(b, Tensor):
        return b._operand(a, name), b
    return Tensor(a), Tensor(b)


def _apply_to_tensors(op: Op, args: tuple, ctx: Any) -> Tensor:
    """How a tensor op is called on Tensors, arrays and numbers (see :meth:`Op.__call__`):
    numbers next to a float tensor take its dtype (float32 stays float32)."""
    first = next((a for a in args if isinstance(a, Tensor)), None)

    def node(a: Any) -> Tensor:
        if isinstance(a, Tensor):
            return a
        if first is not None and first.dtype.kind == "f":
            return Tensor(a, dtype=first.dtype)
        if first is not None and isinstance(a, numbers.Real):  # int tensor: 1.5 stays 1.5
            return first._operand(a, op.name)
        return Tensor(a)

    nodes = tuple(node(a) for a in args)
    return apply(op, op.compute([n.data for n in nodes], ctx), nodes, ctx)


register_kind("tensor", _apply_to_tensors, Tensor)
