"""nn.functional: PyTorch's home for the network functions; softmax and dropout are defined
here, conv2d, max_pool2d and log_softmax come from autograd.tensor, the losses from nn.losses."""

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck, no_grad
from nn import functional as F


def test_functional_holds_the_network_functions_and_the_losses():
    import autograd.tensor

    assert F.conv2d is autograd.tensor.conv2d and F.max_pool2d is autograd.tensor.max_pool2d
    assert F.cross_entropy is nn.cross_entropy and F.mse is nn.mse and nn.functional is F
    pred, target = Tensor([[0.5, -1.0]], requires_grad=True), np.array([[1.0, 0.0]])
    assert F.mse_loss(pred, target).item() == nn.mse(pred, target).item()
    assert (F.binary_cross_entropy_with_logits(pred, target).item()
            == nn.binary_cross_entropy(pred, target, from_logits=True).item())


def test_log_softmax_is_stable_and_softmax_sums_to_one():
    x = Tensor([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]], requires_grad=True)
    logp = F.log_softmax(x)
    assert np.all(np.isfinite(logp.data)) and logp.data[0, 0] == 0.0
    p = F.softmax(x, axis=1)
    np.testing.assert_allclose(p.data.sum(axis=1), [1.0, 1.0])
    assert gradcheck(lambda t: F.softmax(t, axis=0), Tensor(np.random.default_rng(0)
                                                           .standard_normal((3, 2)),
                                                           requires_grad=True))


def test_dropout_scales_kept_values_and_is_reproducible():
    x = Tensor(np.ones((100, 100), np.float32), requires_grad=True)
    y = F.dropout(x, 0.25, rng=0)
    kept = y.data != 0
    assert y.dtype == np.float32 and set(np.unique(y.data)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_array_equal(F.dropout(x, 0.25, rng=0).data, y.data)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad != 0, kept)
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    assert np.all(F.dropout(x, 1.0).data == 0)
    with no_grad():
        assert not F.dropout(x, 0.5).requires_grad


def test_dropout_argument_errors():
    x = Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"dropout: p must be in \[0, 1\], got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(TypeError, match="dropout: p must be a number, got str"):
        F.dropout(x, "0.5")
    with pytest.raises(TypeError, match="dropout: needs a floating-point tensor, got dtype "
                                        "int64"):
        F.dropout(Tensor([1, 2]), 0.5)


def test_dropout_without_rng_follows_numpys_global_seed():
    x = Tensor(np.ones((4, 5), dtype=np.float32))
    np.random.seed(3)
    first = F.dropout(x, 0.5).numpy()
    np.random.seed(3)
    assert np.array_equal(F.dropout(x, 0.5).numpy(), first)
