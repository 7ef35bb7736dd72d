"""nn.export: to_torch / from_torch against PyTorch, to_onnx against onnxruntime.

Each group imports its peer through a fixture (pytest.importorskip), so without the extras the
group is skipped and the rest runs.
"""

from __future__ import annotations

import doctest
import random
import re
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Value
from nn import (
    MLP,
    BatchNorm,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Dropout,
    Flatten,
    LayerNorm,
    LeakyReLU,
    MaxPool2D,
    Module,
    Parameter,
    ReLU,
    Reshape,
    Sequential,
    Sigmoid,
    Tanh,
    UpSampling2D,
)
from nn.export import from_torch, to_onnx, to_torch
from nn.export.torch_model import TO_TORCH

from .torch_compare import as_float64


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.fixture
def onnx():
    return pytest.importorskip("onnx")


@pytest.fixture
def ort(onnx):
    """onnxruntime, with onnx (to_onnx writes the file with onnx, onnxruntime runs it)."""
    return pytest.importorskip("onnxruntime")


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
    assert str(error.value) == (
        "to_torch: no PyTorch equivalent for MyLayer at '1.0'; MyLayer at '2'. Supported: "
        + ", ".join(sorted(cls.__name__ for cls in TO_TORCH)))
    assert {"BatchNorm", "Conv2D", "Conv2DTranspose", "Dense", "Embedding", "LayerNorm", "MLP",
            "Reshape", "UpSampling2D"} <= {cls.__name__ for cls in TO_TORCH}
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
    (lambda tnn: tnn.Sequential(tnn.Linear(2, 2), tnn.GroupNorm(1, 2)),
     "from_torch: no glassgrad equivalent for torch.nn.GroupNorm at '1'. Supported: "
     "torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.Conv2d, torch.nn.ConvTranspose2d, "
     "torch.nn.Dropout, torch.nn.Embedding, torch.nn.Flatten, torch.nn.LayerNorm"),
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


# ---- the decoder's and the normalisation layers, both ways --------------------------------------

def decoder(seed: int = 0) -> Sequential:
    """Every layer of the second table once: Dense -> Reshape -> BatchNorm (4-D) -> LeakyReLU ->
    Conv2DTranspose -> UpSampling2D -> LayerNorm."""
    return with_biases(Sequential(
        Dense(6, 4 * 3 * 3, rng=seed), Reshape(4, 3, 3), BatchNorm(4, momentum=0.3),
        LeakyReLU(0.2), Conv2DTranspose(4, 2, 3, stride=2, padding=1, output_padding=1,
                                        rng=seed + 1),
        UpSampling2D((2, 1)), LayerNorm((12, 6), eps=1e-4)), seed)


def test_to_torch_decoder_layers_keys_outputs_modes_and_buffers(torch):
    model = decoder()
    x = inputs(5, 6)
    model(x)  # one training step: BatchNorm's running statistics move, it sees 4-D input
    theirs = to_torch(model)
    assert [type(m).__name__ for m in theirs] == [
        "Linear", "Unflatten", "BatchNorm2d", "LeakyReLU", "ConvTranspose2d", "Upsample",
        "LayerNorm"]
    assert theirs[1].unflattened_size == (4, 3, 3) and theirs[3].negative_slope == 0.2
    assert theirs[2].momentum == 0.3 and theirs[5].scale_factor == (2.0, 1.0)
    assert (theirs[4].stride, theirs[4].output_padding) == ((2, 2), (1, 1))
    assert shapes(theirs.state_dict()) == shapes(model.state_dict())
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), model.state_dict()[k])
    assert theirs.state_dict()["2.num_batches_tracked"].item() == 1
    assert all(m.training for m in theirs.modules())
    x2 = inputs(5, 6, seed=2)
    np.testing.assert_allclose(theirs(torch.from_numpy(x2)).detach().numpy(), model(x2).data,
                               rtol=1e-4, atol=1e-4)  # training: batch statistics, both update
    np.testing.assert_allclose(theirs[2].running_var.numpy(), model[2].running_var, rtol=1e-5)
    model.eval()
    theirs = to_torch(model)
    assert not any(m.training for m in theirs.modules())
    np.testing.assert_allclose(run_torch(torch, theirs, x2), model(x2).data, rtol=1e-4,
                               atol=1e-4)


def test_decoder_round_trips_and_float64(torch):
    model = decoder()
    model(inputs(4, 6))
    again = from_torch(to_torch(model))
    assert repr(again) == repr(model) and again[2].input_ndim == 4
    for (k, a), (j, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert k == j and a.dtype == b.dtype and np.array_equal(a, b)
    model64 = as_float64(decoder(1))
    model64(inputs(4, 6, dtype=np.float64))
    theirs = to_torch(model64.eval())
    assert all(v.dtype in (torch.float64, torch.int64) for v in theirs.state_dict().values())
    back = from_torch(theirs)
    assert back[2].running_mean.dtype == np.float64 and back[2].weight.dtype == np.float64
    x = inputs(3, 6, dtype=np.float64)
    np.testing.assert_allclose(run_torch(torch, theirs, x), model64(x).data, rtol=1e-10)
    np.testing.assert_allclose(back(x).data, model64(x).data, rtol=1e-12)


def test_batch_norm_export_follows_the_inputs_it_saw(torch):
    layer = BatchNorm(3)
    with pytest.raises(ValueError, match="to_torch: BatchNorm at '1' has not been called yet, "
                                         "so whether it is torch's BatchNorm1d"):
        to_torch(Sequential(Dense(2, 3), layer))
    for shape, name in (((4, 3), "BatchNorm1d"), ((4, 3, 5), "BatchNorm1d"),
                        ((4, 3, 2, 2), "BatchNorm2d")):
        layer(inputs(*shape))
        assert type(to_torch(layer)).__name__ == name
    tnn = torch.nn
    torch.manual_seed(0)
    trained = tnn.Sequential(tnn.Conv2d(1, 3, 3), tnn.BatchNorm2d(3), tnn.Flatten(),
                             tnn.Linear(3 * 4 * 4, 5), tnn.BatchNorm1d(5, momentum=None))
    for _ in range(3):
        trained(torch.randn(8, 1, 6, 6))
    trained.eval()
    ours = from_torch(trained)
    assert (ours[1].input_ndim, ours[4].input_ndim, ours[4].momentum) == (4, 2, None)
    assert int(ours[4].num_batches_tracked) == 3 and not ours[4].training
    x = inputs(2, 1, 6, 6)
    np.testing.assert_allclose(ours(x).data, run_torch(torch, trained, x), rtol=1e-5, atol=1e-5)


def test_embedding_both_ways(torch):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Flatten(),
                                 torch.nn.Linear(12, 2))
    ours = from_torch(theirs)
    assert repr(ours[0]) == "Embedding(10, 4)"
    tokens = np.random.default_rng(0).integers(0, 10, size=(5, 3))
    np.testing.assert_allclose(ours(tokens).data, run_torch(torch, theirs, tokens), rtol=1e-6)
    back = to_torch(ours)
    assert torch.equal(back[0].weight, theirs[0].weight)


@pytest.mark.parametrize("make, message", [
    (lambda tnn: tnn.ConvTranspose2d(1, 2, 3, dilation=2),
     "ConvTranspose2d at the top (the model itself) has dilation=(2, 2)"),
    (lambda tnn: tnn.ConvTranspose2d(1, 2, 3, stride=2, output_padding=2),
     "has output_padding=(2, 2); glassgrad's layers support output_padding smaller than the "
     "stride (2, 2) only"),
    (lambda tnn: tnn.Upsample(scale_factor=2, mode="bilinear"), "has mode='bilinear'"),
    (lambda tnn: tnn.Upsample(scale_factor=1.5), "has scale_factor=1.5; glassgrad's layers "
                                                 "support whole numbers"),
    (lambda tnn: tnn.Upsample(size=(4, 4)), "has size=(4, 4)"),
    (lambda tnn: tnn.Unflatten(2, (2, 3)), "Unflatten at the top (the model itself) has dim=2"),
    (lambda tnn: tnn.BatchNorm1d(3, affine=False), "has affine=False"),
    (lambda tnn: tnn.BatchNorm2d(3, track_running_stats=False), "has track_running_stats=False"),
    (lambda tnn: tnn.LayerNorm(3, elementwise_affine=False), "has elementwise_affine=False"),
    (lambda tnn: tnn.LayerNorm(3, bias=False), "has bias=None"),
    (lambda tnn: tnn.Embedding(5, 2, padding_idx=0), "has padding_idx=0"),
    (lambda tnn: tnn.Embedding(5, 2, max_norm=1.0), "has max_norm=1.0"),
])
def test_from_torch_settings_the_new_layers_lack(torch, make, message):
    with pytest.raises(ValueError) as error:
        from_torch(make(torch.nn))
    assert message in str(error.value)


# ---- to_onnx ---------------------------------------------------------------------------------

def run_onnx(ort, path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": x})[0]


def op_types(onnx, path) -> list[str]:
    return [node.op_type for node in onnx.load(str(path)).graph.node]


def test_to_onnx_mnist_cnn_runs_in_onnxruntime_as_in_glassgrad(onnx, ort, tmp_path):
    model = with_biases(mnist_cnn())  # in training mode: the graph is the eval-mode model
    dropout_state = model[5]._rng.bit_generator.state
    numpy_state = np.random.get_state()[1].copy()
    path = to_onnx(model, tmp_path / "mnist_cnn.onnx", (1, 28, 28))
    assert path == str(tmp_path / "mnist_cnn.onnx")
    assert all(m.training for m in model.modules())  # the modes are given back
    assert model[5]._rng.bit_generator.state == dropout_state  # no mask drawn
    assert np.array_equal(np.random.get_state()[1], numpy_state)

    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 13)]
    assert proto.ir_version == 7 and proto.producer_name == "glassgrad"
    assert op_types(onnx, path) == ["Conv", "Relu", "Conv", "Relu", "MaxPool", "Flatten", "Gemm",
                                    "Relu", "Gemm"]  # no Dropout: an inference graph
    assert [i.name for i in proto.graph.initializer] == list(model.state_dict())
    for tensor in proto.graph.initializer:
        np.testing.assert_array_equal(onnx.numpy_helper.to_array(tensor),
                                      model.state_dict()[tensor.name])
        assert tensor.data_type == onnx.TensorProto.FLOAT

    def dims(value_info):
        return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]

    assert dims(proto.graph.input[0]) == ["batch", 1, 28, 28]
    assert dims(proto.graph.output[0]) == ["batch", 10]
    assert {v.name: dims(v) for v in proto.graph.value_info}["4"] == ["batch", 64, 12, 12]

    x = inputs(3, 1, 28, 28)
    np.testing.assert_allclose(run_onnx(ort, path, x), model.eval()(x).data, rtol=1e-5,
                               atol=1e-5)


def test_to_onnx_dense_stack_without_bias_tanh_sigmoid_any_batch(onnx, ort, tmp_path):
    model = with_biases(Sequential(Dense(4, 8, bias=False, rng=0), Tanh(), Dense(8, 5, rng=1),
                                   Sigmoid(), Dense(5, 3, bias=False, rng=2)))
    path = to_onnx(model, tmp_path / "mlp.onnx", [4])  # a list is a shape too
    graph = onnx.load(path).graph
    assert [(n.op_type, len(n.input)) for n in graph.node] == [
        ("Gemm", 2), ("Tanh", 1), ("Gemm", 3), ("Sigmoid", 1), ("Gemm", 2)]
    assert [i.name for i in graph.initializer] == ["0.weight", "2.weight", "2.bias", "4.weight"]
    for batch in (1, 5):  # one file, any batch size
        x = inputs(batch, 4, seed=batch)
        np.testing.assert_allclose(run_onnx(ort, path, x), model(x).data, rtol=1e-5, atol=1e-6)


def conv_model() -> Sequential:
    """Convolutions with strides, paddings, rectangular kernels and no bias; a pool of stride 1."""
    return with_biases(Sequential(
        Conv2D(2, 3, (3, 2), stride=2, padding=1, rng=0), Tanh(),
        Conv2D(3, 4, 2, padding=(0, 1), bias=False, rng=1), Sigmoid(), MaxPool2D(2, stride=1),
        Flatten(), Dense(4 * 2 * 4, 5, bias=False, rng=2), Tanh(), Dense(5, 2, rng=3)))


def test_to_onnx_conv_stride_padding_no_bias(onnx, ort, tmp_path):
    model = conv_model()
    path = to_onnx(model, tmp_path / "cnn.onnx", (2, 7, 6))
    proto = onnx.load(path)
    conv, _, conv2 = proto.graph.node[:3]
    attributes = {a.name: list(a.ints) for a in conv.attribute}
    assert attributes == {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 1, 1, 1]}
    assert {a.name: list(a.ints) for a in conv2.attribute}["pads"] == [0, 1, 0, 1]
    assert len(conv2.input) == 2  # no bias
    assert {a.name: list(a.ints) for a in proto.graph.node[4].attribute}["strides"] == [1, 1]
    assert [i.name for i in proto.graph.initializer] == list(model.state_dict())
    x = inputs(4, 2, 7, 6)
    np.testing.assert_allclose(run_onnx(ort, path, x), model(x).data, rtol=1e-5, atol=1e-5)


def test_to_onnx_float64_models_give_float64_graphs(onnx, ort, tmp_path):
    dense = with_biases(as_float64(Sequential(Flatten(), Dense(12, 5, rng=0), Tanh(),
                                              Dense(5, 3, rng=1), Sigmoid())))
    path = to_onnx(dense, tmp_path / "dense64.onnx", (3, 4))
    proto = onnx.load(path)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert all(i.data_type == onnx.TensorProto.DOUBLE for i in proto.graph.initializer)
    x = inputs(4, 3, 4, dtype=np.float64)
    np.testing.assert_allclose(run_onnx(ort, path, x), dense(x).data, rtol=1e-12)
    # onnxruntime's CPU provider has no float64 Conv or MaxPool: ONNX's reference runs those
    model = as_float64(conv_model())
    path = to_onnx(model, tmp_path / "cnn64.onnx", (2, 7, 6))
    x = inputs(4, 2, 7, 6, dtype=np.float64)
    reference = pytest.importorskip("onnx.reference").ReferenceEvaluator(path)
    np.testing.assert_allclose(reference.run(["output"], {"input": x})[0], model(x).data,
                               rtol=1e-10)


def test_to_onnx_dense_on_more_axes_a_shared_layer_and_only_dropout(onnx, ort, tmp_path):
    model = with_biases(Sequential(Dense(4, 3, rng=0), ReLU()))
    path = to_onnx(model, tmp_path / "seq.onnx", (2, 4))  # Gemm takes 2-D inputs only
    assert op_types(onnx, path) == ["Transpose", "MatMul", "Add", "Relu"]
    assert [i.name for i in onnx.load(path).graph.initializer] == ["0.weight", "0.bias"]
    x = inputs(3, 2, 4)
    np.testing.assert_allclose(run_onnx(ort, path, x), model(x).data, rtol=1e-5, atol=1e-6)

    shared = with_biases(Dense(2, 2, rng=1))
    model = Sequential(shared, Tanh(), shared)
    path = to_onnx(model, tmp_path / "shared.onnx", (2,))
    assert [i.name for i in onnx.load(path).graph.initializer] == ["0.weight", "0.bias"]
    x = inputs(3, 2)
    np.testing.assert_allclose(run_onnx(ort, path, x), model(x).data, rtol=1e-5, atol=1e-6)

    path = to_onnx(Sequential(Dropout(0.5)), tmp_path / "identity.onnx", (3,))
    assert op_types(onnx, path) == ["Identity"]
    x = inputs(2, 3)
    np.testing.assert_array_equal(run_onnx(ort, path, x), x)


def test_to_onnx_scalar_mlp_is_a_float64_gemm_chain(onnx, ort, tmp_path):
    random.seed(0)
    model = MLP(3, [4, 4, 2])
    for p in model.parameters():
        p.data = random.uniform(-1, 1)  # nonzero biases
    path = to_onnx(model, tmp_path / "mlp.onnx", (3,))
    proto = onnx.load(path)
    assert op_types(onnx, path) == ["Gemm", "Relu", "Gemm", "Relu", "Gemm"]
    assert [i.name for i in proto.graph.initializer] == list(model.state_dict())
    x = inputs(6, 3, dtype=np.float64)
    np.testing.assert_allclose(run_onnx(ort, path, x), mlp_outputs(model, x), rtol=1e-12)
    random.seed(1)
    single = MLP(2, [3, 1])  # one output: (batch, 1)
    path = to_onnx(single, tmp_path / "single.onnx", (2,))
    np.testing.assert_allclose(run_onnx(ort, path, x[:, :2]), mlp_outputs(single, x[:, :2]),
                               rtol=1e-12)
    with pytest.raises(ValueError, match=r"to_onnx: input_shape \(3,\) does not fit the MLP, "
                                         r"which takes 2 inputs: input_shape=\(2,\)"):
        to_onnx(single, tmp_path / "bad.onnx", (3,))
    with pytest.raises(TypeError, match="to_onnx: the scalar MLP at '1' takes one sample"):
        to_onnx(Sequential(ReLU(), single), tmp_path / "bad.onnx", (2,))
    assert not (tmp_path / "bad.onnx").exists()


def test_to_onnx_unsupported_layers_are_named_and_nothing_is_written(onnx, tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the old file")
    model = Sequential(Dense(2, 2), Sequential(MyLayer(), ReLU()), MyLayer())
    with pytest.raises(TypeError) as error:
        to_onnx(model, path, (2,))
    assert str(error.value) == (
        "to_onnx: no ONNX equivalent for MyLayer at '1.0'; MyLayer at '2'. Supported: Conv2D, "
        "Dense, Dropout, Flatten, MLP, MaxPool2D, ReLU, Sequential, Sigmoid, Tanh")
    with pytest.raises(TypeError, match="no ONNX equivalent for Layer at the top"):
        to_onnx(nn.Layer(2, 3), tmp_path / "layer.onnx", (2,))
    assert path.read_bytes() == b"the old file" and sorted(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("shape", [28, (), (1, 0, 28), (1, -28), (1.0, 28), (True, 2), None,
                                   "28"])
def test_to_onnx_input_shape_must_be_one_samples_positive_ints(onnx, tmp_path, shape):
    with pytest.raises(ValueError, match="to_onnx: input_shape must be a tuple of positive ints, "
                                         "the shape of one sample without the batch axis"):
        to_onnx(Sequential(Flatten()), tmp_path / "model.onnx", shape)


@pytest.mark.parametrize("shape, message", [
    ((1, 5, 5), "to_onnx: input_shape (1, 5, 5) does not fit the model: Dense(32, 3): expected "
                "input of shape (batch, 32), got (1, 18)"),
    ((2, 6, 6), "to_onnx: input_shape (2, 6, 6) does not fit the model: Conv2D(1, 2, "
                "kernel_size=(3, 3)): expected input of shape (batch, 1, height, width), got "
                "(1, 2, 6, 6)"),
])
def test_to_onnx_a_shape_the_model_does_not_take_is_a_value_error(onnx, tmp_path, shape,
                                                                   message):
    model = Sequential(Conv2D(1, 2, 3, rng=0), Flatten(), Dense(32, 3, rng=1))
    with pytest.raises(ValueError) as error:
        to_onnx(model, tmp_path / "model.onnx", shape)
    assert str(error.value) == message
    assert not (tmp_path / "model.onnx").exists()


def test_to_onnx_refuses_layers_of_different_dtypes(onnx, tmp_path):
    model = Sequential(Dense(2, 2), ReLU(), as_float64(Dense(2, 2)))
    with pytest.raises(ValueError, match="to_onnx: the layers mix dtypes \\(float32: 0; "
                                         "float64: 2\\); an ONNX graph computes in one dtype"):
        to_onnx(model, tmp_path / "model.onnx", (2,))


def test_to_onnx_writes_atomically(onnx, tmp_path, monkeypatch):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the old file")

    def fail_midway(proto, file):
        file.write(proto.SerializeToString()[:10])
        raise OSError("disk full")

    monkeypatch.setattr(nn.export.onnx_model, "_serialize", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        to_onnx(Sequential(Dense(2, 2)), path, (2,))
    assert path.read_bytes() == b"the old file" and sorted(tmp_path.iterdir()) == [path]
    with pytest.raises(FileNotFoundError, match="to_onnx: the directory .* does not exist"):
        to_onnx(Sequential(Dense(2, 2)), tmp_path / "missing" / "model.onnx", (2,))


def test_a_missing_onnx_is_an_import_error_naming_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match="to_onnx needs the package 'onnx', which is not "
                                          "installed: pip install 'glassgrad\\[crosscheck\\]'"):
        to_onnx(Sequential(ReLU()), tmp_path / "model.onnx", (2,))
    assert not (tmp_path / "model.onnx").exists()


def test_the_guides_export_example_runs(torch, ort, tmp_path, monkeypatch):
    """docs/guide.md shows the export example as ```pycon (tests/test_docs.py runs only
    ```python blocks, and this one needs the extras): it runs here, with them."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "guide.md").read_text("utf-8")
    section = guide[guide.index("### Export: PyTorch and ONNX"):]
    block = re.search(r"```pycon\n(.*?)```", section, flags=re.S).group(1)
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(doctest.DocTestParser().get_doctest(block, {}, "guide.md", "guide.md", 0))
    assert runner.failures == 0 and runner.tries > 10
