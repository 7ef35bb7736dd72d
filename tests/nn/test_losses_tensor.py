"""Losses on Tensors: values and gradients against formulas, finite differences and torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, Value, gradcheck
from nn import binary_cross_entropy, cross_entropy, hinge, mse


def leaf(data) -> Tensor:
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


# ---- mse -------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction, expected", [("mean", 29 / 3), ("sum", 29.0),
                                                 ("half_sum", 14.5)])
def test_mse_reductions_match_the_value_branch(reduction, expected):
    pred = leaf([1.0, -2.0, 0.5])
    loss = mse(pred, [3.0, 3.0, 0.5], reduction=reduction)
    assert isinstance(loss, Tensor) and loss.shape == ()
    assert loss.item() == pytest.approx(expected)
    values = [Value(1.0), Value(-2.0), Value(0.5)]
    assert mse(values, [3.0, 3.0, 0.5], reduction=reduction).data == pytest.approx(loss.item())


def test_mse_half_sum_gradient_is_prediction_minus_target():
    pred = leaf([[1.0], [-2.0], [0.5]])
    mse(pred, np.array([3.0, 3.0, 0.0]), reduction="half_sum").backward()  # (N,) vs (N, 1)
    np.testing.assert_allclose(pred.grad, [[-2.0], [-5.0], [0.5]])


def test_mse_keeps_float32_and_checks_shapes():
    pred = Tensor(np.ones((4, 2), dtype=np.float32), requires_grad=True)
    assert mse(pred, np.zeros((4, 2))).dtype == np.float32
    with pytest.raises(ValueError, match=r"mse: predictions of shape \(4, 2\) but targets of "
                                         r"shape \(2, 4\)"):
        mse(pred, np.zeros((2, 4)))
    with pytest.raises(ValueError, match='"mean", "sum", "half_sum" or "none"'):
        mse(pred, np.zeros((4, 2)), reduction="max")


# ---- cross_entropy ---------------------------------------------------------------------------

def test_cross_entropy_value_gradient_and_stability():
    z = np.array([[2.0, -1.0, 0.5], [1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    labels = np.array([2, 0, 1])
    logits = leaf(z)
    loss = cross_entropy(logits, labels)
    expected = -log_softmax(z)[np.arange(3), labels]
    assert loss.item() == pytest.approx(expected.mean(), rel=1e-12)
    loss.backward()
    grad = (np.exp(log_softmax(z)) - np.eye(3)[labels]) / 3
    np.testing.assert_allclose(logits.grad, grad, atol=1e-12)
    assert cross_entropy(leaf(z), labels, reduction="sum").item() == pytest.approx(expected.sum())
    one = cross_entropy(leaf([2.0, -1.0, 0.5]), 2)  # a single sample
    assert one.item() == pytest.approx(expected[0])


@pytest.mark.parametrize("labels, error, match", [
    (np.array([0.0, 1.0]), TypeError, "labels must be integers"),
    (np.array([0, 3]), ValueError, "label 3 is out of range for 3 classes"),
    (np.array([-1, 0]), ValueError, "label -1 is out of range"),
    (np.array([0, 1, 2]), ValueError, "expected 2 labels, one per sample"),
])
def test_cross_entropy_label_errors(labels, error, match):
    with pytest.raises(error, match=match):
        cross_entropy(leaf(np.zeros((2, 3))), labels)


def test_cross_entropy_needs_2d_logits():
    with pytest.raises(ValueError, match=r"logits must be \(N, C\)"):
        cross_entropy(leaf(np.zeros((2, 3, 4))), np.array([0, 1]))


# ---- binary cross-entropy and hinge ----------------------------------------------------------

def test_binary_cross_entropy_on_probabilities_clamps_the_log():
    p, t = leaf([0.8, 0.4, 0.0, 1.0]), np.array([1.0, 0.0, 1.0, 1.0])
    loss = binary_cross_entropy(p, t, reduction="sum")
    expected = -math.log(0.8) - math.log(0.6) + 100.0 + 0.0  # log(0) is clamped at -100
    assert loss.item() == pytest.approx(expected)
    loss.backward()
    np.testing.assert_allclose(p.grad[:2], [-1 / 0.8, 1 / 0.6])
    assert p.grad[2] == pytest.approx(-1e12)  # PyTorch's capped slope: -t / max(p, 1e-12)


def test_binary_cross_entropy_from_logits_gradient_is_sigmoid_minus_target():
    z, t = np.array([0.0, -3.0, 2.0, 800.0, -800.0]), np.array([1.0, 0.0, 0.3, 0.0, 0.0])
    logits = leaf(z)
    loss = binary_cross_entropy(logits, t, from_logits=True, reduction="sum")
    assert np.isfinite(loss.item())
    assert loss.item() == pytest.approx(sum(
        binary_cross_entropy(Value(zi), ti, from_logits=True).data for zi, ti in zip(z, t)))
    loss.backward()
    sigmoid = 0.5 * (1 + np.tanh(z / 2))
    np.testing.assert_allclose(logits.grad, sigmoid - t, atol=1e-12)  # also at z = 0: no kink


def test_binary_cross_entropy_errors():
    with pytest.raises(ValueError, match="from_logits=True"):
        binary_cross_entropy(leaf([1.5]), [1.0])
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]"):
        binary_cross_entropy(leaf([0.5]), [2.0])


def test_hinge_matches_micrograds_loss():
    scores, ys = leaf([2.0, 0.5, 0.3, -4.0]), np.array([1, 1, -1, -1])
    loss = hinge(scores, ys)
    assert loss.item() == pytest.approx((0 + 0.5 + 1.3 + 0) / 4)
    loss.backward()
    np.testing.assert_allclose(scores.grad, [0.0, -0.25, 0.25, 0.0])
    with pytest.raises(ValueError, match=r"-1 or \+1, got 0"):
        hinge(leaf([1.0]), [0])


# ---- finite differences and torch ------------------------------------------------------------

@pytest.mark.parametrize("loss, target", [
    (lambda p, t: mse(p, t), np.array([[0.5, -1.0, 2.0], [0.0, 1.0, 3.0]])),
    (lambda p, t: mse(p, t, reduction="half_sum"), np.array([[0.5, -1.0, 2.0], [0.0, 1.0, 3.0]])),
    (lambda p, t: cross_entropy(p, t), np.array([2, 0])),
    (lambda p, t: binary_cross_entropy(p, t, from_logits=True), np.array([[1, 0, 1], [0, 0, 1]])),
    (lambda p, t: binary_cross_entropy(p.sigmoid(), t), np.array([[1, 0, 0.5], [0, 1, 1]])),
    (lambda p, t: hinge(p, t), np.array([[1, -1, 1], [-1, -1, 1]])),
])
def test_loss_gradients_match_finite_differences(loss, target):
    pred = leaf(np.random.default_rng(0).standard_normal((2, 3)))
    assert gradcheck(lambda p: loss(p, target), pred)


def test_losses_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(1)
    z = rng.standard_normal((6, 4)) * 3
    labels = rng.integers(0, 4, 6)
    probs, targets = rng.uniform(0.01, 0.99, (6, 4)), rng.uniform(0, 1, (6, 4))
    cases = [
        (lambda x: cross_entropy(x, labels),
         lambda x: tf.cross_entropy(x, torch.tensor(labels)), z),
        (lambda x: mse(x, targets), lambda x: tf.mse_loss(x, torch.tensor(targets)), z),
        (lambda x: mse(x, targets, reduction="sum"),
         lambda x: tf.mse_loss(x, torch.tensor(targets), reduction="sum"), z),
        (lambda x: binary_cross_entropy(x, targets),
         lambda x: tf.binary_cross_entropy(x, torch.tensor(targets)), probs),
        (lambda x: binary_cross_entropy(x, targets, from_logits=True),
         lambda x: tf.binary_cross_entropy_with_logits(x, torch.tensor(targets)), z),
    ]
    for ours, theirs, data in cases:
        x, tx = leaf(data), torch.tensor(data, requires_grad=True)
        loss, tloss = ours(x), theirs(tx)
        loss.backward()
        tloss.backward()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-10)
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-12)


# ---- reduction="none" ------------------------------------------------------------------------

def test_reduction_none_shapes_and_values():
    pred = leaf([[1.0, -2.0], [0.5, 3.0], [0.0, 1.0]])
    target = np.array([[0.0, 1.0], [0.5, 1.0], [1.0, 1.0]])
    squared = mse(pred, target, reduction="none")
    assert squared.shape == (3, 2)
    np.testing.assert_array_equal(squared.data, [[1.0, 9.0], [0.0, 4.0], [1.0, 0.0]])
    column = mse(leaf([[1.0], [2.0]]), np.array([0.0, 4.0]), reduction="none")  # (N,) vs (N, 1)
    assert column.shape == (2, 1) and column.data.tolist() == [[1.0], [4.0]]
    margins = hinge(leaf([2.0, 0.5, 0.3]), np.array([1, 1, -1]), reduction="none")
    np.testing.assert_allclose(margins.data, [0.0, 0.5, 1.3])
    z, labels = np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]]), np.array([0, 2])
    per_sample = cross_entropy(leaf(z), labels, reduction="none")
    assert per_sample.shape == (2,)
    np.testing.assert_allclose(per_sample.data, -log_softmax(z)[np.arange(2), labels])
    one = cross_entropy(leaf(z[0]), 0, reduction="none")  # one sample: shape (), as PyTorch
    assert one.shape == () and one.item() == pytest.approx(per_sample.data[0])
    probs = leaf([[0.8, 0.4]])
    assert binary_cross_entropy(probs, [[1.0, 0.0]], reduction="none").shape == (1, 2)
    for loss, args in [(mse, (pred, target)), (hinge, (leaf([0.5, -1.0]), [1, -1])),
                       (cross_entropy, (leaf(z), labels)),
                       (binary_cross_entropy, (probs, [[1.0, 0.0]]))]:
        assert loss(*args, reduction="none").data.mean() == pytest.approx(loss(*args).item())


def test_reduction_none_matches_torch_values_and_gradients():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(2)
    z, labels = rng.standard_normal((5, 4)) * 3, rng.integers(0, 4, 5)
    probs, targets = rng.uniform(0.01, 0.99, (5, 4)), rng.uniform(0, 1, (5, 4))
    cases = [
        (lambda x: cross_entropy(x, labels, reduction="none"),
         lambda x: tf.cross_entropy(x, torch.tensor(labels), reduction="none"), z),
        (lambda x: mse(x, targets, reduction="none"),
         lambda x: tf.mse_loss(x, torch.tensor(targets), reduction="none"), z),
        (lambda x: binary_cross_entropy(x, targets, reduction="none"),
         lambda x: tf.binary_cross_entropy(x, torch.tensor(targets), reduction="none"), probs),
        (lambda x: binary_cross_entropy(x, targets, from_logits=True, reduction="none"),
         lambda x: tf.binary_cross_entropy_with_logits(x, torch.tensor(targets),
                                                       reduction="none"), z),
        (lambda x: hinge(x, np.sign(targets - 0.5), reduction="none"),  # hinge by its formula
         lambda x: torch.clamp(1 - torch.tensor(np.sign(targets - 0.5)) * x, min=0), z),
    ]
    for ours, theirs, data in cases:
        x, tx = leaf(data), torch.tensor(data, requires_grad=True)
        loss, tloss = ours(x), theirs(tx)
        assert loss.shape == tuple(tloss.shape)
        np.testing.assert_allclose(loss.data, tloss.detach().numpy(), rtol=1e-10)
        upstream = rng.standard_normal(loss.shape)  # a weighted sum: every element's gradient
        (loss * upstream).sum().backward()
        (tloss * torch.tensor(upstream)).sum().backward()
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    one = torch.tensor(z[0], requires_grad=True)
    assert tuple(tf.cross_entropy(one, torch.tensor(labels[0]), reduction="none").shape) == ()


@pytest.mark.parametrize("loss, target", [
    (lambda p, t: mse(p, t, reduction="none"), np.array([[0.5, -1.0, 2.0], [0.0, 1.0, 3.0]])),
    (lambda p, t: cross_entropy(p, t, reduction="none"), np.array([2, 0])),
    (lambda p, t: binary_cross_entropy(p, t, from_logits=True, reduction="none"),
     np.array([[1, 0, 1], [0, 0, 1]])),
    (lambda p, t: binary_cross_entropy(p.sigmoid(), t, reduction="none"),
     np.array([[1, 0, 0.5], [0, 1, 1]])),
    (lambda p, t: hinge(p, t, reduction="none"), np.array([[1, -1, 1], [-1, -1, 1]])),
])
def test_reduction_none_jacobians_match_finite_differences(loss, target):
    pred = leaf(np.random.default_rng(1).standard_normal((2, 3)))
    assert gradcheck(lambda p: loss(p, target), pred)


def test_reduction_none_on_values_is_a_list_matching_the_tensor_losses():
    z = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, -3.0]])
    t = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    cases = [
        (lambda p: mse(p, t.ravel().tolist(), reduction="none"), z.ravel()),
        (lambda p: binary_cross_entropy(p, t.ravel().tolist(), from_logits=True,
                                        reduction="none"), z.ravel()),
        (lambda p: hinge(p, (2 * t.ravel() - 1).tolist(), reduction="none"), z.ravel()),
    ]
    for loss, data in cases:
        values = [Value(v) for v in data]
        terms = loss(values)
        assert isinstance(terms, list) and all(isinstance(v, Value) for v in terms)
        expected = loss(leaf(data))
        np.testing.assert_allclose([v.data for v in terms], expected.data, rtol=1e-12)
    rows = [[Value(v) for v in row] for row in z]
    terms = cross_entropy(rows, [2, 0], reduction="none")
    np.testing.assert_allclose([v.data for v in terms],
                               cross_entropy(leaf(z), np.array([2, 0]), reduction="none").data)
    sum(terms).backward()  # the gradient of the sum is the "sum" reduction's
    reference = leaf(z)
    cross_entropy(reference, np.array([2, 0]), reduction="sum").backward()
    np.testing.assert_allclose([[v.grad for v in row] for row in rows], reference.grad)


def test_functional_wrappers_pass_reduction_through():
    from nn import functional as F

    pred, target = leaf([[0.5, -1.0]]), np.array([[1.0, 0.0]])
    np.testing.assert_array_equal(F.mse_loss(pred, target, reduction="none").data,
                                  [[0.25, 1.0]])
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(pred, target, reduction="none").data,
        binary_cross_entropy(pred, target, from_logits=True, reduction="none").data)
    assert F.cross_entropy(pred, np.array([1]), reduction="none").shape == (1,)
