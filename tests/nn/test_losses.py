"""Losses on Values: values and gradients against the formulas, errors, and torch when present."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value
from nn import binary_cross_entropy, cross_entropy, hinge, mse


def values(*xs: float) -> list[Value]:
    return [Value(x) for x in xs]


@pytest.mark.parametrize("reduction, expected", [("mean", 29 / 3), ("sum", 29.0),
                                                 ("half_sum", 14.5)])
def test_mse_reductions(reduction, expected):
    pred = values(1.0, -2.0, 0.5)
    assert mse(pred, [3.0, 3.0, 0.5], reduction=reduction).data == pytest.approx(expected)


def test_mse_half_sum_gradient_is_prediction_minus_target():
    pred = values(1.0, -2.0, 0.5)
    mse(pred, [3.0, Value(3.0), 0.0], reduction="half_sum").backward()
    assert [p.grad for p in pred] == pytest.approx([-2.0, -5.0, 0.5])


def test_mse_accepts_single_values_nested_lists_and_arrays():
    assert mse(Value(3.0), 1.0).data == 4.0
    nested = [values(1.0, 2.0), values(3.0, 4.0)]
    assert mse(nested, np.array([[1.0, 2.0], [3.0, 6.0]])).data == 1.0


def test_hinge_is_micrograds_max_margin_loss():
    scores, ys = values(2.0, 0.5, 0.3, -4.0), [1, 1, -1, np.int64(-1)]
    loss = hinge(scores, ys)
    micrograd = sum((1 + -y * s).relu() for y, s in zip(ys, values(2.0, 0.5, 0.3, -4.0))) * 0.25
    assert loss.data == micrograd.data == pytest.approx((0 + 0.5 + 1.3 + 0) / 4)
    loss.backward()
    assert [s.grad for s in scores] == [0.0, -0.25, 0.25, 0.0]
    with pytest.raises(ValueError, match="-1 or \\+1"):
        hinge(values(1.0), [0])


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


def test_cross_entropy_value_and_gradient():
    z = np.array([2.0, -1.0, 0.5, 3.0])
    logits = values(*z)
    loss = cross_entropy(logits, 2)
    assert loss.data == pytest.approx(-log_softmax(z)[2], rel=1e-12)
    loss.backward()
    expected = np.exp(log_softmax(z)) - np.eye(4)[2]
    assert [v.grad for v in logits] == pytest.approx(expected.tolist(), rel=1e-9)


def test_cross_entropy_batch_is_the_mean_and_stable():
    batch = [values(1000.0, 0.0), values(0.0, 0.0), values(-800.0, 800.0)]
    loss = cross_entropy(batch, np.array([0, 1, 0]))  # no overflow for large logits
    assert loss.data == pytest.approx((0.0 + math.log(2) + 1600.0) / 3)
    assert cross_entropy(batch, [0, 1, 0], reduction="sum").data == pytest.approx(
        math.log(2) + 1600.0)


@pytest.mark.parametrize("logits, labels, error, match", [
    (values(1.0, 2.0), 2, ValueError, "out of range"),
    (values(1.0, 2.0), -1, ValueError, "out of range"),
    (values(1.0, 2.0), 1.0, TypeError, "integers"),
    (values(1.0, 2.0), True, TypeError, "integers"),
    ([values(1.0, 2.0)], [0, 1], ValueError, "expected 1 labels"),
    (Value(1.0), 0, ValueError, "one Value per class"),
])
def test_cross_entropy_errors(logits, labels, error, match):
    with pytest.raises(error, match=match):
        cross_entropy(logits, labels)


def test_binary_cross_entropy_on_probabilities():
    p, t = [0.9, 0.2, 0.6], [1.0, 0.0, 0.3]
    pred = values(*p)
    loss = binary_cross_entropy(pred, t)
    expected = -np.mean([ti * math.log(pi) + (1 - ti) * math.log(1 - pi) for pi, ti in zip(p, t)])
    assert loss.data == pytest.approx(expected, rel=1e-12)
    loss.backward()
    grads = [(pi - ti) / (pi * (1 - pi)) / 3 for pi, ti in zip(p, t)]
    assert [v.grad for v in pred] == pytest.approx(grads, rel=1e-9)


def test_binary_cross_entropy_clamps_the_log_like_pytorch():
    assert binary_cross_entropy(Value(0.0), 1).data == pytest.approx(100.0)
    assert binary_cross_entropy(Value(1.0), 1).data == 0.0


@pytest.mark.parametrize("z", [-30.0, -2.0, -0.5, 0.0, 0.5, 2.0, 30.0])
@pytest.mark.parametrize("t", [0.0, 0.25, 1.0])
def test_binary_cross_entropy_from_logits_matches_sigmoid_and_its_gradient(z, t):
    logit = Value(z)
    loss = binary_cross_entropy(logit, t, from_logits=True)
    p = 1 / (1 + math.exp(-z))
    expected = -(t * math.log(p) + (1 - t) * math.log1p(-p)) if 0 < p < 1 else None
    if expected is not None and abs(z) < 20:
        assert loss.data == pytest.approx(expected, rel=1e-9)
    loss.backward()
    assert logit.grad == pytest.approx(p - t, abs=1e-12)


def test_binary_cross_entropy_gradient_is_capped_like_pytorch():
    """float32 probabilities at or near 0 and 1 give PyTorch's loss and finite gradients:
    d/dp = (p - t) / max(p (1 - p), 1e-12), where 1 / p itself would be infinite."""
    from autograd import Tensor

    p = np.array([1e-30, 0.0, 1e-13, 1e-5, 0.5, 1 - 1e-7, 1.0], np.float32)
    t = np.array([1, 1, 1, 0, 1, 1, 0], np.float32)
    pred = Tensor(p, requires_grad=True)
    loss = binary_cross_entropy(pred, t, reduction="sum")
    loss.backward()
    assert np.all(np.isfinite(pred.grad))
    np.testing.assert_allclose(pred.grad[:3], -1e12, rtol=1e-6)
    assert pred.grad[-1] == pytest.approx(1e12, rel=1e-6)
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(p, requires_grad=True)
    bce = torch.nn.functional.binary_cross_entropy
    bce(theirs, torch.from_numpy(t), reduction="sum").backward()
    their_loss = torch.nn.functional.binary_cross_entropy(theirs.detach(), torch.from_numpy(t),
                                                          reduction="sum")
    assert loss.item() == pytest.approx(float(their_loss), rel=1e-6)
    np.testing.assert_allclose(pred.grad, theirs.grad.numpy(), rtol=1e-6)


def test_binary_cross_entropy_from_logits_never_overflows():
    assert binary_cross_entropy(Value(800.0), 0, from_logits=True).data == pytest.approx(800.0)
    assert binary_cross_entropy(Value(-800.0), 0, from_logits=True).data == 0.0


def test_binary_cross_entropy_errors():
    with pytest.raises(ValueError, match="from_logits=True"):
        binary_cross_entropy(Value(1.5), 1)
    with pytest.raises(ValueError, match="targets must be in \\[0, 1\\]"):
        binary_cross_entropy(Value(0.5), 2)


@pytest.mark.parametrize("loss", [mse, hinge, binary_cross_entropy])
def test_unsupported_inputs_are_type_errors(loss):
    with pytest.raises(TypeError, match="must be a Tensor, a Value or a list of Values"):
        loss(np.array([0.5]), [1])
    with pytest.raises(TypeError, match="must be a Tensor, a Value or a list of Values"):
        loss(0.5, 1)
    with pytest.raises(TypeError, match="must hold Values"):
        loss([Value(0.5), 0.5], [1, 1])
    with pytest.raises(TypeError, match="Values or numbers"):
        loss([Value(0.5)], ["1"])


def test_length_mismatch_and_reduction_errors():
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        mse(values(1.0, 2.0), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match='"mean", "sum", "half_sum" or "none"'):
        mse(values(1.0), [1.0], reduction="max")
    with pytest.raises(ValueError, match='"mean", "sum" or "none"'):
        hinge(values(1.0), [1], reduction="half_sum")
    with pytest.raises(TypeError):
        cross_entropy(np.zeros((2, 3)), [0, 1])


def test_same_numbers_as_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    z = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, -3.0]])
    labels = [2, 0]
    logits = [values(*row) for row in z]
    ours = cross_entropy(logits, labels)
    ours.backward()
    tz = torch.tensor(z, requires_grad=True)
    theirs = F.cross_entropy(tz, torch.tensor(labels))
    theirs.backward()
    assert ours.data == pytest.approx(theirs.item(), rel=1e-12)
    np.testing.assert_allclose([[v.grad for v in row] for row in logits], tz.grad.numpy(),
                               rtol=1e-9)
    x, t = np.array([-3.0, 0.0, 0.7, 12.0]), np.array([0.0, 1.0, 0.4, 1.0])
    ours = binary_cross_entropy(values(*x), t.tolist(), from_logits=True)
    theirs = F.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(t))
    assert ours.data == pytest.approx(theirs.item(), rel=1e-12)
    p = 1 / (1 + np.exp(-x[:3]))
    ours = binary_cross_entropy(values(*p), t[:3].tolist())
    theirs = F.binary_cross_entropy(torch.tensor(p), torch.tensor(t[:3]))
    assert ours.data == pytest.approx(theirs.item(), rel=1e-12)
