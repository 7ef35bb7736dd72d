"""Backpropagation one step at a time, in words: :func:`backward_steps` and its :class:`Step`.

The engine's pass (:func:`autograd.engine.records`) yields what happened at each node; here each
of those becomes a :class:`Step` that names the nodes and writes the chain rule out. The walker,
the frames and the HTML player all read these steps, so what a learner sees is what ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..engine import records, topological_order
from ..tensor.arguments import unbroadcast
from .text import formula, name_map, node_names, short, wrap

__all__ = ["Step", "backward_steps", "backward_text"]


class Step:
    """One step of a backward pass: the chain rule applied at one node.

    Attributes:
        index: position in the backward pass (0 is the root).
        total: how many steps the pass has (one per node that has parents).
        node: the node whose gradient is passed on to its parents.
        name: a printable name for ``node`` (see :func:`autograd.see.text.node_names`).
        root_name: the name of the root, the ``L`` in ``dL/dx``.
        op: the op that produced ``node``.
        upstream: ``dL/dnode``, the gradient arriving at ``node``.
        parents: the parents of ``node``, in order (a parent used twice appears twice).
        parent_names: printable names of the parents.
        local: ``dnode/dparent`` for each parent, or ``None`` for ops (like matmul) whose rule is
            a vector-Jacobian product rather than a product with a local derivative.
        contributions: what was added to each parent's gradient (None: it needs none).
    """

    __slots__ = (
        "index", "total", "node", "name", "root_name", "op", "upstream", "parents",
        "parent_names", "local", "contributions",
    )

    def __init__(self, index: int, total: int, node: Any, name: str, root_name: str, op: Any,
                 upstream: Any, parents: tuple, parent_names: tuple[str, ...],
                 local: tuple | None, contributions: tuple) -> None:
        self.index, self.total, self.node, self.name = index, total, node, name
        self.root_name, self.op, self.upstream, self.parents = root_name, op, upstream, parents
        self.parent_names, self.local, self.contributions = parent_names, local, contributions

    def lines(self, fmt: str = ".4f") -> list[str]:
        """The chain-rule line for each parent.

        For example ``dL/da += dL/dc * dc/da = 1.0000 * -3.0000 = -3.0000``.
        """
        r, n = wrap(self.root_name), wrap(self.name)
        out = []
        for i, p in enumerate(map(wrap, self.parent_names)):
            added = _number(self.contributions[i], fmt) + self._summed(i, fmt)
            if self.local is not None:
                out.append(f"d{r}/d{p} += d{r}/d{n} * d{n}/d{p} = {_number(self.upstream, fmt)} "
                           f"* {_number(self.local[i], fmt)} = {added}")
            else:
                out.append(f"d{r}/d{p} += {self.op.name}_vjp_{i}(d{r}/d{n}) = {added}")
        return out

    def edge_labels(self, fmt: str = ".4f") -> tuple[str, ...]:
        """What each parent receives, as drawn on its edge (``+= 0.5000``; "" for none)."""
        return tuple("" if c is None else "+= " + short(c, fmt) for c in self.contributions)

    def _summed(self, i: int, fmt: str) -> str:
        """For a contribution of the broadcast shape, what parent i keeps: its sum back to the
        parent's shape (a bias added to every row of a batch gets the rows' sum)."""
        added, data = self.contributions[i], getattr(self.parents[i], "data", None)
        if not (isinstance(added, np.ndarray) and isinstance(data, np.ndarray)
                and added.shape != data.shape):
            return ""
        return (f", summed to the shape {tuple(data.shape)}: "
                f"{short(unbroadcast(added, data.shape), fmt)}")

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return (f"Step({self.index + 1}/{self.total}: {self.name} = {self.op.symbol}"
                f"({', '.join(self.parent_names)}), upstream={_number(self.upstream, '.4g')})")


def _number(x: Any, fmt: str) -> str:
    return "None (not needed)" if x is None else short(x, fmt)


def backward_steps(root: Any, grad: Any = None, *, names: Any = None) -> Iterator[Step]:
    """Backpropagate from ``root`` one node at a time, yielding a :class:`Step` for each.

    This is :func:`autograd.backward` (interior gradients reset, the root seeded with ``grad``,
    or 1, then the chain rule node by node in reverse topological order; leaves accumulate)
    with a pause and a record after each node. ``names`` (a model, as for
    :func:`autograd.draw`) names the steps' nodes.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> for step in backward_steps(c):
    ...     print(step)
    dc/da += dc/dc * dc/da = 1.0000 * -3.0000 = -3.0000
    dc/db += dc/dc * dc/db = 1.0000 * 2.0000 = 2.0000
    """
    named = name_map(names, "backward_steps")
    order = topological_order(root)
    names = node_names(order, named)
    total = sum(1 for n in order if n._op is not None)
    passed = records(root, grad, order)
    for index, (node, upstream, local, contributions) in enumerate(passed):
        yield Step(index, total, node, names[node], names[root], node._op, upstream, node._prev,
                   tuple(names[p] for p in node._prev), local, contributions)


def backward_text(step: Step, fmt: str = ".4f") -> str:
    """A step's header and its chain-rule lines (the lines are :meth:`Step.lines`)."""
    head = (f"step {step.index + 1}/{step.total} at {step.name} = "
            f"{formula(step.node, step.parent_names)}: upstream "
            f"d{wrap(step.root_name)}/d{wrap(step.name)} = "
            f"{short(step.upstream, fmt)}")
    return "\n".join([head] + step.lines(fmt))
