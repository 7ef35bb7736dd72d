"""nn.Conv2DTranspose and nn.UpSampling2D: against PyTorch's ConvTranspose2d and Upsample in
float64 (with PyTorch's weights loaded through load_state_dict), second derivatives, shapes,
summary, init and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, gradgradcheck
from nn import Conv2DTranspose, Dense, ReLU, Reshape, Sequential, UpSampling2D

from .torch_compare import as_float64, compare_with_torch


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# (in, out, kernel, stride, padding, output_padding, bias, input (h, w))
TRANSPOSED = [
    (3, 2, 3, 1, 0, 0, True, (4, 5)),
    (4, 3, 3, 2, 1, 1, True, (5, 4)),
    (2, 3, (2, 3), (3, 2), (1, 0), (2, 1), False, (3, 4)),
    (1, 2, (4, 2), (2, 3), (2, 1), (0, 2), True, (4, 3)),
]


@pytest.mark.parametrize("cin, cout, kernel, stride, padding, extra, bias, size", TRANSPOSED)
def test_conv2d_transpose_matches_pytorch(cin, cout, kernel, stride, padding, extra, bias, size):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.ConvTranspose2d(cin, cout, kernel, stride=stride, padding=padding,
                                      output_padding=extra, bias=bias).double()
    if bias:
        torch.nn.init.uniform_(theirs.bias, -1, 1)
    ours = as_float64(Conv2DTranspose(cin, cout, kernel, stride=stride, padding=padding,
                                      output_padding=extra, bias=bias, rng=0))
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert repr(ours) == repr(theirs).replace("ConvTranspose2d", "Conv2DTranspose").replace(
        ", stride=(1, 1)", "")  # as Conv2D's repr: a stride of 1 is not shown
    x = rand(2, cin, *size, seed=1)
    out = compare_with_torch(torch, ours, theirs, x)
    assert out.shape == ours.output_shape(x.shape)
    assert ours.output_shape(x.shape[1:]) == (None, *out.shape[1:])


def test_conv2d_transpose_second_derivatives():
    layer = as_float64(Conv2DTranspose(2, 3, 3, stride=2, padding=1, output_padding=1, rng=0))
    layer.bias.data[...] = rand(3, seed=2)
    x = Tensor(rand(1, 2, 3, 3, seed=3), requires_grad=True)
    assert gradgradcheck(lambda x, w, b: layer(x).tanh(), x, layer.weight, layer.bias)


def test_conv2d_transpose_undoes_a_conv2d_s_change_of_size_and_is_float32_glorot():
    layer = Conv2DTranspose(64, 32, 3, stride=2, padding=1, output_padding=1, rng=0)
    assert layer.weight.shape == (64, 32, 3, 3) and layer.bias.shape == (32,)
    assert layer.weight.dtype == np.float32 and not layer.bias.data.any()
    limit = math.sqrt(6 / ((32 + 64) * 9))
    assert limit * 0.99 < np.abs(layer.weight.data).max() <= limit
    he = Conv2DTranspose(64, 32, 3, init="he_uniform", rng=0)  # fan_in = out * kh * kw
    assert np.abs(he.weight.data).max() == pytest.approx(math.sqrt(6 / (32 * 9)), rel=0.01)
    assert layer.output_shape((64, 7, 7)) == (None, 32, 14, 14)
    assert Conv2DTranspose(1, 1, 3, stride=2, padding=1).output_shape((1, 7, 7)) == \
        (None, 1, 13, 13)
    out = layer(np.zeros((2, 64, 7, 7), dtype=np.float32))
    assert out.shape == (2, 32, 14, 14) and out.dtype == np.float32
    assert repr(Conv2DTranspose(2, 3, 2, bias=False)) == \
        "Conv2DTranspose(2, 3, kernel_size=(2, 2), bias=False)"


def test_decoder_summary():
    model = Sequential(Dense(10, 64 * 7 * 7), Reshape(64, 7, 7), ReLU(),
                       Conv2DTranspose(64, 32, 3, stride=2, padding=1, output_padding=1),
                       ReLU(), Conv2DTranspose(32, 1, 3, stride=2, padding=1, output_padding=1),
                       UpSampling2D((1, 2)))
    text = model.summary(input_shape=(10,), print_fn=None)
    assert "(None, 64, 7, 7)" in text and "(None, 32, 14, 14)" in text
    assert "(None, 1, 28, 56)" in text
    assert f"Total params: {model.num_parameters():,}" in text
    assert model.num_parameters() == 10 * 3136 + 3136 + 64 * 32 * 9 + 32 + 32 * 9 + 1
    assert model(np.zeros((3, 10), dtype=np.float32)).shape == (3, 1, 28, 56)


@pytest.mark.parametrize("make, error, match", [
    (lambda: Conv2DTranspose(2, 3, 3, stride=2, output_padding=2), ValueError,
     r"Conv2DTranspose: output_padding \(2, 2\) must be smaller than the stride \(2, 2\)"),
    (lambda: Conv2DTranspose(2, 3, 3, output_padding=(0, 1)), ValueError,
     r"output_padding \(0, 1\) must be smaller than the stride \(1, 1\)"),
    (lambda: Conv2DTranspose(0, 3, 3), ValueError, "Conv2DTranspose: in_channels must be at "
                                                   "least 1"),
    (lambda: Conv2DTranspose(2, 3, 2.5), TypeError, "Conv2DTranspose: kernel_size must be an int "
                                                    "or a pair"),
    (lambda: Conv2DTranspose(2, 3, 3, bias="yes"), TypeError, "Conv2DTranspose: bias must be a "
                                                              "bool"),
    (lambda: UpSampling2D(0), ValueError, "UpSampling2D: size must be at least 1"),
    (lambda: UpSampling2D(1.5), TypeError, "UpSampling2D: size must be an int or a pair"),
])
def test_constructor_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("layer, shape, match", [
    (Conv2DTranspose(2, 3, 3), (1, 3, 4, 4),
     r"Conv2DTranspose\(2, 3, kernel_size=\(3, 3\)\): expected input of shape \(batch, 2, "
     r"height, width\), got \(1, 3, 4, 4\)"),
    (Conv2DTranspose(2, 3, 3), (2, 4, 4), r"expected input of shape \(batch, 2, height, width\), "
                                          r"got \(2, 4, 4\)"),
    (Conv2DTranspose(2, 3, 1, padding=1), (1, 2, 1, 1),
     r"images of 1x1 pixels give -1x-1; the padding \(1, 1\) takes more than the output has"),
    (UpSampling2D(2), (1, 4, 4), r"UpSampling2D\(size=\(2, 2\)\): expected input of shape "
                                 r"\(batch, channels, height, width\), got \(1, 4, 4\)"),
])
def test_input_shape_errors_name_the_layer(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("size", [2, 3, (2, 3), (1, 4)])
def test_upsampling2d_matches_pytorch_upsample_nearest(size):
    torch = pytest.importorskip("torch")
    pair = size if isinstance(size, tuple) else (size, size)
    theirs = torch.nn.Upsample(scale_factor=tuple(float(s) for s in pair), mode="nearest")
    x = rand(2, 3, 5, 4, seed=4)
    out = compare_with_torch(torch, UpSampling2D(size), theirs, x, load=False)
    assert out.shape == (2, 3, 5 * pair[0], 4 * pair[1])
    assert UpSampling2D(size).output_shape((3, 5, 4)) == (None, 3, 5 * pair[0], 4 * pair[1])


def test_upsampling2d_repeats_pixels_and_sums_gradient_blocks():
    x = Tensor(np.arange(6.0).reshape(1, 1, 2, 3), requires_grad=True)
    out = UpSampling2D((2, 1))(x)
    np.testing.assert_array_equal(out.data[0, 0], [[0, 1, 2], [0, 1, 2], [3, 4, 5], [3, 4, 5]])
    out.backward(np.arange(12.0).reshape(1, 1, 4, 3))
    np.testing.assert_array_equal(x.grad[0, 0], [[3, 5, 7], [15, 17, 19]])
    assert gradgradcheck(lambda t: (UpSampling2D(2)(t) ** 3).tanh(),
                         Tensor(rand(1, 2, 2, 3, seed=5), requires_grad=True))
    assert repr(UpSampling2D(3)) == "UpSampling2D(size=(3, 3))"
