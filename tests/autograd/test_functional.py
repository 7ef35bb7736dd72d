"""autograd.functional: torch.autograd.functional's names and conventions, for Values and
Tensors, and cross-checks against PyTorch (MLP loss, conv2d, max_pool2d, log_softmax, WGAN-GP)."""

import numpy as np
import pytest

from autograd import Tensor, Value, grad
from autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp
from autograd.tensor import conv2d, log_softmax, max_pool2d

RNG = np.random.default_rng(42)


def _mlp_loss(w1, b1, w2, b2, x, labels):
    """MLP 4-5-3 with tanh, mean cross-entropy: the same expression for both libraries."""
    h = (x @ w1 + b1).tanh()
    logits = h @ w2 + b2
    if isinstance(logits, Tensor):
        logp = log_softmax(logits, axis=1)
        return -logp[np.arange(len(labels)), labels].mean()
    import torch
    return torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels))


def _mlp_params():
    shapes = [(4, 5), (5,), (5, 3), (3,)]
    return [RNG.normal(size=s) * 0.8 for s in shapes]


def _data():
    return RNG.normal(size=(6, 4)), RNG.integers(0, 3, size=6)


# ---- conventions ------------------------------------------------------------------------------

def test_structures_follow_the_inputs_and_outputs():
    x = Tensor([1.0, 2.0])
    assert isinstance(jacobian(lambda t: t * t, x), Tensor)
    j = jacobian(lambda a, b: a * b, (x, Tensor([3.0, 4.0])))
    assert isinstance(j, tuple) and len(j) == 2 and j[0].shape == (2, 2)
    jj = jacobian(lambda t: (t * 2, t.sum()), x)
    assert isinstance(jj, tuple) and jj[0].shape == (2, 2) and jj[1].shape == (2,)
    jjj = jacobian(lambda a, b: (a * b, b), (x, x))
    assert isinstance(jjj[0], tuple) and jjj[1][1].shape == (2, 2)
    h = hessian(lambda a, b: (a * a * b).sum(), (x, x))
    assert h[0][1].shape == (2, 2)
    out, g = vjp(lambda t: t * t, x, Tensor([1.0, 1.0]))
    assert isinstance(out, Tensor) and not out.requires_grad and isinstance(g, Tensor)


def test_values_work_too():
    a, b = Value(2.0), Value(3.0)
    out, (ga, gb) = vjp(lambda p, q: p * q + p.tanh(), (a, b))
    assert isinstance(ga, Value) and gb.data == 2.0
    _, d = jvp(lambda p: p ** 3, a, Value(1.0))
    assert d.data == 12.0
    h = hessian(lambda p, q: p * p * q, (a, b))
    assert [[e.data for e in row] for row in h] == [[6.0, 4.0], [4.0, 0.0]]
    assert jacobian(lambda p: p * p, a).data == 4.0
    assert a.grad == 0.0 and b.grad == 0.0


def test_create_graph_keeps_results_differentiable():
    x = Tensor([0.5, -1.0], requires_grad=True)
    _, hv = hvp(lambda t: (t ** 4).sum(), x, Tensor([1.0, 1.0]), create_graph=True)
    (third,) = grad(hv.sum(), x)  # d/dx of 12 x^2 = 24 x
    np.testing.assert_allclose(third.data, 24 * x.data)
    h = hessian(lambda t: (t ** 3).sum(), x, create_graph=True)
    assert h.requires_grad


def test_strict_and_unused_inputs():
    x, y = Tensor([1.0, 2.0]), Tensor([3.0])
    j = jacobian(lambda a, b: a * 2, (x, y))
    assert not np.any(j[1].data)
    with pytest.raises(ValueError, match="jacobian: an output does not depend on an input "
                                         r"\(strict=True\)"):
        jacobian(lambda a, b: a * 2, (x, y), strict=True)
    assert not np.any(hessian(lambda a: (a * 2).sum(), x).data)  # no curvature: zeros


def test_errors():
    x = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="hessian: func must return a single one-element"):
        hessian(lambda t: t * t, x)
    with pytest.raises(TypeError, match="vjp: input 0 must be a Value or a Tensor, got list"):
        vjp(lambda t: t, [[1.0]])
    with pytest.raises(TypeError, match="jacobian: func must return a Value or a Tensor"):
        jacobian(lambda t: t.data, x)
    with pytest.raises(ValueError, match="hvp: v has 1 entries but the inputs have 2"):
        hvp(lambda a, b: (a * b).sum(), (x, x), (x,))
    with pytest.raises(TypeError, match="jvp: input 0 has dtype int64"):
        jvp(lambda t: t, Tensor([1, 2]), Tensor([1, 1]))


def test_hvp_equals_the_hessian_times_v():
    params = [Tensor(p) for p in _mlp_params()]
    x, labels = _data()
    v = [Tensor(RNG.normal(size=p.shape)) for p in params]
    f = lambda *ps: _mlp_loss(*ps, Tensor(x), labels)  # noqa: E731
    _, products = hvp(f, tuple(params), tuple(v))
    h = hessian(f, tuple(params))
    for i in range(len(params)):
        expected = sum(np.tensordot(h[i][j].data, v[j].data, axes=v[j].ndim)
                       for j in range(len(params)))
        np.testing.assert_allclose(products[i].data, expected, rtol=1e-10, atol=1e-12)
    _, left = vhp(f, tuple(params), tuple(v))
    for a, b in zip(left, products):
        np.testing.assert_allclose(a.data, b.data)


# ---- PyTorch cross-checks ---------------------------------------------------------------------

torch = pytest.importorskip("torch")
TF = torch.autograd.functional


def _t(a):
    return torch.tensor(a, dtype=torch.float64)


def test_mlp_loss_hessian_and_hvp_match_pytorch():
    params = _mlp_params()
    x, labels = _data()
    v = [RNG.normal(size=p.shape) for p in params]
    ours = lambda *ps: _mlp_loss(*ps, Tensor(x), labels)  # noqa: E731
    theirs = lambda *ps: _mlp_loss(*ps, _t(x), labels)  # noqa: E731
    out, products = hvp(ours, tuple(Tensor(p) for p in params), tuple(Tensor(a) for a in v))
    ref_out, ref = TF.hvp(theirs, tuple(_t(p) for p in params), tuple(_t(a) for a in v))
    assert out.item() == pytest.approx(ref_out.item(), rel=1e-12)
    for a, b in zip(products, ref):
        np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-9, atol=1e-12)
    h = hessian(ours, tuple(Tensor(p) for p in params))
    ref_h = TF.hessian(theirs, tuple(_t(p) for p in params))
    for i in range(len(params)):
        for j in range(len(params)):
            np.testing.assert_allclose(h[i][j].data, ref_h[i][j].numpy(), rtol=1e-9,
                                       atol=1e-12)


def test_jacobian_vjp_jvp_match_pytorch():
    a, b = RNG.normal(size=(3, 2)), RNG.normal(size=(2, 4))

    def f(p, q):
        return (p @ q).tanh(), (p * p).sum(axis=1)

    ours = jacobian(f, (Tensor(a), Tensor(b)))
    ref = TF.jacobian(f, (_t(a), _t(b)))
    for row, ref_row in zip(ours, ref):
        for block, ref_block in zip(row, ref_row):
            np.testing.assert_allclose(block.data, ref_block.numpy(), rtol=1e-10, atol=1e-12)
    u = (RNG.normal(size=(3, 4)), RNG.normal(size=3))
    _, g = vjp(f, (Tensor(a), Tensor(b)), tuple(Tensor(x) for x in u))
    _, ref_g = TF.vjp(f, (_t(a), _t(b)), tuple(_t(x) for x in u))
    for x, y in zip(g, ref_g):
        np.testing.assert_allclose(x.data, y.numpy(), rtol=1e-10, atol=1e-12)
    w = (RNG.normal(size=(3, 2)), RNG.normal(size=(2, 4)))
    _, d = jvp(f, (Tensor(a), Tensor(b)), tuple(Tensor(x) for x in w))
    _, ref_d = TF.jvp(f, (_t(a), _t(b)), tuple(_t(x) for x in w))
    for x, y in zip(d, ref_d):
        np.testing.assert_allclose(x.data, y.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1)])
def test_hvp_through_conv_pool_and_log_softmax_matches_pytorch(stride, padding):
    x = RNG.normal(size=(2, 2, 7, 7))
    w = RNG.normal(size=(3, 2, 3, 3)) * 0.5
    b = RNG.normal(size=3) * 0.1
    w2 = RNG.normal(size=(3 * (((7 + 2 * padding - 3) // stride + 1) // 2) ** 2, 4)) * 0.3
    labels = np.array([1, 3])
    F = torch.nn.functional

    def ours(w, b, w2):
        h = max_pool2d(conv2d(Tensor(x), w, b, stride=stride, padding=padding).tanh(), 2)
        logp = log_softmax(h.reshape(2, -1) @ w2, axis=1)
        return -logp[np.arange(2), labels].sum()

    def theirs(w, b, w2):
        h = F.max_pool2d(F.conv2d(_t(x), w, b, stride=stride, padding=padding).tanh(), 2)
        logp = F.log_softmax(h.reshape(2, -1) @ w2, dim=1)
        return -logp[torch.arange(2), torch.from_numpy(labels)].sum()

    v = [RNG.normal(size=a.shape) for a in (w, b, w2)]
    _, products = hvp(ours, (Tensor(w), Tensor(b), Tensor(w2)), tuple(Tensor(a) for a in v))
    _, ref = TF.hvp(theirs, (_t(w), _t(b), _t(w2)), tuple(_t(a) for a in v))
    for a, r in zip(products, ref):
        np.testing.assert_allclose(a.data, r.numpy(), rtol=1e-8, atol=1e-10)
    # and with respect to the image itself (conv2d's input, through max-pool)
    xv = RNG.normal(size=x.shape)
    f_x = lambda t: ours_x(t, w, b, w2, stride, padding, labels)  # noqa: E731
    _, hx = hvp(f_x, Tensor(x), Tensor(xv))
    _, ref_x = TF.hvp(lambda t: theirs_x(t, _t(w), _t(b), _t(w2), stride, padding, labels),
                      _t(x), _t(xv))
    np.testing.assert_allclose(hx.data, ref_x.numpy(), rtol=1e-8, atol=1e-10)


def ours_x(t, w, b, w2, stride, padding, labels):
    h = max_pool2d(conv2d(t, Tensor(w), Tensor(b), stride=stride, padding=padding).tanh(), 2)
    logp = log_softmax(h.reshape(2, -1) @ Tensor(w2), axis=1)
    return -logp[np.arange(2), labels].sum()


def theirs_x(t, w, b, w2, stride, padding, labels):
    F = torch.nn.functional
    h = F.max_pool2d(F.conv2d(t, w, b, stride=stride, padding=padding).tanh(), 2)
    logp = F.log_softmax(h.reshape(2, -1) @ w2, dim=1)
    return -logp[torch.arange(2), torch.from_numpy(labels)].sum()


def test_wgan_gp_gradient_penalty_matches_pytorch():
    """(||d critic / d x_hat|| - 1)^2 on interpolates, backpropagated to the critic's weights."""
    real, fake = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3)) + 1.0
    eps = RNG.uniform(size=(5, 1))
    w1, b1, w2 = RNG.normal(size=(3, 8)), RNG.normal(size=8), RNG.normal(size=(8, 1))

    def penalty(lib_tensor, make_leaf, grad_fn, params):
        w1, b1, w2 = params
        x_hat = make_leaf(eps * real + (1 - eps) * fake)
        critic = ((x_hat @ w1 + b1).tanh() @ w2).sum()
        (g,) = grad_fn(critic, x_hat)
        norm = ((g * g).sum(axis=1) + 1e-12) ** 0.5 if lib_tensor is Tensor else \
            ((g * g).sum(dim=1) + 1e-12) ** 0.5
        return ((norm - 1.0) ** 2).mean()

    ours = [Tensor(a, requires_grad=True) for a in (w1, b1, w2)]
    loss = penalty(Tensor, lambda a: Tensor(a, requires_grad=True),
                   lambda out, x: grad(out, x, create_graph=True), ours)
    loss.backward()
    theirs = [_t(a).requires_grad_() for a in (w1, b1, w2)]
    ref = penalty(torch.Tensor, lambda a: _t(a).requires_grad_(),
                  lambda out, x: torch.autograd.grad(out, x, create_graph=True), theirs)
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-12)
    for p, r in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, r.grad.numpy(), rtol=1e-9, atol=1e-12)
