"""See the graph: drawings, frames of both passes, the REPL walker, the HTML player, rule checks.

These tools only read the graph and replay the engine's backward pass; the engine never imports
them. Each name loads its module on first use, so ``import autograd`` loads neither graphviz nor
the drawing code. From a shell, ``python -m autograd.see FILE.py`` walks the ``loss`` a script
defines (see :mod:`autograd.see.__main__`).

====================  ============  =====================================================
name                  module        what it is
====================  ============  =====================================================
backward_steps, Step  steps         backpropagation one step at a time, in words
walk, walk_forward    stepper       a REPL walker over either pass
draw, to_dot          viz           the graph as a graphviz Digraph, or its DOT text
forward_frames,       frames        one picture per step, and ``save_frames`` to write
backward_frames                     them as numbered files
save_html             player        a self-contained page that plays both passes
gradcheck_graph,      graphcheck    find the op whose gradient rule is wrong
RuleMismatch
====================  ============  =====================================================
"""

from __future__ import annotations

import importlib
from typing import Any

HOMES = {
    "Step": "steps", "backward_steps": "steps",
    "walk": "stepper", "walk_forward": "stepper",
    "draw": "viz", "to_dot": "viz",
    "forward_frames": "frames", "backward_frames": "frames", "save_frames": "frames",
    "save_html": "player",
    "gradcheck_graph": "graphcheck", "RuleMismatch": "graphcheck",
}
"""Each public name of :mod:`autograd.see` and the module that defines it."""

__all__ = sorted(HOMES)


def __getattr__(name: str) -> Any:
    if name not in HOMES:
        raise AttributeError(f"module 'autograd.see' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{HOMES[name]}", __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(HOMES))
