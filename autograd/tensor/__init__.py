"""The numpy Tensor engine: :class:`Tensor`, its op rows, the network ops, anomaly mode, memory.

Tensors run on the same graph engine as Values (``autograd.engine``). Importing this package
defines the whole tensor op table (``ops.py``, ``conv.py``, ``pool.py``) and changes nothing
process-wide: keeping freed memory for reuse is something training turns on (``memory.py``).

>>> import numpy as np
>>> from autograd.tensor import Tensor, conv2d
>>> x = Tensor(np.ones((1, 1, 3, 3)))
>>> w = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
>>> conv2d(x, w).sum().backward()
>>> w.grad[0, 0]
array([[4., 4.],
       [4., 4.]])
"""

from .anomaly import AnomalyError, detect_anomaly
from .functions import (
    broadcast_to,
    concatenate,
    conv2d,
    conv_transpose2d,
    int_pair,
    linear,
    log_softmax,
    max_pool2d,
    maximum,
    stack,
    where,
)
from .memory import keep_freed_memory, keep_freed_memory_for_training, release_freed_memory
from .tensor import Tensor

__all__ = [
    "AnomalyError", "Tensor", "broadcast_to", "concatenate", "conv2d", "conv_transpose2d",
    "detect_anomaly", "int_pair", "keep_freed_memory", "keep_freed_memory_for_training", "linear",
    "log_softmax", "max_pool2d", "maximum", "release_freed_memory", "stack", "where",
]
