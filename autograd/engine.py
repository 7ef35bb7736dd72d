"""The graph engine: topological order, backward passes, and the modes (grad, scopes, anomaly).

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
- ``_prepare_backward()``: called for every op node before a pass: check that what the node's
  rule will read is still what the forward pass saw (a Tensor raises a RuntimeError if a tensor
  was changed in place since), then reset the gradient;
- ``_seed_grad(grad)``: the gradient the backward pass starts from at the root.

Each op computes the local part of the chain rule; the engine multiplies and accumulates. Every
backward pass is the generator :func:`records`, which yields what happened at each node;
:func:`backward` runs it to the end without keeping anything. The engine writes no text: the
chain-rule wording of each step belongs to :mod:`autograd.see`.

The modes (whether operations record a graph, which module is making nodes, anomaly detection)
belong to the running thread, as PyTorch's grad mode does: they live in one context variable, so
a ``no_grad()`` in one thread (or asyncio task) leaves every other one recording.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple

from .ops import GradientShapeError

__all__ = [
    "Modes", "backward", "enable_grad", "is_grad_enabled", "is_recording_scopes", "modes",
    "no_grad", "record_scopes", "records", "scope", "topological_order", "zero_grad",
]


class Modes(NamedTuple):
    """The modes of the running thread: one immutable record; a change makes a new one.

    Attributes:
        grad: whether new operations record the graph (off under :func:`no_grad`).
        scopes: while :func:`record_scopes` is active, the dict it fills: ``id(node)`` ->
            ``(node, innermost scope)``; else None, and the ops pay a single attribute check.
        scope_stack: the modules (or names) entered with :func:`scope`, innermost last.
        anomaly: while ``autograd.detect_anomaly()`` is active, its state (where each node was
            made, the node whose rule the backward pass is applying); else None.

    The record is immutable, but the dict of ``scopes`` and the anomaly state it points to are
    not: a task or thread started with a copy of this context (an asyncio task,
    ``asyncio.to_thread``) shares them with the block that made them.
    """

    grad: bool = True
    scopes: dict[int, tuple[Any, Any]] | None = None
    scope_stack: tuple[Any, ...] = ()
    anomaly: Any = None


_MODES: ContextVar[Modes] = ContextVar("glassgrad_modes", default=Modes())  # noqa: B039 (immutable)

modes = _MODES.get
"""``modes()``: the :class:`Modes` of the running thread (what the ops read for every node)."""


@contextmanager
def changed_modes(**changes: Any) -> Iterator[Modes]:
    """Run the body with some modes changed in this thread only; then put back the modes it
    changed, and only those (blocks may end out of order, say when a generator that entered
    ``no_grad()`` is closed inside ``detect_anomaly()``)."""
    before = _MODES.get()
    new = before._replace(**changes)
    _MODES.set(new)
    try:
        yield new
    finally:
        _MODES.set(_MODES.get()._replace(**{name: getattr(before, name) for name in changes}))


def is_grad_enabled() -> bool:
    """Return True when operations (in this thread) record the graph for a backward pass."""
    return _MODES.get().grad


def no_grad() -> AbstractContextManager[Modes]:
    """Context manager under which operations record no graph (evaluation, parameter updates).

    It applies to the running thread only, as PyTorch's ``torch.no_grad``.

    >>> from autograd import Value, no_grad
    >>> a = Value(2.0)
    >>> with no_grad():
    ...     b = a * 3
    >>> b._prev
    ()
    """
    return changed_modes(grad=False)


def enable_grad() -> AbstractContextManager[Modes]:
    """Context manager that records the graph again inside a :func:`no_grad` block."""
    return changed_modes(grad=True)


def is_recording_scopes() -> bool:
    """True inside :func:`record_scopes` (in this thread): modules then enter their scope."""
    return _MODES.get().scopes is not None


@contextmanager
def scope(owner: Any) -> Iterator[None]:
    """Nodes created inside are attributed to ``owner`` (a module or a name) while recording.

    ``nn.Module.__call__`` enters the module's scope, so drawings can group a layer's nodes.
    """
    with changed_modes(scope_stack=_MODES.get().scope_stack + (owner,)):
        yield


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
    with changed_modes(scopes={}) as new:
        yield new.scopes


def note_scope(node: Any, current: Modes) -> None:
    """Called by the ops for each new node while scopes are recorded (see :class:`Modes`)."""
    if current.scope_stack:
        current.scopes[id(node)] = (node, current.scope_stack[-1])


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


def backward(root: Any, grad: Any = None) -> None:
    """Backpropagate from ``root`` to every node of its graph.

    The gradients of interior nodes are reset first, then ``root`` is seeded with ``grad`` (1 when
    None, for a one-element root). For each node, in reverse topological order, the op's rule gives
    the local derivatives (or the vector-Jacobian products) and each parent's gradient grows by
    ``upstream * local``. Leaves accumulate: a second pass adds one more gradient.
    """
    deque(_propagate(root, grad, None, record=False), maxlen=0)


def records(root: Any, grad: Any = None, order: Sequence[Any] | None = None,
            ) -> Iterator[tuple[Any, Any, tuple | None, tuple]]:
    """Backpropagate from ``root`` one node at a time (as :func:`backward` does), yielding
    ``(node, upstream, local, contributions)`` for each op node: the gradient that arrived, each
    parent's local derivative (None for a vector-Jacobian product rule) and what each parent
    received. ``order``: the graph's topological order, if the caller has it already.
    :func:`autograd.backward_steps` turns these into printable steps."""
    return _propagate(root, grad, order, record=True)


def _propagate(root: Any, grad: Any, order: Sequence[Any] | None,
               record: bool) -> Iterator[tuple]:
    anomaly = _MODES.get().anomaly
    if anomaly is None:
        yield from _run(root, grad, order, record, None)
        return
    previous = anomaly.node  # a backward pass run inside an op's rule restores the outer one
    try:
        yield from _run(root, grad, order, record, anomaly)
    finally:
        anomaly.node = previous


def _run(root: Any, grad: Any, order: Sequence[Any] | None, record: bool,
         anomaly: Any) -> Iterator[tuple]:
    if order is None:
        order = topological_order(root)
    for node in order:
        if node._op is not None:
            node._prepare_backward()
    if anomaly is not None:
        anomaly.node = None
    root._accumulate_grad(root._seed_grad(grad), True)
    node = root
    try:
        for node in reversed(order):
            op = node._op
            if op is None:
                continue
            if anomaly is not None:
                anomaly.node = node
            upstream = node.grad
            if op.local is None:  # a vector-Jacobian product gives the contributions directly
                local, contributions = None, op.vjp(node, upstream)
            else:
                local = op.local(node)  # a local derivative of None: no gradient for that parent
                if not record:  # the fast path: multiply and accumulate, nothing kept
                    for parent, d in zip(node._prev, local):
                        if d is not None:
                            parent._accumulate_grad(upstream * d, True)  # a new product
                    continue
                contributions = tuple(None if d is None else upstream * d for d in local)
            fresh = op.fresh_vjp and not record  # a recorded step keeps its contributions
            for parent, contribution in zip(node._prev, contributions):
                if contribution is not None:
                    parent._accumulate_grad(contribution, fresh)
            if record:
                yield node, upstream, local, tuple(contributions)
    except GradientShapeError as error:  # name the rule that gave it: the op of this node
        raise GradientShapeError(error.grad_shape, error.shape, node._op.name) from None


def zero_grad(root: Any) -> None:
    """Reset the gradient of every node in the graph of ``root``.

    Values go back to 0.0, Tensors to None.
    """
    for node in topological_order(root):
        node._reset_grad()
