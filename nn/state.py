"""A model's state as named arrays: ``state_dict()`` and ``load_state_dict()`` (PyTorch's API).

The state of a model is every parameter and every persistent buffer, each under a dotted name
(``"0.weight"``, ``"3.running_mean"``) with the layout PyTorch uses, so that the arrays move
between glassgrad and PyTorch without conversion. Each entry is a :class:`Slot`: it knows its
shape and dtype, reads a copy of its array and writes one in. ``nn.Module`` collects the slots
(its own parameters, then its buffers, then each child's, as PyTorch does); a module whose
weights are kept some other way (the scalar :class:`nn.Layer`, whose weights are Values inside
its neurons) provides its own slots.

Loading checks everything before it writes anything: a missing name, an unexpected name, a
shape or dtype that does not fit, all of them are listed in one ValueError, and the model is
left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from autograd import Tensor, Value, no_grad

__all__ = ["IncompatibleKeys", "Slot", "as_state_array", "load_state", "read_state"]

_SHOWN = 8  # entries listed per kind of problem in an error message


class Slot:
    """One entry of a state: a parameter, a buffer, or an array assembled from several Values.

    ``read()`` returns a fresh copy; ``write(array)`` receives an array already checked to have
    ``shape`` and cast to ``dtype``.
    """

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, read: Callable[[], np.ndarray],
                 write: Callable[[np.ndarray], None], writable: bool = True) -> None:
        self.shape, self.dtype, self.read, self.write = shape, np.dtype(dtype), read, write
        self.writable = writable

    @classmethod
    def of_parameter(cls, p: Any) -> Slot:
        """A Value (a 0-d float64 entry) or an array parameter (its array, its dtype)."""
        if isinstance(p, Value):
            def set_value(a: np.ndarray) -> None:
                p.data = float(a)
            return cls((), np.float64, lambda: np.array(p.data, dtype=np.float64), set_value)

        def set_array(a: np.ndarray) -> None:
            if isinstance(p, Tensor):
                p.copy_(a)  # counts the change: a graph built before refuses backward()
            else:
                p.data[...] = a
        return cls(p.data.shape, p.data.dtype, lambda: np.array(p.data, copy=True), set_array,
                   writable=bool(p.data.flags.writeable))

    @classmethod
    def of_buffer(cls, module: Any, name: str) -> Slot:
        """The array in attribute ``name`` of ``module``, overwritten in place when it can be."""
        array = getattr(module, name)

        def set_buffer(a: np.ndarray) -> None:
            current = getattr(module, name)
            if current.flags.writeable:
                current[...] = a
            else:
                setattr(module, name, a.copy())
        return cls(array.shape, array.dtype, lambda: np.array(getattr(module, name), copy=True),
                   set_buffer)

    @classmethod
    def of_values(cls, values: Sequence[Any], shape: tuple[int, ...]) -> Slot:
        """Several Values read and written as one float64 array of ``shape`` (row-major)."""
        def set_values(a: np.ndarray) -> None:
            for v, x in zip(values, a.ravel().tolist()):
                v.data = x
        return cls(shape, np.float64,
                   lambda: np.array([v.data for v in values], dtype=np.float64).reshape(shape),
                   set_values)


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` skipped: PyTorch's return value."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def read_state(slots: Iterator[tuple[str, Slot]]) -> dict[str, np.ndarray]:
    """``{name: copy of the array}`` in the order of the slots."""
    return {name: slot.read() for name, slot in slots}


def as_state_array(value: Any) -> np.ndarray | None:
    """A state entry as an ndarray: arrays and numbers as they are, a ``torch.Tensor`` through
    ``detach().cpu().numpy()`` (without importing torch); None for anything else."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, int | float | np.generic) and not isinstance(value, bool):
        return np.asarray(value)
    if isinstance(value, Tensor):
        return value.data
    if all(callable(getattr(value, m, None)) for m in ("detach", "cpu", "numpy")):
        return np.asarray(value.detach().cpu().numpy())
    return None


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _listed(kind: str, items: list[str]) -> str:
    shown = "; ".join(items[:_SHOWN])
    more = f"; and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return f"\n  {kind}: {shown}{more}"


def load_state(owner: str, what: str, slots: list[tuple[str, Slot]], state: Mapping[str, Any],
               strict: bool, source: str = "the state") -> IncompatibleKeys:
    """Check ``state`` against ``slots`` completely, then write it; see the module docstring.

    ``owner`` names the function for messages, ``what`` the model (e.g. ``"Sequential"``) and
    ``source`` where the arrays come from (``"the state"``, a file name).
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"{owner}: expected a mapping from names to arrays (a state_dict), got "
                        f"{type(state).__name__}")
    names = dict(slots)
    bad_keys = [repr(k) for k in state if not isinstance(k, str)]
    missing = [n for n in names if n not in state]
    unexpected = [k for k in state if isinstance(k, str) and k not in names]
    shapes, dtypes, frozen = [], [], []
    arrays: dict[str, np.ndarray] = {}
    for name, slot in names.items():
        if name not in state:
            continue
        array = as_state_array(state[name])
        if array is None or array.dtype.kind not in "biuf":
            kind = (f"dtype {array.dtype}" if array is not None
                    else f"a {type(state[name]).__name__}")
            dtypes.append(f"{name!r} is {kind} in {source}; expected an array of real numbers")
        elif array.shape != slot.shape:
            shapes.append(f"{name!r} is {_shape(slot.shape)} in the model but "
                          f"{_shape(array.shape)} in {source}")
        elif not slot.writable:
            frozen.append(f"{name!r} is a read-only array in the model")
        else:
            arrays[name] = array
    problems = [("keys that are not strings", bad_keys)]
    if strict:
        problems += [("missing", [repr(n) for n in missing]),
                     ("unexpected", [repr(k) for k in unexpected])]
    problems += [("shape mismatch", shapes), ("wrong dtype", dtypes),
                 ("cannot be written", frozen)]
    text = "".join(_listed(kind, items) for kind, items in problems if items)
    if text:
        raise ValueError(f"{owner}: {source} does not fit {what}; nothing was loaded:{text}")
    with np.errstate(over="ignore"):  # float64 -> float32 makes inf of what does not fit, as torch
        cast = {name: np.asarray(array, dtype=names[name].dtype) for name, array in arrays.items()}
    with no_grad():
        for name, array in cast.items():
            names[name].write(array)
    return IncompatibleKeys(missing, unexpected)
