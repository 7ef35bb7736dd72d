"""nn.BatchNorm and nn.LayerNorm: against PyTorch's BatchNorm1d/2d and LayerNorm in float64
over several training steps and then in evaluation mode (outputs, gradients, running
statistics), state_dict keys/shapes/dtypes, second derivatives, shapes and errors."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, gradgradcheck
from nn import SGD, BatchNorm, Dense, LayerNorm, ReLU, Sequential, fit, mse
from nn import functional as F

from .torch_compare import as_float64, compare_with_torch


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def randomized(torch, module):
    """A torch norm layer with random weight, bias (and running statistics)."""
    torch.manual_seed(0)
    with torch.no_grad():
        module.weight.uniform_(0.5, 1.5)
        module.bias.uniform_(-0.5, 0.5)
        if getattr(module, "running_mean", None) is not None:
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
    return module


@pytest.mark.parametrize("shape, torch_class", [((8, 3), "BatchNorm1d"),
                                                ((4, 3, 5), "BatchNorm1d"),
                                                ((4, 3, 5, 6), "BatchNorm2d")])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batch_norm_matches_pytorch_over_training_steps_then_in_eval(shape, torch_class,
                                                                     momentum):
    torch = pytest.importorskip("torch")
    theirs = randomized(torch, getattr(torch.nn, torch_class)(3, eps=1e-3, momentum=momentum)
                        .double())
    ours = as_float64(BatchNorm(3, eps=1e-3, momentum=momentum))
    ours.load_state_dict(theirs.state_dict())
    for step in range(3):
        compare_with_torch(torch, ours, theirs, rand(*shape, seed=step) * 2 + 1, seed=step,
                           load=False)
        assert int(ours.num_batches_tracked) == step + 1
    ours.eval(), theirs.eval()
    before = ours.state_dict()
    compare_with_torch(torch, ours, theirs, rand(*shape, seed=9), load=False)
    for name, value in ours.state_dict().items():  # evaluation changes nothing
        np.testing.assert_array_equal(value, before[name])
    assert ours.input_ndim == len(shape)


def test_batch_norm_state_is_pytorch_s():
    torch = pytest.importorskip("torch")
    for theirs in (torch.nn.BatchNorm1d(4), torch.nn.BatchNorm2d(4)):
        state = BatchNorm(4).state_dict()
        expected = theirs.state_dict()
        assert list(state) == list(expected) == ["weight", "bias", "running_mean", "running_var",
                                                 "num_batches_tracked"]
        for name, value in state.items():
            assert value.shape == tuple(expected[name].shape)
            assert str(value.dtype) == str(expected[name].dtype).removeprefix("torch.")
            np.testing.assert_array_equal(value, expected[name].numpy())
    layer = BatchNorm(4)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in layer.named_buffers()] == ["running_mean", "running_var",
                                                     "num_batches_tracked"]
    assert repr(layer) == "BatchNorm(4, eps=1e-05, momentum=0.1)"


def test_batch_norm_buffers_update_in_place_and_load():
    layer = BatchNorm(2, momentum=0.5)
    mean = layer.running_mean
    x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]], dtype=np.float32)
    layer(x)
    assert layer.running_mean is mean  # in place
    np.testing.assert_allclose(layer.running_mean, [1.5, 3.0])
    np.testing.assert_allclose(layer.running_var, [0.5 + 0.5 * 4.0, 0.5 + 0.5 * 16.0])
    copy = BatchNorm(2)
    copy.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(copy.running_var, layer.running_var)
    assert int(copy.num_batches_tracked) == 1 and copy.num_batches_tracked.dtype == np.int64
    copy.eval()
    np.testing.assert_allclose(copy(x).data, layer.eval()(x).data)


def test_batch_norm_and_layer_norm_second_derivatives():
    bn = as_float64(BatchNorm(2))
    bn.weight.data[...] = [0.5, 2.0]
    bn.bias.data[...] = [0.1, -0.3]
    x = Tensor(rand(4, 2, 2, 1, seed=1), requires_grad=True)
    assert gradgradcheck(lambda x, w, b: bn(x).tanh(), x, bn.weight, bn.bias)
    bn.eval()
    assert gradgradcheck(lambda x, w, b: bn(x).tanh(), x, bn.weight, bn.bias)
    ln = as_float64(LayerNorm((2, 3)))
    ln.weight.data[...] = rand(2, 3, seed=2)
    x = Tensor(rand(2, 2, 3, seed=3), requires_grad=True)
    assert gradgradcheck(lambda x, w, b: ln(x).tanh(), x, ln.weight, ln.bias)


@pytest.mark.parametrize("normalized, shape", [(5, (4, 5)), ((3, 4), (2, 3, 4)),
                                               ((2, 3, 4), (2, 2, 3, 4)), (4, (2, 3, 4))])
def test_layer_norm_matches_pytorch(normalized, shape):
    torch = pytest.importorskip("torch")
    theirs = randomized(torch, torch.nn.LayerNorm(normalized, eps=1e-4).double())
    ours = as_float64(LayerNorm(normalized, eps=1e-4))
    assert repr(ours) == repr(theirs).replace(", elementwise_affine=True, bias=True", "")
    for step in range(2):  # no running statistics: training and evaluation agree
        compare_with_torch(torch, ours.train(step == 0), theirs, rand(*shape, seed=step) * 3)


def test_shapes_summary_and_fit():
    model = Sequential(Dense(3, 4, rng=0), BatchNorm(4), ReLU(), LayerNorm(4), Dense(4, 1, rng=1))
    assert model.output_shape((3,)) == (None, 1)
    assert "Total params: 37" in model.summary((3,), print_fn=None)
    assert BatchNorm(2).output_shape((2, 5, 5)) == (None, 2, 5, 5)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]])).astype(np.float32)
    history = fit(model, x, y, loss=mse, optimizer=SGD(model.parameters(), lr=0.1), epochs=5,
                  batch_size=16, verbose=0, rng=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert int(model[1].num_batches_tracked) == 5 * 4 and model.training


@pytest.mark.parametrize("layer, x, error, match", [
    (BatchNorm(3), np.zeros((4, 2)), ValueError,
     r"BatchNorm\(3, eps=1e-05, momentum=0.1\): expected input of shape \(batch, 3\), "
     r"\(batch, 3, length\) or \(batch, 3, height, width\), got \(4, 2\)"),
    (BatchNorm(3), np.zeros(3), ValueError, r"got \(3,\)"),
    (BatchNorm(3), np.zeros((2, 3, 1, 1, 1)), ValueError, r"got \(2, 3, 1, 1, 1\)"),
    (BatchNorm(3), np.zeros((2, 3), dtype=np.int64), TypeError,
     r"BatchNorm\(.*\): needs a floating-point input, got dtype int64"),
    (BatchNorm(3), np.zeros((1, 3)), ValueError,
     r"expected more than 1 value per channel when training, got input shape \(1, 3\)"),
    (LayerNorm((2, 3)), np.zeros((4, 3, 2)), ValueError,
     r"LayerNorm\(\(2, 3\), eps=1e-05\): expected input of shape \(..., 2, 3\), got "
     r"\(4, 3, 2\)"),
    (LayerNorm(3), np.zeros((2, 3), dtype=np.int32), TypeError, "needs a floating-point input"),
    (LayerNorm(3), [1.0, 2.0, 3.0], TypeError, "LayerNorm: expected a Tensor or a numpy array"),
])
def test_input_errors_name_the_layer_and_change_nothing(layer, x, error, match):
    before = layer.state_dict()
    with pytest.raises(error, match=match):
        layer(x)
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize("make, match", [
    (lambda: BatchNorm(0), "BatchNorm: num_features must be at least 1"),
    (lambda: BatchNorm(2, momentum=1.5), r"BatchNorm: momentum must be a finite number in "
                                         r"\[0.0, 1.0\], got 1.5"),
    (lambda: BatchNorm(2, eps=-1), r"BatchNorm: eps must be a finite number >= 0.0"),
    (lambda: LayerNorm(0), r"LayerNorm: normalized_shape must be an int or a tuple of positive "
                           r"ints, got 0"),
    (lambda: LayerNorm(()), "LayerNorm: normalized_shape must be"),
])
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()
    with pytest.raises(TypeError, match="BatchNorm: num_features must be an int"):
        BatchNorm(2.0)


def test_functional_forms():
    x = rand(6, 3, seed=4)
    rm, rv = np.zeros(3), np.ones(3)
    y = F.batch_norm(Tensor(x), rm, rv, training=True, momentum=1.0, eps=0.0)
    np.testing.assert_allclose(y.data, (x - x.mean(0)) / x.std(0), rtol=1e-12)
    np.testing.assert_allclose(rm, x.mean(0)), np.testing.assert_allclose(rv, x.var(0, ddof=1))
    np.testing.assert_allclose(F.batch_norm(Tensor(x), rm, rv, eps=0.0).data,
                               (x - rm) / np.sqrt(rv), rtol=1e-12)  # eval: running statistics
    np.testing.assert_allclose(F.layer_norm(Tensor(x), 3, eps=0.0).data,
                               (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True),
                               rtol=1e-12)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean must be a numpy array of "
                                         r"shape \(3,\)"):
        F.batch_norm(Tensor(x), np.zeros(2), rv)
    with pytest.raises(ValueError, match=r"layer_norm: weight must be a Tensor of shape \(3,\)"):
        F.layer_norm(Tensor(x), 3, Tensor(np.ones(2)))
