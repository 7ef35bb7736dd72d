"""detect_anomaly(): stop at the first tensor op whose output holds NaN or inf.

Outside the context manager the tensor ops pay one attribute check per op. Inside it every op's
output is checked, and so is every gradient of the backward pass; the error names the op, its
input shapes and the line of *your* code (the first frame outside glassgrad) that made it. The
mode belongs to the running thread, like the other modes (see :mod:`autograd.engine`).
"""

from __future__ import annotations

import linecache
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..modes import changed_modes

__all__ = ["AnomalyError", "AnomalyState", "check_grad", "check_output", "detect_anomaly"]

_ROOT = Path(__file__).resolve().parents[2]
_LIBRARY = tuple(str(_ROOT / pkg) + os.sep for pkg in ("autograd", "nn"))  # not nn_lab.py


class AnomalyError(FloatingPointError):
    """An op (or its gradient) produced NaN or inf while :func:`detect_anomaly` was active."""


class AnomalyState:
    """What :func:`detect_anomaly` keeps while it is active (it is the thread's
    ``modes().anomaly``): ``sites`` maps ``id(node)`` to (node, where it was made); ``node`` is
    the node whose gradient rule the running backward pass applies (the engine sets it)."""

    __slots__ = ("sites", "node")

    def __init__(self) -> None:
        self.sites: dict[int, tuple[Any, str]] = {}
        self.node: Any = None


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise :class:`AnomalyError` at the first op whose output (or gradient) is not finite.

    numpy's floating-point warnings are silenced inside, so the error you see names the op.

    >>> from autograd import Tensor, detect_anomaly
    >>> x = Tensor([1.0, 0.0], requires_grad=True)
    >>> with detect_anomaly():
    ...     y = x.log()
    Traceback (most recent call last):
    ...
    autograd.tensor.anomaly.AnomalyError: detect_anomaly: log produced 1 inf value(s) ...
    """
    with changed_modes(anomaly=AnomalyState()), np.errstate(all="ignore"):
        yield


def user_site() -> str:
    """``file:line: source`` of the innermost stack frame outside glassgrad's packages."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    filename, line = frame.f_code.co_filename, frame.f_lineno
    source = linecache.getline(filename, line).strip()
    return f"{filename}:{line}: {source}" if source else f"{filename}:{line}"


def _count(data: np.ndarray) -> str:
    nans = int(np.isnan(data).sum())
    infs = int(np.isinf(data).sum())
    return " and ".join(f"{n} {what} value(s)" for n, what in ((nans, "NaN"), (infs, "inf")) if n)


def check_output(state: AnomalyState, op: Any, out: Any, parents: tuple) -> None:
    """Called by ``tensor.apply`` for every new node while anomaly detection is on."""
    site = user_site()
    state.sites[id(out)] = (out, site)
    data = out.data
    if data.dtype.kind in "fc" and not np.isfinite(data).all():
        shapes = ", ".join(str(p.data.shape) for p in parents)
        raise AnomalyError(f"detect_anomaly: {op.name} produced {_count(data)} in its output of "
                           f"shape {data.shape} from inputs of shape(s) {shapes}; created at "
                           f"{site}")


def check_grad(state: AnomalyState, node: Any, grad: np.ndarray, adding: bool = False) -> None:
    """Called by ``Tensor._accumulate_grad`` while anomaly detection is on: for each
    contribution, and (``adding``) for the sum of the contributions so far."""
    if grad.dtype.kind in "fc" and not np.isfinite(grad).all():
        made = state.sites.get(id(node))
        what = (f"the output of {node._op.name}" if node._op is not None
                else f"the leaf {node.label or ''}".rstrip())
        where = f"; created at {made[1]}" if made is not None and made[0] is node else ""
        rule, source = state.node, ""
        if adding:
            source = " when adding up the contributions from several ops"
        elif rule is not None and rule._op is not None:
            site = state.sites.get(id(rule))
            made_at = f" (created at {site[1]})" if site is not None and site[0] is rule else ""
            source = f" from the gradient rule of {rule._op.name}{made_at}"
        raise AnomalyError(f"detect_anomaly: the backward pass produced {_count(grad)}{source} "
                           f"in the gradient of {what} (shape {node.data.shape}){where}")
