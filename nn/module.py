"""Module: the base class of every layer and model, found by walking attributes.

A module owns parameters and other modules simply by holding them in attributes, micrograd style:
``self.w = [Value(...) for _ in range(nin)]``, ``self.layers = [Layer(...), ...]``. Nothing has to
be registered. :meth:`Module.named_parameters` walks the attributes in the order they were
assigned, looking inside lists, tuples and dicts, and descends into every module it meets.

What counts as a parameter (see :func:`is_parameter`):

- every leaf :class:`autograd.Value` a module holds (micrograd's convention: a scalar model's
  weights are plain Values);
- any other leaf node whose ``requires_grad`` is True and whose ``data`` is a numpy array (an
  ``autograd.Tensor(..., requires_grad=True)``). Results computed from parameters are not leaves
  and never count.

>>> from autograd import Value
>>> class Affine(Module):
...     def __init__(self):
...         self.w = [Value(0.5), Value(-1.0)]
...         self.b = Value(0.0)
...     def forward(self, x):
...         return sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
>>> f = Affine()
>>> [name for name, _ in f.named_parameters()]
['w.0', 'w.1', 'b']
>>> f([2.0, 3.0])
Value(data=-2.0, grad=0.0)
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd import Value, is_recording_scopes, scope

__all__ = ["Module", "is_parameter", "parameter_size"]


def is_parameter(obj: Any) -> bool:
    """True for a trainable leaf: a Value, or a node with ``requires_grad`` True and array data.

    Only leaves count: a Tensor computed from parameters also has ``requires_grad`` True, but it
    is an intermediate result (it has an op), so a module that keeps one in an attribute (say,
    its last output) does not gain a parameter. Leaf-ness is read from ``is_leaf`` when the node
    has that property, else from ``_op is None`` (autograd's node protocol).

    >>> import numpy as np
    >>> from autograd import Tensor, Value
    >>> is_parameter(Value(1.0)), is_parameter(np.zeros(3)), is_parameter(2.0)
    (True, False, False)
    >>> w = Tensor(np.ones(2), requires_grad=True)
    >>> is_parameter(w), is_parameter(w * 2)
    (True, False)
    """
    if isinstance(obj, type | Module):
        return False
    if isinstance(obj, Value):
        return _is_leaf(obj)
    return (getattr(obj, "requires_grad", False) is True
            and isinstance(getattr(obj, "data", None), np.ndarray) and hasattr(obj, "grad")
            and _is_leaf(obj))


def _is_leaf(node: Any) -> bool:
    leaf = getattr(node, "is_leaf", None)
    if isinstance(leaf, bool):
        return leaf
    return getattr(node, "_op", None) is None


def parameter_size(p: Any) -> int:
    """How many numbers a parameter holds: 1 for a Value, ``data.size`` for an array node."""
    return 1 if isinstance(p, Value) else int(p.data.size)


def _members(obj: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """``(dotted name, object)`` for each parameter or module directly inside ``obj``'s attributes.

    Lists, tuples and dicts (with string or int keys) are looked into, to any depth; modules are
    yielded, not entered.
    """
    if isinstance(obj, Module):
        items: Any = getattr(obj, "__dict__", {}).items()
    elif isinstance(obj, list | tuple):
        items = ((str(i), v) for i, v in enumerate(obj))
    else:  # a dict
        items = ((_key(k, v, prefix), v) for k, v in obj.items())
    for key, value in items:
        if key is None:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, Module) or is_parameter(value):
            yield name, value
        elif isinstance(value, list | tuple | dict) and value:
            yield from _members(value, name + ".")


def _key(key: Any, value: Any, prefix: str) -> str | None:
    """A dict key as part of a parameter name; None for a key that holds nothing to train."""
    if isinstance(key, str):
        return key
    if isinstance(key, numbers.Integral) and not isinstance(key, bool | np.bool_):
        return str(int(key))
    if isinstance(value, Module) or is_parameter(value) or (
            isinstance(value, list | tuple | dict) and any(True for _ in _members(value, ""))):
        raise TypeError(f"Module: the dict at {prefix.rstrip('.') or 'the module'} holds modules "
                        f"or parameters under the key {key!r}; use str or int keys, so that "
                        "they can be named (and saved)")
    return None


_IN_REPR: set[int] = set()  # modules being printed: a child pointing back up is not entered


class Module:
    """Base class of layers and models: parameters, submodules, modes, printing.

    Subclasses define ``forward`` (called by ``module(x)``) or, like micrograd's modules,
    ``__call__`` directly; calling ``super().__init__()`` is not required. ``training`` is True
    until :meth:`eval` is called.
    """

    training: bool = True

    # ---- calling -----------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run :meth:`forward`; while graph scopes are recorded, nodes are attributed to self."""
        if not is_recording_scopes():
            return self.forward(*args, **kwargs)
        with scope(self):
            return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} defines no forward(); define "
                                  "forward(self, x) (or __call__) in the subclass")

    # ---- parameters and submodules -----------------------------------------------------------
    def named_parameters(self) -> list[tuple[str, Any]]:
        """``(dotted name, parameter)`` pairs in attribute order; a shared parameter appears once.

        The name is the path of attributes, list indices and dict keys leading to the parameter
        from this module, e.g. ``"layers.0.neurons.3.w.1"``.
        """
        out: list[tuple[str, Any]] = []
        seen_params: set[int] = set()
        seen_modules: set[int] = {id(self)}
        stack: list[Iterator[tuple[str, Any]]] = [_members(self, "")]
        while stack:
            for name, obj in stack[-1]:
                if isinstance(obj, Module):
                    if id(obj) not in seen_modules:
                        seen_modules.add(id(obj))
                        stack.append(_members(obj, name + "."))
                        break
                elif id(obj) not in seen_params:
                    seen_params.add(id(obj))
                    out.append((name, obj))
            else:
                stack.pop()
        return out

    def parameters(self) -> list[Any]:
        """All parameters (Values, or Tensors that require gradients), each once, as a list."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many numbers the parameters hold (a Value counts 1, an array its size)."""
        return sum(parameter_size(p) for p in self.parameters())

    def named_children(self) -> list[tuple[str, Module]]:
        """The modules held directly by this one (in lists too), each once, with their names."""
        out, seen = [], {id(self)}
        for name, obj in _members(self, ""):
            if isinstance(obj, Module) and id(obj) not in seen:
                seen.add(id(obj))
                out.append((name, obj))
        return out

    def named_modules(self) -> list[tuple[str, Module]]:
        """This module (named ``""``) and every module below it, depth first, each once."""
        out: list[tuple[str, Module]] = []
        seen = {id(self)}
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            name, module = stack.pop()
            out.append((name, module))
            found = [(f"{name}.{n}" if name else n, c) for n, c in module.named_children()
                     if id(c) not in seen]
            seen.update(id(c) for _, c in found)
            stack.extend(reversed(found))
        return out

    def modules(self) -> list[Module]:
        """This module and every module below it, each once."""
        return [m for _, m in self.named_modules()]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient: 0.0 for a Value, None for an array parameter."""
        for p in self.parameters():
            p.grad = 0.0 if isinstance(p, Value) else None

    # ---- modes -------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode here and below; return self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): expected a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode (dropout off, ...) here and below; return self."""
        return self.train(False)

    # ---- weights -----------------------------------------------------------------------------
    def save_weights(self, path: Any) -> None:
        """Write the parameters to a ``.npz`` file (see :func:`nn.save_weights`)."""
        from .io import save_weights
        save_weights(self, path)

    def load_weights(self, path: Any) -> None:
        """Read parameters written by :meth:`save_weights` (see :func:`nn.load_weights`)."""
        from .io import load_weights
        load_weights(self, path)

    # ---- printing ----------------------------------------------------------------------------
    def output_shape(self, input_shape: tuple[int | None, ...] | None) -> tuple | None:
        """The shape of the output for an input of ``input_shape``; None when it is not known.

        Used by :meth:`summary`. ``()`` means a single scalar (a Value), ``(n,)`` a list of n
        Values; array layers include the batch dimension as None, as Keras does. Layers that know
        their output shape override this.
        """
        return None

    def extra_repr(self) -> str:
        """The arguments shown inside the parentheses of the repr, e.g. ``"nin=2, nout=16"``."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        if id(self) in _IN_REPR:  # a back-reference (child.owner = parent): do not loop
            return f"{type(self).__name__}(...)"
        _IN_REPR.add(id(self))
        try:
            children = [(n, repr(m)) for n, m in self.named_children()]
        finally:
            _IN_REPR.discard(id(self))
        lines = [extra] if extra else []
        for label, text in _collapse(children):
            lines.append(f"({label}): {text}")
        if not lines or (len(lines) == 1 and extra):
            return f"{type(self).__name__}({extra})"
        body = "\n".join(lines).replace("\n", "\n  ")
        return f"{type(self).__name__}(\n  {body}\n)"

    def summary(self, input_shape: tuple[int | None, ...] | None = None,
                print_fn: Any = print) -> str:
        """Print and return a Keras-style table: each submodule, its output shape, its parameters.

        Output shapes are passed from one row to the next, starting from ``input_shape``, which is
        right for a chain of layers (MLP, Sequential); ``?`` marks a shape that is not known. A
        module without submodules is one row. Total params counts shared parameters once.
        """
        rows_in = self.named_children() or [(type(self).__name__.lower(), self)]
        rows = []
        shape = input_shape
        for name, module in rows_in:
            shape = module.output_shape(shape)
            rows.append((f"{name} ({type(module).__name__})", _shape_text(shape),
                         f"{module.num_parameters():,}"))
        header = ("Layer (type)", "Output Shape", "Param #")
        widths = [max(len(r[i]) for r in [header, *rows]) + 3 for i in range(3)]
        fmt = lambda r: "".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
        rule = sum(widths)
        lines = [f'Model: "{type(self).__name__}"', "_" * rule, fmt(header), "=" * rule]
        for i, row in enumerate(rows):
            lines.append(fmt(row))
            lines.append("_" * rule if i < len(rows) - 1 else "=" * rule)
        lines.append(f"Total params: {self.num_parameters():,}")
        lines.append("_" * rule)
        text = "\n".join(lines)
        if print_fn is not None:
            print_fn(text)
        return text


def _shape_text(shape: tuple | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _collapse(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Merge runs of list elements with the same repr: ``neurons.0-15: 16 x ReLUNeuron(2)``."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(items):
        name, text = items[i]
        base, _, index = name.rpartition(".")
        j = i + 1
        if index.isdigit():
            while (j < len(items) and items[j][1] == text
                   and items[j][0] == f"{base}.{int(index) + j - i}"):
                j += 1
        if j - i > 1:
            out.append((f"{name}-{int(index) + j - i - 1}", f"{j - i} x {text}"))
        else:
            out.append((name, text))
        i = j
    return out
