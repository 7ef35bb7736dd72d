"""The words of the pictures: node names, numbers and arrays as text, and the chain rule.

One formatter, :func:`format_data`, writes every number and array glassgrad shows (drawings,
walker, frames, steps, rule checks); :func:`short` is its one-line form. Node names are labels,
or ``n<k>`` by topological position for nodes without one.

>>> import numpy as np
>>> format_data(2.0), format_data(np.array([1.0, -2.5]), ".2f")
('2.0000', '[1.00, -2.50]')
>>> format_data(np.arange(100.0), ".1f"), short(np.zeros((3, 4)), ".2f")
('min 0.0, max 99.0', '<float64 array (3, 4)>')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "INFIX", "check_fmt", "format_data", "formula", "forward_text", "inputs_text", "node_names",
    "short", "wrap",
]

INFIX = {"+", "-", "*", "/", "**", "@"}


def format_data(x: Any, fmt: str = ".4f", max_values: int = 12) -> str:
    """A number formatted with ``fmt``; a small array's values; a large array's range."""
    if x is None:
        return "None"
    if isinstance(x, np.ndarray):
        x = x + 0.0  # booleans become numbers, -0.0 becomes 0.0
        if x.size <= max_values:
            if x.ndim == 0:
                return format(float(x), fmt)
            return np.array2string(x, separator=", ", max_line_width=60,
                                   formatter={"all": lambda v: format(float(v), fmt)})
        return f"min {format(float(x.min()), fmt)}, max {format(float(x.max()), fmt)}"
    try:
        return format(x + 0.0, fmt)  # + 0.0 turns -0.0 into 0.0
    except (TypeError, ValueError):
        return str(x)


def short(x: Any, fmt: str = ".4f") -> str:
    """:func:`format_data` on one line: a number, up to 4 values, or an array's dtype and shape."""
    if isinstance(x, np.ndarray) and x.size > 4:
        return f"<{x.dtype} array {tuple(x.shape)}>"
    return format_data(x, fmt).replace("\n", "")


def check_fmt(fmt: str) -> None:
    """Raise a ValueError naming ``fmt`` unless it formats a float."""
    try:
        format(1.0, fmt)
    except (TypeError, ValueError):
        raise ValueError(f"draw: fmt must be a float format such as '.4f' or '.3g', "
                         f"got {fmt!r}") from None


def node_names(order: Sequence[Any]) -> dict[Any, str]:
    """Each node's printable name: its label, else ``n<k>`` (its position in ``order``)."""
    return {n: (n.label or f"n{k}") for k, n in enumerate(order)}


def wrap(name: str) -> str:
    """A name fit for d/d notation: ``x1`` stays, ``x1*w1`` becomes ``(x1*w1)``."""
    return name if name.isidentifier() else f"({name})"


def formula(node: Any, args: Sequence[str]) -> str:
    """The op applied to ``args`` (names or numbers): ``a * b``, ``x ** 2``, ``tanh(c)``."""
    op = node._op
    if op.symbol in INFIX and len(args) == 2:
        return f"{args[0]} {op.symbol} {args[1]}"
    if op.uses_ctx and op.symbol in INFIX and len(args) == 1:
        return f"{args[0]} {op.symbol} {node._ctx!r}"
    return f"{op.symbol}({', '.join(args)})"


def forward_text(node: Any, names: dict[Any, str], fmt: str = ".4f") -> str:
    """How one node is computed, with numbers: ``c = a * b = 2.0000 * -3.0000 = -6.0000``."""
    args = [names[p] for p in node._prev]
    values = [short(p.data, fmt) for p in node._prev]
    return (f"{names[node]} = {formula(node, args)} = {formula(node, values)} = "
            f"{short(node.data, fmt)}")


def inputs_text(order: Sequence[Any], names: dict[Any, str], fmt: str = ".4f",
                limit: int = 8) -> str:
    """The leaves the forward pass starts from: ``inputs: a = 2.0000, b = -3.0000``."""
    leaves = [n for n in order if n._op is None]
    shown = ", ".join(f"{names[n]} = {short(n.data, fmt)}" for n in leaves[:limit])
    more = f" and {len(leaves) - limit} more" if len(leaves) > limit else ""
    return f"The forward pass starts from {len(leaves)} input(s): {shown}{more}"
