"""Hypothesis strategies for property-testing code built on glassgrad.

Use them to test your own functions and ops the way glassgrad tests its own:

    from hypothesis import given
    from autograd import gradcheck
    from autograd.testing import expression_graphs

    @given(expression_graphs())
    def test_backprop_matches_finite_differences(graph):
        gradcheck(graph.evaluate, *graph.leaves())  # raises GradcheckError on a mismatch

Strategies:
    floats_in(intervals): finite floats from a union of intervals.
    op_arguments(op): inputs (and the constant, if any) in the op's safe domain.
    expression_graphs(): random expression graphs over the scalar op table, with node reuse.
    shapes(), broadcastable_shapes(), arrays(): numpy shapes and float64 arrays for Tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:  # pragma: no cover - only without the test extra
    raise ImportError("autograd.testing needs hypothesis: `make test` installs it (or pip "
                      "install hypothesis)") from error

from .ops import DomainError, Op, list_builtin_ops
from .value import Value

__all__ = [
    "ExpressionGraph", "arrays", "broadcastable_shapes", "expression_graphs", "floats_in",
    "op_arguments", "shapes",
]


def floats_in(intervals: Sequence[tuple[float, float]]) -> st.SearchStrategy[float]:
    """Finite floats drawn from a union of closed intervals, e.g. ``[(-3, -0.01), (0.01, 3)]``."""
    return st.one_of([st.floats(lo, hi, allow_nan=False, allow_infinity=False)
                      for lo, hi in intervals])


@st.composite
def op_arguments(draw: st.DrawFn, op: Op) -> tuple[tuple[float, ...], Any]:
    """``(inputs, ctx)`` for a scalar op: each input from its safe domain, ctx from its examples."""
    inputs = tuple(draw(floats_in(intervals)) for intervals in op.domain)
    ctx = draw(st.sampled_from(op.ctx_examples)) if op.uses_ctx else None
    return inputs, ctx


def _in_domain(x: float, intervals: Sequence[tuple[float, float]]) -> bool:
    return any(lo <= x <= hi for lo, hi in intervals)


@dataclass(frozen=True)
class ExpressionGraph:
    """A random program over the op table: leaves, then ops applied to earlier nodes.

    ``program`` holds ``(op, argument positions, ctx)``; position k < len(inputs) is leaf k, the
    rest are earlier results, so a node can feed several later ops (reuse). The last node is
    the output.
    """

    inputs: tuple[float, ...]
    program: tuple[tuple[Op, tuple[int, ...], Any], ...]

    def evaluate(self, *leaves: Value) -> Value:
        """Run the program on the given leaves (rebuilding the graph each call)."""
        nodes = list(leaves)
        for op, args, ctx in self.program:
            nodes.append(op(*(nodes[k] for k in args), ctx=ctx))
        return nodes[-1]

    def leaves(self) -> list[Value]:
        """Fresh leaf Values holding ``inputs``, labelled x0, x1, ..."""
        return [Value(x, label=f"x{k}") for k, x in enumerate(self.inputs)]

    def __repr__(self) -> str:
        n = len(self.inputs)
        names = [f"x{k}" for k in range(n)]
        lines = [f"x{k} = {x!r}" for k, x in enumerate(self.inputs)]
        for k, (op, args, ctx) in enumerate(self.program):
            call = ", ".join(names[a] for a in args) + (f", ctx={ctx!r}" if op.uses_ctx else "")
            names.append(f"v{k}")
            lines.append(f"v{k} = {op.name}({call})")
        return "ExpressionGraph(\n  " + "\n  ".join(lines) + "\n)"


@st.composite
def expression_graphs(draw: st.DrawFn, ops: Sequence[Op] | None = None, max_leaves: int = 3,
                      max_ops: int = 8, bound: float = 50.0) -> ExpressionGraph:
    """Random expression graphs over ``ops`` (default: glassgrad's own scalar ops).

    Each op is applied to earlier nodes (leaves or results; the same node may be used twice)
    whose values lie in the op's safe domain; results larger than ``bound`` are dropped, so
    finite differences stay accurate.
    """
    ops = list(ops) if ops is not None else list_builtin_ops("scalar")
    inputs = tuple(draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=max_leaves)))
    values = list(inputs)
    program: list[tuple[Op, tuple[int, ...], Any]] = []
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(ops))
        args = tuple(draw(st.integers(0, len(values) - 1)) for _ in range(op.arity))
        if not all(_in_domain(values[a], d) for a, d in zip(args, op.domain)):
            continue
        ctx = draw(st.sampled_from(op.ctx_examples)) if op.uses_ctx else None
        try:
            result = op.compute([values[a] for a in args], ctx)
        except DomainError:
            continue
        if not abs(result) <= bound:
            continue
        values.append(result)
        program.append((op, args, ctx))
    if not program:  # always at least one op: the sum of the leaves
        add = next(op for op in list_builtin_ops("scalar") if op.name == "add")
        program.append((add, (0, len(inputs) - 1), None))
    return ExpressionGraph(inputs, tuple(program))


def shapes(min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> st.SearchStrategy:
    """Array shapes, size-1 axes included, e.g. ``()``, ``(3,)``, ``(2, 1, 4)``."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3,
                         max_side: int = 4) -> st.SearchStrategy:
    """Tuples of shapes that broadcast together (numpy's rules), e.g. ``((3, 1), (4,))``."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                             max_dims=max_dims, max_side=max_side).map(
        lambda result: result.input_shapes)


def arrays(shape: Any, low: float = -3.0, high: float = 3.0, dtype: Any = np.float64,
           away_from: float | None = None) -> st.SearchStrategy[np.ndarray]:
    """Float arrays of ``shape`` (a shape or a shape strategy) with elements in [low, high].

    ``away_from=c`` keeps every element at least 0.01 from ``c`` (e.g. relu's kink at 0).
    """
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    if away_from is not None:
        elements = elements.filter(lambda x: abs(x - away_from) >= 0.01)
    return hnp.arrays(dtype, shape, elements=elements)


# ---- strategies for Tensor ops (issue 3) -----------------------------------------------------

def arrays_in(shape: Any, intervals: Sequence[tuple[float, float]],
              dtype: Any = np.float64) -> st.SearchStrategy[np.ndarray]:
    """Float arrays of ``shape`` whose elements all lie in a union of intervals (an op's
    ``domain`` entry), e.g. ``arrays_in((2, 3), [(-3, -0.01), (0.01, 3)])``."""
    return hnp.arrays(dtype, shape, elements=floats_in(intervals))


def distinct_arrays(shape: Any, spacing: float = 0.1) -> st.SearchStrategy[np.ndarray]:
    """Float64 arrays whose elements differ pairwise by at least ``spacing`` (no ties, so
    max-like ops are differentiable there and finite differences agree)."""
    grid = st.integers(-300, 300).map(lambda k: k * spacing)  # room for 601 distinct values
    return hnp.arrays(np.float64, shape, elements=grid, unique=True)


@st.composite
def tensor_op_arguments(draw: st.DrawFn, op: Op, max_dims: int = 3,
                        max_side: int = 3) -> tuple[tuple[np.ndarray, ...], Any]:
    """``(arrays, ctx)`` for an elementwise tensor op: mutually broadcastable shapes (size-1
    axes included), each array inside its input's safe ``domain``, ctx from ``ctx_examples``."""
    input_shapes = draw(broadcastable_shapes(op.arity, max_dims=max_dims, max_side=max_side))
    values = tuple(draw(arrays_in(s, d)) for s, d in zip(input_shapes, op.domain))
    ctx = draw(st.sampled_from(op.ctx_examples)) if op.uses_ctx and op.ctx_examples else None
    return values, ctx


__all__ += ["arrays_in", "distinct_arrays", "tensor_op_arguments"]
