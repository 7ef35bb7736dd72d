"""Both passes as one timeline of states over one fixed layout (the player's and frames' data).

A page or a set of frames shows the same graph at every step; only numbers, colours and the
text change. :func:`timeline` replays both passes and records, for each step, what changes:
the node that is current, the one-line texts of the fields that get a new value (a node's data
when the forward pass computes it, its gradient when the backward pass adds to it), the nodes
that receive a gradient, and the words of the step. Every node's record has fixed fields
(name, shape for a Tensor, data, grad), each one line, and :attr:`Timeline.widest` holds the
longest text each field will show, so that one ``dot`` layout fits every step.

>>> from autograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b; c.label = "c"
>>> line = timeline(c)
>>> [(s.phase, s.index) for s in line.steps]
[('forward', 0), ('forward', 1), ('backward', 0), ('backward', 1)]
>>> [(line.names[line.order[k]], text) for k, field, text in line.steps[3].changes]
[('a', 'grad -3.0000'), ('b', 'grad 2.0000')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import topological_order, zero_grad
from .picture_nodes import has_pictures
from .steps import backward_steps, backward_text
from .text import forward_text, inputs_text, name_map, node_names

__all__ = ["Stage", "Timeline", "cell", "timeline"]


def cell(x: Any, fmt: str = ".4f") -> str:
    """A number or an array on one line: a float; up to 4 values; else the range.

    >>> cell(np.array([1.0, -2.0]), ".1f"), cell(np.arange(6.0), ".1f"), cell(None)
    ('[1.0, -2.0]', 'min 0.0, max 5.0', '0')
    """
    if x is None:  # a Tensor's gradient before anything was added to it
        return "0"
    if isinstance(x, np.ndarray):
        x = x + 0.0  # booleans become numbers, -0.0 becomes 0.0
        if x.ndim == 0:
            return format(float(x), fmt)
        if x.size <= 4:
            return "[" + ", ".join(format(float(v), fmt) for v in x.ravel()) + "]"
        if x.size == 0:
            return "[]"
        return f"min {format(float(x.min()), fmt)}, max {format(float(x.max()), fmt)}"
    try:
        return format(x + 0.0, fmt)
    except (TypeError, ValueError):
        return str(x)


@dataclass
class Stage:
    """One step of the timeline.

    Attributes:
        phase: ``"forward"`` or ``"backward"``.
        index: the step's number within its pass (0: the inputs, or the seed dL/dL = 1).
        current: the position (in :attr:`Timeline.order`) of the node computed or processed,
            or -1 (the forward pass's first step).
        text: what happens at this step, in words and numbers.
        changes: ``(position, "data" or "grad", text)`` for each field that changes.
        receiving: positions of the nodes whose gradient grows at this step.
        edge_labels: for a backward step, what each parent of ``current`` receives
            (``+= 0.5000``), in the order of its parents.
        arrays: ``(position, "data" or "grad", copy of the array)`` for each change of a node
            drawn with pictures (:func:`autograd.see.picture_nodes.has_pictures`).
    """

    phase: str
    index: int
    current: int
    text: str
    changes: list[tuple[int, str, str]] = field(default_factory=list)
    receiving: list[int] = field(default_factory=list)
    edge_labels: tuple[str, ...] = ()
    arrays: list[tuple[int, str, Any]] = field(default_factory=list)


@dataclass
class Timeline:
    """The steps of both passes over the nodes ``order`` (topological), named ``names``.

    ``born[k]`` is the forward step at which node k is first shown computed (0 for inputs),
    ``processed[k]`` the backward step at which it passes its gradient on (None for leaves).
    ``widest[k]`` are node k's record fields with the longest text each will hold.
    """

    order: list[Any]
    names: dict[Any, str]
    steps: list[Stage]
    born: list[int]
    processed: list[int | None]
    widest: list[tuple[str, ...]]

    def states(self) -> list[list[tuple[str, str]]]:
        """For each step, every node's (data, grad) texts at that step."""
        values = [("data", "grad")] * len(self.order)
        out = []
        for stage in self.steps:
            values = list(values)
            for k, kind, text in stage.changes:
                values[k] = (text, values[k][1]) if kind == "data" else (values[k][0], text)
            out.append(values)
        return out

    def pictures(self) -> list[dict[int, dict[str, Any]]]:
        """For each step, the arrays each node with pictures shows: ``{k: {"data", "grad"}}``
        (None where nothing is computed yet)."""
        shown: dict[int, dict[str, Any]] = {}
        out = []
        for stage in self.steps:
            shown = {k: dict(kinds) for k, kinds in shown.items()}
            for k, kind, array in stage.arrays:
                shown.setdefault(k, {"data": None, "grad": None})[kind] = array
            out.append(shown)
        return out

    def fields(self, k: int, data: str, grad: str) -> tuple[str, ...]:
        """Node k's record fields with these data and grad texts."""
        node = self.order[k]
        head = (self.names[node],)
        if isinstance(node.data, np.ndarray):
            head += (f"shape {tuple(node.data.shape)} {node.data.dtype}",)
        return head + (data, grad)


def _longer(a: str, b: str) -> str:
    return b if len(b) > len(a) else a


def timeline(root: Any, fmt: str = ".4f", names: Any = None) -> Timeline:
    """Replay both passes of ``root``'s graph (gradients are put back afterwards).

    ``names`` (a model, as for :func:`autograd.draw`) names the nodes in the records and texts.
    """
    named = name_map(names, "timeline")
    order = topological_order(root)
    names = node_names(order, named)
    index = {id(n): k for k, n in enumerate(order)}
    ops = [n for n in order if n._op is not None]
    born = [0] * len(order)
    for j, node in enumerate(ops):
        born[index[id(node)]] = j + 1
    texts = {k: {"data": "data", "grad": "grad"} for k in range(len(order))}

    pictured = [has_pictures(node) for node in order]

    def change(stage: Stage, k: int, kind: str, value: Any) -> None:
        text = f"{kind} {cell(value, fmt)}"
        stage.changes.append((k, kind, text))
        texts[k][kind] = _longer(texts[k][kind], text)
        if pictured[k]:
            stage.arrays.append((k, kind, None if value is None else np.array(value)))

    first = Stage("forward", 0, -1, inputs_text(order, names, fmt))
    for k, node in enumerate(order):
        if node._op is None:
            change(first, k, "data", node.data)
    steps = [first]
    for j, node in enumerate(ops):
        stage = Stage("forward", j + 1, index[id(node)], forward_text(node, names, fmt))
        change(stage, index[id(node)], "data", node.data)
        steps.append(stage)

    processed: list[int | None] = [None] * len(order)
    saved = [n.grad.copy() if isinstance(n.grad, np.ndarray) else n.grad for n in order]
    try:
        zero_grad(root)
        if root._op is not None:
            root._accumulate_grad(root._seed_grad(None))
        r = names[root]
        seed = Stage("backward", 0, index[id(root)],
                     f"The backward pass starts at {r}: d{r}/d{r} = 1, every other gradient "
                     "is 0")
        for k, node in enumerate(order):
            change(seed, k, "grad", node.grad)
        steps.append(seed)
        for step in backward_steps(root, names=named):
            k = index[id(step.node)]
            processed[k] = step.index + 1
            stage = Stage("backward", step.index + 1, k, backward_text(step, fmt),
                          edge_labels=step.edge_labels(fmt))
            for parent, added in zip(step.parents, step.contributions):
                if added is not None and index[id(parent)] not in stage.receiving:
                    stage.receiving.append(index[id(parent)])
                    change(stage, index[id(parent)], "grad", parent.grad)
            steps.append(stage)
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad
    line = Timeline(order, names, steps, born, processed, [])
    line.widest = [line.fields(k, texts[k]["data"], texts[k]["grad"]) for k in range(len(order))]
    return line
