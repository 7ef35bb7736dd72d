"""Drawings, frames and the per-node gradient check: DOT as text, then real renderings with dot."""

from __future__ import annotations

import json
import re
import shutil

import graphviz
import numpy as np
import pytest

import autograd
from autograd import Op, Value, define_op, draw, record_scopes, remove_op, scope
from autograd.see.frames import backward_frames, forward_frames, save_frames
from autograd.see.graphcheck import gradcheck_graph
from autograd.see.text import format_data
from autograd.see.viz import to_dot

from .graphs import neuron

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="the graphviz program 'dot' is not installed")


def node_lines(dot: str) -> list[str]:
    return [line.strip() for line in dot.splitlines() if re.match(r"\s*v\d+(_op)? \[", line)]


def edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\S+) -> (\S+)", dot, re.M)


# ---- DOT text -----------------------------------------------------------------------------------

def test_records_show_label_data_and_grad() -> None:
    o, v = neuron()
    o.backward()
    dot = to_dot(o)
    assert '"{ x | data 2.0000 | grad -1.5000 }"' in dot
    assert '"{ w | data -3.0000 | grad 1.0000 }"' in dot
    assert '"{ o | data 0.7071 | grad 1.0000 }"' in dot
    assert '[label=tanh' in dot and '[label="*"' in dot and '[label="+"' in dot
    # an unlabelled node gets the name the chain-rule text uses
    assert re.search(r'"\{ n\d+ \| data -6\.0000 \| grad 0\.5000 \}"', dot)


def test_edges_run_inputs_op_output_and_reuse_gives_two_edges() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    dot = to_dot(b)
    assert edges(dot) == [("v1_op", "v1"), ("v0", "v1_op"), ("v0", "v1_op")]
    o, _ = neuron()
    ops = [n for n in autograd.topological_order(o) if n._op is not None]
    assert len(edges(to_dot(o))) == sum(1 + len(n._prev) for n in ops)
    assert len(node_lines(to_dot(o))) == len(autograd.topological_order(o)) + len(ops)


def test_options_direction_format_and_forward_only() -> None:
    o, _ = neuron()
    o.backward()
    assert "rankdir=TB" in to_dot(o, rankdir="TB")
    assert '"x | data 2.0000 | grad -1.5000"' in to_dot(o, rankdir="TB")  # no braces in TB
    assert '"{ x | data 2.00 | grad -1.50 }"' in to_dot(o, fmt=".2f")
    forward_only = to_dot(o, show_grad=False)
    assert "grad" not in forward_only and '"{ x | data 2.0000 }"' in forward_only
    with pytest.raises(ValueError, match="rankdir must be one of LR, TB, RL, BT, got 'up'"):
        draw(o, rankdir="up")
    with pytest.raises(ValueError, match="fmt must be a float format"):
        draw(o, fmt="%d")


def test_draw_returns_a_digraph_that_jupyter_can_show() -> None:
    o, _ = neuron()
    g = draw(o)
    assert isinstance(g, graphviz.Digraph)
    assert hasattr(g, "_repr_mimebundle_")


def test_highlight_and_record_specials_are_escaped() -> None:
    a = Value(1.0, label="x|y{z}")
    b = a * 2
    dot = to_dot(b, highlight=a)
    assert r"x\|y\{z\}" in dot
    assert re.search(r'v\d+ \[label="\{ x.*class=highlight', dot)


class FakeTensor:
    """Stands in for autograd.Tensor: a node whose data is an ndarray."""

    def __init__(self, data: np.ndarray, prev: tuple = (), op: Op | None = None,
                 label: str = "") -> None:
        self.data, self.grad, self._prev, self._op = data, None, prev, op
        self.label, self._ctx = label, None

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)


def fake_matmul(vjp_transposed: bool = True) -> Op:
    def vjp(node: FakeTensor, g: np.ndarray) -> tuple:
        a, b = node._prev
        return (g @ b.data.T if vjp_transposed else g @ b.data[::-1].T), a.data.T @ g
    return Op("fake_matmul", np.matmul, vjp=vjp, symbol="@", arity=2, kind="tensor",
              math="f(A, B) = A @ B")


def test_tensor_nodes_show_shape_dtype_and_small_values() -> None:
    a = FakeTensor(np.array([[1.0, 2.0], [3.0, 4.0]]), label="A")
    big = FakeTensor(np.arange(60.0).reshape(20, 3), label="B")
    out = FakeTensor(big.data @ a.data[:, :1].repeat(3, 0)[:3], (big, a), fake_matmul(), "C")
    out.grad = np.ones((20, 1))
    dot = to_dot(out)
    assert "shape (2, 2) float64" in dot and "shape (20, 3) float64" in dot
    assert r"data [[1.0000, 2.0000],\l [3.0000, 4.0000]]\l" in dot
    assert "data min 0.0000, max 59.0000" in dot  # too big to list: its range
    assert "grad None" in dot and "grad min 1.0000, max 1.0000" in dot
    assert format_data(np.float64(2.5) + np.zeros(()), ".1f") == "2.5"


def test_clusters_group_the_nodes_made_in_each_scope() -> None:
    x = Value(1.0, label="x")
    with record_scopes() as made_in:
        with scope("layer"):
            with scope("layer.neuron0"):
                w0 = Value(0.5, label="w0")
                h0 = (x * w0).tanh()
            with scope("layer.neuron1"):
                h1 = (x * Value(-0.5, label="w1")).tanh()
        out = h0 + h1
    out.label = "out"
    dot = to_dot(out, scopes=made_in)
    assert "subgraph cluster_layer {" in dot
    assert "subgraph cluster_layer.neuron0 {" not in dot  # quoted, as dots need
    assert '"cluster_layer.neuron0"' in dot and '"cluster_layer.neuron1"' in dot
    # nested: the neuron clusters sit inside the layer's
    layer = dot.index("subgraph cluster_layer {")
    assert layer < dot.index('"cluster_layer.neuron0"')
    # w0 (made outside, used only inside neuron0) joins it; x, used by both, stays outside
    inner = dot[dot.index('"cluster_layer.neuron0"'):dot.index('"cluster_layer.neuron1"')]
    assert "{ w0 |" in inner and "{ x |" not in inner
    assert dot.index("{ x |") < layer
    assert "{ out |" in dot[:layer]


def test_cluster_titles_from_names_or_the_owner() -> None:
    class Neuron:
        pass

    first, second = Neuron(), Neuron()
    x = Value(1.0, label="x")
    with record_scopes() as made_in:
        with scope(first):
            a = x * 2
        with scope(second):
            b = x * 3
    out = a + b
    dot = to_dot(out, scopes=made_in)
    assert "label=Neuron" in dot and 'label="Neuron #2"' in dot
    named = to_dot(out, scopes=made_in, names={first: "layers.0", second: "layers.1"})
    # a named module's title is its name and its class
    assert 'label="layers.0 Neuron"' in named and 'label="layers.1 Neuron"' in named
    pairs = to_dot(out, scopes=made_in, names=[("h0", first), ("h1", second)])
    assert 'label="h0 Neuron"' in pairs and 'label="h1 Neuron"' in pairs
    with pytest.raises(TypeError, match="names must map owners to names"):
        draw(out, scopes=made_in, names=[first])


def test_dotted_names_nest_only_inside_known_names() -> None:
    class M:
        pass

    model, layer, neuron = M(), M(), M()
    x = Value(1.0, label="x")
    with record_scopes() as made_in:
        with scope(model):
            a = x * 2
        with scope(layer):
            b = a * 3
        with scope(neuron):
            c = b * 4
    names = [("", model), ("layers.0", layer), ("layers.0.neurons.1", neuron)]
    dot = to_dot(c, scopes=made_in, names=names)
    subgraphs = re.findall(r"subgraph (\S+) \{", dot)
    assert subgraphs == ["cluster_M", '"cluster_layers.0"', '"cluster_layers.0.neurons.1"']
    # the neuron's cluster is inside the layer's: it opens before the layer's closes
    layer_at = dot.index('"cluster_layers.0"')
    assert dot.index('"cluster_layers.0.neurons.1"') < dot.index("\n\t}", layer_at)
    assert "label=M" in dot  # named_modules() calls the model "": its class name is used


def test_max_nodes_collapses_the_rest_with_a_note() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(30):
        y = y * 1.01 + 0.1
    dot = to_dot(y, max_nodes=10)
    assert len(re.findall(r"^\s*v\d+ \[", dot, re.M)) == 10
    total = len(autograd.topological_order(y))
    assert f"... {total - 10} more node(s) not drawn" in dot
    assert "max_nodes=10; pass max_nodes=None to draw all" in dot
    assert re.search(r"collapsed -> v\d+_op", dot)
    assert "collapsed" not in to_dot(y, max_nodes=None)
    with pytest.raises(ValueError, match="max_nodes must be at least 1, got 0"):
        draw(y, max_nodes=0)


# ---- gradient debugging -------------------------------------------------------------------------

@pytest.fixture
def wrong_square():
    op = define_op("wrong_square", lambda x: x * x, local=lambda node: (node._prev[0].data,),
                   math="f(x) = x * x;  df/dx = x  (should be 2 * x)", replace=True)
    yield op
    remove_op("wrong_square")


def test_gradcheck_graph_finds_the_op_with_a_wrong_rule(wrong_square: Op) -> None:
    o, v = neuron()
    assert gradcheck_graph(o) == []
    s = wrong_square(v["n"])
    s.label = "s"
    loss = (s + v["x"]).tanh()
    bad = gradcheck_graph(loss)
    assert [b.node for b in bad] == [s]
    assert bad[0].parents == (0,) and bad[0].parent_names == ("n",)
    assert bad[0].analytic[0] == pytest.approx(v["n"].data)
    assert bad[0].numeric[0] == pytest.approx(2 * v["n"].data, rel=1e-6)
    assert "s = wrong_square(n): ds/dn: rule gives" in str(bad[0])
    dot = to_dot(loss, check_rules=True)
    assert re.search(r'v\d+ \[label="\{ s \|.*class=bad', dot)
    assert "In red: ops whose gradient rule disagrees" in dot and "ds/dn: rule gives" in dot
    assert "In red" not in to_dot(o, check_rules=True)
    assert dot.count("class=bad") == 1


def test_gradcheck_graph_checks_tensor_vjp_rules() -> None:
    a = FakeTensor(np.array([[1.0, 2.0], [3.0, -1.0]]))
    b = FakeTensor(np.array([[0.5], [2.0]]))
    good = FakeTensor(a.data @ b.data, (a, b), fake_matmul())
    assert gradcheck_graph(good) == []
    wrong = FakeTensor(a.data @ b.data, (a, b), fake_matmul(vjp_transposed=False))
    (bad,) = gradcheck_graph(wrong)
    assert bad.parents == (0,) and bad.analytic[0].shape == (2, 2)


# ---- frames -------------------------------------------------------------------------------------

def test_forward_frames_reveal_nodes_in_order() -> None:
    o, _ = neuron()
    frames = forward_frames(o)
    assert len(frames) == 4  # the inputs, then mul, add, tanh
    first, last = frames[0].source, frames[-1].source
    assert first.count("style=invis") == 3 + 3 + 8  # 3 values, their ops, 8 edges: hidden
    assert "class=current" not in first and "The forward pass starts from 3 input(s)" in first
    assert "style=invis" not in last and "class=current" in last
    assert "o = tanh(n) = tanh(0.8814) = 0.7071" in last
    assert not re.search(r"grad -?\d", last)  # the grad field waits, blank, for its numbers


@needs_dot
def test_every_frame_of_both_passes_has_the_same_layout() -> None:
    """The nodes keep one size (that of the widest numbers they will show), so dot puts them
    in the same places in every frame, and numbers appearing do not move anything."""
    o, _ = neuron()
    places = set()
    for frame in forward_frames(o) + backward_frames(o):
        laid_out = json.loads(frame.pipe(format="json"))
        top = float(laid_out["bb"].split(",")[3])  # positions from the top left, as in images
        spots = []
        for n in laid_out["objects"]:
            if n["name"].startswith("v"):
                x, y = map(float, n["pos"].split(","))
                spots.append((n["name"], x, top - y))
        places.add(tuple(sorted(spots)))
    assert len(places) == 1 and len(next(iter(places))) == 6 + 3


def test_backward_frames_show_running_gradients_and_restore_them() -> None:
    o, v = neuron()
    v["x"].grad = 42.0
    frames = backward_frames(o)
    assert len(frames) == 4  # the seed, then tanh, add, mul
    assert v["x"].grad == 42.0  # put back
    start, step1, step3 = frames[0].source, frames[1].source, frames[3].source
    assert '"{ o | data 0.7071 | grad 1.0000 }"' in start and "grad 0.5000" not in start
    assert '"{ n | data 0.8814 | grad 0.5000 }"' in step1  # tanh passed 0.5 on to n
    assert '"{ x | data 2.0000 | grad 0.0000 }"' in step1  # not reached yet
    assert '"{ x | data 2.0000 | grad -1.5000 }"' in step3
    assert "dir=back" in step3 and 'label="+= -1.5000"' in step3
    assert step3.count("class=done") == 2 and step3.count("class=receiving") == 2
    assert "do/dx += do/dn3 * dn3/dx = 0.5000 * -3.0000 = -1.5000" in step3


def test_save_frames_writes_numbered_files(tmp_path) -> None:
    o, _ = neuron()
    with pytest.raises(TypeError, match="pass a list of frames"):
        save_frames(draw(o), tmp_path)
    if shutil.which("dot") is None:
        pytest.skip("the graphviz program 'dot' is not installed")
    frames = backward_frames(o)
    paths = save_frames(frames, tmp_path / "bw", format="svg")
    assert [p.name for p in paths] == [f"frame_{k:03d}.svg" for k in range(4)]
    assert all(p.read_bytes().lstrip().startswith(b"<?xml") for p in paths)
    # rendered several at a time, each file still holds its own frame: its step's caption
    for k, path in enumerate(paths[1:], start=1):
        assert f"step {k}/3" in path.read_text()


# ---- real rendering -----------------------------------------------------------------------------

@needs_dot
def test_render_svg_and_png(tmp_path) -> None:
    o, _ = neuron()
    o.backward()
    g = draw(o)
    svg = g.pipe(format="svg").decode()
    assert svg.count('class="node') == 6 + 3  # values and ops
    assert svg.count('class="edge"') == 3 + 5
    assert "data 0.7071" in svg and "grad &#45;1.5000" in svg
    png = tmp_path / "neuron.png"
    g.render(png.with_suffix(""), format="png", cleanup=True)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 600 and 60 < height < width


@needs_dot
def test_a_value_reused_by_every_step_of_a_loop_renders() -> None:
    """Long edges from one input to every step: dot's unbounded node placement took seconds at
    40 steps and minutes at 60; draw() bounds it (nslimit) for such graphs, and only for them."""
    x, y = Value(0.9, label="x"), Value(1.0, label="y")
    for _ in range(40):
        y = y * x + 0.1
    y.backward()
    g = draw(y)
    assert "nslimit=2" in g.source
    svg = g.pipe(format="svg").decode()
    assert svg.count('class="node') == 2 + 40 * 2 + 40 * 2 + 40  # values, constants, ops
    o, _ = neuron()
    assert "nslimit" not in draw(o).source  # a bounded placement is rougher: only when needed


@needs_dot
def test_render_frames_as_png(tmp_path) -> None:
    o, _ = neuron()
    paths = save_frames(forward_frames(o) + backward_frames(o), tmp_path, format="png")
    assert len(paths) == 8
    for path in paths:
        assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 2000


def test_real_tensors_when_present() -> None:
    tensor = getattr(autograd, "Tensor", None)
    if tensor is None:
        pytest.skip("autograd.Tensor is not there yet")
    w = tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True)
    w.label = "W"
    x = tensor(np.array([[1.0], [2.0]]))
    x.label = "x"
    loss = ((w @ x).tanh() ** 2).sum()
    loss.label = "L"
    loss.backward()
    dot = to_dot(loss)
    assert "{ W | shape (2, 2) float64 | data [[0.5000, -1.0000],\\l [2.0000, 0.2500]]\\l" in dot
    assert "grad None" in dot  # x needs no gradient
    assert gradcheck_graph(loss) == []
    assert len(backward_frames(loss)) == 1 + sum(
        1 for n in autograd.topological_order(loss) if n._op is not None)


def test_a_rule_giving_the_wrong_shape_is_named_by_backward_and_found_by_gradcheck_graph() -> None:
    import numpy as np
    import pytest

    from autograd import Tensor
    from autograd.ops import GradientShapeError

    rowsum = define_op("bad_rowsum", lambda a: a.sum(axis=0), kind="tensor", replace=True,
                       local=lambda node: (np.ones(node.data.shape),),  # should be the input's
                       math="f(a) = sum of a over rows;  df/da = 1 (given in the wrong shape)")
    try:
        x = Tensor(np.ones((3, 4)), requires_grad=True)
        y = rowsum(x.exp())  # exp's output receives the misfit: the rule at fault is rowsum's
        with pytest.raises(GradientShapeError, match=r"the rule of bad_rowsum gave a gradient "
                                                     r"of shape \(4,\)"):
            y.sum().backward()
        assert [bad.op.name for bad in gradcheck_graph(y.sum())] == ["bad_rowsum"]
    finally:
        remove_op("bad_rowsum", "tensor")
