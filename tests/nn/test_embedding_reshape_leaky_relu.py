"""nn.Embedding, nn.Reshape and nn.LeakyReLU: against PyTorch's Embedding, Unflatten and
LeakyReLU in float64, second derivatives, shapes, summary and errors."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, gradgradcheck
from nn import Dense, Embedding, Flatten, LeakyReLU, Reshape, Sequential
from nn import functional as F

from .torch_compare import as_float64, compare_with_torch


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# ---- Embedding -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2), ()])
def test_embedding_matches_pytorch_with_repeated_indices(shape):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Embedding(7, 3).double()
    ours = as_float64(Embedding(7, 3, rng=0))
    assert repr(ours) == repr(theirs)
    index = np.random.default_rng(1).integers(0, 7, size=shape)
    index.flat[0] = 6  # the last row, and (for a few entries) repeats
    out = compare_with_torch(torch, ours, theirs, index)
    assert out.shape == (*shape, 3)


def test_embedding_gradient_adds_repeats_and_init_is_standard_normal():
    layer = as_float64(Embedding(4, 2, rng=0))
    out = layer(np.array([[1, 1], [3, 1]]))
    out.backward(np.ones(out.shape))
    np.testing.assert_array_equal(layer.weight.grad, [[0, 0], [3, 3], [0, 0], [1, 1]])
    big = Embedding(1000, 50, rng=0).weight
    assert big.dtype == np.float32 and big.shape == (1000, 50)
    assert abs(big.data.mean()) < 0.01 and abs(big.data.std() - 1) < 0.01
    assert gradgradcheck(lambda w: (F.embedding(np.array([0, 2, 2]), w) ** 3).sum(),
                         Tensor(rand(3, 2, seed=2), requires_grad=True))
    assert Embedding(10, 3).output_shape((6,)) == (None, 6, 3)
    model = Sequential(Embedding(10, 4, rng=0), Flatten(), Dense(24, 2, rng=1))
    assert "Total params: 90" in model.summary((6,), print_fn=None)
    assert model(np.zeros((5, 6), dtype=np.int64)).shape == (5, 2)
    assert Embedding(3, 2)(Tensor(np.array([0, 2]))).shape == (2, 2)  # a Tensor of indices


@pytest.mark.parametrize("x, error, match", [
    (np.array([[0, 10], [3, 1]]), IndexError,
     r"Embedding\(10, 3\): index 10 \(at position \(0, 1\) of the input of shape \(2, 2\)\) is "
     r"out of range for 10 embeddings: 0 to 9"),
    (np.array([-1]), IndexError, r"index -1 \(at position \(0,\) .*\) is out of range"),
    (np.array([1.0, 2.0]), TypeError, r"Embedding\(10, 3\): expected integer indices, got dtype "
                                      r"float64 \(shape \(2,\)\)"),
    ([1, 2], TypeError, r"Embedding\(10, 3\): expected an integer numpy array or Tensor of "
                        r"indices, got list"),
])
def test_embedding_errors_name_the_layer_and_the_index(x, error, match):
    with pytest.raises(error, match=match):
        Embedding(10, 3)(x)
    with pytest.raises(ValueError, match="Embedding: embedding_dim must be at least 1"):
        Embedding(3, 0)


# ---- Reshape ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 3, 2), (-1, 3, 2), (4, -1), (24,)])
def test_reshape_matches_pytorch_unflatten_on_flat_samples(shape):
    torch = pytest.importorskip("torch")
    x = rand(5, 24)
    out = compare_with_torch(torch, Reshape(*shape), torch.nn.Unflatten(1, shape), x, load=False)
    resolved = tuple(24 // -np.prod(shape) if d == -1 else d for d in shape)
    assert out.shape == (5, *resolved)
    assert Reshape(shape).output_shape((24,)) == Reshape(shape).output_shape((None, 24)) == \
        (None, *resolved)


def test_reshape_keeps_the_batch_axis_and_the_order():
    x = np.arange(2 * 3 * 4.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(Reshape(4, 3)(x).data, x.reshape(2, 4, 3))
    assert Reshape(2, -1).output_shape((3, 4)) == (None, 2, 6)
    assert Reshape(2, -1).output_shape((None, 3, None)) == (None, 2, None)  # unknown size
    assert repr(Reshape(64, 7, 7)) == "Reshape(64, 7, 7)" and Reshape((2, 3)).shape == (2, 3)
    assert gradgradcheck(lambda t: Reshape(-1, 2)(t) ** 3, Tensor(rand(2, 2, 2),
                                                                  requires_grad=True))


@pytest.mark.parametrize("make, x, match", [
    (lambda: Reshape(5, 5), np.zeros((2, 24)), r"Reshape\(5, 5\): cannot reshape samples of "
                                               r"shape \(24,\) \(24 values\) into \(5, 5\)"),
    (lambda: Reshape(-1, 5), np.zeros((2, 3, 4)), r"Reshape\(-1, 5\): cannot reshape samples of "
                                                  r"shape \(3, 4\) \(12 values\)"),
    (lambda: Reshape(-1, -1), None, r"Reshape: shape must be an int or a tuple of positive ints "
                                    r"\(one may be -1\), got \(-1, -1\)"),
    (lambda: Reshape(0, 3), None, r"Reshape: shape must be"),
    (lambda: Reshape(), None, r"Reshape: shape must be"),
    (lambda: Reshape(2.0), None, r"Reshape: shape must be"),
])
def test_reshape_errors(make, x, match):
    with pytest.raises(ValueError, match=match):
        make()(x)


# ---- LeakyReLU -------------------------------------------------------------------------------

@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5, 1.5])
def test_leaky_relu_matches_pytorch(slope):
    torch = pytest.importorskip("torch")
    x = rand(3, 4, 5)
    x[0, 0, :2] = 0.0  # at 0: the slope, as PyTorch
    ours, theirs = LeakyReLU(slope), torch.nn.LeakyReLU(slope)
    assert repr(ours) == repr(theirs)
    compare_with_torch(torch, ours, theirs, x, load=False)


def test_leaky_relu_values_second_derivatives_shapes_and_errors():
    out = LeakyReLU()(np.array([-100.0, 0.0, 2.0]))
    np.testing.assert_allclose(out.data, [-1.0, 0.0, 2.0])
    assert LeakyReLU(0.1)(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert gradgradcheck(lambda t: F.leaky_relu(t, 0.3) ** 2,
                         Tensor(rand(3, 2) + 0.05, requires_grad=True))
    assert LeakyReLU().output_shape((3, 4)) == (None, 3, 4)
    with pytest.raises(ValueError, match="LeakyReLU: negative_slope must be a number, got str"):
        LeakyReLU("0.1")
    with pytest.raises(TypeError, match="leaky_relu: needs a floating-point tensor, got dtype "
                                        "int64"):
        LeakyReLU()(np.array([1, -1]))
