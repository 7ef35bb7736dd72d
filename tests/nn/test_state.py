"""Module state: Parameter, buffers, state_dict / load_state_dict, PyTorch's names and layouts."""

from __future__ import annotations

import random

import numpy as np
import pytest

from autograd import Tensor
from nn import (
    MLP,
    SGD,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    Module,
    Parameter,
    ReLU,
    Sequential,
)


def snapshot(model: Module) -> dict:
    return {k: v.copy() for k, v in model.state_dict().items()}


def unchanged(model: Module, before: dict) -> bool:
    after = model.state_dict()
    return list(after) == list(before) and all(np.array_equal(after[k], before[k]) for k in after)


class Norm(Module):
    """A module with a parameter, two buffers (one not persistent) and a child."""

    def __init__(self) -> None:
        self.scale = Parameter(np.ones(3, dtype=np.float32))
        self.register_buffer("running_mean", np.zeros(3, dtype=np.float32))
        self.register_buffer("steps", np.zeros((), dtype=np.int64))
        self.register_buffer("scratch", np.zeros(2), persistent=False)
        self.head = Dense(3, 2, rng=0)


# ---- Parameter -------------------------------------------------------------------------------

def test_parameter_is_a_leaf_tensor_that_shares_data():
    data = np.arange(3.0, dtype=np.float32)
    p = Parameter(data)
    assert p.data is data and p.requires_grad and p.is_leaf and isinstance(p, Tensor)
    t = Tensor(data, label="w")
    q = Parameter(t)
    assert q.data is t.data and q.label == "w"
    t.add_(1.0)
    assert q._version == 1  # shares the version counter with the Tensor it wraps
    assert type(p * 2).__name__ == "Tensor" and type(p > 1).__name__ == "Tensor"
    assert repr(Parameter(np.zeros(1))).startswith("Parameter([0.], shape=(1,)")
    assert not Parameter(np.zeros(1), requires_grad=False).requires_grad
    with pytest.raises(ValueError, match="Parameter: expected data or a leaf Tensor, got the "
                                         "result of mul"):
        Parameter(p * 2)
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        Parameter(np.arange(3))


def test_parameter_order_is_pytorchs_own_first_then_children():
    class Net(Module):
        def __init__(self) -> None:
            self.body = Dense(2, 2, rng=0)
            self.scale = Parameter(np.ones(1))

    assert [n for n, _ in Net().named_parameters()] == ["scale", "body.weight", "body.bias"]
    assert list(Net().state_dict()) == ["scale", "body.weight", "body.bias"]


# ---- buffers ---------------------------------------------------------------------------------

def test_buffers_are_state_but_not_parameters():
    m = Norm()
    assert [n for n, _ in m.named_parameters()] == ["scale", "head.weight", "head.bias"]
    assert [n for n, _ in m.named_buffers()] == ["running_mean", "steps", "scratch"]
    assert list(m.state_dict()) == ["scale", "running_mean", "steps", "head.weight", "head.bias"]
    m.steps += 1  # in place: still the registered array
    m.running_mean = np.full(3, 2.0, dtype=np.float32)  # replaced: still a buffer
    state = m.state_dict()
    assert state["steps"] == 1 and state["steps"].dtype == np.int64
    np.testing.assert_array_equal(state["running_mean"], [2.0, 2.0, 2.0])
    state["running_mean"][0] = 99.0  # a copy: the model is not touched
    assert m.running_mean[0] == 2.0


def test_buffers_load_in_place_and_none_is_left_out():
    m, other = Norm(), Norm()
    other.running_mean[:] = 5.0
    other.steps += 7
    held = m.running_mean
    m.load_state_dict(other.state_dict())
    assert m.running_mean is held and held[1] == 5.0 and m.steps == 7
    m.register_buffer("later", None)
    assert "later" not in m.state_dict()
    assert [n for n, _ in m.named_buffers()] == ["running_mean", "steps", "scratch"]


def test_register_buffer_errors():
    m = Norm()
    with pytest.raises(TypeError, match="register_buffer: name must be a Python identifier"):
        m.register_buffer("a.b", np.zeros(1))
    with pytest.raises(ValueError, match="already has an attribute 'scale' that is not a buffer"):
        m.register_buffer("scale", np.zeros(1))
    with pytest.raises(TypeError, match="'x' must be a numpy array or None, got list"):
        m.register_buffer("x", [1.0])
    m.running_mean = [1.0, 2.0, 3.0]  # a buffer replaced by something that is not an array
    with pytest.raises(TypeError, match="buffer running_mean of Norm holds a list"):
        m.state_dict()


# ---- load_state_dict: all or nothing ---------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("head.bias"), "missing: 'head.bias'"),
    (lambda s: s.update(extra=np.zeros(1)), "unexpected: 'extra'"),
    (lambda s: s.update(scale=np.zeros(4)), "shape mismatch: 'scale' is (3,) in the model but "
                                            "(4,) in the state"),
    (lambda s: s.update(steps=np.array("x")), "wrong dtype: 'steps' is dtype <U1 in the state"),
    (lambda s: s.update({"head.bias": object()}), "wrong dtype: 'head.bias' is a object"),
    (lambda s: s.update({3: np.zeros(1)}), "keys that are not strings: 3"),
])
def test_every_kind_of_error_leaves_the_model_unchanged(change, message):
    m = Norm()
    before = snapshot(m)
    state = {k: v + 1 for k, v in m.state_dict().items()}  # different values everywhere
    change(state)
    with pytest.raises(ValueError) as error:
        m.load_state_dict(state)
    assert message in str(error.value)
    assert str(error.value).startswith("load_state_dict: the state does not fit Norm; nothing "
                                       "was loaded:")
    assert unchanged(m, before)


def test_all_problems_are_listed_in_one_error():
    m = Norm()
    state = m.state_dict()
    del state["scale"]
    state["head.weight"] = np.zeros((3, 2))  # transposed
    state["ghost"] = np.zeros(1)
    with pytest.raises(ValueError) as error:
        m.load_state_dict(state)
    lines = str(error.value).splitlines()[1:]
    assert lines == ["  missing: 'scale'", "  unexpected: 'ghost'",
                     "  shape mismatch: 'head.weight' is (2, 3) in the model but (3, 2) in the "
                     "state"]


def test_read_only_parameter_and_non_mapping_are_refused():
    m = Norm()
    before = snapshot(m)
    m.head.bias.data.flags.writeable = False
    with pytest.raises(ValueError, match="cannot be written: 'head.bias' is a read-only array"):
        m.load_state_dict({k: v + 1 for k, v in before.items()})
    assert unchanged(m, before)
    with pytest.raises(TypeError, match="load_state_dict: expected a mapping from names to arrays"):
        m.load_state_dict([("scale", np.ones(3))])
    with pytest.raises(TypeError, match="strict must be a bool"):
        m.load_state_dict(before, strict="yes")


def test_non_strict_skips_and_reports_names_but_not_shapes():
    m = Norm()
    state = {"scale": np.full(3, 4.0), "ghost": np.zeros(2)}
    result = m.load_state_dict(state, strict=False)
    assert result.missing_keys == ["running_mean", "steps", "head.weight", "head.bias"]
    assert result.unexpected_keys == ["ghost"]
    np.testing.assert_array_equal(m.scale.data, [4.0, 4.0, 4.0])
    with pytest.raises(ValueError, match="shape mismatch"):
        m.load_state_dict({"scale": np.zeros(2)}, strict=False)


def test_arrays_are_cast_to_the_parameters_dtype_and_written_in_place():
    model = Sequential(Dense(2, 3, rng=0), ReLU(), Dense(3, 1, rng=1))
    opt = SGD(model.parameters(), lr=0.1)
    held = model[0].weight.data
    state = {k: np.asarray(v, dtype=np.float64) * 2 for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert model[0].weight.data is held and held.dtype == np.float32
    np.testing.assert_array_equal(held, state["0.weight"].astype(np.float32))
    assert opt.params[0] is model[0].weight  # the optimizer still trains the same arrays
    model.load_state_dict({**state, "2.bias": np.array([1e300])})
    assert np.isinf(model[2].bias.data[0])


def test_a_graph_built_before_loading_refuses_backward():
    model = Sequential(Dense(2, 1, rng=0))
    out = model(np.ones((1, 2), dtype=np.float32)).sum()
    model.load_state_dict(model.state_dict())
    with pytest.raises(RuntimeError, match="'Dense.weight' of shape \\(1, 2\\), saved by linear"):
        out.backward()


def test_a_shared_module_appears_under_each_name_as_in_pytorch():
    shared = Dense(2, 2, rng=0)
    model = Sequential(shared, ReLU(), shared)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(model.parameters()) == 2
    model.load_state_dict({k: np.full(v.shape, 3.0) for k, v in model.state_dict().items()})
    assert (shared.weight.data == 3.0).all()


# ---- the scalar MLP ----------------------------------------------------------------------------

def test_mlp_state_is_one_array_per_layer():
    random.seed(0)
    model = MLP(3, [4, 2])
    state = model.state_dict()
    assert {k: v.shape for k, v in state.items()} == {
        "layers.0.weight": (4, 3), "layers.0.bias": (4,),
        "layers.1.weight": (2, 4), "layers.1.bias": (2,)}
    neuron = model.layers[1].neurons[1]
    np.testing.assert_array_equal(state["layers.1.weight"][1], [w.data for w in neuron.w])
    state["layers.1.weight"][1, 2] = 0.25
    state["layers.0.bias"][:] = [1, 2, 3, 4]
    model.load_state_dict(state)
    assert neuron.w[2].data == 0.25 and type(neuron.w[2].data) is float
    assert [n.b.data for n in model.layers[0].neurons] == [1.0, 2.0, 3.0, 4.0]
    assert {k: v.shape for k, v in model.layers[0].neurons[0].state_dict().items()} == {
        "weight": (3,), "bias": ()}


# ---- PyTorch's names and layouts -------------------------------------------------------------

def test_dense_stack_has_torchs_keys_and_weights_move_both_ways():
    torch = pytest.importorskip("torch")
    ours = Sequential(Dense(4, 8, rng=0), ReLU(), Dense(8, 3, rng=1))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)

    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(), ours(x).data,
                               rtol=1e-5, atol=1e-6)

    torch.manual_seed(3)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    ours.load_state_dict(theirs.state_dict())  # torch tensors, read directly
    np.testing.assert_allclose(ours(x).data, theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_dense_weight_gradient_has_torchs_layout():
    torch = pytest.importorskip("torch")
    layer = Dense(3, 2, rng=0)
    linear = torch.nn.Linear(3, 2)
    linear.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    (layer(x) ** 2).sum().backward()
    (linear(torch.from_numpy(x)) ** 2).sum().backward()
    assert layer.weight.grad.shape == (2, 3)
    np.testing.assert_allclose(layer.weight.grad, linear.weight.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(layer.bias.grad, linear.bias.grad.numpy(), rtol=1e-5)


def test_mnist_cnn_has_torchs_keys_and_shapes():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    ours = Sequential(Conv2D(1, 32, 3), ReLU(), Conv2D(32, 64, 3), ReLU(), MaxPool2D(2),
                      Dropout(0.25), Flatten(), Dense(9216, 128), ReLU(), Dropout(0.5),
                      Dense(128, 10))
    theirs = tnn.Sequential(tnn.Conv2d(1, 32, 3), tnn.ReLU(), tnn.Conv2d(32, 64, 3), tnn.ReLU(),
                            tnn.MaxPool2d(2), tnn.Dropout(0.25), tnn.Flatten(),
                            tnn.Linear(9216, 128), tnn.ReLU(), tnn.Dropout(0.5),
                            tnn.Linear(128, 10))
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
