"""Layers on Tensors: Dense, Conv2D, MaxPool2D, Flatten, Reshape, Dropout, activations and
Sequential (more in ``upsampling.py``, ``normalization.py``, ``embedding.py``).

Images use PyTorch's layout, (batch, channels, height, width). Every parameter is a float32
:class:`nn.Parameter` held in an attribute (``weight``, ``bias``), so
:meth:`nn.Module.parameters` finds it; names and layouts are PyTorch's, so ``state_dict()`` of
``Sequential(Dense(4, 8), ReLU(), Dense(8, 3))`` has the keys and shapes of
``torch.nn.Sequential(Linear(4, 8), ReLU(), Linear(8, 3))``.

**Initialisation.** Weights are drawn from Glorot (Xavier) uniform, Keras' default:

    w ~ U(-limit, limit),   limit = sqrt(6 / (fan_in + fan_out))

which keeps the variance of activations and of gradients roughly constant from layer to layer
(fan_in = in_features, or in_channels * kh * kw for a convolution; fan_out likewise). Biases start
at zero. ``init="he_uniform"`` gives He's limit sqrt(6 / fan_in), suited to deep ReLU stacks.
The draw comes from ``rng`` (a ``numpy.random.Generator`` or an int seed) or, when ``rng`` is None,
from a generator seeded from numpy's global one, so ``np.random.seed(0)`` makes a model
reproducible.

**Shapes for summary().** ``output_shape(input_shape)`` follows Keras: ``input_shape`` is one
sample's shape, e.g. ``(1, 28, 28)``, or starts with None for the batch axis; the output starts
with None. A shape that does not fit the layer is a ValueError naming the layer.

>>> import numpy as np
>>> np.random.seed(0)
>>> model = Sequential(Conv2D(1, 4, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(4 * 3 * 3, 2))
>>> model(np.zeros((5, 1, 8, 8), dtype=np.float32)).shape
(5, 2)
>>> model.output_shape((1, 8, 8)), model.num_parameters()
((None, 2), 114)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.tensor import int_pair

from . import functional as F
from ._checks import count, generator, number, sizes
from .module import Module
from .parameter import Parameter

__all__ = [
    "Conv2D", "Dense", "Dropout", "Flatten", "LeakyReLU", "MaxPool2D", "ReLU", "Reshape",
    "Sequential", "Sigmoid", "Tanh",
]

Shape = tuple[int | None, ...]
_INITS = ("glorot_uniform", "he_uniform")


# ---- helpers ---------------------------------------------------------------------------------

def _init_weight(owner: str, shape: tuple[int, ...], fan_in: int, fan_out: int, init: str,
                 rng: Any) -> Parameter:
    if init == "glorot_uniform":
        limit = math.sqrt(6.0 / (fan_in + fan_out))
    elif init == "he_uniform":
        limit = math.sqrt(6.0 / fan_in)
    else:
        raise ValueError(f"{owner}: init must be one of {', '.join(map(repr, _INITS))}, "
                         f"got {init!r}")
    data = generator(owner, rng).uniform(-limit, limit, size=shape).astype(np.float32)
    return Parameter(data, label=f"{owner}.weight")


def _zeros(owner: str, n: int) -> Parameter:
    return Parameter(np.zeros(n, dtype=np.float32), label=f"{owner}.bias")


def _flag(owner: str, value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{owner}: bias must be a bool, got {type(value).__name__} {value!r:.40}")
    return bool(value)


def _as_tensor(owner: str, x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor(x)
    raise TypeError(f"{owner}: expected a Tensor or a numpy array, got {type(x).__name__}")


def _batched(shape: Shape) -> Shape:
    """``shape`` with a leading None (batch) axis unless it has one already."""
    return shape if shape and shape[0] is None else (None, *shape)


def _shape_error(owner: str, expected: str, got: Any) -> ValueError:
    return ValueError(f"{owner}: expected input of shape {expected}, got {tuple(got)}")


def _image_shape(owner: str, input_shape: Shape, channels: int | None) -> Shape:
    """A (None or N, C, H, W) shape from one sample's (C, H, W) or a batched 4-D shape."""
    shape = tuple(input_shape)
    if len(shape) == 3:
        shape = (None, *shape)
    want = f"(batch, {channels if channels is not None else 'channels'}, height, width)"
    if len(shape) != 4 or (channels is not None and shape[1] != channels):
        raise _shape_error(owner, want, input_shape)
    return shape


# ---- layers with parameters ------------------------------------------------------------------

class Dense(Module):
    """A fully connected layer: ``y = x @ weight.T + bias`` (PyTorch's ``Linear``).

    ``weight`` is (out_features, in_features), as ``torch.nn.Linear.weight``: row ``o`` holds the
    weights of output ``o``. The product uses the transposed view (no copy); it acts on the last
    axis of ``x``. ``bias`` is (out_features,).

    Args:
        in_features: size of each input sample's last axis.
        out_features: size of each output sample's last axis.
        bias: False for a layer without bias (PyTorch's ``bias=False``): ``bias`` is then
            None, and neither a parameter nor an entry of ``state_dict()``.
        init: ``"glorot_uniform"`` (default) or ``"he_uniform"``; see the module docstring.
        rng: a numpy Generator or int seed for the initial weights (default: a generator
            seeded from numpy's global one, so ``np.random.seed`` makes a model repeat).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: str = "glorot_uniform", rng: Any = None) -> None:
        self.in_features = count("Dense", "in_features", in_features)
        self.out_features = count("Dense", "out_features", out_features)
        self.weight = _init_weight("Dense", (self.out_features, self.in_features),
                                   self.in_features, self.out_features, init, rng)
        self.bias = _zeros("Dense", self.out_features) if _flag("Dense", bias) else None

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor("Dense", x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise _shape_error(self._name(), f"(batch, {self.in_features})", x.shape)
        return F.linear(x, self.weight, self.bias)

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        if input_shape is None:
            return None
        shape = _batched(tuple(input_shape))
        if len(shape) < 2 or shape[-1] != self.in_features:
            raise _shape_error(self._name(), f"(batch, {self.in_features})", input_shape)
        return (*shape[:-1], self.out_features)

    def _name(self) -> str:
        return f"Dense({self.in_features}, {self.out_features})"

    def extra_repr(self) -> str:
        text = f"{self.in_features}, {self.out_features}"
        return text if self.bias is not None else text + ", bias=False"


class Conv2D(Module):
    """A 2-D convolution over (N, C, H, W) images (cross-correlation, as in PyTorch).

        y[n, o, i, j] = bias[o] + sum_{c, p, q} weight[o, c, p, q] * x[n, c, s*i + p, s*j + q]

    on the input padded with ``padding`` zeros; the output is (N, out_channels, OH, OW) with
    OH = (H + 2 * padding - kh) // stride + 1 (OW likewise). ``weight`` is
    (out_channels, in_channels, kh, kw), as PyTorch's.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: an int or a pair (kh, kw).
        stride, padding: ints or pairs.
        bias: False for a convolution without bias (``bias`` is None), as in PyTorch.
        init, rng: as for :class:`Dense` (fan_in = in_channels*kh*kw, fan_out = out_channels*kh*kw).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 bias: bool = True, init: str = "glorot_uniform", rng: Any = None) -> None:
        self.in_channels = count("Conv2D", "in_channels", in_channels)
        self.out_channels = count("Conv2D", "out_channels", out_channels)
        self.kernel_size = int_pair("Conv2D", "kernel_size", kernel_size)
        self.stride = int_pair("Conv2D", "stride", stride)
        self.padding = int_pair("Conv2D", "padding", padding, minimum=0)
        kh, kw = self.kernel_size
        self.weight = _init_weight("Conv2D", (self.out_channels, self.in_channels, kh, kw),
                                   self.in_channels * kh * kw, self.out_channels * kh * kw,
                                   init, rng)
        self.bias = _zeros("Conv2D", self.out_channels) if _flag("Conv2D", bias) else None

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor("Conv2D", x)
        self.output_shape(x.shape)  # a clear error for a shape that does not fit
        return F.conv2d(x, self.weight, self.bias, stride=self.stride, padding=self.padding)

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        if input_shape is None:
            return None
        n, c, h, w = _image_shape(self._name(), input_shape, self.in_channels)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        if h + 2 * ph < kh or w + 2 * pw < kw:
            raise ValueError(f"{self._name()}: expected images of at least {kh - 2 * ph}x"
                             f"{kw - 2 * pw} pixels, got {h}x{w} (input shape "
                             f"{tuple(input_shape)})")
        return (n, self.out_channels, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)

    def _name(self) -> str:
        return f"Conv2D({self.extra_repr()})"

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        if self.stride != (1, 1):
            text += f", stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        return text if self.bias is not None else text + ", bias=False"


# ---- layers without parameters ---------------------------------------------------------------

class MaxPool2D(Module):
    """Maximum over each ``kernel_size`` window of (N, C, H, W); ``stride`` defaults to it.

    The output is (N, C, (H - kh) // sh + 1, (W - kw) // sw + 1); the gradient flows to the
    (first) maximum of each window only.
    """

    def __init__(self, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] | None = None) -> None:
        self.kernel_size = int_pair("MaxPool2D", "kernel_size", kernel_size)
        self.stride = (self.kernel_size if stride is None
                       else int_pair("MaxPool2D", "stride", stride))

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor("MaxPool2D", x)
        self.output_shape(x.shape)
        return F.max_pool2d(x, self.kernel_size, self.stride)

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        if input_shape is None:
            return None
        n, c, h, w = _image_shape(self._name(), input_shape, None)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        if h < kh or w < kw:
            raise ValueError(f"{self._name()}: expected images of at least {kh}x{kw} pixels, "
                             f"got {h}x{w} (input shape {tuple(input_shape)})")
        return (n, c, (h - kh) // sh + 1, (w - kw) // sw + 1)

    def _name(self) -> str:
        return f"MaxPool2D({self.extra_repr()})"

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class Flatten(Module):
    """Keep the batch axis, merge all the others: (N, d1, d2, ...) -> (N, d1 * d2 * ...)."""

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor("Flatten", x)
        if x.ndim < 1:
            raise _shape_error("Flatten()", "(batch, ...)", x.shape)
        return x.reshape(x.shape[0], -1)

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        if input_shape is None:
            return None
        shape = _batched(tuple(input_shape))
        return (shape[0], math.prod(shape[1:]))


class Reshape(Module):
    """Give each sample a new shape, keeping the batch axis: (N, ...) -> (N, *shape).

    As Keras' ``Reshape``, ``shape`` is one sample's (the batch axis excluded); one entry may be
    -1, worked out from the sample's size. ``Reshape(64, 7, 7)`` turns a Dense layer's
    (N, 3136) into images (N, 64, 7, 7). The values keep their (row-major) order.

    >>> Reshape(2, -1)(np.zeros((5, 6))).shape, Reshape((3, 2)).output_shape((6,))
    ((5, 2, 3), (None, 3, 2))
    """

    def __init__(self, *shape: int | tuple[int, ...]) -> None:
        target = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
        self.shape = sizes("Reshape", "shape", target, free=True)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor("Reshape", x)
        if x.ndim < 1:
            raise _shape_error(self._name(), "(batch, ...)", x.shape)
        return x.reshape(x.shape[0], *self._sample(x.shape[1:]))

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        if input_shape is None:
            return None
        shape = _batched(tuple(input_shape))
        if any(d is None for d in shape[1:]):
            return (shape[0], *(None if d == -1 else d for d in self.shape))
        return (shape[0], *self._sample(shape[1:]))

    def _sample(self, sample: tuple) -> tuple[int, ...]:
        """The new shape of a sample of shape ``sample``, with -1 worked out."""
        size, known = math.prod(sample), math.prod(d for d in self.shape if d != -1)
        fits = size % known == 0 if -1 in self.shape else size == known
        if not fits:
            raise ValueError(f"{self._name()}: cannot reshape samples of shape {tuple(sample)} "
                             f"({size} values) into {self.shape}")
        return tuple(size // known if d == -1 else d for d in self.shape)

    def _name(self) -> str:
        return f"Reshape({self.extra_repr()})"

    def extra_repr(self) -> str:
        return ", ".join(map(str, self.shape))


class Dropout(Module):
    """While training, zero each element with probability ``p`` and scale the rest by 1/(1-p).

    The expected value of every element is unchanged, so in evaluation mode
    (:meth:`nn.Module.eval`) the layer is simply the identity.

    Args:
        p: the probability of dropping an element, in [0, 1).
        rng: a numpy Generator or int seed for the masks; by default a generator seeded from
            numpy's global generator when the layer is made (so ``np.random.seed`` fixes it).
    """

    def __init__(self, p: float, rng: Any = None) -> None:
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"Dropout: p must be a number, got {type(p).__name__} {p!r:.40}")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self._rng = generator("Dropout", rng)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(_as_tensor("Dropout", x), self.p, training=self.training, rng=self._rng)

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        return None if input_shape is None else _batched(tuple(input_shape))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class _Activation(Module):
    """An elementwise function: the output has the input's shape."""

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        return None if input_shape is None else _batched(tuple(input_shape))


class ReLU(_Activation):
    """relu(x) = max(x, 0) elementwise; its derivative is 1 where x > 0, else 0."""

    def forward(self, x: Any) -> Tensor:
        return _as_tensor("ReLU", x).relu()


class Tanh(_Activation):
    """tanh(x) elementwise; its derivative is 1 - tanh(x)**2."""

    def forward(self, x: Any) -> Tensor:
        return _as_tensor("Tanh", x).tanh()


class Sigmoid(_Activation):
    """sigmoid(x) = 1 / (1 + e^-x) elementwise; its derivative is s * (1 - s)."""

    def forward(self, x: Any) -> Tensor:
        return _as_tensor("Sigmoid", x).sigmoid()


class LeakyReLU(_Activation):
    """leaky_relu(x) = x where x > 0, else negative_slope * x, elementwise; its derivative is 1
    where x > 0, else negative_slope (PyTorch's ``LeakyReLU``, default slope 0.01)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = number("LeakyReLU", "negative_slope", negative_slope,
                                     low=-math.inf)

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(_as_tensor("LeakyReLU", x), self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


# ---- containers ------------------------------------------------------------------------------

class Sequential(Module):
    """Layers applied one after the other: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    The layers are children named ``"0"``, ``"1"``, ... as in ``torch.nn.Sequential``, so
    parameter names are ``0.weight``, ``2.bias``. Indexing gives a layer (``model[0]``) or,
    with a slice, a Sequential of those layers that shares their parameters; ``len`` and
    iteration go over the layers, and ``layers`` is their list.

    >>> model = Sequential(Dense(3, 4, rng=0), ReLU(), Dense(4, 1, rng=1))
    >>> len(model), type(model[1]).__name__, [n for n, _ in model.named_parameters()]
    (3, 'ReLU', ['0.weight', '0.bias', '2.weight', '2.bias'])
    """

    def __init__(self, *layers: Module) -> None:
        if len(layers) == 1 and isinstance(layers[0], list | tuple):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} must be an nn.Module, got "
                                f"{type(layer).__name__}")
        for i, layer in enumerate(layers):
            setattr(self, str(i), layer)  # the attribute "0": a child named as in PyTorch
        self._size = len(layers)

    @property
    def layers(self) -> list[Module]:
        """The layers, in order (a new list: change a layer with ``model[i] = layer``)."""
        return [getattr(self, str(i)) for i in range(self._size)]

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        shape = input_shape
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __setitem__(self, index: int, layer: Module) -> None:
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential: a layer must be an nn.Module, got {type(layer).__name__}")
        position = range(self._size)[index]  # an IndexError for an index out of range
        setattr(self, str(position), layer)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)
