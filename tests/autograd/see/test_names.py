"""Node names in drawings and walkers: a model's parameter names, constants by their value."""

from __future__ import annotations

import json
import random
import re
import shutil

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, Value, backward_steps, draw, record_scopes, walk, walk_forward
from autograd.see.frames import forward_frames, moments
from autograd.see.player import save_html
from autograd.see.text import is_constant, node_names
from autograd.see.viz import to_dot

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="the graphviz program 'dot' is not installed")


def record_names(dot: str) -> list[str]:
    """The first field of each value record: the node's name."""
    return re.findall(r'v\d+ \[label="\{ (.*?) \|', dot)


def tensor_model() -> tuple[nn.Sequential, Tensor, dict]:
    """A Dense-ReLU-Dense model, its squared-error loss on 4 samples, and the scopes."""
    np.random.seed(0)
    model = nn.Sequential(nn.Dense(2, 3), nn.ReLU(), nn.Dense(3, 1))
    x = Tensor(np.random.randn(4, 2).astype(np.float32))
    with record_scopes() as scopes:
        loss = ((model(x) - 0.5) ** 2).mean()
    loss.label = "loss"
    loss.backward()
    return model, loss, scopes


def scalar_model() -> tuple[nn.MLP, Value, dict]:
    """micrograd's MLP(2, [4, 1]) and its hinge loss on one moons-like sample."""
    random.seed(1337)
    model = nn.MLP(2, [4, 1])
    with record_scopes() as scopes:
        score = model([0.5, -0.3])
        loss = (1 + -1.0 * score).relu()
    loss.label = "loss"
    loss.backward()
    return model, loss, scopes


# ---- a model's parameter names ------------------------------------------------------------------

def test_a_tensor_model_names_its_parameters() -> None:
    model, loss, _ = tensor_model()
    names = record_names(to_dot(loss, names=model))
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= set(names)
    assert not any(name.startswith("Dense.") for name in names)
    assert "Dense.weight" in record_names(to_dot(loss))  # without names=, the layers' labels


def test_a_scalar_mlp_names_each_value_by_its_dotted_name() -> None:
    model, loss, _ = scalar_model()
    names = set(record_names(to_dot(loss, names=model)))
    expected = {name for name, _ in model.named_parameters()}
    assert len(expected) == 4 * 3 + 5
    assert expected <= names
    assert "layers.0.neurons.3.w.1" in names and "layers.1.neurons.0.b" in names


def test_a_model_also_titles_the_clusters() -> None:
    model, loss, scopes = scalar_model()
    dot = to_dot(loss, names=model, scopes=scopes)
    assert dot == to_dot(loss, names=[*model.named_modules(), *model.named_parameters()],
                         scopes=scopes)
    titles = re.findall(r"label=\"?([\w.]+)\"? .*style=\"rounded,dashed\"", dot)
    assert {"layers.0", "layers.0.neurons.3", "layers.1.neurons.0"} <= set(titles)
    tensor, tensor_loss, tensor_scopes = tensor_model()
    dot = to_dot(tensor_loss, names=tensor, scopes=tensor_scopes)
    assert {"0", "1", "2"} <= set(re.findall(r"label=\"?(\d)\"? .*rounded", dot))


def test_the_old_names_forms_title_clusters_and_keep_labels() -> None:
    model, loss, scopes = tensor_model()
    pairs = to_dot(loss, names=model.named_modules(), scopes=scopes)
    mapping = to_dot(loss, names={m: n for n, m in model.named_modules()}, scopes=scopes)
    assert pairs == mapping
    assert "Dense.weight" in record_names(pairs) and "0.weight" not in record_names(pairs)
    assert re.search(r'subgraph "?cluster_0"? \{', pairs)


def test_names_given_win_over_labels_and_labels_over_the_rest() -> None:
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    y = x * w * 0.5
    assert set(record_names(to_dot(y, names={w: "W1"}))) == {"x", "W1", "0.5", "n3", "n4"}
    tensor, loss, _ = tensor_model()
    tensor[0].weight.label = "mine"
    assert "0.weight" in record_names(to_dot(loss, names=tensor))  # the model's names win
    assert "mine" in record_names(to_dot(loss, names=tensor.named_modules()))


# ---- constants by their value -------------------------------------------------------------------

def test_constants_are_drawn_by_their_value() -> None:
    x = Value(3.0)
    y = x * 0.5 + 2
    names = record_names(to_dot(y))
    assert "0.5" in names and "2" in names
    assert re.search(r'"\{ 0\.5 \| data 0\.5000 \| grad ', to_dot(y))
    assert sorted(names) == ["0.5", "2", "n2", "n3", "n4"]  # an unnamed input keeps n<k>
    t = Tensor([1.0, 2.0], requires_grad=True)
    small, big = Tensor([1.0, -2.5]), Tensor(np.zeros((3, 4)))
    out = ((t * small).sum() * 0.5 * big).sum()
    names = record_names(to_dot(out))
    assert {"[1, -2.5]", "0.5", r"\<float64 array (3, 4)\>"} <= set(names)
    assert len([n for n in names if re.fullmatch(r"n\d+", n)]) == 6  # t and the 5 op nodes


def test_what_is_a_constant() -> None:
    x = Value(1.0)
    y = x * 2
    assert is_constant(y._prev[1]) and not is_constant(x) and not is_constant(y)
    assert not is_constant(Value(2.0))  # made by the user: an input, maybe with a gradient
    assert is_constant(Tensor([1.0])) and not is_constant(Tensor([1.0], requires_grad=True))
    label = x * 3
    label._prev[1].label = "three"
    assert node_names(autograd.topological_order(label))[label._prev[1]] == "three"


def test_equal_constants_share_a_name_and_nothing_breaks() -> None:
    x = Value(1.5, label="x")
    y = (x * 2) * 2
    y.label = "y"
    names = record_names(to_dot(y))
    assert names.count("2") == 2 and len(re.findall(r"^\s*v\d+ \[", to_dot(y), re.M)) == 5
    w = walk(y).run()
    rows = [line.split()[0] for line in str(w.table()).splitlines()[1:]]
    assert rows.count("2") == 2 and x.grad == 4.0
    steps = list(backward_steps(y))
    assert [s.parent_names for s in steps] == [("n3", "2"), ("x", "2")]
    assert "dy/d(2) += dy/dy * dy/d(2) = 1.0000 * 3.0000 = 3.0000" in steps[0].lines()
    assert walk_forward(y).next().next().position == 2


# ---- the walker and the chain-rule lines ---------------------------------------------------------

def test_the_walker_uses_the_model_names() -> None:
    model, loss, _ = tensor_model()
    w = walk(loss, names=model)
    text = str(w.goto(5))
    assert "at node n11 = n10 + 2.bias" in text
    assert "parent 2.bias:  local derivative dn11/d(2.bias) = 1.0000, so" in text
    assert "dloss/d(2.bias) += dloss/dn11 * dn11/d(2.bias)" in text
    assert "2.bias" in str(w.table()) and "0.weight" in str(w.table())
    assert "0.weight" in w.draw().source
    steps = list(backward_steps(loss, names=model))
    assert ("n10", "2.bias") in [s.parent_names for s in steps]
    forward = walk_forward(loss, names=model)
    assert "0.weight = <float32 array (3, 2)>" in str(forward)
    assert "The forward pass starts from 7 input(s): 0.25, -0.5, 2.bias = [0.0000]" in str(forward)
    assert "n7 = x·Wᵀ(<float32 array (4, 2)>, 0.weight)" in str(forward.next())


def test_the_scalar_walker_uses_the_model_names() -> None:
    model, loss, _ = scalar_model()
    w = walk(loss, names=model).run()
    rows = {line.split()[0] for line in str(w.table()).splitlines()[1:]}
    assert {name for name, _ in model.named_parameters()} <= rows
    lines = [line for step in backward_steps(loss, names=model) for line in step.lines()]
    assert any(line.startswith("dloss/d(layers.1.neurons.0.b) += ") for line in lines)


def test_frames_draw_the_model_names() -> None:
    model, loss, _ = tensor_model()
    frames = forward_frames(loss, names=model)
    assert all("0.weight" in frame.source for frame in frames)
    texts = [moment.text for moment in moments(loss, "backward", names=model)]
    assert any("dloss/d(0.weight) += " in text for text in texts)


@needs_dot
def test_the_player_uses_the_model_names(tmp_path) -> None:
    model, loss, scopes = scalar_model()
    page = save_html(loss, tmp_path / "named.html", names=model, scopes=scopes).read_text()
    timeline = json.loads(re.search(r'id="timeline">(.*?)</script>', page, re.S).group(1))
    names = {node["name"] for node in timeline["nodes"]}
    assert {name for name, _ in model.named_parameters()} <= names
    texts = "\n".join(step["text"] for step in timeline["steps"])
    assert "dloss/d(layers.1.neurons.0.b) += " in texts


# ---- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, got", [(5, "got int 5"), ("abc", "got str 'abc'"),
                                      ([object()], "got the item <object object")])
def test_bad_names_say_what_was_expected(bad, got) -> None:
    _, loss, _ = tensor_model()
    with pytest.raises(TypeError, match=r"^draw: names must map owners to names, be \(name, "
                                        r"owner\) pairs as from named_modules\(\), or be a model "
                                        r"\(with named_modules\(\) and named_parameters\(\)\); "
                                        + re.escape(got)):
        draw(loss, names=bad)
    with pytest.raises(TypeError, match="^walk: names must"):
        walk(loss, names=bad)
    with pytest.raises(TypeError, match="^backward_steps: names must"):
        next(backward_steps(loss, names=bad))


# ---- pictures -----------------------------------------------------------------------------------

@needs_dot
@pytest.mark.parametrize("make", [scalar_model, tensor_model])
def test_named_drawings_render(make, tmp_path) -> None:
    model, loss, scopes = make()
    g = draw(loss, names=model, scopes=scopes)
    svg = g.pipe(format="svg").decode()
    first = next(name for name, _ in model.named_parameters())
    assert f">{first}<" in svg
    png = tmp_path / "named.png"
    g.render(png.with_suffix(""), format="png", cleanup=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
