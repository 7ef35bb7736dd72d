"""nn.layers: forward vs numpy/torch, gradients by finite differences, init, shapes, summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from nn import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    Module,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    is_parameter,
)


def mnist_cnn() -> Sequential:
    return Sequential(
        Conv2D(1, 32, 3), ReLU(), Conv2D(32, 64, 3), ReLU(), MaxPool2D(2), Dropout(0.25),
        Flatten(), Dense(9216, 128), ReLU(), Dropout(0.5), Dense(128, 10))


def to_float64(module: Module) -> Module:
    """Replace every parameter attribute by a float64 copy (for finite differences)."""
    for m in module.modules():
        for name, value in list(vars(m).items()):
            if isinstance(value, Tensor) and is_parameter(value):
                setattr(m, name, Parameter(value.data.astype(np.float64)))
    return module


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# ---- forward ---------------------------------------------------------------------------------

def test_dense_is_x_at_w_plus_b():
    layer = Dense(3, 2, rng=0)
    layer.bias.data[...] = [0.5, -1.0]
    x = rand(4, 3).astype(np.float32)
    out = layer(x)
    assert out.shape == (4, 2) and out.dtype == np.float32
    assert layer.weight.shape == (2, 3)  # (out, in), as torch.nn.Linear
    np.testing.assert_allclose(out.data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-6)


def test_dense_and_conv_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    dense = Dense(5, 3, rng=1)
    dense.bias.data[...] = [0.1, 0.2, 0.3]
    x = rand(4, 5, seed=2).astype(np.float32)
    expected = tf.linear(torch.from_numpy(x), torch.from_numpy(dense.weight.data),
                         torch.from_numpy(dense.bias.data))
    np.testing.assert_allclose(dense(x).data, expected.numpy(), rtol=1e-5, atol=1e-6)

    conv = Conv2D(3, 4, (3, 2), stride=2, padding=1, rng=3)
    conv.bias.data[...] = rand(4, seed=4)
    img = rand(2, 3, 7, 6, seed=5).astype(np.float32)
    expected = tf.conv2d(torch.from_numpy(img), torch.from_numpy(conv.weight.data),
                         torch.from_numpy(conv.bias.data), stride=2, padding=1)
    out = conv(img)
    assert out.shape == tuple(expected.shape) == conv.output_shape(img.shape)
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-4, atol=1e-5)

    pooled = MaxPool2D(2)(img)
    np.testing.assert_array_equal(pooled.data, tf.max_pool2d(torch.from_numpy(img), 2).numpy())


def test_activations_and_flatten():
    x = rand(2, 3, 4)
    np.testing.assert_allclose(ReLU()(x).data, np.maximum(x, 0))
    np.testing.assert_allclose(Tanh()(x).data, np.tanh(x))
    np.testing.assert_allclose(Sigmoid()(x).data, 1 / (1 + np.exp(-x)))
    assert Flatten()(x).shape == (2, 12)
    assert Flatten().output_shape((3, 4)) == (None, 12)
    assert ReLU().output_shape((None, 7)) == (None, 7)


def test_bias_false_has_no_bias_parameter_state_or_term():
    dense = Dense(3, 2, bias=False, rng=0)
    conv = Conv2D(2, 4, 3, padding=1, bias=False, rng=1)
    x, img = rand(4, 3).astype(np.float32), rand(1, 2, 5, 5).astype(np.float32)
    assert dense.bias is None and conv.bias is None
    np.testing.assert_allclose(dense(x).data, x @ dense.weight.data.T, rtol=1e-6)
    with_bias = Conv2D(2, 4, 3, padding=1, rng=1)  # same seed: same weight, zero bias
    np.testing.assert_allclose(conv(img).data, with_bias(img).data, rtol=1e-6)
    model = Sequential(conv, Flatten(), Dense(100, 2, bias=False, rng=2))
    assert list(model.state_dict()) == ["0.weight", "2.weight"]
    assert model.num_parameters() == 4 * 2 * 3 * 3 + 100 * 2
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "2.weight"]
    assert repr(dense) == "Dense(3, 2, bias=False)"
    assert repr(conv) == "Conv2D(2, 4, kernel_size=(3, 3), padding=(1, 1), bias=False)"
    assert "Total params: 272" in model.summary((2, 5, 5), print_fn=None)
    with pytest.raises(TypeError, match="Dense: bias must be a bool, got str 'no'"):
        Dense(3, 2, bias="no")


def test_bias_false_gradient_and_torch():
    layer = to_float64(Dense(3, 2, bias=False, rng=0))
    x = Tensor(rand(4, 3, seed=8), requires_grad=True)
    assert gradcheck(lambda x, w: layer(x), x, layer.weight)
    torch = pytest.importorskip("torch")
    linear = torch.nn.Linear(3, 2, bias=False, dtype=torch.float64)
    assert list(linear.state_dict()) == list(layer.state_dict())
    linear.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    np.testing.assert_allclose(linear(torch.from_numpy(x.data)).detach().numpy(),
                               layer(x).data, rtol=1e-12)


# ---- gradients -------------------------------------------------------------------------------

@pytest.mark.parametrize("make, shape", [
    (lambda: Dense(3, 2, rng=0), (4, 3)),
    (lambda: Conv2D(2, 3, 2, stride=1, padding=1, rng=0), (2, 2, 3, 3)),
    (lambda: Conv2D(1, 2, 3, stride=2, rng=0), (1, 1, 5, 5)),
])
def test_layer_gradients_match_finite_differences(make, shape):
    layer = to_float64(make())
    layer.bias.data[...] = rand(*layer.bias.shape, seed=7)
    x = Tensor(rand(*shape, seed=8), requires_grad=True)
    assert gradcheck(lambda x, w, b: layer(x), x, layer.weight, layer.bias)


def test_small_network_gradients_match_finite_differences():
    np.random.seed(1)
    model = to_float64(Sequential(Conv2D(1, 2, 2), Tanh(), MaxPool2D(2), Flatten(),
                                  Dense(2 * 2 * 2, 3), Sigmoid(), Dense(3, 1)))
    x = Tensor(rand(2, 1, 5, 5, seed=3))
    params = model.parameters()
    assert gradcheck(lambda *ps: model(x), *params)


# ---- initialisation --------------------------------------------------------------------------

def test_glorot_uniform_init_float32_zero_bias():
    layer = Dense(300, 200, rng=0)
    limit = math.sqrt(6 / 500)
    w = layer.weight.data
    assert w.dtype == np.float32 and layer.bias.dtype == np.float32
    assert layer.weight.requires_grad and layer.bias.requires_grad
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.02)
    assert not layer.bias.data.any()
    conv = Conv2D(4, 8, 3, rng=0)  # fan_in 36, fan_out 72
    assert np.abs(conv.weight.data).max() <= math.sqrt(6 / 108)
    he = Dense(300, 200, init="he_uniform", rng=0)
    assert np.abs(he.weight.data).max() == pytest.approx(math.sqrt(6 / 300), rel=0.01)
    with pytest.raises(ValueError, match="init must be one of 'glorot_uniform', 'he_uniform'"):
        Dense(2, 2, init="normal")


def test_init_is_seeded_by_numpy_global_seed_or_rng():
    np.random.seed(5)
    a = Conv2D(2, 3, 3).weight.data
    np.random.seed(5)
    b = Conv2D(2, 3, 3).weight.data
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(Dense(4, 4, rng=9).weight.data, Dense(4, 4, rng=9).weight.data)
    gen = np.random.default_rng(0)
    assert not np.array_equal(Dense(4, 4, rng=gen).weight.data, Dense(4, 4, rng=gen).weight.data)
    with pytest.raises(TypeError, match="rng must be"):
        Dense(2, 2, rng="seed")


# ---- shapes, summary, errors -----------------------------------------------------------------

def test_mnist_cnn_summary_reports_1199882_parameters():
    model = mnist_cnn()
    text = model.summary(input_shape=(1, 28, 28), print_fn=None)
    assert "Total params: 1,199,882" in text
    assert model.num_parameters() == 1_199_882
    rows = [line.split(None, 2) for line in text.splitlines() if line[:1].isdigit()]
    assert [r[:2] for r in rows[:3]] == [["0", "(Conv2D)"], ["1", "(ReLU)"], ["2", "(Conv2D)"]]
    assert "(None, 32, 26, 26)" in rows[0][2] and rows[0][2].endswith("320")
    assert "(None, 64, 12, 12)" in rows[4][2]
    assert "(None, 9216)" in rows[6][2]
    assert "(None, 128)" in rows[7][2] and rows[7][2].endswith("1,179,776")
    assert "(None, 10)" in rows[10][2] and rows[10][2].endswith("1,290")
    assert model.output_shape((None, 1, 28, 28)) == (None, 10)
    assert model.output_shape(None) is None


@pytest.mark.parametrize("layer, shape, match", [
    (Conv2D(1, 4, 3), (3, 28, 28), r"Conv2D\(1, 4, kernel_size=\(3, 3\)\): expected input of "
                                   r"shape \(batch, 1, height, width\), got \(3, 28, 28\)"),
    (Conv2D(1, 4, 5), (1, 3, 3), r"expected images of at least 5x5 pixels, got 3x3"),
    (Conv2D(1, 4, 3), (28, 28), r"expected input of shape \(batch, 1, height, width\)"),
    (Dense(10, 2), (None, 9), r"Dense\(10, 2\): expected input of shape \(batch, 10\), "
                              r"got \(None, 9\)"),
    (MaxPool2D(4), (2, 3, 3), r"MaxPool2D\(.*\): expected images of at least 4x4 pixels"),
])
def test_shape_errors_name_the_layer_expected_and_got(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer.output_shape(shape)


def test_forward_checks_the_input_shape_too():
    with pytest.raises(ValueError, match=r"Conv2D\(3, 4, kernel_size=\(3, 3\)\): expected "
                                         r"input of shape \(batch, 3, height, width\), got "
                                         r"\(2, 1, 8, 8\)"):
        Conv2D(3, 4, 3)(np.zeros((2, 1, 8, 8), dtype=np.float32))
    with pytest.raises(ValueError, match=r"Dense\(4, 2\): expected input of shape \(batch, 4\), "
                                         r"got \(5, 3\)"):
        Dense(4, 2)(np.zeros((5, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"MaxPool2D\(.*\): expected input of shape"):
        MaxPool2D(2)(np.zeros((4, 4), dtype=np.float32))


def test_summary_names_the_failing_layer():
    with pytest.raises(ValueError, match=r"Dense\(100, 10\): expected input of shape "
                                         r"\(batch, 100\), got \(None, 9216\)"):
        Sequential(Conv2D(1, 64, 3), MaxPool2D(2), Flatten(), Dense(100, 10)).summary(
            input_shape=(1, 26, 26), print_fn=None)


def test_constructor_arguments_are_checked():
    with pytest.raises(ValueError, match="Dense: in_features must be at least 1"):
        Dense(0, 2)
    with pytest.raises(TypeError, match="Conv2D: kernel_size must be an int or a pair"):
        Conv2D(1, 2, 2.5)
    with pytest.raises(ValueError, match="Conv2D: padding must be at least 0"):
        Conv2D(1, 2, 3, padding=-1)
    with pytest.raises(ValueError, match=r"Dropout: p must be in \[0, 1\)"):
        Dropout(1.0)
    with pytest.raises(TypeError, match="Dense: expected a Tensor or a numpy array"):
        Dense(2, 2)([1.0, 2.0])


# ---- dropout ---------------------------------------------------------------------------------

def test_dropout_scales_in_training_and_is_identity_in_eval():
    layer = Dropout(0.25, rng=0)
    x = np.ones((200, 100), dtype=np.float32)
    out = layer(x).data
    kept = out != 0
    assert kept.mean() == pytest.approx(0.75, abs=0.01)
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, x)
    assert Dropout(0.0)(x).data is x


def test_dropout_masks_follow_the_global_seed_and_the_model_mode():
    np.random.seed(3)
    a = Dropout(0.5)(np.ones((4, 8), dtype=np.float32)).data
    np.random.seed(3)
    b = Dropout(0.5)(np.ones((4, 8), dtype=np.float32)).data
    np.testing.assert_array_equal(a, b)
    model = Sequential(Dense(8, 8, rng=0), Dropout(0.5))
    x = np.ones((3, 8), dtype=np.float32)
    model.eval()
    np.testing.assert_array_equal(model(x).data, model.layers[0](x).data)
    assert model.train() is model and model.layers[1].training


# ---- Sequential and parameters ---------------------------------------------------------------

def test_sequential_indexing_len_iter_and_names():
    a, b, c = Dense(2, 3, rng=0), ReLU(), Dense(3, 1, rng=1)
    model = Sequential(a, b, c)
    assert len(model) == 3 and list(model) == [a, b, c] and model[-1] is c
    head = model[:2]
    assert isinstance(head, Sequential) and head[0] is a
    assert [n for n, _ in model.named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    assert model.num_parameters() == 13
    x = rand(5, 2).astype(np.float32)
    np.testing.assert_allclose(model(x).data, c(b(a(x))).data)
    assert Sequential([a, b]).layers == [a, b]
    with pytest.raises(TypeError, match="Sequential: layer 1 must be an nn.Module"):
        Sequential(a, lambda x: x)
    assert "(0): Dense(2, 3)" in repr(model)
    model[1] = Tanh()
    assert type(model[1]).__name__ == "Tanh" and len(model) == 3
    with pytest.raises(IndexError):
        model[3] = ReLU()


def test_only_parameters_are_parameters():
    w = Parameter(np.ones(3, dtype=np.float32))
    assert is_parameter(w)
    assert not is_parameter(w * 2.0)  # requires_grad too, but computed: a plain Tensor
    assert not is_parameter(Tensor(np.ones(3), requires_grad=True))  # not wrapped

    class Remembers(Dense):
        def forward(self, x):
            self.last_output = super().forward(x)  # a non-leaf Tensor kept in an attribute
            return self.last_output

    layer = Remembers(2, 2, rng=0)
    layer(np.ones((1, 2), dtype=np.float32))
    assert layer.last_output.requires_grad
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
