"""SGD and Adam: hyper-parameter checks, hand-computed updates, array parameters, torch.optim."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import MLP, SGD, Adam

GRADS = [0.5, -1.25, 2.0, 0.0, -0.75]  # one gradient per step, used on every parameter kind


@pytest.mark.parametrize("make, name", [
    (lambda p: SGD(p, lr=-0.1), "lr"),
    (lambda p: SGD(p, lr="fast"), "lr"),
    (lambda p: SGD(p, lr=float("nan")), "lr"),
    (lambda p: SGD(p, lr=True), "lr"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.5), "momentum"),
    (lambda p: SGD(p, lr=0.1, momentum=1.0), "momentum"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda p: Adam(p, lr=-1e-3), "lr"),
    (lambda p: Adam(p, betas=(1.0, 0.999)), "betas\\[0\\]"),
    (lambda p: Adam(p, betas=(0.9, -0.1)), "betas\\[1\\]"),
    (lambda p: Adam(p, betas=0.9), "betas"),
    (lambda p: Adam(p, eps=-1e-8), "eps"),
    (lambda p: Adam(p, weight_decay=-0.1), "weight_decay"),
])
def test_invalid_hyperparameters_are_value_errors_naming_them(make, name):
    with pytest.raises(ValueError, match=name):
        make([Value(1.0)])


def test_bad_parameter_lists():
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="model.parameters()"):
        SGD(MLP(2, [1]), lr=0.1)
    with pytest.raises(TypeError, match="parameter 1"):
        SGD([Value(1.0), np.zeros(3)], lr=0.1)
    w = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        Adam([w, w])


def run_scalar(opt_cls, **kw) -> list[float]:
    w = Value(1.5)
    opt = opt_cls([w], **kw)
    out = []
    for g in GRADS:
        opt.zero_grad()
        w.grad += g
        opt.step()
        out.append(w.data)
    return out


def test_sgd_plain_is_theta_minus_eps_grad():
    assert run_scalar(SGD, lr=0.1) == pytest.approx(
        [1.5 - 0.1 * sum(GRADS[:k + 1]) for k in range(len(GRADS))])


def test_sgd_momentum_and_weight_decay_by_hand():
    lr, mu, wd = 0.1, 0.9, 0.01
    w, v, expected = 1.5, 0.0, []
    for g in GRADS:
        g = g + wd * w
        v = mu * v + g
        w -= lr * v
        expected.append(w)
    assert run_scalar(SGD, lr=lr, momentum=mu, weight_decay=wd) == pytest.approx(expected)
    # the first two steps written out: g1 = 0.5 + 0.015 = 0.515, w1 = 1.5 - 0.0515 = 1.4485
    assert expected[0] == pytest.approx(1.4485)
    # g2 = -1.25 + 0.014485, v2 = 0.9 * 0.515 + g2 = -0.772015, w2 = 1.4485 + 0.0772015
    assert expected[1] == pytest.approx(1.5257015)


def test_adam_by_hand():
    lr, (b1, b2), eps, wd = 0.01, (0.9, 0.999), 1e-8, 0.1
    w, m, v, expected = 1.5, 0.0, 0.0, []
    for t, g in enumerate(GRADS, start=1):
        g = g + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w -= lr * (m / (1 - b1 ** t)) / (math.sqrt(v / (1 - b2 ** t)) + eps)
        expected.append(w)
    got = run_scalar(Adam, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    assert got == pytest.approx(expected, rel=1e-12)
    assert got[0] == pytest.approx(1.5 - 0.01, rel=1e-6)  # the first step has size lr


def run_array(fake_tensor, opt_cls, dtype, **kw):
    p = fake_tensor([[1.5, -0.5], [0.25, 2.0]], dtype=dtype)
    data = p.data
    opt = opt_cls([p], **kw)
    out = []
    for g in GRADS:
        opt.zero_grad()
        assert p.grad is None
        p.grad = np.full(p.data.shape, g, dtype=dtype) * np.array([[1, 2], [-1, 0.5]], dtype)
        opt.step()
        assert p.data is data and p.data.dtype == dtype  # updated in place, dtype kept
        out.append(p.data.copy())
    return np.array(out)


@pytest.mark.parametrize("opt_cls, kw", [
    (SGD, dict(lr=0.1)), (SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    (Adam, dict(lr=0.01)), (Adam, dict(lr=0.01, weight_decay=0.1)),
])
def test_array_parameters_follow_the_scalar_rule_elementwise(fake_tensor, opt_cls, kw):
    arrays = run_array(fake_tensor, opt_cls, np.float64, **kw)
    start = np.array([[1.5, -0.5], [0.25, 2.0]])
    scale = np.array([[1, 2], [-1, 0.5]])
    for i in range(2):
        for j in range(2):
            w = Value(start[i, j])
            opt = opt_cls([w], **kw)
            for k, g in enumerate(GRADS):
                opt.zero_grad()
                w.grad += g * scale[i, j]
                opt.step()
                assert arrays[k, i, j] == pytest.approx(w.data, rel=1e-12)
    float32 = run_array(fake_tensor, opt_cls, np.float32, **kw)
    assert np.allclose(float32, arrays, rtol=1e-5, atol=1e-6)


def test_none_gradient_is_skipped_and_state_waits(fake_tensor):
    p, q = fake_tensor([1.0, 2.0]), fake_tensor([1.0, 2.0])
    opt = Adam([p, q], lr=0.1)
    p.grad = np.array([1.0, -1.0], dtype=np.float32)
    opt.step()  # q has no gradient yet: untouched
    assert np.array_equal(q.data, [1.0, 2.0])
    q.grad = np.array([1.0, -1.0], dtype=np.float32)
    p.grad = None
    before = p.data.copy()
    opt.step()
    assert np.array_equal(p.data, before)
    assert np.allclose(q.data, [0.9, 2.1])  # q's first step, bias-corrected like p's was


def test_gradient_shape_mismatch(fake_tensor):
    p = fake_tensor(np.zeros((2, 3)))
    p.grad = np.zeros(3)
    with pytest.raises(ValueError, match="parameter 0 has data of shape"):
        SGD([p], lr=0.1).step()


def test_non_float_array_parameter_is_rejected(fake_tensor):
    with pytest.raises(TypeError, match="floating-point"):
        SGD([fake_tensor([1, 2], dtype=np.int64)], lr=0.1)


def test_zero_grad_kinds(fake_tensor):
    v, t = Value(1.0), fake_tensor([1.0])
    v.grad, t.grad = 3.0, np.ones(1)
    SGD([v, t], lr=0.1).zero_grad()
    assert v.grad == 0.0 and t.grad is None


def test_training_an_mlp_lowers_the_loss():
    model = MLP(1, [8, 1])
    xs = [[x / 4] for x in range(-4, 5)]
    ys = [x[0] ** 2 for x in xs]
    for opt in (SGD(model.parameters(), lr=0.05, momentum=0.5), Adam(model.parameters(), lr=0.01)):
        losses = []
        for _ in range(30):
            loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys)) * (1 / len(xs))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.data)
        assert losses[-1] < losses[0]


@pytest.mark.parametrize("name, kw", [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("SGD", dict(lr=0.05)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.001)),
])
def test_same_numbers_as_torch_optim(fake_tensor, name, kw):
    torch = pytest.importorskip("torch")
    start = np.array([[1.5, -0.5, 0.0], [0.25, 2.0, -3.0]])
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((6, *start.shape))
    tp = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    topt = getattr(torch.optim, name)([tp], **kw)
    ours = fake_tensor(start, dtype=np.float64)
    oopt = {"SGD": SGD, "Adam": Adam}[name]([ours], **kw)
    scalars = [Value(float(x)) for x in start.reshape(-1)]
    sopt = {"SGD": SGD, "Adam": Adam}[name](scalars, **kw)
    for g in grads:
        tp.grad = torch.tensor(g)
        topt.step()
        ours.grad = g.copy()
        oopt.step()
        for s, gi in zip(scalars, g.reshape(-1)):
            s.grad = float(gi)
        sopt.step()
        expected = tp.detach().numpy()
        np.testing.assert_allclose(ours.data, expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose([s.data for s in scalars], expected.reshape(-1), rtol=1e-12,
                                   atol=1e-15)


def test_adam_on_several_array_parameters_sharing_its_work_array_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    shapes = [(3,), (4, 5), (2,), ()]  # a larger one after a smaller one, and a 0-d one
    starts = [rng.normal(size=s).astype(np.float32) for s in shapes]
    ours = [Tensor(w.copy(), requires_grad=True) for w in starts]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in starts]
    opt = Adam(ours, lr=0.05, weight_decay=0.1)
    topt = torch.optim.Adam(theirs, lr=0.05, weight_decay=0.1)
    for _ in range(4):
        grads = [rng.normal(size=s) for s in shapes]  # float64 gradients for float32 weights
        for p, g in zip(ours, grads):
            p.grad = g
        for p, g in zip(theirs, grads):
            p.grad = torch.from_numpy(np.asarray(g, dtype=np.float32))
        opt.step()
        topt.step()
    for p, q in zip(ours, theirs):
        assert p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-6)
