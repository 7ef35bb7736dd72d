"""The HTML player: one self-contained page that plays the forward pass, then the backward pass.

``save_html(loss, "backprop.html")`` lays the graph out once with graphviz (one inline SVG, every
node in its place from the first step) and writes a single HTML file with inline CSS, JavaScript
and the timeline of both passes (:mod:`autograd.see.timeline`) as JSON, with no network access:
open it in any browser, offline. At each step the numbers change in place: nodes not computed
yet are faded, the current node and its edges are highlighted, the nodes whose gradient grows
are tinted. The text of each step, the forward computation or the chain-rule lines, is shown
under the graph.

Controls: play/pause, previous/next, a slider, and the keyboard (left/right arrows, space to play
or pause, Home/End). The graph fits the window; the mouse wheel or ``+``/``-`` zooms, dragging or
Shift+arrows pans, ``0`` (or ``f``, or the Fit button) fits it again. The address may name a
step: ``backprop.html#12``.

In the page, ``<body>`` carries the phase as its class and ``data-step`` and ``data-node`` (the
current node's name); the current node is the SVG group with class ``current``;
``window.glassgrad`` has ``show(k)``, ``step``, ``zoom``, ``pan``, ``fit``, ``viewBox``,
``setClosed(box, closed)``, ``setAll(closed)`` and ``owner(k)`` (the closed box showing node k).
Module boxes: with ``scopes``, every module's nodes start closed in one box drawn over its
cluster (the layout stays the same); open boxes show their nodes and inner boxes.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from .clusters import clusters
from .frames import widest_graph
from .picture_nodes import has_pictures, thumbnail
from .player_page import SCRIPT, STYLE
from .text import name_map
from .thumbnails import data_uri
from .timeline import Timeline, timeline

__all__ = ["LAYOUT_LIMIT", "save_html"]


LAYOUT_LIMIT = 1500
"""The most op nodes one page lays out whole: dot takes about 1.6 s for 1,300 ops on 2 cores
(docs/benchmarks.md) and grows faster than the graph (26 s for 2,575 ops before its placement
was capped, 19 s for 5,151 after)."""


MODULE_HINT = ("No module boxes: they need the modules each node was made in. Run the forward "
               "pass inside `with autograd.record_scopes() as scopes:` and pass scopes=scopes.")


def _fit(line: Timeline, paths: list[list[str]], limit: int) -> tuple[dict[str, str], int | None,
                                                                     str]:
    """What a graph of more than ``limit`` ops leaves out of its one layout, and what the page
    says of it: modules drawn as one note each (from the deepest level that is enough), else
    only the ``limit`` values nearest the root."""
    ops = [n._op is not None for n in line.order]
    total = sum(ops)
    if total <= limit:
        return {}, None, ""
    head = (f"This graph has {total:,} ops, more than the {limit:,} one layout holds "
            f"(layout_limit): ")
    for depth in range(max(map(len, paths), default=0) - 1, -1, -1):
        folded = {path[depth] for path in paths if len(path) > depth}
        inside: dict[str, int] = {}
        for path, op in zip(paths, ops):
            if len(path) > depth and op:
                inside[path[depth]] = inside.get(path[depth], 0) + 1
        if sum(op for path, op in zip(paths, ops) if len(path) <= depth) + len(folded) <= limit:
            notes = {name: f"{inside.get(name, 0):,} ops, not laid out" for name in folded}
            return notes, None, head + (
                f"its {len(folded):,} modules at depth {depth + 1} are each drawn as one note. "
                "Their steps still play, in their boxes.")
    return {}, limit, head + (
        f"only the {limit:,} values nearest {line.names[line.order[-1]]} are drawn; one note "
        "stands for the rest. Record modules (scopes=) to fold them instead, or play a smaller "
        "graph.")


def _svg(line: Timeline, root: Any, options: dict[str, Any], collapsed: dict[str, str]) -> str:
    """The one layout: every node with the widest text each of its fields will show."""
    graph = widest_graph(line, root, collapsed=collapsed, **options)
    svg = graph.pipe(format="svg").decode("utf-8")
    return svg[svg.index("<svg"):]


def _boxes(line: Timeline, options: dict[str, Any]) -> tuple[list[list[str]], list[dict]]:
    """Each node's module boxes, outermost first (as the drawing's clusters, from ``scopes``),
    and every box with the boxes around it."""
    scopes = options.get("scopes")
    if not scopes:
        return [[] for _ in line.order], []
    titles: dict[str, str] = {}
    paths = clusters(line.order, scopes, name_map(options.get("names"), "save_html"), titles)
    per_node = [list(paths.get(id(node), ())) for node in line.order]
    around: dict[str, list[str]] = {}
    for path in per_node:
        for i, name in enumerate(path):
            around.setdefault(name, path[:i])
    return per_node, [{"name": name, "title": titles.get(name, name), "parents": parents}
                      for name, parents in around.items()]


class _Pictures:
    """The page's heat maps, each data URI once: ``uris`` and the index of each picture."""

    def __init__(self) -> None:
        self.uris: list[str] = []
        self.index: dict[str, int] = {}

    def add(self, array: Any, kind: str, shape: tuple[int, ...]) -> int:
        uri = data_uri(thumbnail(array, kind, shape))
        if uri not in self.index:
            self.index[uri] = len(self.uris)
            self.uris.append(uri)
        return self.index[uri]


def _timeline_json(line: Timeline, options: dict[str, Any], per_node: list[list[str]],
                   boxes: list[dict]) -> str:
    index = {id(n): k for k, n in enumerate(line.order)}
    pictures = _Pictures()
    shapes = [np.shape(n.data) for n in line.order]
    show = options.get("thumbnails", True)
    blank = [pictures.add(None, "grad", shapes[k]) if show and has_pictures(n) else None
             for k, n in enumerate(line.order)]  # a white map: nothing computed yet
    data = {
        "boxes": boxes,
        "nodes": [{"id": f"v{k}", "name": line.names[node], "fields": len(line.widest[k]),
                   "born": line.born[k], "processed": line.processed[k],
                   "parents": [index[id(p)] for p in node._prev], "box": per_node[k],
                   "blank": blank[k]}
                  for k, node in enumerate(line.order)],
        "steps": [{"phase": s.phase, "index": s.index, "current": s.current, "text": s.text,
                   "changes": s.changes, "receiving": s.receiving,
                   "pictures": [[k, kind, pictures.add(array, kind, shapes[k])]
                                for k, kind, array in s.arrays if show]}
                  for s in line.steps],
        "pictures": pictures.uris,
    }
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def save_html(root: Any, path: str | Path, *, title: str | None = None, fmt: str = ".4f",
              rankdir: str = "LR", interval_ms: int = 1200, max_steps: int | None = None,
              layout_limit: int = LAYOUT_LIMIT, **draw_options: Any) -> Path:
    """Write a self-contained HTML page that plays the forward then the backward pass of ``root``.

    Args:
        root: the output node (the loss).
        path: where to write the ``.html`` file.
        title: the page's title (default: "Forward and backward pass of <root name>").
        fmt, rankdir: as for :func:`autograd.draw`; other ``draw`` options (``scopes``,
            ``names``, ``max_nodes``: by default every node is drawn) are passed on too. With
            ``scopes`` (from ``with autograd.record_scopes() as scopes:``), each module's nodes
            start closed in one box, titled by ``names`` (``model.named_modules()``); clicking a
            box opens it, clicking an open module's title closes it, and "by module" steps over
            a closed box in one step. ``thumbnails=False`` leaves out the heat maps of Tensors
            with image-like data (shown by default, their gradient changing step by step).
        interval_ms: time per step when playing.
        max_steps: refuse graphs with more op nodes than this (default: no limit).
        layout_limit: the most op nodes laid out whole (:data:`LAYOUT_LIMIT`). A bigger graph
            still plays every step, and the page says what it leaves out of the picture: each
            module (from ``scopes``) at the deepest level that brings it under the limit is
            drawn as one note; without modules, or if even that is too much, only the
            ``layout_limit`` values nearest the root are drawn.

    Returns:
        The path written. The gradients of the graph are left as they were.
    """
    if interval_ms <= 0:
        raise ValueError(f"save_html: interval_ms must be positive, got {interval_ms}")
    line = timeline(root, fmt, draw_options.get("names"))
    ops = sum(1 for n in line.order if n._op is not None)
    if max_steps is not None and ops > max_steps:
        raise ValueError(f"save_html: the graph has {ops} op nodes, more than max_steps="
                         f"{max_steps}. Play a smaller graph, or raise max_steps")
    if isinstance(layout_limit, bool) or not isinstance(layout_limit, int) or layout_limit < 1:
        raise ValueError(f"save_html: layout_limit must be a positive whole number of ops, "
                         f"got {layout_limit!r}")
    options = {"fmt": fmt, "rankdir": rankdir, "max_nodes": None, **draw_options}
    per_node, boxes = _boxes(line, options)
    collapsed, max_nodes, note = _fit(line, per_node, layout_limit)
    if max_nodes is not None and options["max_nodes"] is None:
        options["max_nodes"] = max_nodes
    if callable(getattr(options.get("names"), "named_modules", None)) and not boxes:
        note = " ".join(filter(None, [note, MODULE_HINT]))
    svg = _svg(line, root, options, collapsed)
    timeline_json = _timeline_json(line, options, per_node, boxes)
    title = title or f"Forward and backward pass of {line.names[root]}"
    steps = len(line.steps)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body class="forward">
<header><h1>{html.escape(title)}</h1><span id="phase"></span>
<span class="help">&larr; &rarr; step, space plays, Home/End jump; wheel or +/&minus; zooms, drag
or Shift+arrows pans, 0 fits</span>
</header>
{f'<p id="note">{html.escape(note)}</p>' if note else ""}
<main id="view">{svg}</main>
<pre id="text"></pre>
<nav>
<button id="prev" title="previous step (left arrow)">&#9664; Prev</button>
<button id="play" title="play or pause (space)">&#9654; Play</button>
<button id="next" title="next step (right arrow)">Next &#9654;</button>
<input type="range" id="slider" min="0" max="{steps - 1}" value="0" aria-label="step">
<button id="fit" title="fit the graph to the window (0)">Fit</button>
<span class="boxes-only"><label title="step over a closed box in one step (m)"><input
type="checkbox" id="bymodule"> by module</label>
<button id="openall" title="open every module box">Open all</button>
<button id="closeall" title="close every module box">Close all</button></span>
<span id="counter"></span>
</nav>
<script type="application/json" id="timeline">{timeline_json}</script>
<script>{SCRIPT.replace("INTERVAL", str(int(interval_ms)))}</script>
</body>
</html>
"""
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path
