"""The words of the pictures: node names, numbers and arrays as text, and the chain rule.

One formatter, :func:`format_data`, writes every number and array glassgrad shows (drawings,
walker, frames, steps, rule checks); :func:`short` is its one-line form. :func:`node_names` names
the nodes: a model's parameter names (``0.weight``) when one is given, else labels, else a
constant's value (``0.5``), else ``n<k>`` by topological position.

>>> import numpy as np
>>> format_data(2.0), format_data(np.array([1.0, -2.5]), ".2f")
('2.0000', '[1.00, -2.50]')
>>> format_data(np.arange(100.0), ".1f"), short(np.zeros((3, 4)), ".2f")
('min 0.0, max 99.0', '<float64 array (3, 4)>')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..value import CONSTANT

__all__ = [
    "INFIX", "NameMap", "check_fmt", "format_data", "formula", "forward_text", "inputs_text",
    "is_constant", "name_map", "node_names", "short", "wrap",
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


class NameMap(dict):
    """``id(object) -> name``: what :func:`name_map` makes of a ``names=`` argument, and in
    ``kinds`` each module's name -> its class name (``"0" -> "Conv2D"``), for titles."""

    def __init__(self) -> None:
        super().__init__()
        self.kinds: dict[str, str] = {}

    def add(self, name: Any, owner: Any) -> None:
        """Name ``owner``; a module (not a node, not a string) also gets its class noted."""
        self[id(owner)] = str(name)
        if not hasattr(owner, "_prev") and not isinstance(owner, str):
            self.kinds.setdefault(str(name), type(owner).__name__)


def name_map(names: Any, where: str = "draw") -> NameMap:
    """The ``names=`` given to a drawing or a walker, as ``id(object) -> name``.

    ``names`` may be a model (anything with ``named_modules()`` and ``named_parameters()``, such
    as an ``nn.Module``): its modules' names title the clusters, its parameters' names name the
    nodes. Or a dict ``{object: name}``, or pairs ``(name, object)`` as from ``named_modules()``
    or ``named_parameters()``. A NameMap is returned as it is.

    >>> class Model:
    ...     def named_modules(self): return [("", self)]
    ...     def named_parameters(self): return [("w", w)]
    >>> w, model = object(), Model()
    >>> name_map(model) == {id(model): "", id(w): "w"}, name_map({w: "v"}) == {id(w): "v"}
    (True, True)
    """
    if isinstance(names, NameMap):
        return names
    out = NameMap()
    if names is None:
        return out
    if callable(getattr(names, "named_modules", None)) and callable(
            getattr(names, "named_parameters", None)):
        for name, owner in [*names.named_modules(), *names.named_parameters()]:
            out.add(name, owner)
        return out
    if isinstance(names, Mapping):
        for owner, name in names.items():
            out.add(name, owner)
        return out
    expected = (f"{where}: names must map owners to names, be (name, owner) pairs as from "
                "named_modules(), or be a model (with named_modules() and named_parameters())")
    if isinstance(names, str | bytes) or not isinstance(names, Iterable):
        raise TypeError(f"{expected}; got {type(names).__name__} {names!r:.60}")
    for pair in names:
        try:
            name, owner = pair
        except (TypeError, ValueError):
            raise TypeError(f"{expected}; got the item {pair!r:.60}") from None
        out.add(name, owner)
    return out


def is_constant(node: Any) -> bool:
    """A leaf that needs no gradient, or a number met in an expression (``x * 0.5``)."""
    return node._op is None and (not getattr(node, "requires_grad", True)
                                 or getattr(node, "_ctx", None) is CONSTANT)


def node_names(order: Sequence[Any], names: Any = None) -> dict[Any, str]:
    """Each node's printable name, the first of these it has:

    1. the name ``names`` gives it (see :func:`name_map`): with a model, its parameters' dotted
       names, ``0.weight`` or ``layers.1.neurons.0.w.2``. They win over labels: nn's layers
       label their parameters by class (``Dense.weight``, the same in every Dense);
    2. its label;
    3. for a constant (:func:`is_constant`), its value: ``0.5``, ``[1, 2]`` for up to four
       values, ``<float64 array (3, 4)>`` for more;
    4. ``n<k>``, its position in ``order``.

    Names need not be unique (two constants may both read ``2``): nodes are looked up by
    identity, never by name.

    >>> from autograd import Value, topological_order
    >>> x = Value(3.0, label="x")
    >>> y = x * 0.5 + Value(1.0)  # 0.5 is a constant; Value(1.0) is an input without a label
    >>> [(name, n.data) for n, name in node_names(topological_order(y)).items()]
    [('n0', 1.0), ('0.5', 0.5), ('x', 3.0), ('n3', 1.5), ('n4', 2.5)]
    """
    named = name_map(names)
    out = {}
    for k, node in enumerate(order):
        out[node] = (named.get(id(node)) or node.label
                     or (_value_name(node) if is_constant(node) else f"n{k}"))
    return out


def _value_name(node: Any) -> str:
    return short(node.data, ".4g")


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
    """The leaves the forward pass starts from: ``inputs: a = 2.0000, b = -3.0000, 0.5``.

    A constant named by its value is not written twice.
    """
    leaves = [n for n in order if n._op is None]
    shown = ", ".join(names[n] if is_constant(n) and names[n] == _value_name(n)
                      else f"{names[n]} = {short(n.data, fmt)}" for n in leaves[:limit])
    more = f" and {len(leaves) - limit} more" if len(leaves) > limit else ""
    return f"The forward pass starts from {len(leaves)} input(s): {shown}{more}"
