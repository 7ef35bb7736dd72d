"""The HTML player: the file itself, then the page driven in headless Chromium."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from autograd import Value, save_html

from .graphs import neuron as shared_neuron

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="the graphviz program 'dot' is not installed")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or shutil.which("dot") is None,
    reason="headless Chromium is not installed (apt-get install chromium; .ci/run does it)")


def neuron() -> tuple[Value, Value]:
    """The shared neuron graph: its output and its input x."""
    o, nodes = shared_neuron()
    return o, nodes["x"]


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    if shutil.which("dot") is None:
        pytest.skip("the graphviz program 'dot' is not installed")
    o, _ = neuron()
    return save_html(o, tmp_path_factory.mktemp("player") / "neuron.html", interval_ms=400)


def timeline_of(page_html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="timeline">(.*?)</script>',
                                page_html, re.S).group(1))


@needs_dot
def test_one_self_contained_file_with_one_layout(page: Path) -> None:
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 1  # laid out once
    assert "<style>" in html and "<script>" in html
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=", html)  # nothing fetched
    urls = set(re.findall(r"https?://[^\"' )]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    line = timeline_of(html)
    steps = line["steps"]
    assert [s["phase"] for s in steps] == ["forward"] * 4 + ["backward"] * 4
    assert "o = tanh(n) = tanh(0.8814) = 0.7071" in steps[3]["text"]
    assert "step 3/3 at " in steps[7]["text"] and "do/dx += " in steps[7]["text"]
    names = [n["name"] for n in line["nodes"]]
    assert sorted(names) == ["b", "n", "n3", "o", "w", "x"]
    # the layout holds every node, each with the widest numbers it will show
    for n in line["nodes"]:
        assert f'id="{n["id"]}"' in html
    assert "grad -1.5000" in html and "data 0.7071" in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


@needs_dot
def test_user_errors_and_gradients_left_alone(tmp_path) -> None:
    o, x = neuron()
    x.grad = 7.0
    save_html(o, tmp_path / "p.html")
    assert x.grad == 7.0
    with pytest.raises(ValueError, match="the graph has 3 op nodes, more than max_steps=2"):
        save_html(o, tmp_path / "q.html", max_steps=2)
    with pytest.raises(ValueError, match="interval_ms must be positive"):
        save_html(o, tmp_path / "q.html", interval_ms=0)


def chromium(*args: str, user_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-dev-shm-usage", f"--user-data-dir={user_dir}", *args],
        capture_output=True, text=True, timeout=120)


def driven(page: str, script: str, tmp_path: Path, *flags: str,
           fragment: str = "") -> tuple[Any, str]:
    """Open ``page`` (HTML text) with ``script`` added at the end of its body in headless
    Chromium; return the JSON the script leaves in ``<pre id="log">``, and the final DOM."""
    driven = tmp_path / f"driven_{len(list(tmp_path.glob('driven_*')))}.html"
    driven.write_text(page.replace("</body>", script))
    result = chromium(*flags, "--dump-dom", driven.as_uri() + fragment,
                      user_dir=tmp_path / "profile")
    found = re.search(r'<pre id="log">(.*?)</pre>', result.stdout, re.S)
    assert found, result.stderr[-2000:]
    return json.loads(html.unescape(found.group(1))), result.stdout


# Drives the real controls, logging after each action: the step, the highlighted node, the first
# line of the text, node n's data and x's grad as shown in the one SVG, the number of faded
# nodes and the width of the view box.
DRIVE = """<script>
var log = [];
function field(id, k) {
  return document.getElementById(id).querySelectorAll('text')[k].textContent;
}
function note(action) {
  var t = document.querySelector('svg g.node.current:not([id$="_op"]) title');
  log.push([action, document.body.dataset.step, t ? t.textContent : '',
            document.getElementById('text').textContent.split('\\n')[0],
            field('v4', 1), field('v2', 2), document.querySelectorAll('g.node.pending').length,
            window.glassgrad.viewBox[2]]);
}
function key(k, shift) {
  document.dispatchEvent(new KeyboardEvent('keydown', {key: k, shiftKey: !!shift}));
}
note('load');
key('ArrowRight'); note('right');
key('ArrowRight'); note('right');
document.getElementById('next').click(); note('next');
document.getElementById('prev').click(); note('prev');
key('ArrowLeft'); note('left');
var s = document.getElementById('slider'); s.value = 6; s.dispatchEvent(new Event('input'));
note('slider');
key('End'); note('end');
key('+'); note('zoom');
key('ArrowRight', true); note('pan');
key('0'); note('fit');
key('Home'); note('home');
document.getElementById('play').click();
var out = document.createElement('pre'); out.id = 'log'; out.textContent = JSON.stringify(log);
document.body.appendChild(out);
</script></body>"""


@needs_chromium
def test_the_page_plays_in_headless_chromium(page: Path, tmp_path) -> None:
    # start at step 2 (a URL fragment); let 1.5 s of virtual time pass so "play" can run
    log, dom = driven(page.read_text(), DRIVE, tmp_path, "--virtual-time-budget=1500",
                      fragment="#2")
    steps = [int(entry[1]) for entry in log]
    assert steps == [1, 2, 3, 4, 3, 2, 6, 7, 7, 7, 7, 0]
    load, right = log[0], log[1]
    # stepping forward moves the highlight to another node and changes the text, in place
    assert load[2:6] == ["v3", "n3 = x * w = 2.0000 * -3.0000 = -6.0000", "data", "grad"]
    assert right[2:6] == ["v4", "n = n3 + b = -6.0000 + 6.8814 = 0.8814", "data 0.8814", "grad"]
    assert load[6] == 2 * 2 and right[6] == 2  # n and o (value and op) wait, faded; then o
    assert log[3][3].startswith("The backward pass starts at o: do/do = 1") and log[3][6] == 0
    assert log[3][5] == "grad 0.0000"
    assert log[5][:4] == ["left", "2", "v4", right[3]]
    assert log[6][2:4] == ["v4", "step 2/3 at n = n3 + b: upstream do/dn = 0.5000"]
    assert log[7][2:6] == ["v3", "step 3/3 at n3 = x * w: upstream do/dn3 = 0.5000",
                           "data 0.8814", "grad -1.5000"]
    assert log[8][7] < log[7][7] and log[10][7] == log[7][7]  # zoomed in, then fitted again
    assert log[11][2] == "" and log[11][3].startswith("The forward pass starts from 3 input(s)")
    assert log[11][5] == "grad"  # back to the start: the numbers of the backward pass go
    # after "play", the steps advanced by themselves
    assert 0 < int(re.search(r'<body[^>]*data-step="(\d+)"', dom).group(1)) <= 7


@needs_chromium
def test_screenshot_of_a_backward_step(page: Path, tmp_path) -> None:
    shot = tmp_path / "step.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,600", page.as_uri() + "#7",
             user_dir=tmp_path / "profile")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


@pytest.fixture(scope="module")
def boxed_page(tmp_path_factory) -> Path:
    """micrograd's MLP(2, [3, 1]) on one sample, each module's nodes in a box."""
    if shutil.which("dot") is None:
        pytest.skip("the graphviz program 'dot' is not installed")
    import nn
    from autograd import record_scopes

    model = nn.MLP(2, [3, 1])
    with record_scopes() as scopes:
        out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    loss = (out - 1.0) ** 2
    loss.label = "L"
    return save_html(loss, tmp_path_factory.mktemp("boxes") / "mlp.html", scopes=scopes,
                     names=model.named_modules())


@needs_dot
def test_module_boxes_are_in_the_timeline(boxed_page: Path) -> None:
    line = timeline_of(boxed_page.read_text())
    boxes = {b["name"]: b["parents"] for b in line["boxes"]}
    assert boxes["layers.0"] == [] and boxes["layers.0.neurons.2"] == ["layers.0"]
    assert len(boxes) == 2 + 4  # two layers, four neurons
    inside = [n for n in line["nodes"] if n["box"]]
    assert inside and all(n["box"][0] in ("layers.0", "layers.1") for n in inside)
    assert not [n for n in line["nodes"] if n["name"] in ("L", "x0", "x1") and n["box"]]


BOXES = """<script>
var log = [];
function visible(sel) {
  return Array.prototype.filter.call(document.querySelectorAll(sel), function (e) {
    return e.style.display !== 'none'; }).length;
}
function note(action) {
  var c = document.querySelector('g.box.current');
  log.push([action, parseInt(document.body.dataset.step, 10), visible('g.box'),
            visible('g.node'), c ? c.getAttribute('data-box') : '']);
}
function key(k) { document.dispatchEvent(new KeyboardEvent('keydown', {key: k})); }
note('load');
function open(name) {
  document.querySelector('g.box[data-box="' + name + '"]').dispatchEvent(new MouseEvent('click'));
}
open('layers.0'); note('open');
open('layers.0.neurons.0'); note('neuron');
document.getElementById('closeall').click(); note('closed');
var start = window.glassgrad.step;
document.getElementById('bymodule').click();
for (var i = 0; i < 60 && window.glassgrad.step < 1000; i++) {
  var before = window.glassgrad.step; key('ArrowRight'); note('module');
  if (window.glassgrad.step === before) { break; }
}
var out = document.createElement('pre'); out.id = 'log'; out.textContent = JSON.stringify(log);
document.body.appendChild(out);
</script></body>"""


@needs_chromium
def test_module_boxes_open_close_and_step_by_module(boxed_page: Path, tmp_path) -> None:
    page = boxed_page.read_text()
    log, _ = driven(page, BOXES, tmp_path)
    load, opened, neuron, closed = log[:4]
    assert load[2] == 2 and opened[2] == 1 + 3 and closed[2] == 2  # layers; layer 1, 3 neurons
    assert neuron[2] == 1 + 2 and neuron[3] > load[3] == closed[3]  # a neuron's own nodes
    steps = len(timeline_of(page)["steps"])
    moves = log[4:]
    assert moves[-1][1] == steps - 1  # the end is reached ...
    assert len(moves) < steps // 2  # ... in fewer presses than one per step
    owners = [m[4] for m in moves if m[4]]
    assert "layers.0" in owners and "layers.1" in owners  # a closed box is one step
