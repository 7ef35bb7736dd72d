"""Neuron, Layer, MLP: micrograd's API and numbers; micrograd's demo program runs unchanged."""

from __future__ import annotations

import random

import numpy as np
import pytest

from autograd import Value
from nn import MLP, Layer, Neuron
from nn.data import make_moons

# micrograd's demo.ipynb training loop, verbatim except for the imports and the step count.
DEMO = """
import random
import numpy as np
{imports}

np.random.seed(1337)
random.seed(1337)

X, y = make_moons(n_samples=100, noise=0.1)
y = y*2 - 1 # make y be -1 or 1

model = MLP(2, [16, 16, 1]) # 2-layer neural network
print(model)
print("number of parameters", len(model.parameters()))

def loss(batch_size=None):

    # inline DataLoader :)
    if batch_size is None:
        Xb, yb = X, y
    else:
        ri = np.random.permutation(X.shape[0])[:batch_size]
        Xb, yb = X[ri], y[ri]
    inputs = [list(map(Value, xrow)) for xrow in Xb]

    # forward the model to get scores
    scores = list(map(model, inputs))

    # svm "max-margin" loss
    losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    # L2 regularization
    alpha = 1e-4
    reg_loss = alpha * sum((p*p for p in model.parameters()))
    total_loss = data_loss + reg_loss

    # also get accuracy
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
    return total_loss, sum(accuracy) / len(accuracy)

total_loss, acc = loss()
print(total_loss, acc)

for k in range(STEPS):

    # forward
    total_loss, acc = loss()

    # backward
    model.zero_grad()
    total_loss.backward()

    # update (sgd)
    learning_rate = 1.0 - 0.9*k/100
    for p in model.parameters():
        p.data -= learning_rate * p.grad

    history.append((total_loss.data, acc))
    print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")
"""

OURS = "from autograd import Value\nfrom nn import MLP"
MICROGRAD = "from micrograd.engine import Value\nfrom micrograd.nn import MLP"


def run_demo(imports: str, steps: int) -> list[tuple[float, float]]:
    history: list[tuple[float, float]] = []
    namespace = {
        "STEPS": steps, "history": history, "print": lambda *args: None,
        # 40 points instead of the demo's 100 keep the test fast; the program is unchanged
        "make_moons": lambda n_samples, noise: make_moons(40, noise=noise, rng=0),
    }
    exec(compile(DEMO.replace("{imports}", imports), "micrograd_demo", "exec"), namespace)
    return history


def test_micrograd_demo_trains_unchanged():
    history = run_demo(OURS, steps=8)
    losses = [loss for loss, _ in history]
    assert losses[-1] < losses[0]
    assert history[-1][1] >= history[0][1]


def test_micrograd_demo_gives_micrograds_numbers():
    pytest.importorskip("micrograd")
    ours, theirs = run_demo(OURS, steps=3), run_demo(MICROGRAD, steps=3)
    assert [loss for loss, _ in ours] == pytest.approx([loss for loss, _ in theirs], rel=1e-12)
    assert [acc for _, acc in ours] == [acc for _, acc in theirs]


def test_same_seed_same_network_as_micrograd():
    mg = pytest.importorskip("micrograd.nn")
    random.seed(42)
    ours = [p.data for p in MLP(3, [4, 2]).parameters()]
    random.seed(42)
    theirs = [p.data for p in mg.MLP(3, [4, 2]).parameters()]
    assert ours == theirs


def test_weights_come_from_random_uniform_in_order():
    random.seed(7)
    expected = [random.uniform(-1, 1) for _ in range(3)]
    random.seed(7)
    n = Neuron(3)
    assert [w.data for w in n.w] == expected
    assert n.b.data == 0.0 and n.parameters()[-1] is n.b


def test_parameter_counts_and_types():
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337
    assert MLP(2, [16, 16, 1]).num_parameters() == 337
    assert len(Layer(3, 4).parameters()) == 16
    assert len(Neuron(5).parameters()) == 6
    assert all(type(p) is Value for p in MLP(2, [3, 1]).parameters())


def test_call_returns_a_value_for_one_output_and_a_list_otherwise():
    x = [Value(1.0), Value(-2.0)]
    assert isinstance(MLP(2, [3, 1])(x), Value)
    out = MLP(2, [3, 2])(x)
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(v, Value) for v in out)
    assert isinstance(Layer(2, 1)(x), Value)
    assert isinstance(Neuron(2)([1.0, 2.0]), Value)  # plain numbers work as inputs too
    assert isinstance(Neuron(2)(np.array([1.0, 2.0])), Value)


def test_relu_hidden_linear_output():
    model = MLP(2, [3, 3, 1])
    assert [n.nonlin for layer in model.layers for n in layer.neurons] == [True] * 6 + [False]
    assert repr(Neuron(2, nonlin=False)) == "LinearNeuron(2)"
    neuron = Neuron(2)
    for w in neuron.w:
        w.data = -1.0
    assert neuron([1.0, 1.0]).data == 0.0  # ReLU of -2


def test_neuron_gradient_matches_the_hand_rule():
    n = Neuron(2, nonlin=False)
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.5, 0.25
    out = n([Value(2.0), Value(3.0)])
    out.backward()
    assert out.data == 0.5 * 2.0 - 1.5 * 3.0 + 0.25
    assert (n.w[0].grad, n.w[1].grad, n.b.grad) == (2.0, 3.0, 1.0)


def test_zero_grad_then_backward_accumulates_once():
    model = MLP(2, [3, 1])
    x = [1.0, 2.0]
    model(x).backward()
    first = [p.grad for p in model.parameters()]
    model.zero_grad()
    model(x).backward()
    assert [p.grad for p in model.parameters()] == first


@pytest.mark.parametrize("make, error", [
    (lambda: Neuron(0), ValueError), (lambda: Neuron(2.0), TypeError),
    (lambda: Layer(2, 0), ValueError), (lambda: MLP(2, 3), TypeError),
    (lambda: MLP(2, []), TypeError),
])
def test_bad_sizes_are_clear_errors(make, error):
    with pytest.raises(error):
        make()


def test_wrong_number_of_inputs():
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        MLP(2, [3, 1])([1.0, 2.0, 3.0])
