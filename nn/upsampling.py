"""Layers that make images larger: Conv2DTranspose (learned) and UpSampling2D (nearest).

A decoder (an autoencoder's, a generator's) goes from a small code to an image, the way an
encoder's Conv2D and MaxPool2D go the other way:

>>> import numpy as np
>>> from nn import Dense, ReLU, Reshape, Sequential
>>> decoder = Sequential(Dense(16, 8 * 7 * 7, rng=0), Reshape(8, 7, 7), ReLU(),
...                      Conv2DTranspose(8, 4, 3, stride=2, padding=1, output_padding=1, rng=1),
...                      ReLU(), UpSampling2D(2))
>>> decoder.output_shape((16,)), decoder(np.zeros((3, 16), dtype=np.float32)).shape
((None, 4, 28, 28), (3, 4, 28, 28))
"""

from __future__ import annotations

from typing import Any

from autograd import Tensor, broadcast_to
from autograd.tensor import int_pair

from . import functional as F
from ._checks import count
from .layers import Shape, _as_tensor, _flag, _image_shape, _init_weight, _zeros
from .module import Module

__all__ = ["Conv2DTranspose", "UpSampling2D"]


class Conv2DTranspose(Module):
    """A transposed 2-D convolution (PyTorch's ``ConvTranspose2d``, Keras' ``Conv2DTranspose``):
    each input pixel spreads its channels, through the kernel, over a window of the output.

        y[n, o, s*i + p - pad, s*j + q - pad] += sum_c weight[c, o, p, q] * x[n, c, i, j]

    plus ``bias[o]``: the adjoint of a Conv2D in its input (the gradient a convolution sends
    back), so it undoes a Conv2D's change of size. The output is (N, out_channels, OH, OW) with

        OH = (H - 1) * stride - 2 * padding + kh + output_padding   (OW likewise)

    ``weight`` is (in_channels, out_channels, kh, kw), PyTorch's layout for ConvTranspose2d.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: an int or a pair (kh, kw).
        stride, padding: ints or pairs (the stride and padding of the Conv2D it undoes).
        output_padding: an int or a pair, each smaller than the stride: rows and columns added
            at the bottom and right (a Conv2D of stride s maps s sizes to one; this picks one).
        bias: False for a layer without bias (``bias`` is None), as in PyTorch.
        init, rng: as for :class:`nn.Dense`; fan_in = out_channels*kh*kw and fan_out =
            in_channels*kh*kw, as PyTorch and Keras count them for this layer.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 output_padding: int | tuple[int, int] = 0, bias: bool = True,
                 init: str = "glorot_uniform", rng: Any = None) -> None:
        owner = "Conv2DTranspose"
        self.in_channels = count(owner, "in_channels", in_channels)
        self.out_channels = count(owner, "out_channels", out_channels)
        self.kernel_size = int_pair(owner, "kernel_size", kernel_size)
        self.stride = int_pair(owner, "stride", stride)
        self.padding = int_pair(owner, "padding", padding, minimum=0)
        self.output_padding = int_pair(owner, "output_padding", output_padding, minimum=0)
        if any(e >= s for e, s in zip(self.output_padding, self.stride)):
            raise ValueError(f"{owner}: output_padding {self.output_padding} must be smaller "
                             f"than the stride {self.stride} on each axis")
        kh, kw = self.kernel_size
        self.weight = _init_weight(owner, (self.in_channels, self.out_channels, kh, kw),
                                   self.out_channels * kh * kw, self.in_channels * kh * kw,
                                   init, rng)
        self.bias = _zeros(owner, self.out_channels) if _flag(owner, bias) else None

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor("Conv2DTranspose", x)
        if x.ndim != 4:
            raise ValueError(f"{self._name()}: expected input of shape (batch, "
                             f"{self.in_channels}, height, width), got {x.shape}")
        self.output_shape(x.shape)  # a clear error for a shape that does not fit
        return F.conv_transpose2d(x, self.weight, self.bias, stride=self.stride,
                                  padding=self.padding, output_padding=self.output_padding)

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        if input_shape is None:
            return None
        n, _, h, w = _image_shape(self._name(), input_shape, self.in_channels)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        oh = (h - 1) * sh - 2 * ph + kh + self.output_padding[0]
        ow = (w - 1) * sw - 2 * pw + kw + self.output_padding[1]
        if oh < 1 or ow < 1:
            raise ValueError(f"{self._name()}: images of {h}x{w} pixels give {oh}x{ow}; the "
                             f"padding {self.padding} takes more than the output has (input "
                             f"shape {tuple(input_shape)})")
        return (n, self.out_channels, oh, ow)

    def _name(self) -> str:
        return f"Conv2DTranspose({self.extra_repr()})"

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        defaults = {"stride": (1, 1), "padding": (0, 0), "output_padding": (0, 0)}
        for name, default in defaults.items():
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text if self.bias is not None else text + ", bias=False"


class UpSampling2D(Module):
    """Repeat each pixel ``size`` times down and across (nearest-neighbour upsampling, Keras'
    ``UpSampling2D``, PyTorch's ``Upsample(scale_factor=size, mode="nearest")``):

        y[n, c, i, j] = x[n, c, i // sh, j // sw]

    (N, C, H, W) becomes (N, C, H * sh, W * sw). A composition of tensor ops (a reshape, a
    ``broadcast_to`` and a reshape), so its gradient sums each sh x sw block.

    >>> import numpy as np
    >>> UpSampling2D(2)(np.arange(4.0).reshape(1, 1, 2, 2)).numpy()[0, 0]
    array([[0., 0., 1., 1.],
           [0., 0., 1., 1.],
           [2., 2., 3., 3.],
           [2., 2., 3., 3.]])
    """

    def __init__(self, size: int | tuple[int, int] = 2) -> None:
        self.size = int_pair("UpSampling2D", "size", size)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor("UpSampling2D", x)
        if x.ndim != 4:
            raise ValueError(f"{self._name()}: expected input of shape (batch, channels, "
                             f"height, width), got {x.shape}")
        (n, c, h, w), (sh, sw) = x.shape, self.size
        repeated = broadcast_to(x.reshape(n, c, h, 1, w, 1), (n, c, h, sh, w, sw))
        return repeated.reshape(n, c, h * sh, w * sw)

    def output_shape(self, input_shape: Shape | None) -> Shape | None:
        if input_shape is None:
            return None
        n, c, h, w = _image_shape(self._name(), input_shape, None)
        return (n, c, h * self.size[0], w * self.size[1])

    def _name(self) -> str:
        return f"UpSampling2D({self.extra_repr()})"

    def extra_repr(self) -> str:
        return f"size={self.size}"
