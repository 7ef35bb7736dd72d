"""glassgrad's autograd: a scalar Value engine and a numpy Tensor engine on one graph engine.

>>> from autograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> L = (a * b).tanh(); L.backward()
>>> round(L.data, 4), round(a.grad, 4)
(-0.9951, -0.0296)
"""

from .engine import (
    Scopes, Step, backward, backward_steps, is_grad_enabled, no_grad, record_scopes, scope,
    topological_order, zero_grad,
)
from .gradcheck import GradcheckError, gradcheck
from .ops import (
    DivisionByZeroError, DomainError, Op, OverflowDomainError, define_op, get_op, list_ops,
)
from .value import Value

__all__ = [
    "DivisionByZeroError", "DomainError", "GradcheckError", "Op", "OverflowDomainError", "Scopes",
    "Step", "Value", "backward", "backward_steps", "define_op", "get_op", "gradcheck",
    "is_grad_enabled", "list_ops", "no_grad", "record_scopes", "scope", "topological_order",
    "zero_grad",
]
