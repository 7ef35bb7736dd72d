"""The HTML player: one self-contained page that plays the forward pass, then the backward pass.

``save_html(loss, "backprop.html")`` renders every frame of both passes with graphviz (inline SVG)
and writes a single HTML file with inline CSS and JavaScript and no network access: open it in any
browser, offline. Controls: play/pause, previous/next, a slider, and the keyboard (left/right
arrows, space to play or pause, Home/End, ``f`` to fit a wide graph to the window). The text of
each step, the forward computation or the chain-rule lines, is shown under the graph. The address
may name a step: ``backprop.html#12``.

In the page, the frame on show is the ``.frame`` element without the ``hidden`` attribute; its
current node is the SVG group with class ``current``; ``<body>`` carries ``data-step`` and
``data-node`` (the current node's name).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from ..engine import topological_order
from .frames import moments, render_all

__all__ = ["save_html"]

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { padding: 10px 16px; background: #fff; border-bottom: 1px solid #ddd; display: flex;
         align-items: baseline; gap: 16px; }
header h1 { font-size: 18px; margin: 0; }
#phase { font-weight: bold; padding: 2px 8px; border-radius: 4px; color: #fff; }
#phase.forward { background: #1f5fa8; } #phase.backward { background: #c4361b; }
#stage { padding: 12px 16px; }
.graph { overflow-x: auto; background: #fff; border: 1px solid #e2e2e2; }
.fit .graph svg { max-width: 100%; height: auto; }
.frame pre { font-size: 14px; background: #fff; border-left: 4px solid #999; padding: 8px 12px;
             margin: 10px 0 0; white-space: pre-wrap; }
.frame.forward pre { border-left-color: #1f5fa8; }
.frame.backward pre { border-left-color: #c4361b; }
nav { position: sticky; bottom: 0; background: #fff; border-top: 1px solid #ddd; padding: 10px 16px;
      display: flex; align-items: center; gap: 10px; }
nav button { font-size: 15px; padding: 4px 12px; cursor: pointer; }
#slider { flex: 1; }
#counter { font-variant-numeric: tabular-nums; min-width: 90px; text-align: right; }
.help { color: #777; font-size: 12px; }
"""

SCRIPT = """
(function () {
  var frames = Array.prototype.slice.call(document.querySelectorAll('.frame'));
  var slider = document.getElementById('slider'), counter = document.getElementById('counter');
  var phase = document.getElementById('phase'), play = document.getElementById('play');
  var k = 0, timer = null, interval = INTERVAL;
  function show(i) {
    k = Math.max(0, Math.min(frames.length - 1, i));
    frames.forEach(function (f, j) { f.hidden = j !== k; });
    var f = frames[k];
    slider.value = k;
    counter.textContent = (k + 1) + ' / ' + frames.length;
    phase.textContent = f.dataset.phase + ' ' + f.dataset.index;
    phase.className = f.dataset.phase;
    document.body.dataset.step = k;
    document.body.dataset.node = f.dataset.node;
    var current = f.querySelector('g.current');
    if (current && current.scrollIntoView) {
      current.scrollIntoView({block: 'nearest', inline: 'center'});
    }
    try { history.replaceState(null, '', '#' + (k + 1)); } catch (e) { /* file: pages */ }
  }
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    play.textContent = '\\u25B6 Play';
  }
  function start() {
    if (k === frames.length - 1) { show(0); }
    play.textContent = '\\u23F8 Pause';
    timer = setInterval(function () {
      if (k >= frames.length - 1) { stop(); } else { show(k + 1); }
    }, interval);
  }
  function toggle() { if (timer) { stop(); } else { start(); } }
  document.getElementById('prev').addEventListener('click', function () { stop(); show(k - 1); });
  document.getElementById('next').addEventListener('click', function () { stop(); show(k + 1); });
  play.addEventListener('click', toggle);
  var fit = document.getElementById('fit');
  fit.addEventListener('change', function () {
    document.body.classList.toggle('fit', fit.checked);
  });
  slider.addEventListener('input', function () { stop(); show(parseInt(slider.value, 10)); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight') { stop(); show(k + 1); }
    else if (e.key === 'ArrowLeft') { stop(); show(k - 1); }
    else if (e.key === ' ') { toggle(); }
    else if (e.key === 'Home') { stop(); show(0); }
    else if (e.key === 'End') { stop(); show(frames.length - 1); }
    else if (e.key === 'f') { fit.click(); }
    else { return; }
    e.preventDefault();
  });
  var m = /^#(?:step=)?(\\d+)$/.exec(location.hash);
  show(m ? parseInt(m[1], 10) - 1 : 0);
  window.glassgrad = { show: show, toggle: toggle, get step() { return k; } };
})();
"""


def _prefix_ids(svg: str, prefix: str) -> str:
    """Make the SVG's ids unique in the page (every frame has a ``node1``) and drop the prolog."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\bid="([^"]*)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    return re.sub(r'(href|xlink:href)="#([^"]*)"',
                  lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', svg)


def save_html(root: Any, path: str | Path, *, title: str | None = None, fmt: str = ".4f",
              rankdir: str = "LR", interval_ms: int = 1200, max_steps: int = 300,
              **draw_options: Any) -> Path:
    """Write a self-contained HTML page that plays the forward then the backward pass of ``root``.

    Args:
        root: the output node (the loss).
        path: where to write the ``.html`` file.
        title: the page's title (default: "Forward and backward pass of <root name>").
        fmt, rankdir: as for :func:`autograd.draw`; other ``draw`` options (``max_nodes``,
            ``scopes``, ``names``) are passed on too.
        interval_ms: time per frame when playing.
        max_steps: refuse graphs with more op nodes than this (each step is one rendering).

    Returns:
        The path written. The gradients of the graph are left as they were.
    """
    order = topological_order(root)
    steps = sum(1 for n in order if n._op is not None)
    if steps > max_steps:
        raise ValueError(f"save_html: the graph has {steps} op nodes, more than max_steps="
                         f"{max_steps}; each needs two frames. Play a smaller graph, or raise "
                         "max_steps")
    if interval_ms <= 0:
        raise ValueError(f"save_html: interval_ms must be positive, got {interval_ms}")
    options = {"fmt": fmt, "rankdir": rankdir, **draw_options}
    frames = [(mode, k, moment) for mode in ("forward", "backward")
              for k, moment in enumerate(moments(root, mode, caption=False, **options))]
    pictures = render_all([moment.graph for _, _, moment in frames], "svg")
    parts = []
    root_name = ""
    for n, ((mode, k, moment), picture) in enumerate(zip(frames, pictures)):
        svg = _prefix_ids(picture.decode("utf-8"), f"f{n}_")
        index = f"{k}" if k else "start"
        parts.append(
            f'<div class="frame {mode}" id="frame{n}" data-phase="{mode}" '
            f'data-index="{index}" data-node="{html.escape(moment.node)}" hidden>\n'
            f'<div class="graph">{svg}</div>\n'
            f"<pre>{html.escape(moment.text)}</pre>\n</div>")
        if mode == "backward" and k == 0:
            root_name = moment.node
    title = title or f"Forward and backward pass of {root_name}"
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1>{html.escape(title)}</h1><span id="phase"></span>
<span class="help">&larr; &rarr; step, space plays, Home/End jump, f fits the width</span>
</header>
<main id="stage">
{chr(10).join(parts)}
</main>
<nav>
<button id="prev" title="previous step (left arrow)">&#9664; Prev</button>
<button id="play" title="play or pause (space)">&#9654; Play</button>
<button id="next" title="next step (right arrow)">Next &#9654;</button>
<input type="range" id="slider" min="0" max="{len(parts) - 1}" value="0" aria-label="step">
<label><input type="checkbox" id="fit"> fit width</label>
<span id="counter"></span>
</nav>
<script>{SCRIPT.replace("INTERVAL", str(int(interval_ms)))}</script>
</body>
</html>
"""
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path
