"""Neuron, Layer and MLP on scalar Values: micrograd's nn, as glassgrad modules.

A neuron computes a linear combination of its inputs plus a bias, then (in hidden layers) a ReLU:

    n(x) = relu(sum_i w_i * x_i + b)

A layer is ``nout`` neurons reading the same inputs; an MLP is layers in a chain, ReLU in the hidden
layers and linear at the output. Weights start at ``random.uniform(-1, 1)`` from Python's ``random``
module and biases at 0, in the same order as micrograd, so ``random.seed(1337)`` gives the same
network as micrograd and a micrograd program runs unchanged with ``from nn import MLP``.

>>> import random
>>> from autograd import Value
>>> random.seed(0)
>>> model = MLP(2, [16, 16, 1])
>>> len(model.parameters())
337
>>> score = model([Value(1.0), Value(-2.0)])
>>> type(score).__name__
'Value'
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

from autograd import Value

from ._checks import count
from .module import Module
from .state import Slot

__all__ = ["Layer", "MLP", "Neuron"]


class Neuron(Module):
    """One neuron: ``relu(w . x + b)``, or ``w . x + b`` with ``nonlin=False``.

    Args:
        nin: number of inputs (and weights).
        nonlin: apply a ReLU to the sum (hidden layers) or not (output layer).

    >>> import random
    >>> random.seed(1)
    >>> n = Neuron(2)
    >>> n
    ReLUNeuron(2)
    >>> [round(w.data, 4) for w in n.w], n.b.data
    ([-0.7313, 0.6949], 0.0)
    """

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        count("Neuron", "nin", nin)
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def forward(self, x: Sequence[Value | float]) -> Value:
        """``sum_i w_i * x_i + b`` (accumulated from ``b``, as micrograd does), then ReLU."""
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def output_shape(self, input_shape: tuple | None) -> tuple:
        """A neuron outputs one Value: shape ``()``."""
        return ()

    def _state_slots(self, prefix: str = "", path: frozenset[int] = frozenset()
                     ) -> Iterator[tuple[str, Slot]]:
        """State: ``weight`` (nin,) and ``bias`` () as float64 arrays (not ``w.0``, ``w.1``...)."""
        yield prefix + "weight", Slot.of_values(self.w, (len(self.w),))
        yield prefix + "bias", Slot.of_values([self.b], ())

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons on the same ``nin`` inputs; keyword arguments go to each :class:`Neuron`.

    Calling it returns a list of ``nout`` Values, or the Value itself when ``nout == 1``.
    """

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        count("Layer", "nin", nin)
        count("Layer", "nout", nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def output_shape(self, input_shape: tuple | None) -> tuple:
        """``(nout,)``, or ``()`` when the layer has one neuron (it returns a single Value)."""
        return () if len(self.neurons) == 1 else (len(self.neurons),)

    def _state_slots(self, prefix: str = "", path: frozenset[int] = frozenset()
                     ) -> Iterator[tuple[str, Slot]]:
        """State as ``torch.nn.Linear``'s: ``weight`` (nout, nin) and ``bias`` (nout,), float64.

        >>> import random
        >>> random.seed(0)
        >>> {k: v.shape for k, v in Layer(3, 2).state_dict().items()}
        {'weight': (2, 3), 'bias': (2,)}
        """
        nin = len(self.neurons[0].w)
        if any(len(n.w) != nin for n in self.neurons):
            raise ValueError(f"state_dict: the neurons of Layer have different numbers of "
                             f"inputs ({sorted({len(n.w) for n in self.neurons})}); the weights "
                             "cannot form one (nout, nin) array")
        yield prefix + "weight", Slot.of_values([w for n in self.neurons for w in n.w],
                                                (len(self.neurons), nin))
        yield prefix + "bias", Slot.of_values([n.b for n in self.neurons], (len(self.neurons),))

    def extra_repr(self) -> str:
        first = self.neurons[0]
        return f"nin={len(first.w)}, nout={len(self.neurons)}, nonlin={bool(first.nonlin)}"


class MLP(Module):
    """A multi-layer perceptron: ReLU hidden layers of sizes ``nouts[:-1]``, a linear output.

    Args:
        nin: number of inputs.
        nouts: the size of each layer, the last one being the output size.

    >>> import random
    >>> random.seed(0)
    >>> text = MLP(3, [4, 4, 1]).summary()
    Model: "MLP"
    ____________________________________________
    Layer (type)       Output Shape   Param #
    ============================================
    layers.0 (Layer)   (4,)           16
    ____________________________________________
    layers.1 (Layer)   (4,)           20
    ____________________________________________
    layers.2 (Layer)   ()             5
    ============================================
    Total params: 41
    ____________________________________________
    """

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        count("MLP", "nin", nin)
        if isinstance(nouts, int | str) or not isinstance(nouts, Sequence) or not nouts:
            raise TypeError(f"MLP: nouts must be a non-empty list of layer sizes, "
                            f"got {nouts!r:.60}")
        sz = [nin] + list(nouts)
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1)
                       for i in range(len(nouts))]

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def output_shape(self, input_shape: tuple | None) -> tuple:
        """The output layer's shape: ``()`` for one output, ``(n,)`` for n outputs."""
        return self.layers[-1].output_shape(None)
