"""Draw the computation graph with graphviz: values, gradients, ops, modules.

:func:`to_dot` is a pure function from a graph to DOT source; :func:`draw` returns the same
picture as a :class:`graphviz.Digraph`, so ``.render()``, ``.pipe()`` and inline display in Jupyter
work as graphviz users expect. Each value is a record ``label | data | grad`` (as in micrograd),
each op a small shape with its symbol, and edges run from the inputs through the op to the output;
a node used twice has two edges.

>>> from autograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b; c.label = "c"; c.backward()
>>> print(to_dot(c))
digraph {
...
    v1 [label="{ a | data 2.0000 | grad -3.0000 }" id=v1]
    v2 [label="{ c | data -6.0000 | grad 1.0000 }" id=v2]
    v2_op [label="*" ...]
    v2_op -> v2
    v1 -> v2_op
    v0 -> v2_op
}

The frames of both passes (:mod:`autograd.see.frames`), the REPL walker
(:mod:`autograd.see.stepper`) and the HTML player (:mod:`autograd.see.player`) draw through
:func:`paint`, which takes a :class:`Look` saying what to hide, colour and caption at one moment
of a pass.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import graphviz
import numpy as np

from ..engine import topological_order
from .clusters import FONT, clusters, emit, notes
from .clusters import folded as fold
from .picture_nodes import Drawing, has_pictures, table_label
from .text import check_fmt, format_data, name_map, node_names

__all__ = ["Look", "draw", "paint", "to_dot"]

RANKDIRS = ("LR", "TB", "RL", "BT")

# Colours: blue for the forward pass, orange-red for the backward pass.
FORWARD, FORWARD_FILL = "#1f5fa8", "#d6e6f7"
BACKWARD, BACKWARD_FILL = "#c4361b", "#fdc79b"
RECEIVING_FILL, DONE_FILL = "#fdebd7", "#e3f1dc"
HIGHLIGHT_FILL, BAD, BAD_FILL = "#fff3a0", "#d0021b", "#ffb3b3"


@dataclass
class Look:
    """What one picture emphasises (used by :func:`paint`; :func:`draw` builds a plain one).

    Attributes:
        hidden: ids of nodes not yet computed (drawn invisible, so the layout stays put).
        current: the node being computed (forward) or whose gradient flows back (backward).
        mode: ``"forward"`` or ``"backward"``: the colour of ``current`` and its edges.
        receiving: ids of the parents of ``current`` whose gradients grow in this step.
        done: ids of nodes the backward pass has already processed.
        edge_labels: text on the edges into ``current``'s op, one per parent (e.g. the
            contribution each parent receives).
        highlight: ids of nodes to mark in yellow.
        bad: ids of nodes whose gradient rule failed a check, with a short note.
        caption: text under the graph.
        fields: for these ids, the record's fields (one line of text each) in place of the
            node's name, data and gradient: the player lays its page out once with the widest
            text each field will hold.
        pictures: for these ids, the arrays whose heat maps a Tensor node with image-like data
            shows, ``{"data": array, "grad": array or None}`` (default: its own data and grad).
        collapsed: module clusters (by name, as ``scopes`` and ``names`` title them) drawn as
            one note with this text instead of their nodes: a graph too big to lay out whole.
        sizes: for these ids, a fixed (width, height) in inches. Frames give every node its size
            in the one layout, so ``dot`` places the nodes of every frame in the same spots;
            edge labels are then external (``xlabel``), which do not move nodes.
    """

    hidden: set[int] = field(default_factory=set)
    current: Any = None
    mode: str = "forward"
    receiving: set[int] = field(default_factory=set)
    done: set[int] = field(default_factory=set)
    edge_labels: tuple[str, ...] = ()
    highlight: set[int] = field(default_factory=set)
    bad: dict[int, str] = field(default_factory=dict)
    caption: str = ""
    fields: dict[int, tuple[str, ...]] = field(default_factory=dict)
    pictures: dict[int, dict[str, Any]] = field(default_factory=dict)
    sizes: dict[int, tuple[str, str]] = field(default_factory=dict)
    collapsed: dict[str, str] = field(default_factory=dict)


def _record_text(text: str) -> str:
    """Escape record-label specials; a multi-line value becomes left-justified lines."""
    for ch in "\\{}|<>":
        text = text.replace(ch, "\\" + ch)
    return "\\l".join(text.split("\n")) + ("\\l" if "\n" in text else "")


def _value_fields(node: Any, name: str, fmt: str, show_grad: bool) -> list[str]:
    """A value node's record fields: name, shape (a Tensor's), data, grad."""
    data = node.data
    fields = [name]
    if isinstance(data, np.ndarray):
        fields.append(f"shape {tuple(data.shape)} {data.dtype}")
    fields.append(f"data {format_data(data, fmt)}")
    if show_grad:
        fields.append(f"grad {format_data(node.grad, fmt)}")
    return fields


def _record(fields: list[str] | tuple[str, ...], rankdir: str) -> str:
    body = " | ".join(_record_text(f) for f in fields)
    # Records lay fields across the rank direction; braces turn them so they read left to right.
    return f"{{ {body} }}" if rankdir in ("LR", "RL") else body


def _keep(root: Any, order: list[Any], max_nodes: int | None) -> set[int] | None:
    """The ``max_nodes`` nodes nearest the root (breadth first over parents), or None for all."""
    if max_nodes is None or len(order) <= max_nodes:
        return None
    if max_nodes < 1:
        raise ValueError(f"draw: max_nodes must be at least 1, got {max_nodes}")
    kept: set[int] = {id(root)}
    queue = deque([root])
    while queue and len(kept) < max_nodes:
        for parent in queue.popleft()._prev:
            if id(parent) not in kept and len(kept) < max_nodes:
                kept.add(id(parent))
                queue.append(parent)
    return kept


FAN_OUT_LIMIT = 24
"""dot places nodes by network simplex, unbounded by default. A value used by more ops than this
(say at every step of a loop: long edges across many ranks) took it minutes at 60 uses; there,
drawings cap it at 2 passes per node (``nslimit=2``): seconds. Elsewhere the cap would cost more
than it saves (a rougher placement makes the edges slower to route), so it is left off."""


LARGE_GRAPH = 500
"""Beyond this many values drawn, dot's node placement (network simplex over every node, long
edges included) dominates: a 1,290-op graph took 6.6 s there. It is capped at 0.2 passes per
node (``nslimit=0.2``): 1.3 s for that graph, with no difference to be seen at its size."""


def _widest_fan_out(nodes: list[Any]) -> int:
    """The largest number of uses of one node among ``nodes``' inputs."""
    uses = Counter(id(parent) for node in nodes for parent in node._prev)
    return max(uses.values(), default=0)


def paint(root: Any, look: Look | None = None, *, rankdir: str = "LR", fmt: str = ".4f",
          show_grad: bool = True, max_nodes: int | None = 300,
          scopes: Mapping[int, tuple[Any, Any]] | None = None, names: Any = None,
          order: list[Any] | None = None, thumbnails: bool = True) -> Drawing:
    """Draw the graph of ``root`` as ``look`` says (the engine behind :func:`draw` and frames)."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    check_fmt(fmt)
    look = look or Look()
    order = order if order is not None else topological_order(root)
    named = name_map(names)
    names_of = node_names(order, named)
    index = {id(n): k for k, n in enumerate(order)}
    kept = _keep(root, order, max_nodes)
    shown = [n for n in order if kept is None or id(n) in kept]
    titles: dict[str, str] = {}
    paths = clusters(order, scopes, named, titles) if scopes else {}

    g = Drawing(graph_attr={
        "rankdir": rankdir, "fontname": FONT, "bgcolor": "white", "nodesep": "0.25",
        "ranksep": "0.35"})
    if len(shown) > LARGE_GRAPH:
        g.attr(nslimit="0.2")  # see LARGE_GRAPH
    elif _widest_fan_out(shown) > FAN_OUT_LIMIT:
        g.attr(nslimit="2")  # see FAN_OUT_LIMIT
    g.attr("node", shape="record", fontname=FONT, fontsize="11", style="filled",
           fillcolor="white", color="#444444", height="0.3")
    g.attr("edge", color="#666666", arrowsize="0.7")
    if look.caption:
        g.attr(label=_dot_text(look.caption), labelloc="b", labeljust="l", fontsize="12",
               fontname="Courier")

    current = id(look.current) if look.current is not None else None
    tint = FORWARD if look.mode == "forward" else BACKWARD
    statements: dict[tuple[str, ...], list[tuple[str, str, dict[str, str]]]] = {}

    def add(path: tuple[str, ...], node_id: str, label: str, attrs: dict[str, str]) -> None:
        statements.setdefault(path, []).append((node_id, label, attrs))

    folded = fold(shown, paths, look.collapsed, index)
    for name, (path, note_id) in notes(shown, paths, folded, look.collapsed).items():
        add(path, note_id, f"{name}: {look.collapsed[name]}",
            {"id": note_id, "shape": "note", "style": "filled,dashed", "fillcolor": "#f7f7f7",
             "fontsize": "10"})
    for node in shown:
        key, k = id(node), index[id(node)]
        if key in folded:  # inside a module drawn as one note
            continue
        attrs: dict[str, str] = {"id": f"v{k}"}
        if key in look.hidden:
            attrs["style"] = "invis"
        elif key == current:
            fill = FORWARD_FILL if look.mode == "forward" else BACKWARD_FILL
            attrs.update(fillcolor=fill, color=tint, penwidth="2.5", **{"class": "current"})
        elif key in look.bad:
            attrs.update(fillcolor=BAD_FILL, color=BAD, penwidth="2.5", **{"class": "bad"})
        elif key in look.receiving:
            attrs.update(fillcolor=RECEIVING_FILL, color=tint, **{"class": "receiving"})
        elif key in look.highlight:
            attrs.update(fillcolor=HIGHLIGHT_FILL, penwidth="2", **{"class": "highlight"})
        elif key in look.done:
            attrs.update(fillcolor=DONE_FILL, **{"class": "done"})
        fields = look.fields.get(key) or _value_fields(node, names_of[node], fmt, show_grad)
        if thumbnails and has_pictures(node):  # an HTML-like table with heat maps
            pictures = look.pictures.get(key) or {"data": node.data, "grad": node.grad}
            shown_pictures = {kind: a for kind, a in pictures.items()
                              if show_grad or kind == "data"}
            label = table_label(fields, shown_pictures, attrs, node.data.shape)
            attrs.update(shape="none", margin="0",
                         style="invis" if key in look.hidden else "solid")
        else:
            label = _record(fields, rankdir)
        if key in look.sizes:
            attrs.update(width=look.sizes[key][0], height=look.sizes[key][1], fixedsize="true")
        add(paths.get(key, ()), f"v{k}", label, attrs)
        if node._op is not None:
            op_attrs = {"id": f"v{k}_op", "shape": "circle", "fontsize": "12", "width": "0.35",
                        "fixedsize": "false", "margin": "0.02", "fillcolor": "#f2f2f2"}
            if key in look.hidden:
                op_attrs["style"] = "invis"
            elif key == current:
                op_attrs.update(fillcolor=tint, fontcolor="white", color=tint, penwidth="2")
            elif key in look.bad:
                op_attrs.update(fillcolor=BAD, fontcolor="white", color=BAD, penwidth="2",
                                tooltip=look.bad[key])
            add(paths.get(key, ()), f"v{k}_op", node._op.symbol, op_attrs)

    emit(g, statements, titles)

    joined: set[tuple[str, str]] = set()  # edges to or from a note, each drawn once
    for node in shown:
        key, k = id(node), index[id(node)]
        if node._op is None:
            continue
        hidden = key in look.hidden
        flowing = key == current
        if key not in folded:
            g.edge(f"v{k}_op", f"v{k}", **_edge_attrs(hidden, flowing, look.mode, ""))
        for i, parent in enumerate(node._prev):
            if kept is not None and id(parent) not in kept:
                continue
            if key in folded or id(parent) in folded:
                ends = (folded.get(id(parent), f"v{index[id(parent)]}"),
                        folded.get(key, f"v{k}_op"))
                if ends[0] != ends[1] and ends not in joined:
                    joined.add(ends)
                    g.edge(*ends)
                continue
            label = look.edge_labels[i] if flowing and i < len(look.edge_labels) else ""
            attrs = _edge_attrs(hidden or id(parent) in look.hidden, flowing, look.mode, label)
            if look.sizes and "label" in attrs:  # an external label leaves the layout alone
                attrs["xlabel"] = attrs.pop("label")
            g.edge(f"v{index[id(parent)]}", f"v{k}_op", **attrs)

    if kept is not None:
        _collapse_note(g, shown, kept, index, len(order) - len(shown), max_nodes)
    return g


def _dot_text(text: str) -> str:
    """Free text for a plain DOT label: lines left-justified."""
    return "\\l".join(text.replace("\\", "\\\\").split("\n")) + "\\l"


def _edge_attrs(hidden: bool, flowing: bool, mode: str, label: str) -> dict[str, str]:
    if hidden:
        return {"style": "invis"}
    if not flowing:
        return {}
    tint = FORWARD if mode == "forward" else BACKWARD
    attrs = {"color": tint, "penwidth": "2.5", "class": "flow"}
    if mode == "backward":
        attrs["dir"] = "back"  # the gradient runs against the arrow of the forward pass
    if label:
        attrs.update(label=label, fontcolor=tint, fontsize="10", fontname=FONT)
    return attrs


def _collapse_note(g: graphviz.Digraph, shown: list[Any], kept: set[int], index: dict[int, int],
                   hidden_count: int, max_nodes: int) -> None:
    g.node("collapsed", f"... {hidden_count} more node(s) not drawn\\n(max_nodes={max_nodes}; "
           "pass max_nodes=None to draw all)", shape="note", style="dashed,filled",
           fillcolor="#f7f7f7", fontsize="10")
    for node in shown:
        if node._op is not None and any(id(p) not in kept for p in node._prev):
            g.edge("collapsed", f"v{index[id(node)]}_op", style="dashed", color="#999999")


def draw(root: Any, *, rankdir: str = "LR", fmt: str = ".4f", show_grad: bool = True,
         max_nodes: int | None = 300, scopes: Mapping[int, tuple[Any, Any]] | None = None,
         names: Any = None, highlight: Any = None, check_rules: bool = False,
         thumbnails: bool = True) -> Drawing:
    """Draw the graph of ``root`` (a Value or a Tensor) as a :class:`graphviz.Digraph`.

    Args:
        root: the output node, usually the loss.
        rankdir: ``"LR"`` (inputs left, loss right), ``"TB"``, ``"RL"`` or ``"BT"``.
        fmt: how numbers are written, e.g. ``".4f"`` or ``".3g"``.
        show_grad: False draws the forward pass only (values, no gradients).
        max_nodes: draw at most this many values, those nearest the root; a note stands for the
            rest. None draws everything.
        scopes: the dict from ``with autograd.record_scopes() as scopes:``; the nodes made inside
            each module (or named scope) are drawn in one cluster.
        names: a model (an ``nn.Module``, or anything with ``named_parameters()`` and
            ``named_modules()``): its parameters are drawn by their dotted names (``0.weight``),
            winning over labels, and its modules' names and classes title the clusters
            (``0 Conv2D``). Or cluster titles
            only: ``{module: "name"}`` or ``model.named_modules()``-style pairs
            ``(name, module)`` (a node given a name there is drawn by it). Dotted names nest
            (``layers.0`` inside ``layers``); without a name a cluster shows the owner's short
            repr or class name. Unlabelled constants are drawn by their value (``0.5``).
        highlight: a node, or nodes, to mark in yellow.
        check_rules: run :func:`autograd.gradcheck_graph` and colour in red the ops whose
            local gradient rule disagrees with finite differences.
        thumbnails: a Tensor whose data is image-like (a feature map, a kernel, a weight
            matrix: :func:`autograd.see.thumbnails.image_like`) shows heat maps of its data
            and of its gradient under their numbers. False writes numbers only.

    Returns:
        A ``graphviz.Digraph`` (a :class:`autograd.see.picture_nodes.Drawing`, whose SVG holds
        its pictures): ``.render("graph", format="png")``, ``.pipe(format="svg")``, or display
        it in Jupyter.
    """
    look = Look()
    if highlight is not None:
        many = isinstance(highlight, list | tuple | set | frozenset)
        look.highlight = {id(n) for n in (highlight if many else [highlight])}
    if check_rules:
        from .graphcheck import gradcheck_graph
        found = gradcheck_graph(root)
        look.bad = {id(bad.node): bad.note() for bad in found}
        if found:
            look.caption = "\n".join(["In red: ops whose gradient rule disagrees with finite "
                                      "differences"] + [str(bad) for bad in found])
    return paint(root, look, rankdir=rankdir, fmt=fmt, show_grad=show_grad, max_nodes=max_nodes,
                 scopes=scopes, names=names, thumbnails=thumbnails)


def to_dot(root: Any, **options: Any) -> str:
    """The DOT source of :func:`draw` (same options): text, handy for tests and diffs."""
    return draw(root, **options).source

