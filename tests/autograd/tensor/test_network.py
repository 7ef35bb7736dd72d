"""The network ops of autograd.tensor (conv2d, max_pool2d, log_softmax) beyond the op table's
property tests: argument checking, blocks, layouts through a whole network, PyTorch parity."""

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from autograd import tensor as F

from .cases import conv2d_reference


def test_conv2d_without_bias_with_pairs_of_stride_and_padding():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2))
    y = F.conv2d(Tensor(x), Tensor(w), stride=(2, 1), padding=(1, 0))
    assert y.shape == (2, 4, 4, 5)
    np.testing.assert_allclose(y.data, conv2d_reference(x, w, np.zeros(4), (2, 1), (1, 0)),
                               rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda a, b: F.conv2d(a, b, stride=(2, 1), padding=(1, 0)),
                     Tensor(x[:1, :2, :5, :4].copy(), requires_grad=True),
                     Tensor(w[:2, :2].copy(), requires_grad=True))


# one sample's im2col below: 3 * 6 output pixels * 12 values * 8 bytes = 1728 bytes (2 channels)
@pytest.mark.parametrize("block_bytes", [1, 2 * 1728, 10 ** 9])  # 1 sample; 2, 2, 1; all five
@pytest.mark.parametrize("channels", [2, 1])  # one channel is gathered offset by offset
def test_conv2d_gives_the_same_numbers_whatever_the_block_of_samples(monkeypatch, block_bytes,
                                                                      channels):
    from autograd.tensor import conv

    monkeypatch.setattr(conv, "BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s) for s in ((5, channels, 6, 5), (3, channels, 3, 2), (3,)))
    up = rng.standard_normal((5, 3, 3, 6))
    xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, stride=(2, 1), padding=1)
    np.testing.assert_allclose(y.data, conv2d_reference(x, w, b, (2, 1), (1, 1)), rtol=1e-12,
                               atol=1e-12)
    (y * Tensor(up)).sum().backward()
    monkeypatch.setattr(conv, "BLOCK_BYTES", 10 ** 9)
    grads = [t.grad.copy() for t in (xt, wt, bt)]
    for t in (xt, wt, bt):
        t.grad = None
    (F.conv2d(xt, wt, bt, stride=(2, 1), padding=1) * Tensor(up)).sum().backward()
    for got, expected in zip(grads, (t.grad for t in (xt, wt, bt))):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda a, c: F.conv2d(a, c, stride=(2, 1), padding=1),
                     Tensor(x[:3, :, :4], requires_grad=True), Tensor(w, requires_grad=True))


def test_conv2d_of_an_empty_batch():
    x, w = Tensor(np.ones((0, 2, 4, 4)), requires_grad=True), Tensor(np.ones((3, 2, 3, 3)),
                                                                     requires_grad=True)
    y = F.conv2d(x, w)
    assert y.shape == (0, 3, 2, 2)
    y.sum().backward()
    assert x.grad.shape == (0, 2, 4, 4) and not w.grad.any()


def test_max_pool2d_gives_a_window_s_gradient_to_its_nan_as_pytorch_does():
    x = Tensor(np.array([[[[1.0, np.nan, 0.0, 5.0], [3.0, 2.0, 5.0, 1.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [[[[0, 1, 0, 1], [0, 0, 0, 0]]]])


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 2)])  # windows side by side; overlapping
def test_max_pool2d_backward_leaves_the_upstream_gradient_alone(kernel, stride):
    """A convolution hands back a channels-last gradient; the pooling below must not use that
    array as its work space (the pooled tensor's grad is the user's to read)."""
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((2, 3, 9, 9)), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 2, 2)))
    pooled = F.max_pool2d(x, kernel, stride)
    F.conv2d(pooled, w).sum().backward()
    leaf = Tensor(pooled.data.copy(), requires_grad=True)
    F.conv2d(leaf, w).sum().backward()
    np.testing.assert_allclose(pooled.grad, leaf.grad, rtol=1e-12)


def test_max_pool2d_nan_and_ties_in_3x3_windows_as_pytorch():
    data = np.zeros((1, 2, 6, 7))
    data[0, 0, 1, 2] = data[0, 0, 2, 1] = np.nan  # two NaNs in one window: the last wins
    data[0, 1, 4, 4] = np.nan
    x = Tensor(data, requires_grad=True)
    up = np.arange(1.0, 9.0).reshape(1, 2, 2, 2)
    F.max_pool2d(x, 3).backward(up)
    expected = np.zeros_like(data)
    # channel 0: the window's last NaN, then the first zero of each all-zero window; channel 1:
    # the first zero, and in the last window its NaN
    for value, (c, i, j) in enumerate([(0, 2, 1), (0, 0, 3), (0, 3, 0), (0, 3, 3),
                                       (1, 0, 0), (1, 0, 3), (1, 3, 0), (1, 4, 4)], start=1):
        expected[0, c, i, j] = value
    np.testing.assert_array_equal(x.grad, expected)
    torch = pytest.importorskip("torch")
    for kernel, stride in [(3, 3), (3, 2), (2, 3), (2, 1)]:  # side by side, overlapping, gaps
        x.grad = None
        t = torch.tensor(data, requires_grad=True)
        y, ty = F.max_pool2d(x, kernel, stride), torch.nn.functional.max_pool2d(t, kernel, stride)
        up = np.arange(1.0, 1.0 + y.data.size).reshape(y.shape)
        y.backward(up)
        ty.backward(torch.tensor(up))
        np.testing.assert_array_equal(x.grad, t.grad.numpy(), err_msg=f"{kernel=} {stride=}")


def test_conv2d_and_max_pool2d_argument_errors():
    x, w = Tensor(np.ones((1, 3, 5, 5))), Tensor(np.ones((2, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"conv2d: input shape \(1, 3, 5, 5\) has 3 channels "
                                         r"but weight shape \(2, 1, 3, 3\) expects 1"):
        F.conv2d(x, w)
    with pytest.raises(ValueError, match=r"conv2d: input must be 4-D \(N, C, H, W\), got shape "
                                         r"\(3, 5, 5\)"):
        F.conv2d(Tensor(np.ones((3, 5, 5))), w)
    with pytest.raises(ValueError, match=r"conv2d: bias shape \(3,\) does not match the 2 "
                                         "output channels"):
        F.conv2d(Tensor(np.ones((1, 1, 5, 5))), w, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="conv2d: kernel 3x3 is larger than the padded input "
                                         "2x2"):
        F.conv2d(Tensor(np.ones((1, 1, 2, 2))), w)
    with pytest.raises(ValueError, match="conv2d: stride must be at least 1, got 0"):
        F.conv2d(Tensor(np.ones((1, 1, 5, 5))), w, stride=0)
    with pytest.raises(TypeError, match="conv2d: padding must be an int or a pair of ints, got "
                                        "1.5"):
        F.conv2d(Tensor(np.ones((1, 1, 5, 5))), w, padding=1.5)
    with pytest.raises(TypeError, match="conv2d: weight must be a Tensor or a numpy array, got "
                                        "list"):
        F.conv2d(x, [[1.0]])
    with pytest.raises(ValueError, match="max_pool2d: kernel 3x3 is larger than the input 2x2"):
        F.max_pool2d(Tensor(np.ones((1, 1, 2, 2))), 3)


def test_a_small_cnn_matches_pytorch_in_float32():
    """conv -> relu -> conv (padding) -> relu -> pool -> flatten -> dense, values and every
    gradient: exercises the channels-last layouts that pass between the ops."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = {"x": rng.standard_normal((4, 2, 9, 9)), "w1": rng.standard_normal((5, 2, 3, 3)),
              "b1": rng.standard_normal(5), "w2": rng.standard_normal((6, 5, 3, 3)),
              "b2": rng.standard_normal(6), "w3": rng.standard_normal((6 * 3 * 3, 3))}
    arrays = {k: (v * 0.3).astype(np.float32) for k, v in arrays.items()}
    labels = np.array([0, 2, 1, 2])

    def net(lib, t):
        h = lib.conv2d(t["x"], t["w1"], t["b1"]).relu()
        h = lib.conv2d(h, t["w2"], t["b2"], stride=1, padding=1).relu()
        h = lib.max_pool2d(h, 2).flatten(1)
        return lib.log_softmax(h @ t["w3"], -1)

    ours = {k: Tensor(v, requires_grad=k != "x") for k, v in arrays.items()}
    theirs = {k: torch.tensor(v, requires_grad=k != "x") for k, v in arrays.items()}
    out = net(F, ours)
    ref = net(torch.nn.functional, theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-4, atol=1e-5)
    (-out[np.arange(4), labels].mean()).backward()
    (-ref[torch.arange(4), torch.tensor(labels)].mean()).backward()
    for k in arrays:
        if k != "x":
            assert ours[k].grad.dtype == np.float32
            np.testing.assert_allclose(ours[k].grad, theirs[k].grad.numpy(), rtol=1e-3,
                                       atol=1e-5)


@pytest.mark.parametrize("kernel, stride, size",
                         [(2, 2, 6), (2, 2, 7), (3, 3, 8), (1, 1, 3), (3, 2, 7), (2, 3, 8)])
def test_max_pool2d_gradient_goes_to_the_first_maximum_on_ties(kernel, stride, size):
    """ReLU outputs make ties common (all-zero windows): the whole gradient goes to the first
    maximum in row-major order, exactly once, as in PyTorch."""
    rng = np.random.default_rng(kernel * 10 + size)
    data = np.maximum(rng.integers(-2, 2, size=(2, 3, size, size)), 0).astype(np.float64)
    x = Tensor(data, requires_grad=True)
    up = rng.standard_normal(F.max_pool2d(x, kernel, stride).shape)
    F.max_pool2d(x, kernel, stride).backward(up)
    oh = (size - kernel) // stride + 1
    expected = np.zeros_like(data)
    for n, c, i, j in np.ndindex(2, 3, oh, oh):
        window = data[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
        p, q = np.unravel_index(np.argmax(window), window.shape)
        expected[n, c, i * stride + p, j * stride + q] += up[n, c, i, j]
    np.testing.assert_allclose(x.grad, expected)
    torch = pytest.importorskip("torch")
    t = torch.tensor(data, requires_grad=True)
    torch.nn.functional.max_pool2d(t, kernel, stride).backward(torch.tensor(up))
    np.testing.assert_allclose(x.grad, t.grad.numpy())


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 3), (3, 2), (2, 3)])
def test_max_pool2d_passes_an_inf_or_nan_upstream_gradient_only_to_the_maximum(kernel, stride):
    """0/1 masks times an inf would put NaN (inf * 0) into the window's other cells; PyTorch
    gives them 0, and so do we, also when the input holds NaN."""
    rng = np.random.default_rng(kernel + 10 * stride)
    data = rng.standard_normal((2, 3, 8, 8))
    data[0, 1, 2, 3] = np.nan
    x = Tensor(data, requires_grad=True)
    y = F.max_pool2d(x, kernel, stride)
    up = rng.standard_normal(y.shape)
    up[0, :, 0, 0], up[1, 2, 1, 1], up[0, 1, 1, 1] = np.inf, -np.inf, np.nan
    y.backward(up)
    expected = np.zeros_like(data)
    oh = (8 - kernel) // stride + 1
    for n, c, i, j in np.ndindex(2, 3, oh, oh):
        window = data[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
        nans = np.flatnonzero(np.isnan(window))
        flat = nans[-1] if nans.size else np.argmax(window)
        p, q = np.unravel_index(flat, window.shape)
        expected[n, c, i * stride + p, j * stride + q] += up[n, c, i, j]
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)  # overlaps: sums
    torch = pytest.importorskip("torch")
    t = torch.tensor(data, requires_grad=True)
    torch.nn.functional.max_pool2d(t, kernel, stride).backward(torch.tensor(up))
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)


def test_max_pool2d_adds_inf_and_minus_inf_to_nan_without_a_warning_as_pytorch():
    x = Tensor(np.array([[[[0.0, 5.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, (1, 2), 1).backward(np.array([[[[np.inf, -np.inf]]]]))  # both pick the 5
    np.testing.assert_array_equal(x.grad, [[[[0.0, np.nan, 0.0]]]])


@pytest.mark.parametrize("block_bytes", [1, 10 ** 9])  # blocks of one sample, or one block
@pytest.mark.parametrize("needs", [(True, True, True), (True, False, False), (False, True, False),
                                   (False, False, True), (True, False, True)])
def test_conv2d_rule_agrees_with_its_plain_reference(monkeypatch, block_bytes, needs):
    """The fast rule (blocks, kept im2col rows, the bias in the product) against the ten-line
    reference rule beside it, for each combination of inputs that need a gradient."""
    from autograd.tensor import conv

    monkeypatch.setattr(conv, "BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(sum(needs) + block_bytes % 7)
    for channels, stride, padding in [(1, (1, 1), (0, 0)), (3, (2, 1), (1, 2)), (2, (3, 3), 1)]:
        x, w, b = (Tensor(rng.standard_normal(shape), requires_grad=need) for shape, need in
                   zip([(3, channels, 7, 6), (4, channels, 3, 2), (4,)], needs))
        y = F.conv2d(x, w, b, stride=stride, padding=padding)
        up = rng.standard_normal(y.shape)
        fast = y._op.vjp(y, up)
        reference = conv.conv2d_vjp_reference(y, up)
        for got, want, parent in zip(fast, reference, (x, w, b)):
            if parent.requires_grad:
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
            else:
                assert got is None
