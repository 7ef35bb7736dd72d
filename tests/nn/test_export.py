"""nn.export: to_torch / from_torch against PyTorch, to_onnx against onnxruntime.

Each group imports its peer through a fixture (pytest.importorskip), so without the extras the
group is skipped and the rest runs.
"""

from __future__ import annotations

import random
import sys
from collections import OrderedDict

import numpy as np
import pytest

import nn
from autograd import Value
from nn import (
    MLP,
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
)
from nn.export import from_torch, to_torch


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def mnist_cnn(seed: int = 0) -> Sequential:
    """The Keras MNIST CNN of demos/mnist_cnn.py."""
    return Sequential(
        Conv2D(1, 32, 3, rng=seed), ReLU(), Conv2D(32, 64, 3, rng=seed + 1), ReLU(),
        MaxPool2D(2), Dropout(0.25, rng=seed + 2), Flatten(),
        Dense(9216, 128, rng=seed + 3), ReLU(), Dropout(0.5, rng=seed + 4),
        Dense(128, 10, rng=seed + 5))


def with_biases(model: Module, seed: int = 0) -> Module:
    """Nonzero biases (layers start with zeros, which would hide a bias that is dropped)."""
    rng = np.random.default_rng(seed)
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            p.data[...] = rng.uniform(-0.5, 0.5, p.shape)
    return model


def as_float64(model: Module) -> Module:
    for m in model.modules():
        for name, value in list(vars(m).items()):
            if isinstance(value, Parameter):
                setattr(m, name, Parameter(value.data.astype(np.float64)))
    return model


def inputs(*shape: int, dtype=np.float32, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def run_torch(torch, module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


def mlp_outputs(model: MLP, x: np.ndarray) -> np.ndarray:
    """The scalar MLP on each row of x, as a (batch, nout) array."""
    rows = []
    for row in x:
        out = model([Value(float(v)) for v in row])
        rows.append([v.data for v in out] if isinstance(out, list) else [out.data])
    return np.array(rows)


def shapes(state) -> list:
    return [(k, tuple(v.shape)) for k, v in state.items()]


# ---- to_torch --------------------------------------------------------------------------------

def test_dense_stack_same_outputs_keys_shapes_and_dtype(torch):
    model = with_biases(Sequential(Dense(4, 8, rng=0), ReLU(), Dense(8, 3, rng=1)))
    theirs = to_torch(model)
    assert isinstance(theirs, torch.nn.Sequential)
    assert [type(m).__name__ for m in theirs] == ["Linear", "ReLU", "Linear"]
    assert shapes(theirs.state_dict()) == shapes(model.state_dict())
    assert all(v.dtype == torch.float32 for v in theirs.state_dict().values())
    x = inputs(5, 4)
    np.testing.assert_allclose(run_torch(torch, theirs, x), model(x).data, rtol=1e-5, atol=1e-5)
    model[0].bias.data[...] = 7.0  # a copy: the torch model keeps its own weights
    assert not (theirs[0].bias == 7.0).any()


def test_mnist_cnn_same_outputs_in_eval_mode(torch):
    model = with_biases(mnist_cnn()).eval()
    theirs = to_torch(model)
    assert [type(m).__name__ for m in theirs] == [
        "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d", "Dropout", "Flatten", "Linear", "ReLU",
        "Dropout", "Linear"]
    assert theirs[5].p == 0.25 and theirs[9].p == 0.5
    assert (theirs[4].kernel_size, theirs[4].stride) == ((2, 2), (2, 2))
    assert (theirs[6].start_dim, theirs[6].end_dim) == (1, -1)
    assert shapes(theirs.state_dict()) == shapes(model.state_dict())
    assert not any(m.training for m in theirs.modules())
    x = inputs(3, 1, 28, 28)
    np.testing.assert_allclose(run_torch(torch, theirs, x), model(x).data, rtol=1e-5, atol=1e-5)


def test_training_mode_and_requires_grad_carry_over(torch):
    model = mnist_cnn()
    assert all(m.training for m in to_torch(model).modules())
    model[5].eval()  # one layer in eval mode, the rest training
    model[0].weight.requires_grad = False
    theirs = to_torch(model)
    assert [m.training for m in theirs] == [i != 5 for i in range(11)] and theirs.training
    assert not theirs[0].weight.requires_grad and theirs[0].bias.requires_grad


def test_conv_stride_padding_no_bias_activations_and_float64(torch):
    model = with_biases(as_float64(Sequential(
        Conv2D(2, 3, (3, 2), stride=2, padding=1, rng=0), Tanh(),
        Conv2D(3, 4, 2, padding=(0, 1), bias=False, rng=1), Sigmoid(), MaxPool2D(2, stride=1),
        Flatten(), Dense(4 * 2 * 4, 5, bias=False, rng=2), Tanh(), Dense(5, 2, rng=3))))
    theirs = to_torch(model)
    assert theirs[0].stride == (2, 2) and theirs[0].padding == (1, 1)
    assert theirs[2].bias is None and theirs[6].bias is None
    assert list(theirs.state_dict()) == list(model.state_dict())
    assert all(v.dtype == torch.float64 for v in theirs.state_dict().values())
    x = inputs(4, 2, 7, 6, dtype=np.float64)
    np.testing.assert_allclose(run_torch(torch, theirs, x), model(x).data, rtol=1e-10)


def test_a_single_layer_and_a_shared_layer(torch):
    dense = with_biases(Dense(3, 2, rng=0))
    assert isinstance(to_torch(dense), torch.nn.Linear)
    shared = Dense(2, 2, rng=1)
    theirs = to_torch(Sequential(shared, Tanh(), shared))
    assert theirs[0] is theirs[2]  # one module used twice, as in the glassgrad model


def test_scalar_mlp_float64_and_key_mapping(torch):
    random.seed(0)
    model = MLP(3, [4, 4, 2])
    for p in model.parameters():
        p.data = random.uniform(-1, 1)  # nonzero biases
    theirs = to_torch(model)
    assert [type(m).__name__ for m in theirs] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    ours = model.state_dict()
    mapped = {k.replace(f"layers.{i}.", f"{2 * i}."): v
              for k, v in ours.items() for i in range(3) if k.startswith(f"layers.{i}.")}
    assert shapes(theirs.state_dict()) == shapes(mapped)
    for k, v in theirs.state_dict().items():
        assert v.dtype == torch.float64
        np.testing.assert_array_equal(v.numpy(), mapped[k])
    x = inputs(6, 3, dtype=np.float64)
    np.testing.assert_allclose(run_torch(torch, theirs, x), mlp_outputs(model, x), rtol=1e-12)
    random.seed(1)
    single = MLP(2, [3, 1])  # one output: torch gives (batch, 1)
    np.testing.assert_allclose(run_torch(torch, to_torch(single), x[:, :2]),
                               mlp_outputs(single, x[:, :2]), rtol=1e-12)


def test_export_leaves_the_random_generators_alone(torch):
    model = mnist_cnn()
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    to_torch(model)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])


class MyLayer(Module):
    def forward(self, x):
        return x


def test_to_torch_unsupported_layers_are_named_with_their_place(torch, monkeypatch):
    def not_built(*args, **kwargs):
        raise AssertionError("a layer was built before the model was checked")

    monkeypatch.setattr(torch.nn, "Linear", not_built)
    model = Sequential(Dense(2, 2), Sequential(MyLayer(), ReLU()), MyLayer())
    with pytest.raises(TypeError) as error:
        to_torch(model)
    assert str(error.value).startswith(
        "to_torch: no PyTorch equivalent for MyLayer at '1.0'; MyLayer at '2'. Supported: "
        "Conv2D, Dense, Dropout, Flatten, MLP, MaxPool2D, ReLU, Sequential, Sigmoid, Tanh")
    with pytest.raises(TypeError, match="no PyTorch equivalent for Layer at the top"):
        to_torch(nn.Layer(2, 3))


def test_to_torch_refuses_mixed_or_integer_dtypes(torch):
    layer = Dense(2, 2)
    layer.bias = Parameter(np.zeros(2))  # float64 next to a float32 weight
    with pytest.raises(ValueError, match="to_torch: Dense at '1' has parameters of dtype "
                                         "float32, float64; expected all float32 or all"):
        to_torch(Sequential(ReLU(), layer))


# ---- from_torch ------------------------------------------------------------------------------

def torch_cnn(torch):
    tnn = torch.nn
    torch.manual_seed(0)
    return tnn.Sequential(
        tnn.Conv2d(1, 4, 3, stride=2, padding=1), tnn.ReLU(), tnn.Conv2d(4, 6, (2, 3), bias=False),
        tnn.Tanh(), tnn.MaxPool2d(2, stride=1), tnn.Dropout(0.3), tnn.Flatten(),
        tnn.Linear(6 * 4 * 2, 8), tnn.Sigmoid(), tnn.Linear(8, 3, bias=False))


def test_from_torch_mlp_and_cnn_same_outputs(torch):
    torch.manual_seed(0)
    tnn = torch.nn
    mlp = tnn.Sequential(tnn.Linear(4, 8), tnn.ReLU(), tnn.Linear(8, 3))
    ours = from_torch(mlp)
    assert [type(m).__name__ for m in ours] == ["Dense", "ReLU", "Dense"]
    x = inputs(5, 4)
    np.testing.assert_allclose(ours(x).data, run_torch(torch, mlp, x), rtol=1e-5, atol=1e-6)

    cnn = torch_cnn(torch).eval()
    ours = from_torch(cnn)
    assert repr(ours[0]) == "Conv2D(1, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    assert ours[2].bias is None and ours[9].bias is None and ours[5].p == pytest.approx(0.3)
    assert isinstance(ours[6], Flatten) and ours[4].stride == (1, 1)
    assert not any(m.training for m in ours.modules())
    assert shapes(ours.state_dict()) == shapes(cnn.state_dict())
    img = inputs(2, 1, 11, 10)
    assert ours[0].weight.dtype == np.float32
    np.testing.assert_allclose(ours(img).data, run_torch(torch, cnn, img), rtol=1e-5, atol=1e-5)


def test_from_torch_keeps_float64_requires_grad_and_modes(torch):
    tnn = torch.nn
    torch.manual_seed(1)
    model = tnn.Sequential(OrderedDict([("hidden", tnn.Linear(3, 4)), ("act", tnn.Tanh()),
                                        ("out", tnn.Linear(4, 2))])).double()
    model.hidden.bias.requires_grad_(False)
    model.act.eval()
    ours = from_torch(model)
    assert list(ours.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # renamed
    assert all(v.dtype == np.float64 for v in ours.state_dict().values())
    assert not ours[0].bias.requires_grad and ours[0].weight.requires_grad
    assert [m.training for m in ours] == [True, False, True] and ours.training
    x = inputs(3, 3, dtype=np.float64)
    np.testing.assert_allclose(ours(x).data, run_torch(torch, model, x), rtol=1e-12)


def test_round_trips_keep_every_weight(torch):
    cnn = torch_cnn(torch)
    back = to_torch(from_torch(cnn))
    assert list(back.state_dict()) == list(cnn.state_dict())
    for k, v in cnn.state_dict().items():
        assert torch.equal(back.state_dict()[k], v)
    model = with_biases(mnist_cnn())
    again = from_torch(to_torch(model))
    assert repr(again) == repr(model)
    for (k, a), (j, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert k == j and a.dtype == b.dtype and np.array_equal(a, b)


def test_from_torch_shares_a_module_used_twice(torch):
    shared = torch.nn.Linear(2, 2)
    ours = from_torch(torch.nn.Sequential(shared, torch.nn.ReLU(), shared))
    assert ours[0] is ours[2] and len(ours.parameters()) == 2


@pytest.mark.parametrize("make, message", [
    (lambda tnn: tnn.Sequential(tnn.Linear(2, 2), tnn.BatchNorm1d(2)),
     "from_torch: no glassgrad equivalent for torch.nn.BatchNorm1d at '1'. Supported: "
     "torch.nn.Conv2d, torch.nn.Dropout, torch.nn.Flatten, torch.nn.Linear"),
    (lambda tnn: tnn.Sequential(tnn.Sequential(tnn.GELU()), tnn.Dropout2d()),
     "no glassgrad equivalent for torch.nn.GELU at '0.0'; torch.nn.Dropout2d at '1'"),
    (lambda tnn: tnn.LSTM(2, 3), "no glassgrad equivalent for torch.nn.LSTM at the top"),
])
def test_from_torch_unsupported_modules_are_type_errors(torch, make, message):
    with pytest.raises(TypeError) as error:
        from_torch(make(torch.nn))
    assert message in str(error.value)


@pytest.mark.parametrize("make, message", [
    (lambda tnn: tnn.Conv2d(1, 2, 3, dilation=2),
     "from_torch: Conv2d at the top (the model itself) has dilation=(2, 2); glassgrad's layers "
     "support (1, 1) only"),
    (lambda tnn: tnn.Sequential(tnn.ReLU(), tnn.Conv2d(2, 2, 3, groups=2)),
     "Conv2d at '1' has groups=2; glassgrad's layers support 1 only"),
    (lambda tnn: tnn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"),
     "Conv2d at the top (the model itself) has padding_mode='reflect'"),
    (lambda tnn: tnn.Conv2d(1, 2, 3, padding="same"), "has padding='same'; glassgrad's layers "
                                                       "support int or pair paddings"),
    (lambda tnn: tnn.MaxPool2d(2, ceil_mode=True), "MaxPool2d at the top (the model itself) "
                                                    "has ceil_mode=True"),
    (lambda tnn: tnn.MaxPool2d(3, padding=1), "has padding=1; glassgrad's layers support 0 or "),
    (lambda tnn: tnn.Flatten(0), "Flatten at the top (the model itself) has start_dim=0"),
    (lambda tnn: tnn.Dropout(1.0), "Dropout at the top (the model itself) has p=1.0"),
    (lambda tnn: tnn.Linear(2, 2).half(), "Linear at the top (the model itself) has weight of "
                                          "dtype torch.float16; glassgrad's layers take float32"),
])
def test_from_torch_unsupported_settings_are_value_errors(torch, make, message):
    with pytest.raises(ValueError) as error:
        from_torch(make(torch.nn))
    assert message in str(error.value)


def test_from_torch_builds_nothing_before_the_whole_model_is_checked(torch):
    tnn = torch.nn
    model = tnn.Sequential(tnn.Dropout(0.5), tnn.Conv2d(1, 1, 2), tnn.Conv2d(1, 1, 2, groups=1,
                                                                             dilation=3))
    before = np.random.get_state()[1].copy()
    with pytest.raises(ValueError, match="Conv2d at '2' has dilation=\\(3, 3\\)"):
        from_torch(model)
    assert np.array_equal(np.random.get_state()[1], before)  # no Dropout was made


def test_a_missing_torch_is_an_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    for function, arg in ((to_torch, Sequential(ReLU())), (from_torch, object())):
        with pytest.raises(ImportError, match=f"{function.__name__} needs the package 'torch', "
                                              "which is not installed: pip install "
                                              "'glassgrad\\[crosscheck\\]'"):
            function(arg)
