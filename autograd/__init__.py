"""glassgrad's autograd: a scalar Value engine and a numpy Tensor engine on one graph engine.

>>> from autograd import Value
>>> a, b = Value(0.5, label="a"), Value(-1.0, label="b")
>>> L = (a * b).tanh(); L.backward()
>>> round(L.data, 4), round(a.grad, 4)
(-0.4621, -0.7864)

The package is in layers, and the arrows point one way (``make lint`` checks them):

- the core, here: ``engine`` (order, backward passes, :func:`grad`), ``modes`` (grad mode,
  scopes, anomaly slot; per thread), ``ops`` (the op table), ``value`` (:class:`Value`),
  ``gradcheck`` (``gradcheck``, ``gradgradcheck``), ``testing`` (hypothesis strategies);
- ``functional``: jacobian, hessian, vjp, jvp, hvp on Values and Tensors (on top of the core
  and ``tensor/``);
- ``tensor/``: :class:`Tensor`, its op rows, the network ops, anomaly mode, memory tuning;
- ``see/``: drawings, frames, the walker, the player, rule checks. Its names (``draw``,
  ``walk``, ``save_html``, ``backward_steps`` ...) are loaded on first use, so importing
  autograd loads no drawing library, and it changes nothing process-wide.
"""

from __future__ import annotations

from typing import Any

from . import functional, see
from .engine import backward, grad, topological_order, zero_grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .modes import (
    enable_grad,
    is_grad_enabled,
    is_recording_scopes,
    no_grad,
    record_scopes,
    scope,
)
from .ops import (
    DivisionByZeroError,
    DomainError,
    Op,
    OverflowDomainError,
    define_op,
    get_op,
    list_ops,
    remove_op,
)
from .tensor import (
    AnomalyError,
    Tensor,
    broadcast_to,
    concatenate,
    detect_anomaly,
    keep_freed_memory,
    maximum,
    release_freed_memory,
    stack,
    where,
)
from .value import Value

__all__ = [
    "AnomalyError", "DivisionByZeroError", "DomainError", "GradcheckError", "Op",
    "OverflowDomainError", "Tensor", "Value", "backward", "broadcast_to", "concatenate",
    "define_op", "detect_anomaly", "enable_grad", "functional", "get_op", "grad", "gradcheck",
    "gradgradcheck", "is_grad_enabled", "is_recording_scopes", "keep_freed_memory", "list_ops",
    "maximum", "no_grad", "record_scopes", "release_freed_memory", "remove_op", "scope", "stack",
    "topological_order", "where", "zero_grad", *see.HOMES,
]


def __getattr__(name: str) -> Any:
    """The drawing and stepping names, loaded from :mod:`autograd.see` on first use."""
    if name in see.HOMES:
        return getattr(see, name)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(see.HOMES))
