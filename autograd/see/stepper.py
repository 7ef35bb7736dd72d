"""Step through backpropagation in the REPL, one chain-rule application at a time.

``walk(loss)`` returns a walker. Each ``w.next()`` runs one step of the real backward pass
(:func:`autograd.backward_steps`) and shows it: the node, the gradient that has arrived at it, each
parent's local derivative and the product added to the parent's gradient. Typed repeatedly in a
plain ``python`` session, it reads like a lecture on the chain rule:

>>> from autograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b; c.label = "c"
>>> L = c + a; L.label = "L"
>>> w = walk(L)
>>> w
Backward pass through the graph of L: 2 steps, one per op node, from L back to the inputs.
  It starts with dL/dL = 1: L changes one for one with itself. Every other gradient is 0.
  w.next() applies the chain rule at L.
>>> w.next()
Backward step 1 of 2, at node L = c + a
  the rule of add:  f(a, b) = a + b;  df/da = 1;  df/db = 1
  upstream:  dL/dL = 1.0000 has arrived at L
  parent c:  local derivative dL/dc = 1.0000, so
      dL/dc += dL/dL * dL/dc = 1.0000 * 1.0000 = 1.0000     c.grad is now 1.0000
  parent a:  local derivative dL/da = 1.0000, so
      dL/da += dL/dL * dL/da = 1.0000 * 1.0000 = 1.0000     a.grad is now 1.0000
  w.next() passes dL/dc back to c's parents.
>>> w.run().table()
node  op  data     grad     step
a         2.0000   -2.0000  input
b         -3.0000  2.0000   input
c     *   -6.0000  1.0000   done
L     +   -4.0000  1.0000   done

``w.prev()`` goes back one step (by replaying from the start), ``w.draw()`` returns the graph at
this step (a ``graphviz.Digraph``). ``walk(loss, mode="forward")`` walks the forward pass instead,
showing each node's value as it is computed. The walker runs a real backward pass: it first resets
every gradient in the graph, and after ``w.run()`` the graph holds what ``loss.backward()`` gives.
From a shell, ``python -m autograd.see script.py`` walks the ``loss`` a script defines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import graphviz

from ..engine import topological_order, zero_grad
from .steps import Step, backward_steps, backward_text
from .text import (
    check_fmt,
    formula,
    forward_text,
    inputs_text,
    name_map,
    node_names,
    short,
    wrap,
)
from .viz import Look, paint

__all__ = ["BackwardWalker", "ForwardWalker", "Text", "walk", "walk_forward"]


def _forward_look(order: Sequence[Any], ops: Sequence[Any], k: int, caption: str = "") -> Look:
    """The forward pass after ``k`` ops: later op nodes hidden, the k-th one current."""
    hidden = {id(n) for n in ops[k:]}
    return Look(hidden=hidden, current=ops[k - 1] if k else None, mode="forward",
                caption=caption)


def _backward_look(step: Step | None, done: set[int], root: Any, fmt: str = ".4f",
                  caption: str = "") -> Look:
    """The backward pass at ``step`` (None: before the first step, the root is current)."""
    if step is None:
        return Look(current=root, mode="backward", caption=caption)
    return Look(current=step.node, mode="backward", receiving={id(p) for p in step.parents},
                done=set(done), edge_labels=step.edge_labels(fmt), caption=caption)


class Text(str):
    """A string that shows as itself in the REPL (no quotes, real line breaks)."""

    def __repr__(self) -> str:
        return str(self)


def _forward_rule(math: str) -> str:
    return math.split(";")[0].strip()


class _Walker:
    """What both walkers share: the graph, the names, a position and the table."""

    mode = "forward"

    def __init__(self, root: Any, fmt: str = ".4f", **draw_options: Any) -> None:
        if not hasattr(root, "_prev") or not hasattr(root, "data"):
            raise TypeError(f"walk: expected a Value or a Tensor (the loss), got "
                            f"{type(root).__name__}")
        check_fmt(fmt)
        self.root, self.fmt, self.draw_options = root, fmt, draw_options
        self.order = topological_order(root)
        given = draw_options.get("names")
        self.named = name_map(given, "walk")
        if given is not None:  # .draw() reuses the map; the walker keeps what it names alive
            self._given_names, draw_options["names"] = given, self.named
        self.names = node_names(self.order, self.named)
        self.ops = [n for n in self.order if n._op is not None]
        self.op_number = {id(n): k for k, n in enumerate(self.ops, start=1)}  # by identity:
        self.total = len(self.ops)  # a Tensor's == is elementwise, so list.index would not do
        self.position = 0
        self._note = ""

    def _moved(self, note: str = "") -> _Walker:
        self._note = note
        return self

    def next(self) -> _Walker:
        """Go one step further; the walker shows itself (so ``w.next()`` prints the step)."""
        if self.position >= self.total:
            return self._moved("(this is the last step: w.prev() goes back, w.table() sums up)")
        self._advance()
        return self._moved()

    def prev(self) -> _Walker:
        """Go back one step (the pass is replayed from the start up to there)."""
        if self.position == 0:
            return self._moved("(this is the start: w.next() goes forward)")
        self.goto(self.position - 1)
        return self._moved()

    def run(self) -> _Walker:
        """Go to the end of the pass."""
        while self.position < self.total:
            self._advance()
        return self._moved()

    def goto(self, position: int) -> _Walker:
        """Go to step ``position`` (0 is the start, ``total`` the end)."""
        if not 0 <= position <= self.total:
            raise ValueError(f"walk: position must be between 0 and {self.total}, got {position}")
        if position < self.position:
            self._restart()
        while self.position < position:
            self._advance()
        return self._moved()

    def __iter__(self) -> Iterator[str]:
        """The text of each remaining step (advancing the walker)."""
        while self.position < self.total:
            self._advance()
            yield str(self)

    def __len__(self) -> int:
        return self.total

    def table(self) -> Text:
        """Every node with its data and gradient so far, inputs first, the root last."""
        rows = [("node", "op", "data", "grad", "step")]
        for node in self.order:
            op = node._op.symbol if node._op is not None else ""
            grad = short(node.grad, self.fmt) if self.mode == "backward" else ""
            data = short(node.data, self.fmt)
            if self.mode == "forward" and self._status(node) == "not yet":
                data = "?"
            rows.append((self.names[node], op, data, grad, self._status(node)))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        if self.mode == "forward":
            rows = [r[:3] + r[4:] for r in rows]
            widths = widths[:3] + widths[4:]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        return Text("\n".join(lines))

    def __str__(self) -> str:
        text = self._describe()
        return f"{text}\n  {self._note}" if self._note else text

    __repr__ = __str__


class BackwardWalker(_Walker):
    """Walks the backward pass of ``root``: see :func:`walk`."""

    mode = "backward"

    def __init__(self, root: Any, fmt: str = ".4f", **draw_options: Any) -> None:
        super().__init__(root, fmt, **draw_options)
        self._restart()

    def _restart(self) -> None:
        zero_grad(self.root)
        if self.root._op is not None:  # the seed, as the first step will set it
            self.root._accumulate_grad(self.root._seed_grad(None))
        self._steps = backward_steps(self.root, names=self.named)
        self.history: list[Step] = []
        self.position = 0

    def _advance(self) -> None:
        self.history.append(next(self._steps))
        self.position += 1

    @property
    def step(self) -> Step | None:
        """The step just taken (None at the start)."""
        return self.history[-1] if self.history else None

    def _status(self, node: Any) -> str:
        if node._op is None:
            return "input"
        done = {id(s.node) for s in self.history}
        if self.history and node is self.history[-1].node:
            return "current" if self.position < self.total else "done"
        return "done" if id(node) in done else "waiting"

    def _describe(self) -> str:
        r = self.names[self.root]
        if self.step is None:
            if self.total == 0:
                return f"{r} is an input: there is nothing to backpropagate through."
            return (f"Backward pass through the graph of {r}: {self.total} steps, one per op "
                    f"node, from {r} back to the inputs.\n"
                    f"  It starts with d{r}/d{r} = 1: {r} changes one for one with itself. "
                    "Every other gradient is 0.\n"
                    f"  w.next() applies the chain rule at {r}.")
        step, fmt = self.step, self.fmt
        n = step.name
        dr, dn = wrap(r), wrap(n)  # d(0.weight), not d0.weight
        out = [f"Backward step {step.index + 1} of {step.total}, at node {n} = "
               f"{formula(step.node, step.parent_names)}",
               f"  the rule of {step.op.name}:  {step.op.math or '(no math text)'}",
               f"  upstream:  d{dr}/d{dn} = {short(step.upstream, fmt)} has arrived at {n}"]
        for i, (line, parent, pname) in enumerate(zip(step.lines(fmt), step.parents,
                                                      step.parent_names)):
            now = f"{pname}.grad is now {short(parent.grad, fmt)}"
            if step.local is not None:
                out.append(f"  parent {pname}:  local derivative d{dn}/d{wrap(pname)} = "
                           f"{short(step.local[i], fmt)}, so")
            else:
                out.append(f"  parent {pname}:  vector-Jacobian product of {step.op.name}:")
            out.append(f"      {line}     {now}")
        out.append(self._next_hint())
        return "\n".join(out)

    def _next_hint(self) -> str:
        if self.position >= self.total:
            r = self.names[self.root]
            return (f"  The backward pass is complete: every node holds d{r}/d(node). "
                    "w.table() lists them.")
        following = self.ops[self.total - 1 - self.position]
        name = self.names[following]
        return (f"  w.next() passes d{wrap(self.names[self.root])}/d{wrap(name)} back to "
                f"{name}'s parents.")

    def draw(self, **options: Any) -> graphviz.Digraph:
        """The graph at this step: current node, flowing edges, done nodes, running gradients."""
        done = {id(s.node) for s in self.history[:-1]}
        look = _backward_look(self.step, done, self.root, self.fmt, _caption(self))
        return paint(self.root, look, order=self.order, **{"fmt": self.fmt,
                                                            **self.draw_options, **options})


class ForwardWalker(_Walker):
    """Walks the forward pass of ``root``, one op node at a time: see :func:`walk`."""

    def _restart(self) -> None:
        self.position = 0

    def _advance(self) -> None:
        self.position += 1

    def _status(self, node: Any) -> str:
        if node._op is None:
            return "input"
        k = self.op_number[id(node)]
        if k < self.position or (k == self.position == self.total):
            return "computed"
        return "current" if k == self.position else "not yet"

    def _describe(self) -> str:
        if self.position == 0:
            return (f"Forward pass to {self.names[self.root]}: {self.total} op node(s), "
                    "computed in order.\n  " + inputs_text(self.order, self.names, self.fmt)
                    + "\n  w.next() computes the first node.")
        node = self.ops[self.position - 1]
        out = [f"Forward step {self.position} of {self.total}: "
               f"{forward_text(node, self.names, self.fmt)}",
               f"  the rule of {node._op.name}:  {_forward_rule(node._op.math) or node._op.name}"]
        if self.position == self.total:
            out.append(f"  The forward pass is complete: {self.names[self.root]} = "
                       f"{short(self.root.data, self.fmt)}. walk(root) goes backward.")
        else:
            out.append("  w.next() computes "
                       f"{self.names[self.ops[self.position]]}.")
        return "\n".join(out)

    def draw(self, **options: Any) -> graphviz.Digraph:
        """The graph with the nodes computed so far (the rest kept invisible)."""
        look = _forward_look(self.order, self.ops, self.position, _caption(self))
        return paint(self.root, look, order=self.order,
                     **{"fmt": self.fmt, "show_grad": False, **self.draw_options, **options})


def _caption(walker: _Walker) -> str:
    """The text under a walker's drawing: the chain-rule lines, or the forward computation."""
    if isinstance(walker, BackwardWalker) and walker.step is not None:
        return backward_text(walker.step, walker.fmt)
    return walker._describe().split("\n")[0]


def walk(root: Any, mode: str = "backward", *, fmt: str = ".4f",
         **draw_options: Any) -> BackwardWalker | ForwardWalker:
    """A walker over the backward (default) or forward pass of ``root``, for the REPL.

    Args:
        root: the output node (the loss).
        mode: ``"backward"`` or ``"forward"``.
        fmt: how numbers are written.
        draw_options: defaults for ``.draw()`` (as for :func:`autograd.draw`). ``names=model``
            also names the nodes in the walker's text (``0.weight``, ``layers.0.neurons.1.b``).

    Returns:
        A walker: ``.next()``, ``.prev()``, ``.run()``, ``.goto(k)``, ``.draw()``, ``.table()``;
        its repr is the current step.
    """
    if mode == "backward":
        return BackwardWalker(root, fmt, **draw_options)
    if mode == "forward":
        return ForwardWalker(root, fmt, **draw_options)
    raise ValueError(f"walk: mode must be 'backward' or 'forward', got {mode!r}")


def walk_forward(root: Any, *, fmt: str = ".4f", **draw_options: Any) -> ForwardWalker:
    """A walker over the forward pass of ``root``: ``walk(root, mode="forward")``."""
    return ForwardWalker(root, fmt, **draw_options)
