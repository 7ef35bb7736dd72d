"""The graph engine: topological order, backward passes and gradient mode.

The engine knows nothing about floats or arrays. It works on any *node* that offers this small
protocol (both :class:`autograd.Value` and :class:`autograd.Tensor` do):

- ``data``: the value computed in the forward pass;
- ``grad``: the gradient of the root with respect to this node;
- ``_prev``: the parents, in order, with repetition (``a + a`` has two edges to ``a``);
- ``_op``: the :class:`autograd.ops.Op` that produced the node, or ``None`` for a leaf;
- ``label``: a name for printing (may be empty);
- ``_reset_grad()``, ``_accumulate_grad(contribution, fresh=False)``: set the gradient to
  "nothing yet", add one contribution to it (``fresh``: nothing else refers to the contribution,
  so a node may keep it as its gradient without a copy);
- ``_seed_grad(grad)``: the gradient the backward pass starts from at the root.

Each op computes the local part of the chain rule; the engine multiplies and accumulates. Every
backward pass is the generator :func:`backward_steps`, which yields one :class:`Step` per node;
:func:`backward` simply runs it to the end, so what a learner steps through is exactly what ran.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "GradMode",
    "Scopes",
    "record_scopes",
    "scope",
    "Step",
    "backward",
    "backward_steps",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
    "zero_grad",
]


class Backprop:
    """While ``tracking`` (switched on by :func:`autograd.detect_anomaly`), ``node`` is the node
    whose rule the running backward pass applies, so that a check on a gradient can say which
    op's rule produced it. Off, the per-node loop pays one test of a local."""

    tracking: bool = False
    node: Any = None


class GradMode:
    """Whether new operations record the graph (the switch behind :func:`no_grad`)."""

    enabled: bool = True


def is_grad_enabled() -> bool:
    """Return True when operations record the graph for a later backward pass."""
    return GradMode.enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Context manager under which operations record no graph (for evaluation and updates).

    >>> from autograd import Value, no_grad
    >>> a = Value(2.0)
    >>> with no_grad():
    ...     b = a * 3
    >>> b._prev
    ()
    """
    previous = GradMode.enabled
    GradMode.enabled = False
    try:
        yield
    finally:
        GradMode.enabled = previous


class Scopes:
    """Which module made which node, kept only while :func:`record_scopes` is active.

    ``stack`` holds the modules (or names) entered with :func:`scope`; ``record`` maps
    ``id(node)`` to ``(node, innermost scope)`` while recording, else it is None, and the ops then
    pay a single attribute check per node.
    """

    stack: list[Any] = []
    record: dict[int, tuple[Any, Any]] | None = None


@contextmanager
def scope(owner: Any) -> Iterator[None]:
    """Nodes created inside are attributed to ``owner`` (a module or a name) while recording.

    ``nn.Module.__call__`` enters the module's scope, so drawings can group a layer's nodes.
    """
    Scopes.stack.append(owner)
    try:
        yield
    finally:
        Scopes.stack.pop()


@contextmanager
def record_scopes() -> Iterator[dict[int, tuple[Any, Any]]]:
    """Record, for every node created inside, the innermost :func:`scope` it was made in.

    >>> from autograd import Value
    >>> with record_scopes() as made_in:
    ...     with scope("neuron"):
    ...         y = Value(2.0) * 3
    >>> made_in[id(y)][1]
    'neuron'
    """
    previous = Scopes.record
    Scopes.record = {}
    try:
        yield Scopes.record
    finally:
        Scopes.record = previous


def note_scope(node: Any) -> None:
    """Called by ops for each new node while recording (see :class:`Scopes`)."""
    if Scopes.stack:
        Scopes.record[id(node)] = (node, Scopes.stack[-1])


def topological_order(root: Any) -> list[Any]:
    """Every node reachable from ``root``, each after all of its parents (root last).

    Iterative depth-first search, so a graph of any depth works with Python's default recursion
    limit. A node is pushed once to be expanded and, after its parents, popped again to be placed.
    Nodes hash by identity, so a Tensor's elementwise ``==`` never matters here.
    """
    order: list[Any] = []
    expanded: set[Any] = set()
    placed: set[Any] = set()
    stack = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node in expanded:
            if node not in placed:  # second visit: all its parents are placed
                placed.add(node)
                order.append(node)
            continue
        expanded.add(node)
        push(node)
        for parent in node._prev:
            if parent not in expanded:
                push(parent)
    return order


class Step:
    """One step of a backward pass: the chain rule applied at one node.

    Attributes:
        index: position in the backward pass (0 is the root).
        total: how many steps the pass has (one per node that has parents).
        node: the node whose gradient is passed on to its parents.
        name: a printable name for ``node`` (its label, or ``n<k>`` by topological position).
        root_name: the name of the root, the ``L`` in ``dL/dx``.
        op: the op that produced ``node``.
        upstream: ``dL/dnode``, the gradient arriving at ``node``.
        parents: the parents of ``node``, in order (a parent used twice appears twice).
        parent_names: printable names of the parents.
        local: ``dnode/dparent`` for each parent, or ``None`` for ops (like matmul) whose rule is
            a vector-Jacobian product rather than a product with a local derivative.
        contributions: what was added to each parent's gradient.
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
        r, n = _wrap(self.root_name), _wrap(self.name)
        out = []
        for i, p in enumerate(map(_wrap, self.parent_names)):
            if self.local is not None:
                out.append(f"d{r}/d{p} += d{r}/d{n} * d{n}/d{p} = {_fmt(self.upstream, fmt)} * "
                           f"{_fmt(self.local[i], fmt)} = {_fmt(self.contributions[i], fmt)}")
            else:
                out.append(f"d{r}/d{p} += {self.op.name}_vjp_{i}(d{r}/d{n}) = "
                           f"{_fmt(self.contributions[i], fmt)}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return (f"Step({self.index + 1}/{self.total}: {self.name} = {self.op.symbol}"
                f"({', '.join(self.parent_names)}), upstream={_fmt(self.upstream, '.4g')})")


def _wrap(name: str) -> str:
    """A name fit for d/d notation: ``x1`` stays, ``x1*w1`` becomes ``(x1*w1)``."""
    return name if name.isidentifier() else f"({name})"


def _fmt(x: Any, fmt: str) -> str:
    """Format a float, or summarise an array (its values when small, else its shape)."""
    if x is None:
        return "None (not needed)"
    if isinstance(x, float | int):
        return format(x, fmt)
    shape = getattr(x, "shape", None)
    if shape is not None and getattr(x, "size", 0) <= 6:
        flat = ", ".join(format(float(v), fmt) for v in x.reshape(-1))
        return f"[{flat}]" if shape else flat
    if shape is not None:
        return f"<array {tuple(shape)}>"
    return str(x)


def _names(order: list[Any]) -> dict[Any, str]:
    return {n: (n.label or f"n{k}") for k, n in enumerate(order)}


def backward_steps(root: Any, grad: Any = None) -> Iterator[Step]:
    """Backpropagate from ``root`` one node at a time, yielding a :class:`Step` for each.

    The gradients of interior nodes are reset first, then ``root`` is seeded with ``grad`` (1 when
    None, for a one-element root). For each node, in reverse topological order, the op's rule gives
    the local derivatives (or the vector-Jacobian products) and each parent's gradient grows by
    ``upstream * local``. Leaves accumulate: a second pass adds one more gradient.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> for step in backward_steps(c):
    ...     print(step)
    dc/da += dc/dc * dc/da = 1.0000 * -3.0000 = -3.0000
    dc/db += dc/dc * dc/db = 1.0000 * 2.0000 = 2.0000
    """
    return _propagate(root, grad, record=True)


def backward(root: Any, grad: Any = None) -> None:
    """Backpropagate from ``root`` to every node of its graph (runs :func:`backward_steps`)."""
    deque(_propagate(root, grad, record=False), maxlen=0)


def _propagate(root: Any, grad: Any, record: bool) -> Iterator[Step]:
    """Backpropagate from ``root``; yield a Step per node when ``record``, nothing otherwise."""
    previous = Backprop.node  # a backward pass run inside an op's rule restores the outer one
    try:
        yield from _run(root, grad, record)
    finally:
        Backprop.node = previous


def _run(root: Any, grad: Any, record: bool) -> Iterator[Step]:
    order = topological_order(root)
    for node in order:
        if node._op is not None:
            node._reset_grad()
    Backprop.node = None
    track = Backprop.tracking
    root._accumulate_grad(root._seed_grad(grad), True)
    if record:
        names = _names(order)
        total = sum(1 for n in order if n._op is not None)
    index = 0
    for node in reversed(order):
        op = node._op
        if op is None:
            continue
        if track:
            Backprop.node = node
        upstream = node.grad
        if op.local is None:  # a vector-Jacobian product gives the contributions directly
            local, contributions = None, op.vjp(node, upstream)
        else:
            local = op.local(node)  # a local derivative of None: that parent needs no gradient
            if not record:  # the fast path: multiply and accumulate, nothing kept
                for parent, d in zip(node._prev, local):
                    if d is not None:
                        parent._accumulate_grad(upstream * d, True)  # a new product
                continue
            contributions = tuple(None if d is None else upstream * d for d in local)
        fresh = op.fresh_vjp and not record  # a recorded Step keeps its contributions
        for parent, contribution in zip(node._prev, contributions):
            if contribution is not None:
                parent._accumulate_grad(contribution, fresh)
        if record:
            yield Step(index, total, node, names[node], names[root], op, upstream, node._prev,
                       tuple(names[p] for p in node._prev), local, tuple(contributions))
            index += 1


def zero_grad(root: Any) -> None:
    """Reset the gradient of every node in the graph of ``root``.

    Values go back to 0.0, Tensors to None.
    """
    for node in topological_order(root):
        node._reset_grad()
