"""The graph engine: topological order, backward passes, and grad().

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

:func:`grad` is the other pass: it returns the gradients of some outputs with respect to some
inputs and leaves every ``.grad`` alone. With ``create_graph=True`` it runs the same rules on
nodes (see :mod:`autograd.ops`), so the backward pass is itself recorded as a graph: the
gradients it returns can be drawn, stepped through and differentiated again. For that a node
also offers ``_check_saved()`` (the version check alone), ``_fit_grad(contribution)`` (sum a
contribution back to the node's shape, on data or on nodes) and ``_new_leaf(data)``.

The modes these passes read (grad mode, scopes, anomaly detection) live in :mod:`autograd.modes`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from .modes import changed_modes, modes, scope
from .ops import DATA_ONLY, GradientShapeError, is_node, value_of

__all__ = [
    "CREATE_GRAPH_IN_BACKWARD", "BackwardOf", "backward", "grad", "records", "topological_order",
    "zero_grad",
]


def topological_order(root: Any, *more_roots: Any) -> list[Any]:
    """Every node reachable from ``root`` (and ``more_roots``), each after all of its parents
    (the root last when there is one).

    Iterative depth-first search, so a graph of any depth works with Python's default recursion
    limit. A node is pushed once to be expanded and, after its parents, popped again to be placed.
    Nodes hash by identity, so a Tensor's elementwise ``==`` never matters here.
    """
    order: list[Any] = []
    expanded: set[Any] = set()
    placed: set[Any] = set()
    stack = [*reversed(more_roots), root]
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
    anomaly = modes().anomaly
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
                        if d is None:
                            continue
                        if type(d) is float and d == 1.0:  # add's: pass the gradient on as is
                            parent._accumulate_grad(upstream)
                        else:
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


# ---- grad(): gradients as return values, optionally as a graph --------------------------------

CREATE_GRAPH_IN_BACKWARD = (
    "backward(create_graph=True): glassgrad keeps .grad plain data (a float for a Value, an "
    "array for a Tensor), so it cannot hold a graph; use autograd.grad(output, inputs, "
    "create_graph=True), which returns the gradients as nodes you can differentiate again")

def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned (PyTorch's signature).

    Args:
        outputs: a node (Value or Tensor) or a sequence of nodes to differentiate.
        inputs: a node or a sequence of nodes to differentiate with respect to (leaves or not).
        grad_outputs: the seed of each output (the "vector" of a vector-Jacobian product): None
            (1 for a one-element output), or one entry per output, data or a node.
        create_graph: record the backward pass as a graph, so the gradients are nodes that can be
            differentiated again (second derivatives, Hessian-vector products, penalties).
        allow_unused: give None for an input the outputs do not depend on (else a ValueError).

    Returns:
        One gradient per input, a node of the input's kind (a Value, a Tensor). Every ``.grad``
        is left as it was.

    >>> from autograd import Value
    >>> x = Value(3.0)
    >>> (dy,) = grad(x ** 3, x, create_graph=True)    # dy/dx = 3 x^2
    >>> (d2y,) = grad(dy, x)                           # d2y/dx2 = 6 x
    >>> dy.data, d2y.data, x.grad
    (27.0, 18.0, 0.0)
    """
    outputs, inputs = _node_tuple(outputs, "outputs"), _node_tuple(inputs, "inputs")
    seeds = _seeds(outputs, grad_outputs, create_graph)
    order = topological_order(*outputs)
    wanted = set(inputs)
    leads: set[Any] = set()  # the nodes from which an input can be reached: the only ones needed
    for node in order:
        if node in wanted or any(parent in leads for parent in node._prev):
            leads.add(node)
    for node in order:
        if node._op is not None and node in leads:
            node._check_saved()
    grads: dict[Any, Any] = {}
    for out, seed in zip(outputs, seeds):
        _add(grads, out, seed)
    anomaly = modes().anomaly
    previous = None if anomaly is None else anomaly.node
    with changed_modes(grad=create_graph):
        try:
            for node in reversed(order):
                if node._op is None or node not in leads:
                    continue
                upstream = grads.get(node) if node in wanted else grads.pop(node, None)
                if upstream is None:
                    continue
                if anomaly is not None:
                    anomaly.node = node
                if create_graph and modes().scopes is not None:  # drawn as one cluster
                    with scope(BackwardOf(node)):
                        contributions = _apply_rule(node, upstream, True, leads)
                else:
                    contributions = _apply_rule(node, upstream, create_graph, leads)
                for parent, contribution in zip(node._prev, contributions):
                    if contribution is not None and parent in leads:
                        _add(grads, parent, contribution)
        except GradientShapeError as error:
            raise GradientShapeError(error.grad_shape, error.shape, node._op.name) from None
        finally:
            if anomaly is not None:
                anomaly.node = previous
    return _results(inputs, grads, allow_unused, any(out._op is None for out in outputs))


class BackwardOf(NamedTuple):
    """The scope of the nodes that a recorded backward pass makes while it applies ``node``'s
    rule (inside :func:`record_scopes`): drawings show them as one cluster."""

    node: Any


def _node_tuple(nodes: Any, what: str) -> tuple[Any, ...]:
    items = tuple(nodes) if isinstance(nodes, list | tuple) else (nodes,)
    if not items:
        raise ValueError(f"grad: {what} is empty; give at least one Value or Tensor")
    for i, node in enumerate(items):
        if not is_node(node):
            raise TypeError(f"grad: {what}[{i}] must be a Value or a Tensor, got "
                            f"{type(node).__name__}")
        if not getattr(node, "requires_grad", True):
            why = ("was computed from nothing that requires a gradient (or under no_grad())"
                   if what == "outputs" else "does not require a gradient: create it with "
                   "requires_grad=True")
            raise ValueError(f"grad: {what}[{i}] (shape {node.data.shape}) {why}")
    return items


def _seeds(outputs: tuple, grad_outputs: Any, create_graph: bool) -> list[Any]:
    if grad_outputs is None:
        given: tuple = (None,) * len(outputs)
    elif isinstance(grad_outputs, list | tuple) and (len(outputs) > 1 or (
            len(grad_outputs) == 1 and _is_entry(grad_outputs[0]))):
        given = tuple(grad_outputs)  # one entry per output
    else:
        given = (grad_outputs,)  # the seed of the only output (perhaps a nested list)
    if len(given) != len(outputs):
        raise ValueError(f"grad: {len(given)} grad_outputs for {len(outputs)} outputs; give one "
                         "per output (None for 1)")
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, given)):
        data = out._seed_grad(value_of(g), where=f"grad: grad_outputs[{i}]")
        if create_graph and is_node(g):
            seeds.append(g)  # the seed stays in the graph (jvp differentiates through it)
        elif create_graph:
            seeds.append(out._new_leaf(data))
        else:
            seeds.append(data)
    return seeds


def _is_entry(item: Any) -> bool:
    """True for what can be one output's seed on its own (not a row of a nested list)."""
    return item is None or is_node(item) or hasattr(item, "shape") or isinstance(item, float)


def _add(grads: dict[Any, Any], node: Any, contribution: Any) -> None:
    contribution = node._fit_grad(contribution)
    total = grads.get(node)
    grads[node] = contribution if total is None else total + contribution


def _apply_rule(node: Any, upstream: Any, create_graph: bool, leads: set[Any]) -> tuple:
    """The contribution of ``node``'s rule to each parent: on data, or recorded as nodes."""
    op = node._op
    if not create_graph:
        target = node
    elif op.differentiable:
        target = _Recorded(node, leads)
    else:  # run the data-only rule on data, and mark its results as not differentiable
        values = _apply_rule(node, value_of(upstream), False, leads)
        marker = DATA_ONLY[op.kind]
        return tuple(None if v is None else marker.run(upstream, *node._prev, ctx=(op.name, v))
                     for v in values)
    if op.local is None:
        return op.vjp(target, upstream)
    return tuple(None if d is None else _times(upstream, d) for d in op.local(target))


def _times(upstream: Any, local: Any) -> Any:
    if type(local) in (int, float) and local == 1:  # add's derivative: pass the gradient on
        return upstream
    return upstream * local


class _Recorded:
    """What a rule sees in a recorded backward pass: a node whose ``data`` is the node itself,
    so the rule's arithmetic records new nodes. A parent that leads to no input is reported as
    needing no gradient, so the rule skips it."""

    __slots__ = ("data", "_prev", "_ctx", "_op", "requires_grad", "label")

    def __init__(self, node: Any, leads: set[Any] | None = None) -> None:
        self.data, self._ctx, self._op, self.label = node, node._ctx, node._op, node.label
        self.requires_grad = getattr(node, "requires_grad", True)
        self._prev: tuple[_Recorded, ...] = ()
        if leads is not None:
            self._prev = tuple(_Recorded(p) for p in node._prev)
            for view, parent in zip(self._prev, node._prev):
                view.requires_grad = view.requires_grad and parent in leads


def _results(inputs: tuple, grads: dict[Any, Any], allow_unused: bool,
             leaf_output: bool) -> tuple[Any, ...]:
    results: list[Any] = []
    for i, x in enumerate(inputs):
        g = grads.get(x)
        if g is None:
            if not allow_unused:
                hint = (" (an output is a leaf: if it is a gradient from grad(), pass "
                        "create_graph=True there to differentiate it again)"
                        if leaf_output else "")
                raise ValueError(f"grad: inputs[{i}] was not used to compute the outputs (no "
                                 f"path leads from it to them){hint}; pass allow_unused=True "
                                 "to get None for it")
            results.append(None)
        elif is_node(g):
            results.append(g)
        else:
            if hasattr(g, "copy") and any(r is not None and r.data is g for r in results):
                g = g.copy()  # two inputs, one array: each gets its own
            results.append(x._new_leaf(g))
    return tuple(results)
