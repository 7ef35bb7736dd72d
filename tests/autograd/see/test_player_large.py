"""Players of graphs too big to lay out whole, or to read when fitted to the window."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import nn
from autograd import Value, record_scopes, save_html

from .test_player import driven, needs_chromium, needs_dot, timeline_of


def mlp_loss() -> tuple[Value, dict, nn.MLP]:
    """micrograd's MLP(2, [3, 1]) on one sample (25 ops: 7 outside the neurons)."""
    model = nn.MLP(2, [3, 1])
    with record_scopes() as scopes:
        out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    loss = (out - 1.0) ** 2
    loss.label = "L"
    return loss, scopes, model


def note_of(page: str) -> str:
    found = re.search(r'<p id="note">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def ops(line: dict) -> int:
    return sum(1 for n in line["nodes"] if n["born"] > 0)


@needs_dot
def test_modules_fold_into_notes_when_the_graph_is_too_big(tmp_path) -> None:
    loss, scopes, model = mlp_loss()
    whole = (tmp_path / "whole.html")
    save_html(loss, whole, scopes=scopes, names=model)
    assert note_of(whole.read_text()) == ""
    line = timeline_of(whole.read_text())
    total = ops(line)
    neurons = [b["name"] for b in line["boxes"] if ".neurons." in b["name"]]
    outside = sum(1 for n in line["nodes"] if n["born"] > 0 and len(n["box"]) < 2)
    # room for the ops outside the neurons and one note per neuron: the neurons fold
    page = save_html(loss, tmp_path / "folded.html", scopes=scopes, names=model,
                     layout_limit=outside + len(neurons)).read_text()
    assert note_of(page) == (f"This graph has {total:,} ops, more than the "
                             f"{outside + len(neurons):,} one layout holds (layout_limit): its "
                             f"{len(neurons)} modules at depth 2 are each drawn as one note. "
                             "Their steps still play, in their boxes.")
    svg = page[page.index("<svg"):page.index("</svg>")]
    notes = re.findall(r'<g id="(v\d+_m)" class="node">', svg)
    assert len(notes) == len(neurons)
    assert len(re.findall(r"ops, not laid out", svg)) == len(neurons)
    folded = timeline_of(page)
    assert len(folded["steps"]) == len(line["steps"])  # every step still plays
    drawn = set(re.findall(r'<g id="(v\d+)" class="node">', svg))
    assert len(drawn) < len(line["nodes"])
    # one less, and the layers fold instead
    page = save_html(loss, tmp_path / "layers.html", scopes=scopes, names=model,
                     layout_limit=outside + len(neurons) - 1).read_text()
    assert "its 2 modules at depth 1 are each drawn as one note" in note_of(page)


@needs_dot
def test_without_modules_only_the_values_nearest_the_root_are_drawn(tmp_path) -> None:
    loss, _, _ = mlp_loss()
    page = save_html(loss, tmp_path / "cut.html", layout_limit=10).read_text()
    assert note_of(page).endswith("only the 10 values nearest L are drawn; one note stands "
                                  "for the rest. Record modules (scopes=) to fold them "
                                  "instead, or play a smaller graph.")
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert len(re.findall(r'<g id="v\d+" class="node', svg)) == 10
    assert "more node(s) not drawn" in svg


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "100"])
def test_a_bad_layout_limit_is_refused(bad, tmp_path) -> None:
    loss, _, _ = mlp_loss()
    with pytest.raises(ValueError, match=r"^save_html: layout_limit must be a positive whole "
                                         r"number of ops, got "):
        save_html(loss, tmp_path / "bad.html", layout_limit=bad)


DRIVE = """<script>
var log = [window.glassgrad.viewBox[2], document.body.dataset.step,
           document.getElementById('text').textContent];
window.glassgrad.fit(); log.push(window.glassgrad.viewBox[2]);
window.glassgrad.show(1000000); log.push(document.body.dataset.step);
var out = document.createElement('pre'); out.id = 'log'; out.textContent = JSON.stringify(log);
document.body.appendChild(out);
</script></body>"""


def drive(page: Path, tmp_path: Path, fragment: str = "") -> list:
    return driven(page.read_text(), DRIVE, tmp_path, "--window-size=1200,800",
                  fragment=fragment)[0]


@needs_chromium
def test_a_long_graph_opens_close_up_and_a_cut_one_plays(tmp_path) -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(150):
        y = y * 0.999 + 0.001
    long_page = save_html(y, tmp_path / "long.html")
    start, step, text, fitted, last = drive(long_page, tmp_path, "#250")
    assert step == "249" and " = " in text
    assert start < fitted / 10  # too small to read when fitted: it opened close up
    loss, _, _ = mlp_loss()
    cut = save_html(loss, tmp_path / "cut.html", layout_limit=10)
    start, step, text, fitted, last = drive(cut, tmp_path)
    assert step == "0" and text.startswith("The forward pass starts")
    assert int(last) == len(timeline_of(cut.read_text())["steps"]) - 1
    loss, scopes, model = mlp_loss()
    small = save_html(loss, tmp_path / "small.html", scopes=scopes, names=model)
    start, _, _, fitted, _ = drive(small, tmp_path)
    assert start == fitted  # readable when fitted: it opens fitted


@needs_dot
def test_a_model_without_scopes_gets_a_hint_for_boxes(tmp_path) -> None:
    loss, scopes, model = mlp_loss()
    page = save_html(loss, tmp_path / "no_boxes.html", names=model).read_text()
    assert note_of(page).startswith("No module boxes: they need the modules each node was made "
                                    "in. Run the forward pass inside `with "
                                    "autograd.record_scopes() as scopes:`")
    assert note_of(save_html(loss, tmp_path / "boxes.html", names=model,
                             scopes=scopes).read_text()) == ""
