"""The op table: every primitive, its forward computation and its local gradient rule, side by side.

An :class:`Op` is one row of the table. Its ``forward`` computes the output from the parents' data
(and, for ops such as ``x ** 3``, a constant kept in the node's ``_ctx``). Its gradient rule is
one of:

- ``local(node)``: the local derivatives ``d node / d parent``, one per parent; the engine
  multiplies each by the upstream gradient (the chain rule). Elementwise ops use this.
- ``vjp(node, upstream)``: the contribution to each parent directly (a vector-Jacobian product),
  for ops like matmul whose Jacobian is never built. ``None`` means "this parent needs no gradient".

Rules receive the output node: ``a, b = node._prev`` gives the inputs, ``node.data`` the output.
Every op, built in or user defined, lives in the same registry: :func:`list_ops` lists it, the tests
check each op's gradient against finite differences, and the stepper prints its ``math``.

**Rules are differentiable.** A rule is written once, with operators (``*``, ``-``, ``/`` ...)
and ops called through :meth:`Op.run`, so it serves two passes. On the fast path (``backward()``)
``.data`` is a float or an array and the rule computes on it. When a graph of the backward pass
is wanted (``autograd.grad(..., create_graph=True)``) the engine hands the rule the node with
``.data`` being the node itself (and the parents likewise): the same lines then record new nodes,
and the gradient can be differentiated again. Masks (relu, abs, max ...) are constants: a rule
reads them with :func:`value_of`. Built-in ops are all written this way (``differentiable=True``);
a user op says so with ``define_op(..., differentiable=True)``, else its rule is taken to work
on data only, and asking for its second derivative raises a :class:`NotDifferentiableError`.

The table knows no node class: each node kind (``"scalar"`` for :class:`autograd.Value`,
``"tensor"`` for :class:`autograd.Tensor`) registers with :func:`register_kind` how an op is
applied to its nodes, and calling an op (``op(a, b)``) goes through that. Scalar ops are defined
at the bottom of this module, the tensor ops in ``autograd/tensor/``; both with
:func:`define_builtin_op`, which marks them as glassgrad's own where they are defined.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "KINDS", "DivisionByZeroError", "DomainError", "GradientShapeError", "NotDifferentiableError",
    "Op", "OverflowDomainError",
    "define_builtin_op", "define_op", "get_op", "is_node", "list_builtin_ops", "list_ops",
    "register_kind", "remove_op", "value_of",
]

Interval = tuple[float, float]
KINDS = ("scalar", "tensor")
"""The node kinds an op can be for."""


class DomainError(ValueError):
    """An op was given an input outside the set where it is defined (e.g. ``log(-1)``)."""


class DivisionByZeroError(DomainError, ZeroDivisionError):
    """Division by zero: a :class:`DomainError` that is also a ``ZeroDivisionError``."""


class OverflowDomainError(DomainError, OverflowError):
    """The result does not fit in a float (e.g. ``exp(1000)``)."""


class NotDifferentiableError(RuntimeError):
    """A second derivative was asked of an op whose gradient rule works on data only."""


class GradientShapeError(ValueError):
    """A gradient rule gave a contribution that cannot be summed back to its parent's shape
    (a bug in the rule): ``rule`` names its op once the engine knows it."""

    def __init__(self, grad_shape: tuple[int, ...], shape: tuple[int, ...],
                 rule: str | None = None) -> None:
        self.grad_shape, self.shape, self.rule = tuple(grad_shape), tuple(shape), rule
        by = f"the rule of {rule}" if rule else "a rule"
        super().__init__(f"backward: {by} gave a gradient of shape {self.grad_shape}, which "
                         f"cannot be summed back to the tensor's shape {self.shape}")


class Op:
    """One primitive operation: its name, forward computation and gradient rule.

    Args:
        name: unique name within its kind, e.g. ``"mul"``.
        forward: computes the output data from the parents' data (plus ``ctx`` when ``uses_ctx``).
        local: ``local(node) -> tuple``: each parent's local derivative (elementwise ops).
        vjp: ``vjp(node, upstream) -> tuple``: each parent's contribution (other ops).
        math: the rule written out, e.g. ``"f(a, b) = a * b;  df/da = b;  df/db = a"``.
        symbol: how the op is drawn in graphs (defaults to the name).
        arity: the number of parents.
        kind: ``"scalar"`` (Value) or ``"tensor"`` (Tensor).
        domain: for property tests, one list of safe intervals per input: gradients there are
            smooth enough for central differences (away from kinks such as relu at 0).
        ctx_examples: for ops with a constant (``uses_ctx``), constants the tests try.
        uses_ctx: whether ``forward`` takes the node's constant as its last argument.
        fresh_vjp: the vjp makes a new array for each parent that nothing else refers to (views
            of it are fine, if writable), so a leaf may keep it as its ``grad`` without a copy.
        differentiable: the rule is written with operators and :meth:`run` (and reads masks
            with :func:`value_of`), so it also works on nodes and can be differentiated again.
    """

    __slots__ = ("name", "forward", "local", "vjp", "math", "symbol", "arity", "kind", "domain",
                 "ctx_examples", "uses_ctx", "fresh_vjp", "differentiable")

    def __init__(self, name: str, forward: Callable[..., Any], *,
                 local: Callable[[Any], tuple] | None = None,
                 vjp: Callable[[Any, Any], tuple] | None = None,
                 math: str = "", symbol: str | None = None, arity: int = 1, kind: str = "scalar",
                 domain: Sequence[Sequence[Interval]] | None = None,
                 ctx_examples: Sequence[Any] = (), uses_ctx: bool = False,
                 fresh_vjp: bool = False, differentiable: bool = False) -> None:
        if (local is None) == (vjp is None):
            raise ValueError(f"Op {name!r}: give exactly one gradient rule, local= or vjp=")
        if kind not in KINDS:
            raise ValueError(f"Op {name!r}: kind must be 'scalar' or 'tensor', got {kind!r}")
        self.name, self.forward, self.local, self.vjp = name, forward, local, vjp
        self.math, self.symbol, self.arity, self.kind = math, symbol or name, arity, kind
        self.domain = tuple(tuple(d) for d in domain) if domain else (((-3.0, 3.0),),) * arity
        self.ctx_examples, self.uses_ctx = tuple(ctx_examples), uses_ctx
        self.fresh_vjp, self.differentiable = fresh_vjp, differentiable

    def compute(self, inputs: Sequence[Any], ctx: Any = None) -> Any:
        """Run the forward computation on plain data (floats or arrays)."""
        return self.forward(*inputs, ctx) if self.uses_ctx else self.forward(*inputs)

    def __call__(self, *args: Any, ctx: Any = None) -> Any:
        """Apply the op to Values (or Tensors), recording it in the graph.

        Plain numbers are wrapped as constants. This is how user-defined ops are used.
        """
        if len(args) != self.arity:
            raise TypeError(f"{self.name}: takes {self.arity} input(s), got {len(args)}")
        try:
            apply_to_nodes = _APPLY[self.kind]
        except KeyError:
            raise TypeError(f"{self.name}: no {self.kind} node class is loaded (import "
                            "autograd)") from None
        return apply_to_nodes(self, args, ctx)

    def run(self, *args: Any, ctx: Any = None) -> Any:
        """Compute the op on plain data, or apply it to the graph when an argument is a node.

        Gradient rules call ops this way, so one rule serves both passes: on floats and arrays
        it returns a float or an array; in a recorded backward pass its inputs are nodes and it
        returns a new node.

        >>> from autograd import Value
        >>> EXP.run(0.0), EXP.run(Value(0.0))
        (1.0, Value(data=1.0, grad=0.0))
        """
        for a in args:
            if isinstance(a, _NODE_CLASSES):
                return _APPLY[self.kind](self, args, ctx)
        return self.forward(*args, ctx) if self.uses_ctx else self.forward(*args)

    def __str__(self) -> str:
        return self.symbol

    def __repr__(self) -> str:
        return f"Op({self.name!r}, kind={self.kind!r}, math={self.math!r})"


_REGISTRY: dict[tuple[str, str], Op] = {}
_BUILTIN: set[tuple[str, str]] = set()
_APPLY: dict[str, Callable[[Op, tuple, Any], Any]] = {}
_NODE_CLASSES: tuple[type, ...] = ()


def register_kind(kind: str, apply_to_nodes: Callable[[Op, tuple, Any], Any],
                  node_class: type) -> None:
    """Say how ops of ``kind`` are applied: ``apply_to_nodes(op, args, ctx)`` turns the arguments
    (nodes or plain numbers) into nodes, runs the forward computation and returns the output
    node. Each node class registers itself when its module is imported."""
    global _NODE_CLASSES
    if kind not in KINDS:
        raise ValueError(f"register_kind: kind must be one of {KINDS}, got {kind!r}")
    _APPLY[kind] = apply_to_nodes
    if node_class not in _NODE_CLASSES:
        _NODE_CLASSES += (node_class,)


def is_node(x: Any) -> bool:
    """True for a node of the graph (a Value or a Tensor), False for plain data."""
    return isinstance(x, _NODE_CLASSES)


def value_of(x: Any) -> Any:
    """The plain data of ``x`` (a node's ``data``; plain data as it is). Rules read masks and
    other constants this way, so a recorded backward pass treats them as constants."""
    return x.data if isinstance(x, _NODE_CLASSES) else x


def _recorded_data(*args: Any) -> Any:
    return args[-1][1]


def _data_only_vjp(node: Any, upstream: Any) -> tuple:
    name = node._ctx[0]
    raise NotDifferentiableError(
        f"the gradient rule of the op {name!r} works on data only, so its result cannot be "
        f"differentiated again (a second derivative through {name!r} was asked for): write "
        f"its rule with operators and Op.run, and define it with differentiable=True")


DATA_ONLY = {kind: Op("data_only_gradient", _recorded_data, vjp=_data_only_vjp, uses_ctx=True,
                      kind=kind, math="a gradient computed on data by a rule that is not "
                                      "differentiable: differentiating it raises an error")
             for kind in KINDS}
"""Per kind, the op of a gradient that a data-only rule computed in a recorded backward pass:
its node carries the value (``ctx = (op name, data)``) and raises when differentiated."""


def list_builtin_ops(kind: str) -> list[Op]:
    """The ops that glassgrad itself defines for ``kind`` (no user-defined ones)."""
    return [op for op in list_ops(kind) if (kind, op.name) in _BUILTIN]


def define_op(name: str, forward: Callable[..., Any], *, replace: bool = False,
              **fields: Any) -> Op:
    """Create an :class:`Op` and add it to the table; return it (call it to use it).

    >>> import math
    >>> from autograd import Value
    >>> def softplus_grad(node):
    ...     (x,) = node._prev
    ...     return (1.0 / (1.0 + math.exp(-x.data)),)
    >>> softplus = define_op("softplus", lambda x: math.log1p(math.exp(x)), local=softplus_grad,
    ...                      math="f(x) = log(1 + e^x);  df/dx = sigmoid(x)", replace=True)
    >>> y = softplus(Value(0.0)); y.backward()
    >>> round(y.data, 4), y._prev[0].grad
    (0.6931, 0.5)
    """
    op = Op(name, forward, **fields)
    key = (op.kind, name)
    if key in _REGISTRY and not replace:
        raise ValueError(f"define_op: a {op.kind} op named {name!r} exists already; "
                         "pass replace=True to redefine it")
    _REGISTRY[key] = op
    return op


def define_builtin_op(name: str, forward: Callable[..., Any], **fields: Any) -> Op:
    """:func:`define_op` for glassgrad's own ops: marked built in (tests check each of them, and
    they cannot be removed); their rules are differentiable."""
    op = define_op(name, forward, differentiable=True, **fields)
    _BUILTIN.add((op.kind, name))
    return op


def remove_op(name: str, kind: str = "scalar") -> Op:
    """Take a user-defined op out of the table (built-in ops stay); return it."""
    op = get_op(name, kind)
    if (kind, name) in _BUILTIN:
        raise ValueError(f"remove_op: {name!r} is a built-in {kind} op and cannot be removed")
    del _REGISTRY[(kind, name)]
    return op


def get_op(name: str, kind: str = "scalar") -> Op:
    """Look an op up by name, e.g. ``get_op("tanh")``; a KeyError lists the known names."""
    try:
        return _REGISTRY[(kind, name)]
    except KeyError:
        known = ", ".join(sorted(n for k, n in _REGISTRY if k == kind))
        raise KeyError(f"no {kind} op named {name!r}; known: {known}") from None


def list_ops(kind: str | None = None) -> list[Op]:
    """All ops in the table (of one ``kind`` if given), in the order they were defined."""
    return [op for (k, _), op in _REGISTRY.items() if kind is None or k == kind]


# --------------------------------------------------------------------------------------------
# Scalar ops. Derived operations are built from these in value.py: a - b = a + (-1 * b),
# a / b = a * b ** -1, -a = a * -1. The rules are differentiable (see the module docstring).
# --------------------------------------------------------------------------------------------

POSITIVE = ((0.1, 4.0),)
AWAY_FROM_ZERO = ((-3.0, -0.01), (0.01, 3.0))


def _add_grad(node: Any) -> tuple[float, float]:
    return 1.0, 1.0


def _mul_grad(node: Any) -> tuple[float, float]:
    a, b = node._prev
    return b.data, a.data


def _pow(a: float, n: float) -> float:
    if a == 0.0 and n < 0:
        raise DivisionByZeroError(f"pow: 0.0 ** {n!r} is a division by zero")
    if a < 0.0 and n != int(n):
        raise DomainError(f"pow: negative base {a!r} to the non-integer power {n!r} "
                          "has no real value")
    try:
        return float(a ** n)
    except OverflowError:
        raise OverflowDomainError(f"pow: {a!r} ** {n!r} overflows a float") from None


def _pow_grad(node: Any) -> tuple[Any]:
    (a,) = node._prev
    n = node._ctx
    if n == 0:  # a ** 0 is 1 everywhere: slope 0, also at a = 0 (where a ** -1 is undefined)
        return (0.0,)
    return (n * POW.run(a.data, ctx=n - 1),)


def _pow_value(a: float, b: float) -> float:
    if a < 0.0:
        raise DomainError(f"pow: negative base {a!r} to a Value exponent ({b!r}): the gradient "
                          "with respect to the exponent needs log(base); use a constant exponent")
    return _pow(a, b)


def _pow_value_grad(node: Any) -> tuple[Any, Any]:
    a, b = node._prev
    dlog = LOG.run(a.data) if value_of(a.data) > 0.0 else 0.0  # a == 0: out is 0 for b > 0
    return b.data * POW_VALUE.run(a.data, b.data - 1.0), node.data * dlog


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        raise OverflowDomainError(f"exp: exp({a!r}) overflows a float (inputs above about "
                                  "709.78 do)") from None


def _log(a: float) -> float:
    if a <= 0.0:
        raise DomainError(f"log: input must be positive, got {a!r}")
    return math.log(a)


def _sqrt(a: float) -> float:
    if a < 0.0:
        raise DomainError(f"sqrt: input must be non-negative, got {a!r}")
    return math.sqrt(a)


def _sqrt_grad(node: Any) -> tuple[Any]:
    if value_of(node.data) == 0.0:
        raise DivisionByZeroError(f"sqrt: the derivative 1 / (2 * sqrt(a)) at a = "
                                  f"{value_of(_only(node))!r} is a division by zero")
    return (0.5 / node.data,)


def _sigmoid(a: float) -> float:
    # Never call exp on a large positive number: for a < 0 use e^a / (1 + e^a).
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _sign(a: float) -> float:
    return float((a > 0.0) - (a < 0.0))


def _only(node: Any) -> Any:
    return node._prev[0].data


def _relu_grad(node: Any) -> tuple[float]:
    return (1.0 if value_of(node.data) > 0.0 else 0.0,)  # a constant mask


ADD = define_builtin_op("add", float.__add__, local=_add_grad, symbol="+", arity=2,
                        math="f(a, b) = a + b;  df/da = 1;  df/db = 1")
MUL = define_builtin_op("mul", float.__mul__, local=_mul_grad, symbol="*", arity=2,
                        math="f(a, b) = a * b;  df/da = b;  df/db = a")
POW = define_builtin_op("pow", _pow, local=_pow_grad, symbol="**", uses_ctx=True,
                        math="f(a) = a ** n  (n a constant);  df/da = n * a ** (n - 1)",
                        domain=[POSITIVE], ctx_examples=(2, 3, -1, -2, 0.5, -0.5, 1.5, 0))
POW_VALUE = define_builtin_op(
    "pow_value", _pow_value, local=_pow_value_grad, symbol="**", arity=2,
    math="f(a, b) = a ** b;  df/da = b * a ** (b - 1);  df/db = a ** b * log(a)",
    domain=[POSITIVE, [(-2.0, 2.0)]])
RELU = define_builtin_op("relu", lambda a: a if a > 0.0 else 0.0,
                         local=_relu_grad, symbol="ReLU",
                         math="f(a) = max(a, 0);  df/da = 1 if a > 0 else 0",
                         domain=[AWAY_FROM_ZERO])
TANH = define_builtin_op("tanh", math.tanh, local=lambda node: (1.0 - node.data * node.data,),
                         math="f(a) = tanh(a);  df/da = 1 - tanh(a) ** 2")
EXP = define_builtin_op("exp", _exp, local=lambda node: (node.data,),
                        math="f(a) = e ** a;  df/da = e ** a")
LOG = define_builtin_op("log", _log, local=lambda node: (1.0 / _only(node),),
                        math="f(a) = ln(a);  df/da = 1 / a", domain=[POSITIVE])
SIGMOID = define_builtin_op("sigmoid", _sigmoid,
                            local=lambda node: (node.data * (1.0 - node.data),), symbol="σ",
                            math="f(a) = 1 / (1 + e ** -a);  df/da = f(a) * (1 - f(a))")
ABS = define_builtin_op("abs", abs, local=lambda node: (_sign(value_of(_only(node))),),
                        symbol="|a|", math="f(a) = |a|;  df/da = sign(a)", domain=[AWAY_FROM_ZERO])
SQRT = define_builtin_op("sqrt", _sqrt, local=_sqrt_grad, symbol="√",
                         math="f(a) = sqrt(a);  df/da = 1 / (2 * sqrt(a))", domain=[POSITIVE])
