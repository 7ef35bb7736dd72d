"""Derivatives of whole functions: jacobian, hessian, vjp, jvp, hvp, vhp.

The names, arguments and return conventions are ``torch.autograd.functional``'s: ``func`` takes
the inputs (one Value or Tensor, or a tuple of them) and returns a node or a tuple of nodes; a
result has the structure of what it describes (a tuple where the inputs or outputs were a
tuple, a single node where they were one). ``create_graph=True`` keeps the results in a graph,
to differentiate them again; else they are constants. ``strict=True`` raises when an output
does not depend on an input, where the default gives zeros.

Everything here is :func:`autograd.grad` applied once or twice:

- ``vjp(f, x, v)``: ``v^T J``, one backward pass seeded with ``v``;
- ``jvp(f, x, v)``: ``J v``, by the double-backward trick: ``g(u) = u^T J`` is linear in a
  dummy ``u``, so the gradient of ``g . v`` with respect to ``u`` is ``J v``;
- ``vhp(f, x, v)``: ``v^T H``, the gradient of ``(df/dx) . v``, two passes; ``hvp`` is the same
  number, since the Hessian of a twice-differentiable ``f`` is symmetric (PyTorch's hvp takes
  a third pass to form ``H v`` literally);
- ``jacobian`` and ``hessian``: one backward pass per output entry (per gradient entry).

>>> from autograd import Tensor
>>> x = Tensor([1.0, 2.0])
>>> hessian(lambda t: (t ** 3).sum(), x).numpy()          # diag(6 x)
array([[ 6.,  0.],
       [ 0., 12.]])
>>> hvp(lambda t: (t ** 3).sum(), x, Tensor([1.0, 1.0]))[1].numpy()
array([ 6., 12.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import grad
from .tensor import Tensor, stack
from .value import Value

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

Nodes = Any  # a Value or Tensor, or a tuple of them


def vjp(func: Callable[..., Any], inputs: Nodes, v: Nodes = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Nodes, Nodes]:
    """``(func(inputs), v^T J)``: the vector-Jacobian product, with the inputs' structure.

    ``v`` has the outputs' structure; it may be None for a one-element output.

    >>> from autograd import Value
    >>> out, g = vjp(lambda a, b: a * b, (Value(2.0), Value(3.0)), Value(1.0))
    >>> out.data, g[0].data, g[1].data
    (6.0, 3.0, 2.0)
    """
    xs, tupled = _inputs(inputs, "vjp", create_graph)
    outs, out_tupled = _outputs(func(*xs), "vjp")
    seeds = _structured(v, len(outs), out_tupled, "vjp", "v", "the outputs")
    grads = _grads("vjp", outs, xs, seeds, create_graph, strict)
    return _result(outs, out_tupled, create_graph), _pack(grads, tupled)


def jvp(func: Callable[..., Any], inputs: Nodes, v: Nodes = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Nodes, Nodes]:
    """``(func(inputs), J v)``: the Jacobian-vector product, with the outputs' structure.

    ``v`` has the inputs' structure; it may be None for a single one-element input.

    >>> from autograd import Tensor
    >>> x = Tensor([1.0, 2.0])
    >>> jvp(lambda t: t * t, x, Tensor([1.0, 0.0]))[1].numpy()   # J = diag(2 x)
    array([2., 0.])
    """
    xs, tupled = _inputs(inputs, "jvp", create_graph)
    outs, out_tupled = _outputs(func(*xs), "jvp")
    seeds = _structured(v, len(xs), tupled, "jvp", "v", "the inputs")
    dummies = tuple(_zeros(out, requires_grad=True) for out in outs)
    pairs = [(o, u) for o, u in zip(outs, dummies) if _requires_grad(o)]
    linear: tuple = (None,) * len(xs)  # u^T J, one entry per input, linear in the dummies u
    if pairs:
        linear = grad([o for o, _ in pairs], xs, [u for _, u in pairs], create_graph=True,
                      allow_unused=True)
    used = [(g, s) for g, s in zip(linear, _seed_values("jvp", seeds, xs)) if _requires_grad(g)]
    back: tuple = (None,) * len(dummies)
    if used:
        back = grad([g for g, _ in used], dummies, [s for _, s in used],
                    create_graph=create_graph, allow_unused=True)
    products = _filled("jvp", back, outs, strict, "an output does not depend on the inputs")
    return _result(outs, out_tupled, create_graph), _pack(products, out_tupled)


def vhp(func: Callable[..., Any], inputs: Nodes, v: Nodes = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Nodes, Nodes]:
    """``(func(inputs), v^T H)`` for a function with one one-element output; ``v`` has the
    inputs' structure. The gradient is taken with ``create_graph=True``, then differentiated
    once more, seeded with ``v``."""
    return _vhp("vhp", func, inputs, v, create_graph, strict)


def _vhp(name: str, func: Callable[..., Any], inputs: Nodes, v: Nodes, create_graph: bool,
         strict: bool) -> tuple[Nodes, Nodes]:
    xs, tupled = _inputs(inputs, name, create_graph)
    out = _scalar_output(func(*xs), name)
    seeds = _structured(v, len(xs), tupled, name, "v", "the inputs")
    firsts = grad(out, xs, create_graph=True, allow_unused=True)
    pairs = [(g, s) for g, s in zip(firsts, _seed_values(name, seeds, xs)) if _requires_grad(g)]
    if pairs:
        seconds = grad([g for g, _ in pairs], xs, [s for _, s in pairs],
                       create_graph=create_graph, allow_unused=True)
    else:
        seconds = (None,) * len(xs)
    products = _filled(name, seconds, xs, strict, "the gradient does not depend on the inputs")
    return _result((out,), False, create_graph), _pack(products, tupled)


def hvp(func: Callable[..., Any], inputs: Nodes, v: Nodes = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Nodes, Nodes]:
    """``(func(inputs), H v)``, the Hessian-vector product, for a function with one one-element
    output; ``v`` has the inputs' structure.

    The Hessian of a twice-differentiable function is symmetric, so ``H v`` is ``v^T H``
    (:func:`vhp`): two backward passes, no Hessian built.

    >>> from autograd import Value
    >>> hvp(lambda a, b: a * a * b, (Value(1.0), Value(2.0)), (Value(1.0), Value(0.0)))[1]
    (Value(data=4.0, grad=0.0), Value(data=2.0, grad=0.0))
    """
    return _vhp("hvp", func, inputs, v, create_graph, strict)


def jacobian(func: Callable[..., Any], inputs: Nodes, create_graph: bool = False,
             strict: bool = False) -> Nodes:
    """The Jacobian of ``func`` at ``inputs``: for an output of shape ``O`` and an input of shape
    ``I``, a node of shape ``O + I``. A tuple of inputs gives a tuple (one per input); a tuple of
    outputs, a tuple (one per output) of those.

    >>> from autograd import Tensor
    >>> jacobian(lambda t: t.sum(axis=0), Tensor([[1.0, 2.0], [3.0, 4.0]])).shape
    (2, 2, 2)
    """
    xs, tupled = _inputs(inputs, "jacobian", create_graph)
    outs, out_tupled = _outputs(func(*xs), "jacobian")
    rows = [_rows("jacobian", out, xs, create_graph, strict) for out in outs]
    blocks = [[_assemble(r, out, x, create_graph) for r, x in zip(rs, xs)]
              for rs, out in zip(rows, outs)]
    per_output = [tuple(b) if tupled else b[0] for b in blocks]
    return tuple(per_output) if out_tupled else per_output[0]


def hessian(func: Callable[..., Any], inputs: Nodes, create_graph: bool = False,
            strict: bool = False) -> Nodes:
    """The Hessian of a function with one one-element output: for one input of shape ``I`` a
    node of shape ``I + I``; for a tuple of inputs a tuple of tuples, ``H[i][j]`` of shape
    ``I_i + I_j`` (the derivative of ``df/dx_i`` with respect to ``x_j``).

    >>> from autograd import Value
    >>> hessian(lambda a, b: a * a * b, (Value(1.0), Value(2.0)))
    ((Value(data=4.0, grad=0.0), Value(data=2.0, grad=0.0)), (Value(data=2.0, grad=0.0), \
Value(data=0.0, grad=0.0)))
    """
    xs, tupled = _inputs(inputs, "hessian", create_graph)
    out = _scalar_output(func(*xs), "hessian")
    firsts = _filled("hessian", grad(out, xs, create_graph=True, allow_unused=True), xs, strict,
                     "the output does not depend on an input")
    blocks = []
    for g in firsts:
        rows = _rows("hessian", g, xs, create_graph, strict)
        blocks.append(tuple(_assemble(r, g, x, create_graph) for r, x in zip(rows, xs)))
    return tuple(blocks) if tupled else blocks[0][0]


# ---- helpers ----------------------------------------------------------------------------------

def _inputs(inputs: Nodes, name: str, create_graph: bool) -> tuple[tuple[Any, ...], bool]:
    """The inputs as fresh leaves that require a gradient (the given nodes themselves with
    ``create_graph``, so the results stay differentiable with respect to them)."""
    tupled = isinstance(inputs, tuple | list)
    items = tuple(inputs) if tupled else (inputs,)
    if not items:
        raise ValueError(f"{name}: inputs is empty; give a Value or a Tensor, or a tuple")
    xs = []
    for i, x in enumerate(items):
        if isinstance(x, Value):
            xs.append(x if create_graph else Value(x.data))
        elif isinstance(x, Tensor):
            if x.data.dtype.kind != "f":
                raise TypeError(f"{name}: input {i} has dtype {x.data.dtype}; derivatives need "
                                "floating-point tensors")
            keep = create_graph and x.requires_grad
            xs.append(x if keep else Tensor(x.data, requires_grad=True))
        else:
            raise TypeError(f"{name}: input {i} must be a Value or a Tensor, got "
                            f"{type(x).__name__}")
    return tuple(xs), tupled


def _outputs(out: Any, name: str) -> tuple[tuple[Any, ...], bool]:
    tupled = isinstance(out, tuple | list)
    outs = tuple(out) if tupled else (out,)
    for i, o in enumerate(outs):
        if not isinstance(o, Value | Tensor):
            raise TypeError(f"{name}: func must return a Value or a Tensor (or a tuple of "
                            f"them); output {i} is {type(o).__name__}")
    return outs, tupled


def _scalar_output(out: Any, name: str) -> Any:
    outs, tupled = _outputs(out, name)
    size = 1 if isinstance(outs[0], Value) else outs[0].data.size
    if tupled or size != 1:
        shape = "a tuple" if tupled else f"shape {outs[0].shape}"
        raise ValueError(f"{name}: func must return a single one-element Value or Tensor (a "
                         f"scalar loss), got {shape}")
    return outs[0]


def _structured(v: Nodes, count: int, tupled: bool, name: str, what: str, of: str) -> tuple:
    if v is None:
        return (None,) * count
    items = tuple(v) if isinstance(v, tuple | list) and tupled else (v,)
    if len(items) != count:
        raise ValueError(f"{name}: {what} has {len(items)} entries but {of} have {count}; give "
                         f"{what} the structure of {of}")
    return items


def _seed_values(name: str, seeds: tuple, xs: tuple) -> list[Any]:
    """Seeds for a pass whose outputs have the inputs' shapes (None: 1 for one element)."""
    values = []
    for s, x in zip(seeds, xs):
        if s is None and np.size(x.data) != 1:
            raise ValueError(f"{name}: v is None but an input has shape {np.shape(x.data)}; "
                             "give v for inputs with more than one element")
        values.append(s)
    return values


def _requires_grad(node: Any) -> bool:
    return node is not None and getattr(node, "requires_grad", True)


def _grads(name: str, outs: tuple, xs: tuple, seeds: tuple, create_graph: bool,
           strict: bool) -> list[Any]:
    pairs = [(o, s) for o, s in zip(outs, seeds) if _requires_grad(o)]
    found: tuple = (None,) * len(xs)
    if pairs:
        found = grad([o for o, _ in pairs], xs, [s for _, s in pairs],
                     create_graph=create_graph, allow_unused=True)
    return _filled(name, found, xs, strict, "an output does not depend on an input")


def _filled(name: str, found: tuple, likes: tuple, strict: bool, why: str) -> list[Any]:
    """The gradients found, with zeros (shaped like ``likes``) for the missing ones."""
    if strict and any(g is None for g in found):
        raise ValueError(f"{name}: {why} (strict=True); pass strict=False to get zeros")
    return [_zeros(like) if g is None else g for g, like in zip(found, likes)]


def _zeros(like: Any, requires_grad: bool = False) -> Any:
    if isinstance(like, Value):
        return Value(0.0)
    return Tensor(np.zeros_like(like.data), requires_grad=requires_grad)


def _rows(name: str, out: Any, xs: tuple, create_graph: bool, strict: bool) -> list[list[Any]]:
    """Per input, the gradients of each entry of ``out`` (one backward pass per entry)."""
    size = 1 if isinstance(out, Value) else out.data.size
    rows: list[list[Any]] = [[] for _ in xs]
    for k in range(size):
        if _requires_grad(out):
            seed = None
            if isinstance(out, Tensor):
                seed = np.zeros(out.data.shape, dtype=out.data.dtype)
                seed.flat[k] = 1
            found = grad(out, xs, seed, create_graph=create_graph, allow_unused=True)
        else:
            found = (None,) * len(xs)
        for row, g in zip(rows, _filled(name, found, xs, strict,
                                        "an output does not depend on an input")):
            row.append(g)
    return rows


def _assemble(rows: list[Any], out: Any, x: Any, create_graph: bool) -> Any:
    """One block of a Jacobian from its rows: shape ``out.shape + x.shape``."""
    if isinstance(out, Value):
        return rows[0]
    shape = out.data.shape + x.data.shape
    if create_graph:
        return stack(rows).reshape(shape)
    return Tensor(np.stack([r.data for r in rows]).reshape(shape))


def _result(outs: tuple, tupled: bool, create_graph: bool) -> Nodes:
    kept = tuple(o if create_graph else _detached(o) for o in outs)
    return kept if tupled else kept[0]


def _detached(node: Any) -> Any:
    return Value(node.data) if isinstance(node, Value) else node.detach()


def _pack(items: list[Any], tupled: bool) -> Nodes:
    return tuple(items) if tupled else items[0]
