"""autograd.tensor.conv_transpose2d, the checked function on the conv_transpose2d op: against
torch.nn.functional.conv_transpose2d in float64 (output, every gradient, second derivatives),
the output size with output_padding, and its errors."""

import numpy as np
import pytest

from autograd import Tensor, gradcheck, gradgradcheck
from autograd.engine import grad
from autograd.tensor import conv2d, conv_transpose2d

# (n, in, out, h, w, kernel, stride, padding, output_padding)
CONFIGS = [
    (2, 3, 2, 4, 5, (3, 3), 1, 0, 0),
    (2, 3, 4, 5, 4, (3, 3), 2, 1, 1),
    (1, 2, 3, 3, 4, (2, 3), (3, 2), (1, 0), (2, 1)),
    (3, 1, 2, 4, 3, (4, 2), (2, 3), (2, 1), (0, 2)),
    (2, 4, 1, 7, 7, (3, 3), 2, 1, 1),  # a decoder's last layer: one output channel
]


def _draw(config, seed=0):
    n, cin, cout, h, w, kernel, *_ = config
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, cin, h, w)), rng.standard_normal((cin, cout, *kernel)),
            rng.standard_normal(cout))


@pytest.mark.parametrize("config", CONFIGS)
def test_matches_pytorch_output_and_gradients(config):
    torch = pytest.importorskip("torch")
    *_, stride, padding, extra = config
    arrays = _draw(config)
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = conv_transpose2d(*ours, stride=stride, padding=padding, output_padding=extra)
    ref = torch.nn.functional.conv_transpose2d(*theirs, stride=stride, padding=padding,
                                               output_padding=extra)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(seed)
    ref.backward(torch.tensor(seed))
    for t, r in zip(ours, theirs):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS[1:4])
def test_second_derivatives_match_pytorch_and_finite_differences(config):
    """The gradient of (sum of squares of the input gradient), as a function of x, w and b:
    a second derivative through the recorded backward pass (conv2d and conv2d_weight)."""
    *_, stride, padding, extra = config
    arrays = _draw(config, 2)

    def f(x, w, b):
        return conv_transpose2d(x, w, b, stride=stride, padding=padding,
                                output_padding=extra).tanh()

    assert gradgradcheck(f, *[Tensor(a, requires_grad=True) for a in arrays])
    torch = pytest.importorskip("torch")
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    first = grad((f(*ours) ** 2).sum(), ours, create_graph=True)
    second = grad(sum((g * g).sum() for g in first), ours)
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = torch.nn.functional.conv_transpose2d(*theirs, stride=stride, padding=padding,
                                                output_padding=extra).tanh()
    tfirst = torch.autograd.grad((tout ** 2).sum(), theirs, create_graph=True)
    tsecond = torch.autograd.grad(sum((g * g).sum() for g in tfirst), theirs)
    for got, want in zip(second, tsecond):
        np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-9, atol=1e-10)


def test_first_derivatives_against_finite_differences():
    x, w, b = _draw(CONFIGS[2], 3)
    assert gradcheck(lambda *ts: conv_transpose2d(*ts, stride=(3, 2), padding=(1, 0),
                                                  output_padding=(2, 1)),
                     *[Tensor(a, requires_grad=True) for a in (x, w, b)])


def test_it_is_the_gradient_conv2d_sends_to_its_input():
    """conv2d(x, w) of stride 2 on a 7x7 input gives 4x4; conv_transpose2d of a 4x4 gradient
    with output_padding 0 gives back 7x7, and equals dL/dx."""
    rng = np.random.default_rng(4)
    x, w = Tensor(rng.standard_normal((2, 3, 7, 7)), requires_grad=True), \
        Tensor(rng.standard_normal((5, 3, 3, 3)))
    out = conv2d(x, w, stride=2, padding=1)
    up = rng.standard_normal(out.shape)
    out.backward(up)
    back = conv_transpose2d(Tensor(up), w, stride=2, padding=1)
    assert back.shape == x.shape
    np.testing.assert_allclose(back.data, x.grad, rtol=1e-12)


def test_output_size_and_dtype():
    x = Tensor(np.ones((1, 2, 7, 7), dtype=np.float32))
    w = Tensor(np.ones((2, 3, 3, 3), dtype=np.float32))
    for extra, side in ((0, 13), (1, 14)):
        out = conv_transpose2d(x, w, stride=2, padding=1, output_padding=extra)
        assert out.shape == (1, 3, side, side) and out.dtype == np.float32


@pytest.mark.parametrize("args, kwargs, error, match", [
    (((1, 2, 3, 3), (2, 3, 3, 3), None), {"output_padding": 1}, ValueError,
     r"conv_transpose2d: output_padding \(1, 1\) must be smaller than the stride \(1, 1\)"),
    (((1, 2, 3, 3), (3, 3, 3, 3), None), {}, ValueError,
     r"input shape \(1, 2, 3, 3\) has 2 channels but weight shape \(3, 3, 3, 3\) \(in, out, "
     r"kh, kw\) expects 3"),
    (((2, 3, 3), (2, 3, 3, 3), None), {}, ValueError, r"input must be 4-D \(N, C, H, W\), got "
                                                      r"shape \(2, 3, 3\)"),
    (((1, 2, 3, 3), (2, 3, 3), None), {}, ValueError, r"weight must be 4-D \(in, out, kh, kw\)"),
    (((1, 2, 3, 3), (2, 3, 3, 3), (2,)), {}, ValueError,
     r"bias shape \(2,\) does not match the 3 output channels"),
    (((1, 2, 1, 1), (2, 3, 1, 1), None), {"padding": 1}, ValueError,
     r"gives an output of -1x-1 pixels; it needs at least 1x1"),
    (((1, 2, 3, 3), (2, 3, 3, 3), None), {"stride": 0}, ValueError,
     r"conv_transpose2d: stride must be at least 1"),
    (((1, 2, 3, 3), (2, 3, 3, 3), None), {"output_padding": -1}, ValueError,
     r"conv_transpose2d: output_padding must be at least 0"),
])
def test_errors_name_the_function_and_the_shapes(args, kwargs, error, match):
    x, w, b = (None if s is None else Tensor(np.zeros(s)) for s in args)
    with pytest.raises(error, match=match):
        conv_transpose2d(x, w, b, **kwargs)
    with pytest.raises(TypeError, match="conv_transpose2d: input must be a Tensor or a numpy "
                                        "array, got list"):
        conv_transpose2d([1.0], w)
