"""How a Tensor takes part in the engine's passes: the node protocol of ``autograd.engine``.

A Tensor's ``_accumulate_grad`` sums a contribution of a broadcast shape back to the tensor's
shape (the one place this happens, so the rules read like the scalar ones) and casts it to the
tensor's dtype; ``_prepare_backward`` refuses a graph whose saved tensors were changed in place
since the forward pass (see :mod:`autograd.tensor.data`); with anomaly detection on, every
gradient is checked for NaN and inf.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import engine
from ..modes import modes
from .anomaly import check_grad
from .arguments import unbroadcast
from .data import stale_graph_error

__all__ = ["GraphNode"]


class GraphNode:
    """The engine's side of :class:`autograd.Tensor` (a base class that keeps it apart)."""

    __slots__ = ()
    data: np.ndarray
    grad: np.ndarray | None
    requires_grad: bool
    _prev: tuple[Any, ...]
    _op: Any
    _counter: list[int]
    _saved: list[int] | None

    # ---- node protocol used by the engine -----------------------------------------------------
    def _reset_grad(self) -> None:
        self.grad = None

    def _prepare_backward(self) -> None:
        """Before a pass: check the saved tensors (:meth:`_check_saved`), reset the gradient."""
        self._check_saved()
        self.grad = None

    def _check_saved(self) -> None:
        """The op's rule will read its inputs' data and this node's own: refuse if any of them
        was changed in place since the forward pass."""
        saved = self._saved  # the parents' versions, then this node's own
        if self._counter[0] != saved[-1]:
            raise stale_graph_error(self, self, saved[-1])
        for parent, version in zip(self._prev, saved):
            if parent._counter[0] != version:
                raise stale_graph_error(parent, self, version)

    def _fit_grad(self, contribution: Any) -> Any:
        """One contribution for ``autograd.grad``, summed back to this shape: an array cast to
        this dtype (and checked under anomaly detection), or a node of a recorded pass."""
        shape = self.data.shape
        if isinstance(contribution, GraphNode):
            return contribution if contribution.shape == shape else \
                unbroadcast(contribution, shape)
        grad = contribution if type(contribution) is np.ndarray else np.asarray(contribution)
        if grad.shape != shape:
            grad = unbroadcast(grad, shape)
        if grad.dtype != self.data.dtype:
            grad = grad.astype(self.data.dtype)
        anomaly = modes().anomaly
        if anomaly is not None:
            check_grad(anomaly, self, grad)
        return grad

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
            grad, owned = unbroadcast(grad, self.data.shape), True
        if grad.dtype != self.data.dtype:
            grad, owned = grad.astype(self.data.dtype), True
        anomaly = modes().anomaly
        if anomaly is not None:
            check_grad(anomaly, self, grad)
        if self.grad is None:
            self.grad = grad if owned else grad.copy()
        else:
            self.grad = self.grad + grad
            if anomaly is not None:  # finite parts can add up to inf
                check_grad(anomaly, self, self.grad, adding=True)

    def _seed_grad(self, grad: Any, where: str = "backward") -> np.ndarray:
        if not self.requires_grad:
            raise RuntimeError(f"{where}: this tensor does not require a gradient: no tensor "
                               "it was computed from has requires_grad=True (or it was made "
                               "under no_grad())")
        shape = self.data.shape
        if grad is None:
            if self.data.size != 1:
                raise ValueError(f"{where}: a tensor of shape {shape} needs a seed gradient of "
                                 f"shape {shape}: give one (only one-element tensors are seeded "
                                 "with 1), or reduce the tensor first, e.g. .sum()")
            return np.ones(shape, dtype=self.data.dtype)
        seed = np.array(grad.data if isinstance(grad, GraphNode) else grad, dtype=self.data.dtype)
        if seed.shape != shape:
            raise ValueError(f"{where}: the seed gradient has shape {seed.shape} but the tensor "
                             f"has shape {shape}")
        return seed

    def backward(self, grad: Any = None, create_graph: bool = False) -> None:
        """Fill in ``grad`` for every tensor this one was computed from (seed: ``grad``, or 1).

        ``grad`` stays an array; for gradients that are Tensors of a graph (to differentiate
        again) use ``autograd.grad(self, inputs, create_graph=True)``.
        """
        if create_graph:
            raise ValueError(engine.CREATE_GRAPH_IN_BACKWARD)
        engine.backward(self, grad)

    def zero_grad(self) -> None:
        """Reset ``grad`` to None for every tensor of this tensor's graph."""
        engine.zero_grad(self)

    @property
    def is_leaf(self) -> bool:
        """True for a tensor no recorded op made (data, parameters, constants), as in PyTorch."""
        return self._op is None
