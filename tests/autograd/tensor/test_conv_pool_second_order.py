"""conv2d's family (conv2d, conv_transpose2d, conv2d_weight) and max-pooling's gradient op
(max_unpool2d): forwards against plain loops, first derivatives against finite differences,
second derivatives of conv2d and max_pool2d through the recorded backward pass (float64), and a
Hessian-vector product against PyTorch."""

import numpy as np
import pytest

from autograd import Tensor, gradcheck, gradgradcheck, topological_order
from autograd import tensor as F
from autograd.engine import grad
from autograd.functional import hvp
from autograd.tensor import conv
from autograd.tensor.conv import (
    CONV2D,
    CONV2D_WEIGHT,
    CONV_TRANSPOSE2D,
    ConvContext,
    conv2d_weight_reference,
    conv_transpose2d_reference,
)
from autograd.tensor.pool import MAX_POOL2D, MAX_UNPOOL2D, PoolContext, max_positions

# ---- plain loop references: one output pixel (i, j) at a time ---------------------------------


def _pad(x, padding):
    (ph, pw) = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def conv2d_loops(x, w, b, stride, padding):
    (sh, sw), (kh, kw) = stride, w.shape[2:]
    xp = _pad(x, padding)
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, sh * i:sh * i + kh, sw * j:sw * j + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def conv_transpose2d_loops(y, w, stride, padding, size):
    """Each y[n, o, i, j] times w[o] added onto the window at (s*i, s*j) of the padded grid."""
    (sh, sw), (ph, pw), (kh, kw) = stride, padding, w.shape[2:]
    (h, wd), (oh, ow) = size, y.shape[2:]
    out = np.zeros((y.shape[0], w.shape[1], h + 2 * ph, wd + 2 * pw))
    for i in range(oh):
        for j in range(ow):
            out[:, :, sh * i:sh * i + kh, sw * j:sw * j + kw] += np.tensordot(
                y[:, :, i, j], w, axes=([1], [0]))
    return out[:, :, ph:ph + h, pw:pw + wd]


def conv2d_weight_loops(x, y, stride, padding, kernel):
    """The sum over samples and output pixels of y[n, :, i, j] times the window at (i, j)."""
    (sh, sw), (kh, kw) = stride, kernel
    xp = _pad(x, padding)
    gw = np.zeros((y.shape[1], x.shape[1], kh, kw))
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            gw += np.tensordot(y[:, :, i, j], xp[:, :, sh * i:sh * i + kh, sw * j:sw * j + kw],
                               axes=([0], [0]))
    return gw


# (n, c, o, h, w, kernel, stride, padding); several have (H + 2p - k) not divisible by the stride
CONFIGS = [
    (2, 3, 4, 7, 6, (3, 2), (2, 1), (1, 0)),
    (2, 2, 3, 8, 7, (3, 3), (2, 2), (0, 0)),  # rows: 8 - 3 = 5, stride 2
    (1, 1, 2, 9, 8, (2, 3), (3, 2), (1, 2)),  # columns: 8 + 4 - 3 = 9, stride 2
    (3, 2, 2, 5, 5, (1, 3), (2, 3), (0, 1)),  # columns: 5 + 2 - 3 = 4, stride 3
    (2, 3, 2, 6, 6, (4, 2), (3, 3), (2, 0)),  # columns: 6 - 2 = 4, stride 3
    (2, 1, 3, 5, 4, (5, 4), (1, 1), (0, 0)),  # the kernel is the whole input: one pixel
]


def _draw(config, seed):
    n, c, o, h, wd, kernel, stride, padding = config
    rng = np.random.default_rng(seed)
    x, w, b = (rng.standard_normal(s) for s in ((n, c, h, wd), (o, c, *kernel), (o,)))
    oh = (h + 2 * padding[0] - kernel[0]) // stride[0] + 1
    ow = (wd + 2 * padding[1] - kernel[1]) // stride[1] + 1
    return x, w, b, rng.standard_normal((n, o, oh, ow)), stride, padding


def test_the_configurations_include_strides_that_do_not_divide():
    rests = {(h + 2 * p[0] - k[0]) % s[0] or (wd + 2 * p[1] - k[1]) % s[1]
             for _, _, _, h, wd, k, s, p in CONFIGS}
    assert rests - {0}


@pytest.mark.parametrize("block_bytes", [1, 10 ** 9])  # one sample per block; one block
@pytest.mark.parametrize("config", CONFIGS)
def test_the_three_forwards_match_plain_loops(monkeypatch, config, block_bytes):
    monkeypatch.setattr(conv, "BLOCK_BYTES", block_bytes)
    x, w, b, y, stride, padding = _draw(config, 0)
    size, kernel = x.shape[2:], w.shape[2:]
    ctx = ConvContext(stride, padding)
    np.testing.assert_allclose(CONV2D.forward(x, w, b, ctx), conv2d_loops(x, w, b, stride, padding),
                               rtol=1e-12, atol=1e-12)
    assert (ctx.kernel, ctx.size) == (kernel, size)  # conv2d's forward fills them in
    expected = conv_transpose2d_loops(y, w, stride, padding, size)
    fresh = ConvContext(stride, padding, kernel=kernel, size=size)
    bias = np.random.default_rng(1).standard_normal(x.shape[1])
    for got in (CONV_TRANSPOSE2D.forward(y, w, bias, fresh),
                conv_transpose2d_reference(y, w, fresh, bias)):
        assert got.shape == x.shape
        np.testing.assert_allclose(got, expected + bias.reshape(-1, 1, 1), rtol=1e-12,
                                   atol=1e-12)
    expected = conv2d_weight_loops(x, y, stride, padding, kernel)
    # with what conv2d's forward kept for this x (its im2col rows, or its padded input), without
    for c in (ctx, fresh):
        got = CONV2D_WEIGHT.forward(x, y, c)
        assert got.shape == w.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv2d_weight_reference(x, y, fresh), expected, rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS[:3])
def test_the_three_ops_are_the_gradients_of_one_trilinear_form(config):
    """<y, conv2d(x, w)> = <conv_transpose2d(y, w), x> = <conv2d_weight(x, y), w>."""
    x, w, _, y, stride, padding = _draw(config, 1)
    ctx = ConvContext(stride, padding, kernel=w.shape[2:], size=x.shape[2:])
    t = np.sum(y * CONV2D.forward(x, w, np.zeros(w.shape[0]), ConvContext(stride, padding)))
    spread = CONV_TRANSPOSE2D.forward(y, w, np.zeros(x.shape[1]), ctx)
    np.testing.assert_allclose(np.sum(spread * x), t, rtol=1e-12)
    np.testing.assert_allclose(np.sum(CONV2D_WEIGHT.forward(x, y, ctx) * w), t, rtol=1e-12)


def test_conv_transpose2d_output_size_is_its_ctx_s_whatever_the_remainder():
    """The input size is not determined by y when the stride does not divide: (OH - 1) * s -
    2 p + kh + r for any r < s maps back to the same OH (a transposed layer's output_padding)."""
    rng = np.random.default_rng(2)
    y, w = rng.standard_normal((2, 3, 4, 3)), rng.standard_normal((3, 2, 3, 2))
    stride, padding = (3, 2), (1, 0)
    for extra in [(0, 0), (2, 1), (1, 0)]:
        size = (3 * 3 - 2 + 3 + extra[0], 2 * 2 + 2 + extra[1])
        ctx = ConvContext(stride, padding, size=size)
        got = CONV_TRANSPOSE2D.forward(y, w, np.zeros(2), ctx)
        assert got.shape == (2, 2, *size)
        np.testing.assert_allclose(got, conv_transpose2d_loops(y, w, stride, padding, size),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("block_bytes", [1, 10 ** 9])  # the padded input kept; the im2col rows
def test_what_conv2d_kept_serves_its_own_input_only(monkeypatch, block_bytes):
    monkeypatch.setattr(conv, "BLOCK_BYTES", block_bytes)
    x, w, b, y, stride, padding = _draw(CONFIGS[0], 3)
    ctx = ConvContext(stride, padding)
    CONV2D.forward(x, w, b, ctx)
    assert any(kept is not None for kept in ctx.kept(x))
    assert ctx.kept(x.copy()) == (None, None)
    other = np.random.default_rng(4).standard_normal(x.shape)  # same shape, other numbers
    for data in (other, x.copy(), x):
        np.testing.assert_allclose(CONV2D_WEIGHT.forward(data, y, ctx),
                                   conv2d_weight_loops(data, y, stride, padding, w.shape[2:]),
                                   rtol=1e-12, atol=1e-12)
    if ctx.cols is not None:  # the input itself: its im2col rows are used, nothing is gathered
        monkeypatch.setattr(conv, "_gather", lambda *args: pytest.fail("gathered again"))
        CONV2D_WEIGHT.forward(x, y, ctx)


# ---- first derivatives ------------------------------------------------------------------------

@pytest.mark.parametrize("config", [(1, 2, 2, 5, 4, (3, 2), (2, 1), (1, 0)),
                                    (2, 1, 2, 5, 5, (2, 3), (2, 3), (0, 1))])
def test_conv_transpose2d_and_conv2d_weight_first_derivatives(config):
    x, w, _, y, stride, padding = _draw(config, 5)
    ctx = ConvContext(stride, padding, kernel=w.shape[2:], size=x.shape[2:])
    bias = Tensor(np.random.default_rng(6).standard_normal(x.shape[1]), requires_grad=True)
    assert gradcheck(lambda a, b, e: CONV_TRANSPOSE2D(a, b, e, ctx=ctx),
                     Tensor(y, requires_grad=True), Tensor(w, requires_grad=True), bias)
    assert gradcheck(lambda a, b: CONV2D_WEIGHT(a, b, ctx=ctx),
                     Tensor(x, requires_grad=True), Tensor(y, requires_grad=True))
    assert gradcheck(lambda a, b: CONV2D_WEIGHT.run(a, b, ctx=ctx).tanh(),  # through Op.run
                     Tensor(x, requires_grad=True), Tensor(y, requires_grad=True))


POOLS = [((2, 2), (2, 2)), ((3, 3), (2, 2)), ((2, 3), (3, 1)), ((3, 2), (1, 2))]


def _distinct(shape, seed):
    """Values at least 0.05 apart, shuffled: no ties, far wider apart than any eps."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(np.prod(shape)) * 0.05 - 1.0).reshape(shape)


@pytest.mark.parametrize("kernel, stride", POOLS)
def test_max_unpool2d_first_derivative(kernel, stride):
    x = _distinct((2, 2, 6, 7), 6)
    pool = PoolContext(kernel, stride)
    out = MAX_POOL2D.forward(x, pool)
    u = np.random.default_rng(7).standard_normal(out.shape)
    assert gradcheck(lambda t: MAX_UNPOOL2D(t, ctx=(x, out, pool)), Tensor(u, requires_grad=True))


def _max_positions_loops(x, kernel, stride):
    (kh, kw), (sh, sw) = kernel, stride
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    idx = np.zeros((n, c, oh, ow), dtype=np.intp)
    for a, ch, i, j in np.ndindex(n, c, oh, ow):
        window = x[a, ch, sh * i:sh * i + kh, sw * j:sw * j + kw]
        nans = np.flatnonzero(np.isnan(window))
        p, q = np.unravel_index(nans[-1] if nans.size else np.argmax(window), window.shape)
        idx[a, ch, i, j] = np.ravel_multi_index((a, ch, sh * i + p, sw * j + q), x.shape)
    return idx


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kernel, stride", POOLS + [((1, 1), (1, 1)), ((3, 3), (3, 3))])
def test_max_unpool2d_is_the_scatter_of_its_input_at_the_maxima(kernel, stride, seed):
    """The fast forward (masks, tiles, offsets) against np.add.at at max_positions, with ties
    (small integers, so all-equal windows too), NaNs, and overlapping windows."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-1, 2, size=(2, 3, 7, 8)).astype(np.float64)
    if seed:
        x[rng.random(x.shape) < 0.08] = np.nan
    pool = PoolContext(kernel, stride)
    out = MAX_POOL2D.forward(x, pool)
    idx = max_positions(x, pool)
    np.testing.assert_array_equal(idx, _max_positions_loops(x, kernel, stride))
    u = rng.standard_normal(out.shape)
    expected = np.zeros(x.size)
    np.add.at(expected, idx.reshape(-1), u.reshape(-1))
    got = MAX_UNPOOL2D.forward(u, (x, out, pool))
    np.testing.assert_allclose(got, expected.reshape(x.shape), rtol=1e-12, atol=1e-15)
    gathered = MAX_UNPOOL2D.vjp(_FakeNode((x, out, pool)), got)[0]  # the gather, on arrays
    np.testing.assert_array_equal(gathered, got.reshape(-1)[idx])


class _FakeNode:
    def __init__(self, ctx):
        self._ctx = ctx


# ---- second derivatives -----------------------------------------------------------------------

def _check_second_derivatives(fn, arrays):
    """gradgradcheck on float64 leaves holding ``arrays``."""
    assert gradgradcheck(fn, *[Tensor(a.copy(), requires_grad=True) for a in arrays])


@pytest.mark.parametrize("stride, padding", [((1, 1), (0, 0)), ((2, 1), (1, 0)), ((2, 3), (1, 2))])
def test_conv2d_second_derivatives(stride, padding):
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, 3, 2)), \
        rng.standard_normal(3)
    _check_second_derivatives(
        lambda a, c, d: F.conv2d(a, c, d, stride=stride, padding=padding).tanh(), [x, w, b])


@pytest.mark.parametrize("kernel, stride", POOLS)
def test_max_pool2d_second_derivatives_away_from_ties(kernel, stride):
    x = _distinct((2, 2, 6, 7), 9)
    _check_second_derivatives(lambda a: F.max_pool2d(a, kernel, stride).tanh(), [x])


def test_second_derivatives_through_conv2d_then_max_pool2d():
    rng = np.random.default_rng(10)
    x, w, b = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((2, 2, 3, 3)), \
        rng.standard_normal(2)
    _check_second_derivatives(
        lambda a, c, d: F.max_pool2d(F.conv2d(a, c, d, padding=1).tanh(), 3, 2) ** 2, [x, w, b])


def test_second_derivatives_of_the_adjoint_ops():
    """conv_transpose2d and conv2d_weight are differentiable again (their rules call the
    family), so a convolution has derivatives of every order."""
    x, w, _, y, stride, padding = _draw((1, 2, 2, 5, 4, (3, 2), (2, 1), (1, 0)), 11)
    ctx = ConvContext(stride, padding, kernel=w.shape[2:], size=x.shape[2:])
    bias = np.random.default_rng(12).standard_normal(x.shape[1])
    _check_second_derivatives(lambda a, c, e: CONV_TRANSPOSE2D(a, c, e, ctx=ctx).tanh(),
                              [y, w, bias])
    _check_second_derivatives(lambda a, c: CONV2D_WEIGHT(a, c, ctx=ctx).tanh(), [x, y])
    pool = PoolContext((3, 2), (2, 2))
    xp = _distinct((1, 2, 6, 5), 12)
    out = MAX_POOL2D.forward(xp, pool)
    u = np.random.default_rng(13).standard_normal(out.shape)
    _check_second_derivatives(lambda t: MAX_UNPOOL2D(t, ctx=(xp, out, pool)).tanh(), [u])


def test_the_recorded_pass_gives_the_fast_path_s_gradients_through_the_family_ops():
    rng = np.random.default_rng(14)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 7, 6), (4, 3, 3, 2), (4,))]
    seed = rng.standard_normal((2, 4, 2, 2))

    def f(x, w, b):
        return F.max_pool2d(F.conv2d(x, w, b, stride=(2, 1), padding=1), 2, (2, 3))

    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    f(*leaves).backward(seed)
    # the seed a node too (as in a vector-Jacobian product differentiated in its vector), so
    # that every rule's output is recorded
    vector = Tensor(seed, requires_grad=True)
    recorded = grad(f(*leaves), leaves, grad_outputs=vector, create_graph=True)
    for leaf, g in zip(leaves, recorded):
        np.testing.assert_allclose(g.data, leaf.grad, rtol=1e-12, atol=1e-12)
    used = {node._op.name for g in recorded for node in topological_order(g) if node._op}
    assert {"max_unpool2d", "conv_transpose2d", "conv2d_weight"} <= used


# ---- PyTorch ----------------------------------------------------------------------------------

@pytest.mark.parametrize("stride, padding, kernel, pool_stride",
                         [(1, 0, 2, 2), (2, 1, 3, 2), ((1, 2), (2, 0), (2, 3), 1)])
def test_hvp_through_conv2d_max_pool2d_and_a_sum_of_squares_matches_pytorch(
        stride, padding, kernel, pool_stride):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(15)
    arrays = (rng.standard_normal((2, 3, 8, 7)), rng.standard_normal((4, 3, 3, 2)) * 0.5,
              rng.standard_normal(4))
    vectors = tuple(rng.standard_normal(a.shape) for a in arrays)

    def ours(x, w, b):
        return (F.max_pool2d(F.conv2d(x, w, b, stride=stride, padding=padding), kernel,
                             pool_stride) ** 2).sum()

    def theirs(x, w, b):
        tf = torch.nn.functional
        return (tf.max_pool2d(tf.conv2d(x, w, b, stride=stride, padding=padding), kernel,
                              pool_stride) ** 2).sum()

    value, products = hvp(ours, tuple(Tensor(a) for a in arrays),
                          tuple(Tensor(v) for v in vectors))
    ref_value, ref = torch.autograd.functional.hvp(
        theirs, tuple(torch.from_numpy(a) for a in arrays),
        tuple(torch.from_numpy(v) for v in vectors))
    np.testing.assert_allclose(value.data, ref_value.numpy(), rtol=1e-12)
    for got, want in zip(products, ref):
        np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("block_bytes", [1, 10 ** 9])
@pytest.mark.parametrize("config", CONFIGS[:3])
def test_conv_transpose2d_rule_gathers_once_for_both_products(monkeypatch, config, block_bytes):
    """On arrays, conv_transpose2d's rule makes dL/dy and dL/dw from one gathering of dL/df's
    windows (conv.py's _conv2d_and_weight), block by block; the same numbers as conv2d and
    conv2d_weight each gathering on its own."""
    monkeypatch.setattr(conv, "BLOCK_BYTES", block_bytes)
    x, w, _, y, stride, padding = _draw(config, 13)
    ctx = ConvContext(stride, padding, kernel=w.shape[2:])
    gy, gw = conv._conv2d_and_weight(x, w, y, ctx)
    np.testing.assert_allclose(gy, conv2d_loops(x, w, np.zeros(w.shape[0]), stride, padding),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw, conv2d_weight_loops(x, y, stride, padding, w.shape[2:]),
                               rtol=1e-12, atol=1e-12)
