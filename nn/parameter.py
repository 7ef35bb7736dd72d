"""Parameter: the Tensor a module trains; and what counts as a parameter.

A module finds its parameters by walking its attributes (see :mod:`nn.module`). Two kinds of
object count, and nothing else:

- an :class:`nn.Parameter`: a Tensor marked as a weight of the model (PyTorch's
  ``torch.nn.Parameter``). ``Dense``, ``Conv2D`` and every layer of ``nn`` hold theirs as
  Parameters. A plain ``Tensor(..., requires_grad=True)`` kept in an attribute is *not* a
  parameter: it may be an input, a cached result or a constant, and only you know which;
  wrap it in ``Parameter`` to train it.
- a leaf :class:`autograd.Value`: micrograd's convention, so a scalar model's weights are plain
  Values (``self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]``).

>>> import numpy as np
>>> from autograd import Tensor
>>> w = Parameter(np.ones((2, 3), dtype=np.float32))
>>> w.requires_grad, w.shape, is_parameter(w), is_parameter(Tensor(w.data, requires_grad=True))
(True, (2, 3), True, False)
>>> type(w * 2).__name__  # results of computing with a parameter are plain Tensors
'Tensor'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor, Value

__all__ = ["Parameter", "is_parameter", "parameter_size"]


class Parameter(Tensor):
    """A Tensor that a module registers as a parameter: it is trained, saved and exported.

    Args:
        data: a numpy array (kept, not copied, when ``dtype`` matches), nested lists, or a
            Tensor, whose data the parameter then shares (as ``torch.nn.Parameter(t)`` does).
        requires_grad: False freezes the parameter: it stays in ``parameters()`` and in
            ``state_dict()``, but backward passes leave its ``grad`` None.
        dtype: convert ``data`` to this dtype first, e.g. ``"float32"``.
        label: a name for printing and drawing (default: the Tensor's label, if any).

    >>> import numpy as np
    >>> Parameter(np.zeros(2, dtype=np.float32), label="bias")
    Parameter([0., 0.], shape=(2,), dtype=float32, requires_grad=True, label='bias')
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None,
                 label: str = "") -> None:
        if isinstance(data, Tensor):
            if not data.is_leaf:
                raise ValueError(f"Parameter: expected data or a leaf Tensor, got the result of "
                                 f"{data._op.name}; pass t.detach() to start a new parameter "
                                 "from its value")
            label = label or data.label
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, label=label)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__().removeprefix("Tensor(")


def is_parameter(obj: Any) -> bool:
    """True for an :class:`nn.Parameter` or a leaf :class:`autograd.Value`; False otherwise.

    >>> from autograd import Tensor, Value
    >>> is_parameter(Value(1.0)), is_parameter(Value(1.0) * 2), is_parameter(2.0)
    (True, False, False)
    >>> is_parameter(Tensor([1.0], requires_grad=True))  # wrap it: Parameter(...)
    False
    """
    if isinstance(obj, Parameter):
        return True
    return isinstance(obj, Value) and obj._op is None


def parameter_size(p: Any) -> int:
    """How many numbers a parameter holds: 1 for a Value, ``data.size`` for an array node."""
    return 1 if isinstance(p, Value) else int(np.size(p.data))
