"""Walk through the backward (or forward) pass of a script's ``loss`` from the shell.

Usage::

    python -m autograd.see FILE.py [--forward] [--name loss] [--fmt .4f]
                                    [--html page.html] [--png DIR] [--model model]
                                    [--scopes scopes]

``FILE.py`` is run as a script (``__name__ == "__main__"``) and must define the output node, by
default the variable ``loss``, a Value or a Tensor. Then an interactive walker opens (see
:func:`autograd.walk`); type a command and press Enter:

=========  =======================================================
Enter, n   next step (the chain rule at the next node)
p          previous step
r          run to the end
g K        go to step K (0 is the start)
t          table of all nodes with their data and gradients so far
d FILE     save the graph at this step (FILE.png, .svg or .pdf)
f / b      switch to the forward / backward pass (from the start)
h          help
q          quit (also end of input, Ctrl-D)
=========  =======================================================

``--html page.html`` also writes the HTML player (:func:`autograd.save_html`) and ``--png DIR``
the frames of both passes as numbered PNG files. If the script defines ``model`` (an
``nn.Module``; ``--model NAME`` for another variable), its parameters are named as the model
names them (``0.weight``); if it defines ``scopes`` (``with autograd.record_scopes() as
scopes:``), the player starts with each module in a box and the frames draw module clusters.
For example, with ``neuron.py``::

    from autograd import Value
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    loss = (x * w + b).tanh(); loss.label = "loss"

``python -m autograd.see neuron.py`` then ``n`` (Enter), ``n``, ... explains each step.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from .frames import backward_frames, forward_frames, save_frames
from .player import save_html
from .stepper import walk

HELP = """commands: Enter/n next, p previous, r run to the end, g K go to step K, t table,
          d FILE save the drawing, f forward pass, b backward pass, h help, q quit"""


def _run(path: str) -> dict:
    if not Path(path).is_file():
        raise SystemExit(f"autograd.see: no such file: {path}")
    return runpy.run_path(path, run_name="__main__")


def _load(namespace: dict, path: str, name: str) -> object:
    if name not in namespace:
        raise SystemExit(f"autograd.see: {path} defines no variable {name!r}; assign the "
                         f"output node to {name} (or pass --name)")
    root = namespace[name]
    if not hasattr(root, "_prev") or not hasattr(root, "data"):
        raise SystemExit(f"autograd.see: {name} in {path} is a {type(root).__name__}, "
                         "not a Value or a Tensor")
    return root


def _save_drawing(walker: object, arg: str, out: Callable[[str], None]) -> None:
    if not arg:
        out("d needs a file name, e.g. d step.png")
        return
    target = Path(arg)
    fmt = target.suffix.lstrip(".") or "png"
    target.with_suffix(f".{fmt}").write_bytes(walker.draw().pipe(format=fmt))
    out(f"saved {target.with_suffix(f'.{fmt}')}")


def _extras(namespace: dict, model: str, scopes: str) -> dict[str, Any]:
    """``names=`` the script's model (anything with ``named_parameters()``) and ``scopes=`` its
    ``record_scopes`` dict, when it defines them under these names."""
    found: dict[str, Any] = {}
    if callable(getattr(namespace.get(model), "named_parameters", None)):
        found["names"] = namespace[model]
    if isinstance(namespace.get(scopes), dict):
        found["scopes"] = namespace[scopes]
    return found


def interact(root: object, mode: str = "backward", fmt: str = ".4f", stdin: TextIO | None = None,
             stdout: TextIO | None = None, names: Any = None) -> None:
    """The command loop: read commands from ``stdin`` and show the walker on ``stdout``
    (``names``: a model whose parameter names name the nodes)."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout

    def out(text: str) -> None:
        print(text, file=stdout, flush=True)

    walker = walk(root, mode, fmt=fmt, names=names)
    out(str(walker))
    out(HELP)
    while True:
        stdout.write(f"[{walker.mode} {walker.position}/{walker.total}] > ")
        stdout.flush()
        line = stdin.readline()
        if not line:  # end of input
            out("")
            return
        command, _, arg = line.strip().partition(" ")
        arg = arg.strip()
        if command in ("", "n", "next"):
            out(str(walker.next()))
        elif command in ("p", "prev"):
            out(str(walker.prev()))
        elif command in ("r", "run"):
            out(str(walker.run()))
        elif command in ("g", "goto"):
            try:
                out(str(walker.goto(int(arg))))
            except ValueError as error:
                out(f"g needs a step number between 0 and {walker.total} ({error})")
        elif command in ("t", "table"):
            out(str(walker.table()))
        elif command in ("d", "draw"):
            _save_drawing(walker, arg, out)
        elif command in ("f", "forward", "b", "backward"):
            walker = walk(root, "forward" if command.startswith("f") else "backward", fmt=fmt,
                          names=names)
            out(str(walker))
        elif command in ("h", "help", "?"):
            out(HELP)
        elif command in ("q", "quit", "exit"):
            return
        else:
            out(f"unknown command {command!r}; {HELP}")


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m autograd.see FILE.py``: see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m autograd.see",
        description="Step through the backward (or forward) pass of the `loss` a script defines.")
    parser.add_argument("file", help="a Python script that defines the output node")
    parser.add_argument("--name", default="loss", help="the variable holding it (default: loss)")
    parser.add_argument("--forward", action="store_true", help="walk the forward pass")
    parser.add_argument("--fmt", default=".4f", help="number format (default: .4f)")
    parser.add_argument("--html", help="also write the HTML player to this file")
    parser.add_argument("--png", help="also write the frames of both passes into this directory")
    parser.add_argument("--model", default="model",
                        help="the variable holding the model whose parameter names name the "
                             "nodes, if the script defines it (default: model)")
    parser.add_argument("--scopes", default="scopes",
                        help="the variable holding record_scopes()'s dict, if the script "
                             "defines it: module boxes in the player (default: scopes)")
    args = parser.parse_args(argv)
    namespace = _run(args.file)
    root = _load(namespace, args.file, args.name)
    extras = _extras(namespace, args.model, args.scopes)
    if args.html:
        print(f"wrote {save_html(root, args.html, fmt=args.fmt, **extras)}")
    if args.png:
        paths = save_frames(forward_frames(root, fmt=args.fmt, **extras), args.png, "png",
                            "forward")
        paths += save_frames(backward_frames(root, fmt=args.fmt, **extras), args.png, "png",
                             "backward")
        print(f"wrote {len(paths)} frames into {args.png}")
    interact(root, "forward" if args.forward else "backward", args.fmt,
             names=extras.get("names"))


if __name__ == "__main__":
    main()
