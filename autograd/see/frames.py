"""Frames of both passes: one picture per step, and the words that go with each.

:func:`forward_frames` reveals the nodes in the order they were computed, each with its value;
:func:`backward_frames` follows :func:`autograd.backward_steps`: the node being processed, the edges
its gradient flows back along (labelled with what each parent receives), the nodes already done
and the running gradients. The backward frames replay the real backward pass on the graph, so the
numbers shown are exactly what the engine computes; the gradients the graph held before are put
back afterwards. :func:`save_frames` writes the pictures as numbered files.

>>> from autograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> L = a * b + a; L.label = "L"
>>> len(forward_frames(L)), len(backward_frames(L))  # the inputs, then one frame per op
(3, 3)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import graphviz

from .timeline import Timeline, timeline
from .viz import Look, paint

__all__ = [
    "Moment", "backward_frames", "forward_frames", "moments",
    "node_sizes", "render_all", "save_frames", "widest_graph",
]

class Moment:
    """One frame to be: its picture (a Digraph), its text and the name of its current node."""

    __slots__ = ("graph", "text", "phase", "node")

    def __init__(self, graph: graphviz.Digraph, text: str, phase: str, node: str) -> None:
        self.graph, self.text, self.phase, self.node = graph, text, phase, node


def widest_graph(line: Timeline, root: Any, *, collapsed: dict[str, str] | None = None,
                 **options: Any) -> graphviz.Digraph:
    """The graph with every record holding the widest text its fields will show: the one
    layout of the player's page and of the frames (``collapsed``: see :class:`Look`)."""
    look = Look(fields={id(n): line.widest[k] for k, n in enumerate(line.order)},
                collapsed=collapsed or {})
    return paint(root, look, order=line.order, **options)


def node_sizes(line: Timeline, root: Any, **options: Any) -> dict[int, tuple[str, str]]:
    """Lay the graph out once, each record with the widest text its fields will hold, and
    return every value node's (width, height) in inches: the one layout of all the frames."""
    graph = widest_graph(line, root, **options)
    laid_out = json.loads(graph.pipe(format="json", quiet=True))  # json draws no pictures
    by_name = {o["name"]: o for o in laid_out.get("objects", []) if "width" in o}
    sizes = {}
    for k, node in enumerate(line.order):
        found = by_name.get(f"v{k}")
        if found is not None:
            sizes[id(node)] = (found["width"], found["height"])
    return sizes


def moments(root: Any, mode: str = "forward", *, caption: bool = True,
            **options: Any) -> Iterator[Moment]:
    """Yield the frames of one pass with their text (used by the frame functions).

    Every frame has the same layout: the nodes keep the sizes of one layout made with the
    widest numbers (:func:`node_sizes`), so ``dot`` puts them in the same places each time.
    The backward pass is replayed on the graph (:func:`autograd.see.timeline.timeline`); the
    gradients are put back afterwards.
    """
    if mode not in ("forward", "backward"):
        raise ValueError(f"frames: mode must be 'forward' or 'backward', got {mode!r}")
    line = timeline(root, options.get("fmt", ".4f"), options.get("names"))
    sizes = node_sizes(line, root, **options)
    order = line.order
    lines = max(len(stage.text.split("\n")) for stage in line.steps)  # captions of one height
    for stage, values, pictures in zip(line.steps, line.states(), line.pictures()):
        if stage.phase != mode:
            continue
        current = order[stage.current] if stage.current >= 0 else None
        text = stage.text + "\n " * (lines - len(stage.text.split("\n")))
        look = Look(current=current, mode=mode, caption=text if caption else "",
                    sizes=sizes, edge_labels=stage.edge_labels,
                    fields={id(n): line.fields(k, *values[k]) for k, n in enumerate(order)},
                    pictures={id(order[k]): kinds for k, kinds in pictures.items()})
        if mode == "forward":
            look.hidden = {id(n) for k, n in enumerate(order) if line.born[k] > stage.index}
        else:
            look.receiving = {id(order[k]) for k in stage.receiving}
            look.done = {id(n) for k, n in enumerate(order)
                         if line.processed[k] is not None and line.processed[k] < stage.index}
        name = line.names[current] if current is not None else ""
        yield Moment(paint(root, look, order=order, **options), stage.text, mode, name)


def forward_frames(root: Any, **options: Any) -> list[graphviz.Digraph]:
    """One picture per forward step: the inputs, then each op node as it is computed.

    Args:
        root: the output node.
        options: as for :func:`autograd.draw` (``rankdir``, ``fmt``, ``max_nodes``, ``scopes``,
            ``names``), plus ``caption=False`` to leave the text out of the pictures.
    """
    return [m.graph for m in moments(root, "forward", **options)]


def backward_frames(root: Any, **options: Any) -> list[graphviz.Digraph]:
    """One picture per backward step (after a first one showing the seed ``dL/dL = 1``).

    Each highlights the node being processed, the edges its gradient flows back along, the nodes
    already done and every running gradient. Options as for :func:`forward_frames`.
    """
    return [m.graph for m in moments(root, "backward", **options)]


def save_frames(frames: Sequence[graphviz.Digraph], directory: str | Path, format: str = "svg",
                prefix: str = "frame") -> list[Path]:
    """Render frames to ``directory/frame_000.svg``, ``frame_001.svg``, ... and return the paths.

    Args:
        frames: pictures from :func:`forward_frames` / :func:`backward_frames`.
        directory: created if missing.
        format: ``"svg"`` or ``"png"`` (any graphviz output format works).
        prefix: the start of each file name.
    """
    if isinstance(frames, graphviz.Digraph):
        raise TypeError("save_frames: pass a list of frames (e.g. backward_frames(loss)), "
                        "not one graph; a graph has .render()")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(frames) - 1)))
    paths = []
    for k, picture in enumerate(render_all(frames, format)):
        path = directory / f"{prefix}_{k:0{width}d}.{format}"
        path.write_bytes(picture)
        paths.append(path)
    return paths


def render_all(graphs: Sequence[graphviz.Digraph], format: str) -> list[bytes]:
    """Render each graph with graphviz's ``dot``, as many at a time as there are CPUs (each
    rendering is a process of its own), and return the outputs in order."""
    with ThreadPoolExecutor(max(1, min(len(graphs), os.cpu_count() or 1))) as pool:
        return list(pool.map(lambda graph: graph.pipe(format=format), graphs))
