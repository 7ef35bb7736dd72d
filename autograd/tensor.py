"""Tensor: a numpy array as a node of the computation graph, with PyTorch's names.

A Tensor records the op that made it only when gradient mode is on and some input requires a
gradient (PyTorch's rule), so data and constants cost nothing in the backward pass. The op rules
live in ``tensor_ops.py``; the engine (``engine.py``) is the same one that drives :class:`Value`.

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

from . import engine, tensor_nn_ops  # noqa: F401  (registers the whole tensor op table)
from .anomaly import AnomalyMode, check_grad, check_output
from .engine import GradMode, Scopes, note_scope
from .ops import DivisionByZeroError, Op
from .tensor_ops import (
    ABS,
    ADD,
    CONCATENATE,
    DIV,
    EXP,
    GETITEM,
    LOG,
    MATMUL,
    MAX,
    MAXIMUM,
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
    WHERE,
)

__all__ = ["Tensor", "apply", "concatenate", "maximum", "stack", "where"]


class Tensor:
    """An n-dimensional array in the computation graph: ``data``, ``grad`` and how it was made.

    Args:
        data: a numpy array (wrapped without a copy when ``dtype`` matches), nested lists or a
            number. Python floats become float64, as in numpy.
        requires_grad: whether backward passes compute ``grad`` for this tensor (floats only).
        dtype: convert ``data`` to this numpy dtype first, e.g. ``"float32"``.
        label: a name for printing and drawing.

    ``grad`` is None until a backward pass reaches the tensor, then an array of its shape; leaves
    accumulate it across passes until it is reset (``t.grad = None`` or :meth:`zero_grad`).
    """

    __slots__ = ("data", "grad", "label", "requires_grad", "_prev", "_op", "_ctx")
    __hash__ = object.__hash__  # nodes hash by identity: elementwise == never bothers the engine
    __array_ufunc__ = None  # ndarray (op) Tensor calls the Tensor's reflected operator

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 label: str = "") -> None:
        self.data = _as_array(data, dtype, "Tensor")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating-point tensors can require gradients, got "
                            f"dtype {self.data.dtype} (pass dtype='float32' or 'float64')")
        self.grad: np.ndarray | None = None
        self.label = label
        self.requires_grad = bool(requires_grad)
        self._prev: tuple[Tensor, ...] = ()
        self._op: Op | None = None
        self._ctx: Any = None

    # ---- node protocol used by the engine -----------------------------------------------------
    def _reset_grad(self) -> None:
        self.grad = None

    def _accumulate_grad(self, contribution: Any, fresh: bool = False) -> None:
        """Add one contribution: sum it back to this shape, cast it to this dtype, then add.

        The engine never writes into a gradient array, so an interior node may keep the array
        it is given; a leaf keeps a copy, since its ``grad`` is the user's to change, unless
        the contribution is ``fresh`` (nothing else refers to it).
        """
        if not self.requires_grad:
            return
        grad = contribution if type(contribution) is np.ndarray else np.asarray(contribution)
        owned = (fresh and grad.flags.writeable) or self._op is not None
        if grad.shape != self.data.shape:
            grad, owned = _unbroadcast(grad, self), True
        if grad.dtype != self.data.dtype:
            grad, owned = grad.astype(self.data.dtype), True
        if AnomalyMode.enabled:
            check_grad(self, grad)
        if self.grad is None:
            self.grad = grad if owned else grad.copy()
        else:
            self.grad = self.grad + grad
            if AnomalyMode.enabled:  # finite parts can add up to inf
                check_grad(self, self.grad, adding=True)

    def _seed_grad(self, grad: Any) -> np.ndarray:
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require a gradient: no tensor it "
                               "was computed from has requires_grad=True (or it was made under "
                               "no_grad())")
        shape = self.data.shape
        if grad is None:
            if self.data.size != 1:
                raise ValueError(f"backward: a tensor of shape {shape} needs a seed gradient of "
                                 f"shape {shape}: call backward(grad) with one (only one-element "
                                 "tensors are seeded with 1), or reduce it first, e.g. .sum()")
            return np.ones(shape, dtype=self.data.dtype)
        seed = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
        if seed.shape != shape:
            raise ValueError(f"backward: the seed gradient has shape {seed.shape} but the tensor "
                             f"has shape {shape}")
        return seed

    # ---- public API --------------------------------------------------------------------------
    def backward(self, grad: Any = None) -> None:
        """Fill in ``grad`` for every tensor this one was computed from (seed: ``grad``, or 1)."""
        engine.backward(self, grad)

    def zero_grad(self) -> None:
        """Reset ``grad`` to None for every tensor of this tensor's graph."""
        engine.zero_grad(self)

    def detach(self) -> Tensor:
        """The same data (shared, not copied) as a new leaf that requires no gradient."""
        return _constant(self.data)

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

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        extra += f", op={self._op.name}" if self._op is not None else ""
        extra += f", label={self.label!r}" if self.label else ""
        return f"Tensor({body}, shape={self.shape}, dtype={self.data.dtype}{extra})"

    # comparisons are elementwise and record no graph (their gradient is zero)
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _constant(self.data == _data(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _constant(self.data != _data(other))

    def __lt__(self, other: Any) -> Tensor:
        return _constant(self.data < _data(other))

    def __le__(self, other: Any) -> Tensor:
        return _constant(self.data <= _data(other))

    def __gt__(self, other: Any) -> Tensor:
        return _constant(self.data > _data(other))

    def __ge__(self, other: Any) -> Tensor:
        return _constant(self.data >= _data(other))

    # ---- primitives (rules in tensor_ops.py) ---------------------------------------------------
    def _operand(self, other: Any, symbol: str) -> Tensor:
        """``other`` as a Tensor; a Python or numpy number takes this tensor's dtype if it fits
        (``float32 * 2.0`` stays float32), following numpy's rules for Python scalars."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Real):
            value = other.item() if isinstance(other, np.generic) else other
            return _constant(np.asarray(value, dtype=np.result_type(self.data.dtype, value)))
        if isinstance(other, np.ndarray | list | tuple):
            return Tensor(other)
        raise TypeError(f"unsupported operand for {symbol}: Tensor and {type(other).__name__} "
                        f"{other!r:.60}; expected a Tensor, a numpy array or a number")

    def __add__(self, other: Any) -> Tensor:
        return _binary(ADD, self, self._operand(other, "+"))

    def __radd__(self, other: Any) -> Tensor:
        return _binary(ADD, self._operand(other, "+"), self)

    def __mul__(self, other: Any) -> Tensor:
        return _binary(MUL, self, self._operand(other, "*"))

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(MUL, self._operand(other, "*"), self)

    def __pow__(self, other: Any) -> Tensor:
        if isinstance(other, numbers.Real) and not isinstance(other, Tensor):
            n = other.item() if isinstance(other, np.generic) else other
            return apply(POW, self.data ** n, (self,), n)
        return _binary(POW_TENSOR, self, self._operand(other, "**"))

    def __rpow__(self, other: Any) -> Tensor:
        return _binary(POW_TENSOR, self._operand(other, "**"), self)

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
        new = _shape_arg(shape, "reshape")
        try:
            data = self.data.reshape(new)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape shape {self.shape} ({self.size} "
                             f"elements) into {new}") from None
        return apply(RESHAPE, data, (self,), new)

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (numpy's rule): no argument reverses them, as ``.T`` does."""
        ndim = self.ndim
        perm = _shape_arg(axes, "transpose") if axes else tuple(range(ndim))[::-1]
        norm = tuple(a + ndim if a < 0 else a for a in perm)
        if sorted(norm) != list(range(ndim)):
            raise ValueError(f"transpose: axes {perm} are not a permutation of the {ndim} axes "
                             f"of shape {self.shape}")
        return apply(TRANSPOSE, self.data.transpose(norm), (self,), norm)

    def __getitem__(self, index: Any) -> Tensor:
        """Basic indexing and slicing (a view), and integer-array indexing like
        ``logp[np.arange(n), labels]`` (its gradient adds up repeated picks)."""
        index, advanced = _index(index)
        try:
            data = self.data[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor of shape {self.shape})") from None
        ctx = (index, advanced)
        return apply(GETITEM, data, (self,), ctx)

    # ---- derived operations: compositions of the primitives -----------------------------------
    def __neg__(self) -> Tensor:  # -self
        return self * -1

    def __sub__(self, other: Any) -> Tensor:  # self - other
        if isinstance(other, numbers.Real) and not isinstance(other, Tensor):
            return self + -(other.item() if isinstance(other, np.generic) else other)
        return _subtract(self, self._operand(other, "-"))

    def __rsub__(self, other: Any) -> Tensor:  # other - self
        return _subtract(self._operand(other, "-"), self)

    def __truediv__(self, other: Any) -> Tensor:  # self / other
        if isinstance(other, numbers.Real) and not isinstance(other, Tensor) and other == 0:
            raise DivisionByZeroError(f"div: division by zero (a tensor of shape {self.shape} "
                                      f"/ {other!r})")
        return _binary(DIV, self, self._operand(other, "/"))  # integers / integers: floats

    def __rtruediv__(self, other: Any) -> Tensor:  # other / self
        return _binary(DIV, self._operand(other, "/"), self)

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


# ---- functions of several tensors ------------------------------------------------------------

def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``)."""
    ts = _tensor_list(tensors, "concatenate")
    first = ts[0]
    if first.ndim == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated; "
                         "use stack")
    (ax,) = _axes(axis, first.shape, "concatenate")
    for t in ts[1:]:
        if t.ndim != first.ndim or any(i != ax and s != u for i, (s, u)
                                       in enumerate(zip(first.shape, t.shape))):
            raise ValueError(f"concatenate: shapes {first.shape} and {t.shape} differ outside "
                             f"axis {ax}")
    return apply(CONCATENATE, np.concatenate([t.data for t in ts], axis=ax), ts, ax)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new axis: a reshape of each, then concatenate."""
    ts = _tensor_list(tensors, "stack")
    shape = ts[0].shape
    for t in ts[1:]:
        if t.shape != shape:
            raise ValueError(f"stack: shapes {shape} and {t.shape} differ; stack needs equal "
                             "shapes")
    (ax,) = _axes(axis, shape + (1,), "stack")
    new = shape[:ax] + (1,) + shape[ax:]
    return concatenate([t.reshape(new) for t in ts], axis=ax)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a if cond else b``; ``cond`` is a constant mask (no gradient)."""
    mask = np.asarray(_data(cond))
    if mask.dtype != np.bool_:
        mask = mask.astype(bool)
    a, b, dtype = _promote(*_pair(a, b, "where"))
    try:
        data = np.where(mask, a.data, b.data)
    except ValueError:
        raise ValueError(f"where: shapes {mask.shape} (cond), {a.shape} and {b.shape} do not "
                         "broadcast") from None
    if dtype is not None and data.dtype != dtype:
        data = data.astype(dtype)
    return apply(WHERE, data, (a, b), mask)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum of two tensors (or a tensor and a number); ties share the gradient."""
    a, b = _pair(a, b, "maximum")
    return _binary(MAXIMUM, a, b)


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
    if GradMode.enabled:
        for p in parents:
            if p.requires_grad:
                needed = True
                break
    if needed:
        out.requires_grad = True
        out._prev = parents
        out._op = op
        out._ctx = ctx
        if Scopes.record is not None:
            note_scope(out)
    else:
        out.requires_grad = False
        out._prev = ()
        out._op = None
        out._ctx = None
    if AnomalyMode.enabled:
        check_output(op, out, parents)
    return out


def _constant(data: np.ndarray) -> Tensor:
    out = Tensor.__new__(Tensor)
    out.data, out.grad, out.label, out.requires_grad = data, None, "", False
    out._prev, out._op, out._ctx = (), None, None
    return out


def _binary(op: Op, a: Tensor, b: Tensor, name: str = "") -> Tensor:
    a, b, dtype = _promote(a, b)
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
    a, b, _ = _promote(a, b)
    return _binary(ADD, a, -b, name="sub")


def _check_broadcast(name: str, a: Tensor, b: Tensor) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} do not broadcast") from None


def _promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor, np.dtype | None]:
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
    return _constant(t.data.astype(dtype))


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    a, b, _ = _promote(a, b)  # only integer operands differ here (0-d is an error below)
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


def _pair(a: Any, b: Any, name: str) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        return a, a._operand(b, name)
    if isinstance(b, Tensor):
        return b._operand(a, name), b
    return Tensor(a), Tensor(b)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _as_array(data: Any, dtype: Any, where: str) -> np.ndarray:
    if isinstance(data, Tensor):
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


def _unbroadcast(grad: np.ndarray, node: Tensor) -> np.ndarray:
    """Sum a gradient of a broadcast shape back to ``node``'s shape (the one place for this)."""
    shape = node.data.shape
    extra = grad.ndim - len(shape)
    if extra < 0 or any(s != 1 and s != g for s, g in zip(shape, grad.shape[extra:])):
        made_by = f"the rule of {node._op.name}" if node._op is not None else "a rule"
        raise ValueError(f"backward: {made_by} gave a gradient of shape {grad.shape}, which "
                         f"cannot be summed back to the tensor's shape {shape}")
    axes = tuple(range(extra)) + tuple(extra + i for i, s in enumerate(shape)
                                       if s == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _axes(axis: Any, shape: tuple[int, ...], name: str) -> tuple[int, ...] | None:
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


def _shape_arg(args: tuple, name: str) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))``; every entry must be an int."""
    if len(args) == 1 and isinstance(args[0], tuple | list):
        args = tuple(args[0])
    for a in args:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral):
            raise TypeError(f"{name}: expected ints, got {type(a).__name__} {a!r}")
    return tuple(int(a) for a in args)


def _index(index: Any) -> tuple[Any, bool]:
    """An index with Tensors and lists turned into arrays; whether it holds integer arrays."""
    items = index if isinstance(index, tuple) else (index,)
    out, advanced = [], False
    for i in items:
        if isinstance(i, Tensor | list):
            i = np.asarray(_data(i))
        if isinstance(i, np.ndarray) and i.dtype.kind in "iu":
            advanced = True
        out.append(i)
    return (tuple(out) if isinstance(index, tuple) else out[0]), advanced


def _tensor_list(tensors: Any, name: str) -> tuple[Tensor, ...]:
    if isinstance(tensors, Tensor | np.ndarray) or not isinstance(tensors, Sequence):
        raise TypeError(f"{name}: expected a list or tuple of Tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}: needs at least one tensor")
    return tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
