"""Find *where* a gradient is wrong: check every node's local rule against finite differences.

:func:`autograd.gradcheck` says whether the gradients of a whole function are right.
:func:`gradcheck_graph` goes through an existing graph node by node: for each op node it perturbs
the parents' data, recomputes the output with ``op.compute(inputs, node._ctx)`` and compares the
central difference with what the op's rule (``local`` or ``vjp``) says. The graph is not changed.
The nodes it returns can be coloured in a drawing: ``draw(loss, check_rules=True)``.

>>> from autograd import Value, define_op, remove_op
>>> square = define_op("bad_square", lambda x: x * x, local=lambda node: (node._prev[0].data,),
...                    math="f(x) = x * x;  df/dx = x  (wrong: it is 2x)", replace=True)
>>> x = Value(3.0, label="x")
>>> y = square(x); y.label = "y"
>>> L = y + 1
>>> [bad.name for bad in gradcheck_graph(L)]
['y']
>>> print(gradcheck_graph(L)[0])
y = bad_square(x): dy/dx: rule gives 3, finite differences 6
>>> _ = remove_op("bad_square")
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import topological_order
from ..ops import GradientShapeError
from ..tensor.arguments import unbroadcast
from .text import format_data, node_names

__all__ = ["RuleMismatch", "gradcheck_graph"]


@dataclass
class RuleMismatch:
    """An op node whose gradient rule disagrees with finite differences.

    Attributes:
        node: the output node of the op.
        name: its printable name (label or ``n<k>``, as in the chain-rule text).
        op: the op whose rule is wrong.
        parents: positions of the parents whose derivative disagrees.
        analytic: what the rule gives for each of those parents (upstream-weighted, summed).
        numeric: what central differences give.
        parent_names: names of those parents.
        all_parent_names: names of every parent, in order (for printing the node).
    """

    node: Any
    name: str
    op: Any
    parents: tuple[int, ...]
    analytic: tuple[Any, ...]
    numeric: tuple[Any, ...]
    parent_names: tuple[str, ...]
    all_parent_names: tuple[str, ...] = ()

    def note(self) -> str:
        """A short note for a drawing, e.g. ``rule wrong for x``."""
        return "rule wrong for " + ", ".join(self.parent_names)

    def __str__(self) -> str:
        args = ", ".join(self.all_parent_names)
        parts = [f"d{self.name}/d{p}: rule gives {format_data(a, '.6g')}, finite differences "
                 f"{format_data(n, '.6g')}"
                 for p, a, n in zip(self.parent_names, self.analytic, self.numeric)]
        return f"{self.name} = {self.op.name}({args}): " + "; ".join(parts)


def _as_float64(x: Any) -> Any:
    return np.array(x, dtype=np.float64) if isinstance(x, np.ndarray) else float(x)


def _rule(node: Any, upstream: Any) -> list[Any]:
    """Each parent's contribution according to the op's rule, in the parent's shape."""
    op = node._op
    if op.local is not None:
        local = op.local(node)
        out = []
        for parent, d in zip(node._prev, local):
            contribution = upstream * np.asarray(d, dtype=np.float64)
            if isinstance(parent.data, np.ndarray):
                with contextlib.suppress(GradientShapeError):  # a misfit stays as it is: the
                    contribution = unbroadcast(contribution, parent.data.shape)  # check fails
                out.append(contribution)
            else:
                out.append(float(np.sum(contribution)))
        return out
    return [None if c is None else _as_float64(c) for c in op.vjp(node, upstream)]


def _numeric(node: Any, upstream: Any, i: int, eps: float) -> Any:
    """d(upstream . f)/d(parent i) by central differences on copies of the parents' data."""
    op, ctx = node._op, node._ctx
    inputs = [_as_float64(p.data) for p in node._prev]

    def f(x: Any) -> float:
        trial = list(inputs)
        trial[i] = x
        return float(np.sum(upstream * np.asarray(op.compute(trial, ctx), dtype=np.float64)))

    x = inputs[i]
    if not isinstance(x, np.ndarray):
        return (f(x + eps) - f(x - eps)) / (2.0 * eps)
    grad = np.zeros_like(x)
    for j in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.flat[j] += eps
        minus.flat[j] -= eps
        grad.flat[j] = (f(plus) - f(minus)) / (2.0 * eps)
    return grad


def gradcheck_graph(root: Any, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                    seed: int = 0) -> list[RuleMismatch]:
    """Check the gradient rule of every op node in the graph of ``root``; return the bad ones.

    For each op node the rule's contribution to each parent, for an upstream gradient of 1 (a
    random array for tensors), is compared with central differences of ``op.compute`` on the
    parents' data (in float64): they must agree within ``atol + rtol * |numeric|``. Nodes whose
    check cannot run (a perturbed input leaves the op's domain) are skipped. Checks at a kink
    (``relu`` at exactly 0) may report a false alarm.

    Args:
        root: the output node; its whole graph is checked (the graph is not modified).
        eps, atol, rtol: step and tolerances, as in :func:`autograd.gradcheck`.
        seed: for the random upstream gradients.

    Returns:
        A :class:`RuleMismatch` per bad node, in topological order (empty when all rules agree).
    """
    rng = np.random.default_rng(seed)
    order = topological_order(root)
    names = node_names(order)
    bad = []
    for node in order:
        if node._op is None:
            continue
        data = node.data
        # A scalar rule is checked with upstream 1, so the numbers shown are the derivatives;
        # a tensor rule with a random upstream, so that no error can cancel out.
        upstream: Any = 1.0
        if isinstance(data, np.ndarray):
            upstream = rng.uniform(0.5, 1.5, size=data.shape)
        try:
            rule = _rule(node, upstream)
            numeric = [None if r is None else _numeric(node, upstream, i, eps)
                       for i, r in enumerate(rule)]
        except (ArithmeticError, ValueError):  # DomainError, ZeroDivisionError, overflow
            continue
        wrong = [i for i, (r, n) in enumerate(zip(rule, numeric))
                 if r is not None and not _close(r, n, atol, rtol)]
        if wrong:
            bad.append(RuleMismatch(
                node, names[node], node._op, tuple(wrong), tuple(rule[i] for i in wrong),
                tuple(numeric[i] for i in wrong), tuple(names[node._prev[i]] for i in wrong),
                tuple(names[p] for p in node._prev)))
    return bad


def _close(rule: Any, numeric: Any, atol: float, rtol: float) -> bool:
    rule, numeric = np.asarray(rule, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    if rule.shape != numeric.shape:
        return False
    return bool(np.all(np.abs(rule - numeric) <= atol + rtol * np.abs(numeric)))

