"""The REPL walkers and ``python -m autograd.see``."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import graphviz
import pytest

import autograd
from autograd import Value, backward_steps, walk, walk_forward

from .graphs import neuron

ROOT = Path(__file__).resolve().parents[3]


def grads(root: Value) -> list[float]:
    return [node.grad for node in autograd.topological_order(root)]


def test_the_start_explains_the_seed() -> None:
    o, _ = neuron()
    w = walk(o)
    text = repr(w)
    assert text.startswith("Backward pass through the graph of o: 3 steps")
    assert "do/do = 1" in text and "w.next() applies the chain rule at o" in text
    assert (w.position, w.total, len(w), w.step) == (0, 3, 3, None)


def test_each_step_reads_like_the_chain_rule() -> None:
    o, v = neuron()
    w = walk(o)
    first = repr(w.next())
    assert first.splitlines()[0] == "Backward step 1 of 3, at node o = tanh(n)"
    assert "the rule of tanh:  f(a) = tanh(a);  df/da = 1 - tanh(a) ** 2" in first
    assert "upstream:  do/do = 1.0000 has arrived at o" in first
    assert "parent n:  local derivative do/dn = 0.5000, so" in first
    assert "n.grad is now 0.5000" in first
    assert "w.next() passes do/dn back to n's parents." in first
    second = repr(w.next())
    third = repr(w.next())
    # the chain-rule lines are exactly the engine's Step text
    for line in str(w.step).splitlines():
        assert line in third
    assert "do/dx += do/dn" in third and "= 0.5000 * -3.0000 = -1.5000" in third
    assert "x.grad is now -1.5000" in third and "w.grad is now 1.0000" in third
    assert "The backward pass is complete" in third
    assert "parent b:  local derivative dn/db = 1.0000" in second
    assert repr(w.next()).endswith("(this is the last step: w.prev() goes back, w.table() sums up)")
    assert v["x"].grad == pytest.approx(-1.5)


def test_names_match_the_engine_steps() -> None:
    o, _ = neuron()
    names = [s.name for s in backward_steps(o)]
    w = walk(o)
    assert [w.next().step.name for _ in range(3)] == names


def test_prev_rewinds_by_replaying_and_run_matches_backward() -> None:
    o, _ = neuron()
    o.backward()
    expected = grads(o)
    w = walk(o)
    assert all(g == 0.0 for g in grads(o)[:3])  # the walker starts from zero gradients
    w.next()
    after_one = grads(o)
    w.next()
    w.prev()
    assert w.position == 1 and grads(o) == after_one
    assert "Backward step 1 of 3" in repr(w)
    assert w.run().position == 3 and grads(o) == expected
    w.goto(0)
    assert "(this is the start" in repr(w.prev())
    with pytest.raises(ValueError, match="position must be between 0 and 3, got 4"):
        w.goto(4)
    texts = list(walk(o))
    assert len(texts) == 3 and texts[-1].startswith("Backward step 3 of 3")


def test_table_lists_every_node_so_far() -> None:
    o, _ = neuron()
    w = walk(o)
    w.next()
    table = w.table()
    lines = table.splitlines()
    assert lines[0].split() == ["node", "op", "data", "grad", "step"]
    row = {line.split()[0]: line.split() for line in lines[1:]}
    assert row["o"] == ["o", "tanh", "0.7071", "1.0000", "current"]
    assert row["n"] == ["n", "+", "0.8814", "0.5000", "waiting"]
    assert row["x"] == ["x", "2.0000", "0.0000", "input"]
    assert repr(table) == str(table)  # shows as a table in the REPL, not a quoted string
    assert w.run().table().count("done") == 3


def test_draw_shows_the_graph_at_this_step() -> None:
    o, _ = neuron()
    w = walk(o)
    start = w.draw()
    assert isinstance(start, graphviz.Digraph) and "class=current" in start.source
    dot = w.goto(2).draw().source
    assert "class=current" in dot and "class=done" in dot and "dir=back" in dot
    assert "step 2/3 at n = n3 + b: upstream do/dn = 0.5000" in dot
    assert r"\ldo/dn3 += do/dn * dn/dn3 = 0.5000 * 1.0000 = 0.5000\l" in dot
    assert "rankdir=TB" in w.draw(rankdir="TB").source


def test_forward_walker_shows_each_value_as_it_is_computed() -> None:
    o, _ = neuron()
    f = walk(o, mode="forward")
    assert "Forward pass to o: 3 op node(s)" in repr(f)
    assert "The forward pass starts from 3 input(s): " in repr(f)
    text = repr(f.next())
    assert text.startswith("Forward step 1 of 3: ") and "= 2.0000 * -3.0000 = -6.0000" in text
    assert "the rule of mul:  f(a, b) = a * b" in text
    f.run()
    assert "Forward step 3 of 3: o = tanh(n) = tanh(0.8814) = 0.7071" in repr(f)
    assert "The forward pass is complete: o = 0.7071" in repr(f)
    assert "?" not in f.table() and "grad" not in f.table()
    assert "?" in walk_forward(o).table()
    dot = f.goto(1).draw().source
    assert "style=invis" in dot and "class=current" in dot and "grad" not in dot


def test_forward_walker_table_on_a_tensor_graph() -> None:
    """Regression: the table looked nodes up with list.index, which calls Tensor.__eq__ (an
    elementwise comparison): "The truth value of an array ... is ambiguous"."""
    import numpy as np

    from autograd import Tensor

    w = Tensor(np.ones((2, 2)), requires_grad=True, label="w")
    x = Tensor(np.ones((2, 2)), label="x")
    loss = (w * x).sum()
    loss.label = "loss"
    f = walk(loss, mode="forward")
    assert [line.split() for line in f.table().splitlines()[-2:]] == [
        ["n2", "*", "?", "not", "yet"], ["loss", "Σ", "?", "not", "yet"]]
    f.next()
    assert "current" in f.table().splitlines()[-2] and "computed" not in f.table()
    assert "computed" in f.run().table() and walk(loss).run().table().count("done") == 2


def test_user_errors() -> None:
    o, _ = neuron()
    with pytest.raises(ValueError, match="mode must be 'backward' or 'forward', got 'sideways'"):
        walk(o, mode="sideways")
    with pytest.raises(TypeError, match="expected a Value or a Tensor"):
        walk(3.0)
    with pytest.raises(ValueError, match="fmt must be a float format"):
        walk(o, fmt="bad")
    leaf = walk(Value(1.0, label="a"))
    assert "a is an input: there is nothing to backpropagate" in repr(leaf.next())


def test_autograd_walk_is_the_function_and_the_command_line_is_autograd_see() -> None:
    import autograd.see.__main__ as command_line

    o, _ = neuron()
    assert autograd.walk(o).total == 3 and autograd.walk is autograd.see.walk
    assert callable(command_line.main) and not callable(command_line)


def test_interactive_loop_in_process(tmp_path) -> None:
    from autograd.see.__main__ import interact

    o, _ = neuron()
    out = io.StringIO()
    interact(o, stdin=io.StringIO("n\n\np\ng 3\nt\nzz\nf\nn\nq\n"), stdout=out)
    text = out.getvalue()
    assert text.count("Backward step 1 of 3") == 2  # n, then p back to it
    assert "Backward step 2 of 3" in text and "Backward step 3 of 3" in text
    assert "node  op" in text and "unknown command 'zz'" in text
    assert "Forward step 1 of 3" in text and "[forward 1/3] >" in text


SCRIPT = """
from autograd import Value
x, w = Value(2.0, label="x"), Value(-3.0, label="w")
b = Value(6.8813735870195432, label="b")
loss = (x * w + b).tanh(); loss.label = "loss"
"""


def test_command_line_walker(tmp_path) -> None:
    script = tmp_path / "neuron.py"
    script.write_text(textwrap.dedent(SCRIPT))
    result = subprocess.run(
        [sys.executable, "-m", "autograd.see", str(script), "--html", str(tmp_path / "p.html")],
        input="n\nn\nn\nt\nd step3.svg\nq\n", capture_output=True, text=True, cwd=tmp_path,
        timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Backward pass through the graph of loss: 3 steps" in out
    assert "Backward step 1 of 3, at node loss = tanh(" in out
    assert "dloss/dx += " in out and "= -1.5000" in out
    assert "x.grad is now -1.5000" in out
    assert "The backward pass is complete" in out
    assert (tmp_path / "step3.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert (tmp_path / "p.html").stat().st_size > 1000


MODEL_SCRIPT = """
import numpy as np
import nn
from autograd import Tensor, record_scopes
model = nn.Sequential(nn.Dense(2, 3, rng=0), nn.ReLU(), nn.Dense(3, 1, rng=1))
with record_scopes() as scopes:
    loss = ((model(Tensor(np.ones((4, 2)))) - 0.5) ** 2).mean()
loss.label = "loss"
"""


def test_command_line_names_by_the_scripts_model_and_boxes_its_modules(tmp_path) -> None:
    from autograd.see.__main__ import main

    script = tmp_path / "model.py"
    script.write_text(textwrap.dedent(MODEL_SCRIPT))
    page = tmp_path / "p.html"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()), \
            mock.patch("sys.stdin", io.StringIO("r\nq\n")):
        main([str(script), "--html", str(page)])
    assert "dloss/d(0.weight) += " in out.getvalue()  # the walker names by the model
    line = json.loads(re.search(r'id="timeline">(.*?)</script>', page.read_text(), re.S)[1])
    assert {"0.weight", "2.bias"} <= {node["name"] for node in line["nodes"]}
    assert {box["title"] for box in line["boxes"]} >= {"0 Dense", "2 Dense"}


def test_command_line_errors(tmp_path) -> None:
    script = tmp_path / "nothing.py"
    script.write_text("x = 1\n")
    result = subprocess.run([sys.executable, "-m", "autograd.see", str(script)],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode != 0
    assert "defines no variable 'loss'; assign the output node to loss" in result.stderr
