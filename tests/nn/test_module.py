"""nn.Module: parameter discovery, names, sharing, modes, printing, scopes."""

from __future__ import annotations

import random

import numpy as np
import pytest

import autograd
from autograd import Value
from nn import MLP, Dense, Layer, Module, Neuron, Parameter, Sequential, is_parameter


class Pair(Module):
    def __init__(self, shared: Value) -> None:
        self.a = Value(1.0)
        self.shared = shared
        self.weights = ([Value(2.0), Value(3.0)], {"bias": Value(4.0), 7: Value(5.0)})
        self.name = "pair"
        self.scale = 2.0

    def forward(self, x: Value) -> Value:
        return x * self.a * self.shared


class Outer(Module):
    def __init__(self) -> None:
        self.shared = Value(0.5)
        self.left = Pair(self.shared)
        self.right = Pair(self.shared)
        self.again = self.left  # the same module twice
        self.blocks = [[Neuron(2), Neuron(2)]]

    def forward(self, x: Value) -> Value:
        return self.left(x) + self.right(x)


def test_named_parameters_are_dotted_paths_in_attribute_order():
    names = [n for n, _ in Outer().named_parameters()]
    assert names == [
        "shared",
        "left.a", "left.weights.0.0", "left.weights.0.1", "left.weights.1.bias",
        "left.weights.1.7",
        "right.a", "right.weights.0.0", "right.weights.0.1", "right.weights.1.bias",
        "right.weights.1.7",
        "blocks.0.0.w.0", "blocks.0.0.w.1", "blocks.0.0.b",
        "blocks.0.1.w.0", "blocks.0.1.w.1", "blocks.0.1.b",
    ]


def test_shared_parameters_and_modules_appear_once():
    m = Outer()
    params = m.parameters()
    assert isinstance(params, list)
    assert len(params) == len({id(p) for p in params}) == 17
    assert sum(p is m.shared for p in params) == 1
    assert [n for n, _ in m.named_modules()] == [
        "", "left", "right", "blocks.0.0", "blocks.0.1"]
    assert [n for n, _ in m.named_children()] == ["left", "right", "blocks.0.0", "blocks.0.1"]


def test_cycles_between_modules_terminate():
    m = Outer()
    m.left.parent = m  # a child pointing back at its parent
    assert len(m.parameters()) == 17
    assert len(m.modules()) == 5


def test_only_parameters_and_values_count():
    class Dense(Module):
        def __init__(self) -> None:
            self.weight = Parameter(np.ones((3, 2), dtype=np.float32))
            self.bias = Parameter(np.zeros(2, dtype=np.float32))
            self.frozen = Parameter(np.zeros(1, dtype=np.float32), requires_grad=False)
            self.cached = autograd.Tensor(np.zeros(2), requires_grad=True)  # not wrapped
            self.table = np.zeros(5)

    d = Dense()
    assert [n for n, _ in d.named_parameters()] == ["weight", "bias", "frozen"]
    assert d.num_parameters() == 9
    d.weight.grad = np.ones((3, 2), dtype=np.float32)
    d.zero_grad()
    assert d.weight.grad is None


def test_is_parameter():
    assert is_parameter(Value(1.0))
    assert not is_parameter(Value)  # the class, not a node
    assert not is_parameter(np.zeros(2))
    assert not is_parameter(1.0)
    assert not is_parameter(Neuron(1))
    assert not is_parameter(Value(1.0) * 2)  # a computed node is not a leaf: not a parameter
    assert is_parameter(Parameter(np.ones(2)))
    assert not is_parameter(autograd.Tensor(np.ones(2), requires_grad=True))
    assert not is_parameter(Parameter(np.ones(2)) + 1.0)
    assert not is_parameter(autograd.Tensor(np.ones(2)))


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        _ = MLP(2, [3, 1]).not_an_attribute
    with pytest.raises(AttributeError):
        _ = Module().weights


def test_zero_grad_resets_values_to_zero():
    m = MLP(2, [3, 1])
    m([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0.0 and isinstance(p.grad, float) for p in m.parameters())


def test_train_eval_return_self_and_recurse_without_super_init():
    m = Outer()  # no super().__init__() anywhere
    assert m.training and m.left.training
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    assert m.train() is m
    assert all(x.training for x in m.modules())
    assert Module.training is True  # the class default is untouched
    with pytest.raises(TypeError, match="bool"):
        m.train("no")


def test_forward_missing_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="Module defines no forward"):
        Module()(1.0)


def test_repr_is_indented_and_collapses_repeats():
    random.seed(0)
    text = repr(MLP(2, [3, 1]))
    assert text == (
        "MLP(\n"
        "  (layers.0): Layer(\n"
        "    nin=2, nout=3, nonlin=True\n"
        "    (neurons.0-2): 3 x ReLUNeuron(2)\n"
        "  )\n"
        "  (layers.1): Layer(\n"
        "    nin=3, nout=1, nonlin=False\n"
        "    (neurons.0): LinearNeuron(3)\n"
        "  )\n"
        ")")
    assert repr(Module()) == "Module()"


def test_summary_prints_and_returns_the_table(capsys):
    text = MLP(2, [16, 16, 1]).summary()
    assert capsys.readouterr().out == text + "\n"
    lines = text.splitlines()
    assert lines[0] == 'Model: "MLP"'
    rows = [line.split() for line in lines if line.startswith("layers.")]
    assert rows == [["layers.0", "(Layer)", "(16,)", "48"], ["layers.1", "(Layer)", "(16,)", "272"],
                    ["layers.2", "(Layer)", "()", "17"]]
    assert "Total params: 337" in text


def test_summary_propagates_shapes_and_marks_unknown():
    class Scale(Module):
        def output_shape(self, input_shape):
            return None if input_shape is None else input_shape

    class Chain(Module):
        def __init__(self) -> None:
            self.first = Scale()
            self.second = Layer(3, 4)

    silent = Chain().summary(print_fn=None)
    assert "first (Scale)" in silent and "?" in silent
    known = Chain().summary(input_shape=(None, 3), print_fn=None)
    assert "(None, 3)" in known and "(4,)" in known
    single = Neuron(3).summary(print_fn=None)  # no children: the module is the one row
    assert "neuron (Neuron)" in single and "Total params: 4" in single


def test_call_opens_a_scope_only_while_recording():
    random.seed(0)
    model = MLP(2, [2, 1])
    assert not autograd.is_recording_scopes()
    model([1.0, -1.0])  # no recording: nothing kept
    with autograd.record_scopes() as made_in:
        out = model([1.0, -1.0])
    owners = {type(owner).__name__ for _, owner in made_in.values()}
    assert owners == {"Neuron"}  # every node is made inside a neuron, the innermost scope
    assert made_in[id(out)][1] is model.layers[-1].neurons[0]
    assert not autograd.is_recording_scopes()
    assert autograd.modes.modes().scope_stack == ()


def test_dicts_with_int_keys_are_named_and_other_keys_are_an_error():
    class Heads(Module):
        def __init__(self):
            self.heads = {0: Dense(2, 1), 1: Dense(2, 1)}
            self.notes = {(0, 1): "not a module"}  # nothing to train here: ignored

    names = [n for n, _ in Heads().named_parameters()]
    assert names == ["heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"]

    class NumpyKeys(Module):
        def __init__(self):
            self.heads = {k: Dense(2, 1) for k in np.arange(2)}

    assert [n for n, _ in NumpyKeys().named_parameters()] == names

    class Tupled(Module):
        def __init__(self):
            self.heads = {(0, 1): Dense(2, 1)}

    with pytest.raises(TypeError, match=r"the dict at heads holds modules or parameters under "
                                        r"the key \(0, 1\)"):
        Tupled().parameters()


def test_repr_of_a_module_whose_child_points_back():
    class Parent(Module):
        def __init__(self):
            self.child = Sequential(Dense(2, 2))
            self.child.owner = self

    text = repr(Parent())
    assert "(owner): Parent(...)" in text and "Dense(2, 2)" in text
