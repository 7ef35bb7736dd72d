"""Modules in the drawings: clusters from ``record_scopes``, their titles, and folded modules.

``with autograd.record_scopes() as scopes:`` records the module (or named scope) each node was
made in. :func:`clusters` turns that into each node's path of nested clusters, named by
``names`` (a model's dotted module names); :func:`emit` writes the node statements nested in one
``subgraph cluster_<name>`` per module; :func:`folded` and :func:`notes` stand one note for all
the nodes of a module that a page too big to lay out whole leaves out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import graphviz

from ..engine import BackwardOf

__all__ = ["clusters", "emit", "folded", "notes"]

FONT = "Helvetica"
"""The drawings' font."""


def _owner_name(owner: Any, names: Mapping[int, str], seen: dict[str, int]) -> str:
    if names.get(id(owner)):  # "" is the root of named_modules(): use its class name
        return names[id(owner)]
    if isinstance(owner, str):
        return owner
    if isinstance(owner, BackwardOf):  # the nodes a recorded backward pass made for one rule
        text = f"backward of {owner.node._op.symbol}"
        seen[text] = seen.get(text, 0) + 1
        return text if seen[text] == 1 else f"{text} #{seen[text]}"
    text = repr(owner)
    if "\n" in text or len(text) > 40 or " object at 0x" in text:
        text = type(owner).__name__
    seen[text] = seen.get(text, 0) + 1
    return text if seen[text] == 1 else f"{text} #{seen[text]}"


def clusters(order: list[Any], scopes: Mapping[int, tuple[Any, Any]],
              names: Mapping[int, str], titles: dict[str, str] | None = None,
              ) -> dict[int, tuple[str, ...]]:
    """id(node) -> cluster path, e.g. ``("layers", "layers.0", "layers.0.neurons.1")``.

    A node belongs to the innermost scope it was made in. A leaf (a parameter, made outside any
    call) joins its consumers' cluster when they all share one. Dotted names nest:
    ``layers.0.neurons.1`` sits inside ``layers.0`` when that is also a name in ``names``; a scope
    named by a string, like ``"layer.neuron0"``, sits inside one for each prefix (``"layer"``).
    ``titles``, if given, receives each named module's title: its name and class (``0 Conv2D``).
    """
    seen: dict[str, int] = {}
    owner_names: dict[int, str] = {}
    dotted: set[str] = set()
    home: dict[int, str] = {}
    for node in order:
        entry = scopes.get(id(node))
        if entry is not None and entry[0] is node:
            owner = entry[1]
            if id(owner) not in owner_names:
                owner_names[id(owner)] = name = _owner_name(owner, names, seen)
                if isinstance(owner, str):
                    dotted.add(name)
            home[id(node)] = owner_names[id(owner)]
    consumers: dict[int, set[str | None]] = {}
    for node in order:
        for parent in node._prev:
            consumers.setdefault(id(parent), set()).add(home.get(id(node)))
    for node in order:
        if not node._prev and id(node) not in home:
            users = consumers.get(id(node), set())
            if len(users) == 1 and None not in users:
                home[id(node)] = next(iter(users))
    known = set(names.values())
    paths = {}
    for key, name in home.items():
        parts = name.split(".")
        prefixes = [".".join(parts[:i]) for i in range(1, len(parts))]
        paths[key] = tuple(p for p in prefixes if name in dotted or p in known) + (name,)
    kinds = getattr(names, "kinds", {})
    if titles is not None:  # a module's name and class
        titles.update((p, f"{p} {kinds[p]}") for path in paths.values() for p in path
                      if p in kinds)
    return paths


def folded(shown: list[Any], paths: Mapping[int, tuple[str, ...]],
            collapsed: Mapping[str, str], index: Mapping[int, int]) -> dict[int, str]:
    """id(node) -> the id of the note standing for its module, for the nodes in a collapsed
    module (the outermost on their path): ``v<k>_m``, k the module's first node."""
    out: dict[int, str] = {}
    first: dict[str, int] = {}
    for node in shown:
        name = next((p for p in paths.get(id(node), ()) if p in collapsed), None)
        if name is not None:
            out[id(node)] = f"v{first.setdefault(name, index[id(node)])}_m"
    return out


def notes(shown: list[Any], paths: Mapping[int, tuple[str, ...]], folded: Mapping[int, str],
           collapsed: Mapping[str, str]) -> dict[str, tuple[tuple[str, ...], str]]:
    """Each collapsed module's cluster path (ending with its name) and the id of its note."""
    out: dict[str, tuple[tuple[str, ...], str]] = {}
    for node in shown:
        if id(node) in folded:
            path = paths[id(node)]
            name = next(p for p in path if p in collapsed)
            out.setdefault(name, (path[:path.index(name) + 1], folded[id(node)]))
    return out


def emit(g: graphviz.Digraph, statements: dict[tuple[str, ...], list],
          titles: Mapping[str, str]) -> None:
    """Write node statements, nesting one subgraph cluster per module path."""
    def write(target: graphviz.Digraph, items: list) -> None:
        for node_id, label, attrs in items:
            target.node(node_id, label, **attrs)

    def nest(target: graphviz.Digraph, prefix: tuple[str, ...]) -> None:
        write(target, statements.get(prefix, []))
        children = sorted({p[len(prefix)] for p in statements
                           if len(p) > len(prefix) and p[:len(prefix)] == prefix})
        for child in children:
            with target.subgraph(name=f"cluster_{child}") as sub:
                sub.attr(label=titles.get(child, child), style="rounded,dashed", color="#8a8a8a",
                         fontsize="11", fontname=FONT, fontcolor="#555555", labeljust="l")
                nest(sub, prefix + (child,))

    nest(g, ())
