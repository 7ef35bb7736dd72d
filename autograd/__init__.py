"""glassgrad's autograd: a scalar Value engine and a numpy Tensor engine on one graph engine.

>>> from autograd import Value
>>> a, b = Value(0.5, label="a"), Value(-1.0, label="b")
>>> L = (a * b).tanh(); L.backward()
>>> round(L.data, 4), round(a.grad, 4)
(-0.4621, -0.7864)
"""

from .engine import (
    Scopes,
    Step,
    backward,
    backward_steps,
    is_grad_enabled,
    no_grad,
    record_scopes,
    scope,
    topological_order,
    zero_grad,
)
from .gradcheck import GradcheckError, gradcheck
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
from .value import Value

__all__ = [
    "DivisionByZeroError", "DomainError", "GradcheckError", "Op", "OverflowDomainError", "Scopes",
    "Step", "Value", "backward", "backward_steps", "define_op", "get_op", "gradcheck",
    "is_grad_enabled", "list_ops", "no_grad", "record_scopes", "remove_op", "scope",
    "topological_order", "zero_grad",
]

# Seeing the graph (issue 5): drawings, frames of both passes, the REPL walker, the HTML player
# and the per-node gradient check. These only consume the graph; the engine never imports them.
from .frames import backward_frames, forward_frames, save_frames  # noqa: E402
from .graphcheck import RuleMismatch, gradcheck_graph  # noqa: E402
from .player import save_html  # noqa: E402
from .stepper import walk, walk_forward  # noqa: E402
from .viz import draw, to_dot  # noqa: E402

__all__ += [
    "RuleMismatch", "backward_frames", "draw", "forward_frames", "gradcheck_graph", "save_frames",
    "save_html", "to_dot", "walk", "walk_forward",
]

# The numpy Tensor engine (issue 3): the same graph engine, a tensor op table, nn functions.
from . import functional, memory  # noqa: E402
from .anomaly import AnomalyError, detect_anomaly  # noqa: E402
from .memory import keep_freed_memory, release_freed_memory  # noqa: E402
from .tensor import Tensor, concatenate, maximum, stack, where  # noqa: E402

__all__ += [
    "AnomalyError", "Tensor", "concatenate", "detect_anomaly", "functional", "keep_freed_memory",
    "maximum", "release_freed_memory", "stack", "where",
]

# Freed arrays are reused, not faulted in again (unless GLASSGRAD_KEEP_FREED_MEMORY=0).
memory.keep_by_default()
