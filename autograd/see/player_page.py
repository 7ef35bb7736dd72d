"""The player page's style and script (see :mod:`autograd.see.player`).

The script reads the timeline (JSON in the page) and, at each step, writes the numbers into the
one SVG's text elements, puts each heat map (a Tensor node's ``<image>``) in place, and sets
classes on its node and edge groups: ``pending`` (not computed yet: faded), ``current``,
``receiving`` (its gradient grows), ``done`` (passed its gradient on), ``flow`` (an edge into
or out of the current op). The style colours them by the phase on ``<body>``. Pan and zoom
change the SVG's viewBox. A graph without module boxes too big to read when fitted to the window
(more than 8 points of it per pixel) opens close up at its current step, 1.25 points per pixel;
Fit (0) shows the whole.
"""

from __future__ import annotations

__all__ = ["SCRIPT", "STYLE"]

STYLE = """
html, body { height: 100%; }
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #222; background: #fafafa;
       display: flex; flex-direction: column; }
header { padding: 8px 16px; background: #fff; border-bottom: 1px solid #ddd; display: flex;
         align-items: baseline; gap: 16px; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
#phase { font-weight: bold; padding: 2px 8px; border-radius: 4px; color: #fff; }
body.forward #phase { background: #1f5fa8; } body.backward #phase { background: #c4361b; }
#view { flex: 1; min-height: 120px; background: #fff; overflow: hidden; cursor: grab;
        border-bottom: 1px solid #e2e2e2; }
#view.dragging { cursor: grabbing; }
#view svg { width: 100%; height: 100%; display: block; }
#text { font-size: 14px; background: #fff; border-left: 4px solid #999; padding: 8px 12px;
        margin: 0; white-space: pre-wrap; max-height: 30vh; overflow: auto; }
body.forward #text { border-left-color: #1f5fa8; }
body.backward #text { border-left-color: #c4361b; }
nav { background: #fff; border-top: 1px solid #ddd; padding: 8px 16px; display: flex;
      align-items: center; gap: 10px; }
nav button { font-size: 15px; padding: 4px 12px; cursor: pointer; }
#slider { flex: 1; }
#counter { font-variant-numeric: tabular-nums; min-width: 90px; text-align: right; }
.help { color: #777; font-size: 12px; }
#note { margin: 0; padding: 6px 16px; background: #fff8e0; border-bottom: 1px solid #e8d9a8;
        font-size: 13px; }
.node polygon, .node ellipse, .edge path, .edge polygon { transition: fill .2s, stroke .2s; }
.node, .edge { transition: opacity .2s; }
.pending { opacity: 0.12; }
.box { cursor: pointer; }
.box > path, .box > polygon { fill: #eef2f8; stroke: #5b7fb8; stroke-width: 1.5px;
                              stroke-dasharray: none; }
.box > text { fill: #1d3b66; font-family: Helvetica, Arial, sans-serif; }
.box.done > path, .box.done > polygon { fill: #e3f1dc; }
.box.receiving > path, .box.receiving > polygon { fill: #fdebd7; stroke: #c4361b; }
body.forward .box.current > path, body.forward .box.current > polygon {
  fill: #d6e6f7; stroke: #1f5fa8; stroke-width: 3px; }
body.backward .box.current > path, body.backward .box.current > polygon {
  fill: #fdc79b; stroke: #c4361b; stroke-width: 3px; }
g.cluster > text { cursor: pointer; }
.boxes-only { display: none; } body.has-boxes .boxes-only { display: inline; }
.node.done > polygon:first-of-type { fill: #e3f1dc; }
.node.receiving > polygon:first-of-type { fill: #fdebd7; }
.node.receiving > polygon:last-of-type { stroke: #c4361b; }
body.forward .node.current > polygon:first-of-type { fill: #d6e6f7; }
body.backward .node.current > polygon:first-of-type { fill: #fdc79b; }
body.forward .node.current > polygon:last-of-type { stroke: #1f5fa8; stroke-width: 2.5px; }
body.backward .node.current > polygon:last-of-type { stroke: #c4361b; stroke-width: 2.5px; }
body.forward .node.current > ellipse { fill: #1f5fa8; stroke: #1f5fa8; }
body.backward .node.current > ellipse { fill: #c4361b; stroke: #c4361b; }
.node.current > ellipse + text { fill: #fff; }
body.forward .edge.flow path { stroke: #1f5fa8; stroke-width: 2.5px; }
body.forward .edge.flow polygon { stroke: #1f5fa8; fill: #1f5fa8; }
body.backward .edge.flow path { stroke: #c4361b; stroke-width: 2.5px; }
body.backward .edge.flow polygon { stroke: #c4361b; fill: #c4361b; }
"""

SCRIPT = """
(function () {
  var line = JSON.parse(document.getElementById('timeline').textContent);
  var view = document.getElementById('view'), svg = view.querySelector('svg');
  var slider = document.getElementById('slider'), counter = document.getElementById('counter');
  var phase = document.getElementById('phase'), play = document.getElementById('play');
  var text = document.getElementById('text');
  var edges = {};
  Array.prototype.forEach.call(svg.querySelectorAll('g.edge'), function (e) {
    var t = e.querySelector('title');
    if (t) { edges[t.textContent] = e; }
  });
  var nodes = line.nodes.map(function (n) {
    var g = document.getElementById(n.id), texts = g ? g.querySelectorAll('text') : [];
    var op = document.getElementById(n.id + '_op'), flow = [];
    if (op) {
      flow.push(edges[n.id + '_op->' + n.id]);
      n.parents.forEach(function (p) { flow.push(edges[line.nodes[p].id + '->' + n.id + '_op']); });
    }
    var images = g ? g.querySelectorAll('image') : [];
    return {g: g, op: op, flow: flow.filter(Boolean), data: texts[n.fields - 2],
            grad: texts[n.fields - 1], info: n,
            pictures: images.length ? {data: images[0], grad: images[1]} : null};
  });
  var XLINK = 'http://www.w3.org/1999/xlink';
  function picture(n, kind, i) {  // a heat map (an index into line.pictures) in its place
    var image = n.pictures[kind];
    if (!image || i === null || image.dataset.shown === String(i)) { return; }
    image.setAttributeNS(XLINK, 'xlink:href', line.pictures[i]);
    image.setAttribute('href', line.pictures[i]);
    image.dataset.shown = i;
  }
  function mark(items, name, on) {
    items.forEach(function (el) { if (el) { el.classList.toggle(name, on); } });
  }
  // ---- module boxes: a closed cluster (record_scopes) is drawn as one box over its nodes ----
  var SVGNS = 'http://www.w3.org/2000/svg', layer = svg.querySelector('g.graph') || svg;
  var clusters = {}, boxes = {}, closed = {}, ancestors = {}, byModule = false;
  Array.prototype.forEach.call(svg.querySelectorAll('g.cluster'), function (c) {
    var t = c.querySelector('title');
    if (t && t.textContent.indexOf('cluster_') === 0) { clusters[t.textContent.slice(8)] = c; }
  });
  var moved = false;
  line.boxes.forEach(function (b) {
    var c = clusters[b.name];
    if (!c) { return; }
    ancestors[b.name] = b.parents;
    var g = document.createElementNS(SVGNS, 'g'), t = document.createElementNS(SVGNS, 'title');
    g.setAttribute('class', 'box');
    g.setAttribute('data-box', b.name);
    var shape = c.querySelector('path, polygon'), label = c.querySelector('text');
    if (shape) { g.appendChild(shape.cloneNode(false)); }
    layer.appendChild(g);
    if (shape && g.firstChild.getBBox) {  // the module's name, large, in the middle of its box
      var bb = g.firstChild.getBBox(), name = document.createElementNS(SVGNS, 'text');
      name.setAttribute('x', bb.x + bb.width / 2);
      name.setAttribute('y', bb.y + bb.height / 2);
      name.setAttribute('text-anchor', 'middle');
      name.setAttribute('dominant-baseline', 'middle');
      name.setAttribute('font-size', Math.max(8, Math.min(bb.height * 0.3,
                                                          bb.width / (b.title.length * 0.62))));
      name.textContent = b.title;
      g.appendChild(name);
    }
    if (label) {
      label.addEventListener('click', function (e) {
        e.stopPropagation(); if (!moved) { setClosed(b.name, true); }
      });
    }
    t.textContent = b.title + ': click to open';
    g.appendChild(t);
    g.addEventListener('click', function (e) {
      e.stopPropagation(); if (!moved) { setClosed(b.name, false); }
    });
    boxes[b.name] = g;
    closed[b.name] = true;
  });
  if (Object.keys(boxes).length) { document.body.classList.add('has-boxes'); }
  function owner(m) {  // the outermost closed box that holds node m, or null
    if (!line.nodes[m]) { return null; }  // not a value's node (the note of what is left out)
    var path = line.nodes[m].box;
    for (var i = 0; i < path.length; i++) { if (closed[path[i]]) { return path[i]; } }
    return null;
  }
  function nodeOf(id) { var m = /^v(\\d+)/.exec(id); return m ? parseInt(m[1], 10) : -1; }
  function arrange() {  // show what the closed boxes leave visible
    Object.keys(boxes).forEach(function (name) {
      var covered = ancestors[name].some(function (a) { return closed[a]; });
      boxes[name].style.display = !covered && closed[name] ? '' : 'none';
      clusters[name].style.display = covered || closed[name] ? 'none' : '';
    });
    nodes.forEach(function (n, m) {
      var inside = owner(m) !== null;
      [n.g, n.op].forEach(function (el) { if (el) { el.style.display = inside ? 'none' : ''; } });
    });
    Object.keys(edges).forEach(function (title) {
      var ends = title.split('->'), a = owner(nodeOf(ends[0])), b = owner(nodeOf(ends[1]));
      edges[title].style.display = a !== null && a === b ? 'none' : '';
    });
  }
  function setClosed(name, value) { closed[name] = value; arrange(); show(k); }
  function setAll(value) { Object.keys(closed).forEach(function (n) { closed[n] = value; });
                           arrange(); show(k); }
  function boxAt(j) {
    var c = line.steps[j].current;
    return c >= 0 ? owner(c) : null;
  }
  function runOf(j) {  // the steps around j whose current node is in the same closed box
    var box = boxAt(j);
    if (!box) { return null; }
    var start = j, end = j;
    while (start > 0 && boxAt(start - 1) === box &&
           line.steps[start - 1].phase === line.steps[j].phase) { start--; }
    while (end < line.steps.length - 1 && boxAt(end + 1) === box &&
           line.steps[end + 1].phase === line.steps[j].phase) { end++; }
    return {box: box, start: start, end: end};
  }
  function forward1() {  // the next step: by module, the end of the next run
    var j = k + 1;
    if (byModule && j < line.steps.length) { var r = runOf(j); if (r) { j = r.end; } }
    return j;
  }
  function back1() {
    var r = byModule ? runOf(k) : null;
    return (r ? r.start : k) - 1;
  }
  arrange();
  var k = 0, timer = null, interval = INTERVAL;
  function show(i) {
    k = Math.max(0, Math.min(line.steps.length - 1, i));
    var step = line.steps[k], backward = step.phase === 'backward';
    var values = nodes.map(function () { return {data: 'data', grad: 'grad'}; });
    var pictures = nodes.map(function (n) { return {data: n.info.blank, grad: n.info.blank}; });
    for (var j = 0; j <= k; j++) {
      line.steps[j].changes.forEach(function (c) { values[c[0]][c[1]] = c[2]; });
      line.steps[j].pictures.forEach(function (c) { pictures[c[0]][c[1]] = c[2]; });
    }
    var states = {};
    nodes.forEach(function (n, m) {
      var box = owner(m);
      if (box) {
        var st = states[box] || (states[box] = {pending: true, done: true});
        if (backward || n.info.born <= step.index) { st.pending = false; }
        if (m === step.current) { st.current = true; }
        if (step.receiving.indexOf(m) >= 0) { st.receiving = true; }
        if (n.info.processed !== null && !(backward && n.info.processed < step.index)) {
          st.done = false;
        }
      }
      if (n.data) { n.data.textContent = values[m].data; }
      if (n.grad) { n.grad.textContent = values[m].grad; }
      if (n.pictures) {
        picture(n, 'data', pictures[m].data);
        picture(n, 'grad', pictures[m].grad);
      }
      var parts = [n.g, n.op];
      var pending = !backward && n.info.born > step.index;
      mark(parts.concat(n.flow), 'pending', pending);
      mark(parts, 'current', m === step.current);
      mark(n.flow, 'flow', m === step.current);
      mark([n.g], 'receiving', step.receiving.indexOf(m) >= 0);
      mark(parts, 'done', backward && n.info.processed !== null && n.info.processed < step.index);
    });
    Object.keys(boxes).forEach(function (name) {
      var st = states[name] || {};
      mark([boxes[name]], 'pending', !!st.pending);
      mark([boxes[name]], 'current', !!st.current);
      mark([boxes[name]], 'receiving', !!st.receiving);
      mark([boxes[name]], 'done', backward && !!st.done);
    });
    document.body.classList.remove('forward', 'backward');
    document.body.classList.add(step.phase);
    slider.value = k;
    counter.textContent = (k + 1) + ' / ' + line.steps.length;
    phase.textContent = step.phase + ' ' + (step.index ? step.index : 'start');
    var run = byModule ? runOf(k) : null;
    text.textContent = run ? run.box + ': ' + (run.end - run.start + 1) + ' step(s) of the ' +
      step.phase + ' pass, ' + (line.steps[run.start].index || 'start') + ' to ' + step.index +
      '; the last:\\n' + step.text : step.text;
    document.body.dataset.step = k;
    document.body.dataset.node = step.current >= 0 ? line.nodes[step.current].name : '';
    var shown = step.current >= 0 ? (owner(step.current) ? boxes[owner(step.current)]
                                                          : nodes[step.current].g) : null;
    follow(shown);
    try { history.replaceState(null, '', '#' + (k + 1)); } catch (e) { /* file: pages */ }
  }
  // ---- pan and zoom: the viewBox ----
  var home = svg.getAttribute('viewBox').split(/[ ,]+/).map(Number), box = home.slice();
  svg.removeAttribute('width'); svg.removeAttribute('height');
  var FAR = 8, NEAR = 1.25;  // points per pixel: 11-point text is unreadable beyond FAR
  function setBox(b) { box = b; svg.setAttribute('viewBox', b.join(' ')); }
  function scale() {
    return Math.max(box[2] / Math.max(1, view.clientWidth),
                    box[3] / Math.max(1, view.clientHeight));
  }
  function toSvg(x, y) {
    var r = view.getBoundingClientRect(), s = scale();
    var cx = box[0] + box[2] / 2, cy = box[1] + box[3] / 2;
    return [cx + (x - r.left - r.width / 2) * s, cy + (y - r.top - r.height / 2) * s];
  }
  function zoom(f, at) {
    var p = at || [box[0] + box[2] / 2, box[1] + box[3] / 2];
    setBox([p[0] - (p[0] - box[0]) / f, p[1] - (p[1] - box[1]) / f, box[2] / f, box[3] / f]);
  }
  function pan(dx, dy) { setBox([box[0] + dx, box[1] + dy, box[2], box[3]]); }
  function fit() { setBox(home.slice()); }
  function follow(g) {  // keep the current node on show when zoomed in
    if (!g || !g.getBoundingClientRect) { return; }
    var r = g.getBoundingClientRect(), v = view.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) { return; }
    var inside = r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom;
    if (inside) { return; }
    var c = toSvg(r.left + r.width / 2, r.top + r.height / 2);
    setBox([c[0] - box[2] / 2, c[1] - box[3] / 2, box[2], box[3]]);
  }
  view.addEventListener('wheel', function (e) {
    e.preventDefault();
    zoom(e.deltaY < 0 ? 1.25 : 0.8, toSvg(e.clientX, e.clientY));
  }, {passive: false});
  var drag = null;
  view.addEventListener('mousedown', function (e) {
    drag = [e.clientX, e.clientY]; moved = false; view.classList.add('dragging');
  });
  window.addEventListener('mousemove', function (e) {
    if (!drag) { return; }
    var s = scale();
    if (Math.abs(drag[0] - e.clientX) + Math.abs(drag[1] - e.clientY) > 2) { moved = true; }
    pan((drag[0] - e.clientX) * s, (drag[1] - e.clientY) * s);
    drag = [e.clientX, e.clientY];
  });
  window.addEventListener('mouseup', function () {
    drag = null; view.classList.remove('dragging');
  });
  // ---- playing ----
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    play.textContent = '\\u25B6 Play';
  }
  function start() {
    if (k === line.steps.length - 1) { show(0); }
    play.textContent = '\\u23F8 Pause';
    timer = setInterval(function () {
      if (k >= line.steps.length - 1) { stop(); } else { show(forward1()); }
    }, interval);
  }
  function toggle() { if (timer) { stop(); } else { start(); } }
  document.getElementById('prev').addEventListener('click', function () { stop(); show(back1()); });
  document.getElementById('next').addEventListener('click', function () {
    stop(); show(forward1());
  });
  var modeBox = document.getElementById('bymodule');
  modeBox.addEventListener('change', function () { byModule = modeBox.checked; show(k); });
  document.getElementById('openall').addEventListener('click', function () { setAll(false); });
  document.getElementById('closeall').addEventListener('click', function () { setAll(true); });
  document.getElementById('fit').addEventListener('click', fit);
  play.addEventListener('click', toggle);
  slider.addEventListener('input', function () { stop(); show(parseInt(slider.value, 10)); });
  document.addEventListener('keydown', function (e) {
    var step = box[2] / 10;
    if (e.shiftKey && e.key === 'ArrowRight') { pan(step, 0); }
    else if (e.shiftKey && e.key === 'ArrowLeft') { pan(-step, 0); }
    else if (e.shiftKey && e.key === 'ArrowUp') { pan(0, -step); }
    else if (e.shiftKey && e.key === 'ArrowDown') { pan(0, step); }
    else if (e.key === 'ArrowRight') { stop(); show(forward1()); }
    else if (e.key === 'ArrowLeft') { stop(); show(back1()); }
    else if (e.key === 'm') { modeBox.click(); }
    else if (e.key === ' ') { toggle(); }
    else if (e.key === 'Home') { stop(); show(0); }
    else if (e.key === 'End') { stop(); show(line.steps.length - 1); }
    else if (e.key === '+' || e.key === '=') { zoom(1.25); }
    else if (e.key === '-') { zoom(0.8); }
    else if (e.key === '0' || e.key === 'f') { fit(); }
    else { return; }
    e.preventDefault();
  });
  function closeUp() {  // a graph too big to read when fitted starts close up, at its step
    if (scale() <= FAR || Object.keys(boxes).length) { return; }  // closed boxes read well
    var c = line.steps[k].current, at = c >= 0 ? nodes[c].g : null;
    at = at || nodes.map(function (n) { return n.g; }).filter(Boolean)[0];
    if (!at) { return; }
    var r = at.getBoundingClientRect(), p = toSvg(r.left + r.width / 2, r.top + r.height / 2);
    var w = view.clientWidth * NEAR, h = view.clientHeight * NEAR;
    setBox([p[0] - w / 2, p[1] - h / 2, w, h]);
  }
  var m = /^#(?:step=)?(\\d+)$/.exec(location.hash);
  show(m ? parseInt(m[1], 10) - 1 : 0);
  closeUp();
  window.glassgrad = {show: show, toggle: toggle, zoom: zoom, pan: pan, fit: fit,
                      setClosed: setClosed, setAll: setAll, owner: owner,
                      get step() { return k; }, get viewBox() { return box.slice(); }};
})();
"""
