"""Tensor nodes with heat maps: in drawings (SVG and PNG), frames and the player's page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

import autograd
import nn
from autograd import Tensor, draw, record_scopes, save_html
from autograd.see.frames import moments, save_frames
from autograd.see.picture_nodes import (
    PICTURE_PIXELS,
    cache_folder,
    has_pictures,
    inline_pictures,
    picture_file,
    table_label,
)
from autograd.see.thumbnails import heatmap_png

from .test_player import driven, needs_chromium, needs_dot, timeline_of


def small_cnn() -> tuple[nn.Sequential, Tensor, dict]:
    """A conv layer, ReLU, Flatten and Dense on 2 images of 8 x 8: its loss and scopes."""
    np.random.seed(0)
    model = nn.Sequential(nn.Conv2D(1, 4, 3, rng=0), nn.ReLU(), nn.Flatten(),
                          nn.Dense(4 * 6 * 6, 3, rng=1))
    x = Tensor(np.random.randn(2, 1, 8, 8))
    x.label = "x"
    with record_scopes() as scopes:
        loss = nn.functional.cross_entropy(model(x), np.array([0, 2]))
    loss.label = "loss"
    return model, loss, scopes


def pictured(root) -> list[int]:
    return [k for k, n in enumerate(autograd.topological_order(root)) if has_pictures(n)]


def test_which_nodes_have_pictures() -> None:
    _, loss, _ = small_cnn()
    order = autograd.topological_order(loss)
    shapes = sorted({n.data.shape for n in order if has_pictures(n)})
    # the images, the kernels, the feature maps, the flattened maps and the dense weight
    assert shapes == [(2, 1, 8, 8), (2, 4, 6, 6), (2, 144), (3, 144), (4, 1, 3, 3)]
    assert not has_pictures(autograd.Value(2.0)) and not has_pictures(Tensor(np.ones((3, 4))))


def test_the_label_is_a_table_with_a_picture_under_data_and_grad() -> None:
    data = np.arange(16.0).reshape(4, 4)
    label = table_label(("data", "shape (4, 4) float64", "data min 0, max 15", "grad 0"),
                        {"data": data, "grad": None}, {"fillcolor": "#e3f1dc"}, (4, 4))
    cells = re.findall(r"<TD>(.*?)</TD>", label)
    assert cells[:2] == ["data", "shape (4, 4) float64"]  # a node named "data" gets no picture
    images = re.findall(r'<IMG SRC="([^"]+)"/>', label)
    assert len(images) == 2 and 'BGCOLOR="#e3f1dc"' in label
    assert Path(images[0]).read_bytes() == heatmap_png(data, size=PICTURE_PIXELS)
    blank = heatmap_png(np.zeros((4, 4)), kind="grad", size=PICTURE_PIXELS)
    assert Path(images[1]).read_bytes() == blank


def test_pictures_are_cached_by_content_and_inlined_from_the_cache_only(tmp_path) -> None:
    png = heatmap_png(np.eye(5))
    assert picture_file(png) == picture_file(png) and picture_file(png).parent == cache_folder()
    elsewhere = tmp_path / "other.png"
    elsewhere.write_bytes(png)
    svg = f'<image xlink:href="{picture_file(png)}"/><image xlink:href="{elsewhere}"/>'
    out = inline_pictures(svg)
    assert out.count("data:image/png;base64,") == 1 and str(elsewhere) in out


@needs_dot
def test_a_drawing_shows_pictures_in_svg_and_png(tmp_path) -> None:
    _, loss, _ = small_cnn()
    loss.backward()
    g = draw(loss)
    svg = g.pipe(format="svg").decode()
    assert svg.count("<image") == 2 * len(pictured(loss))  # data and grad of each
    assert svg.count("data:image/png;base64,") == svg.count("<image")
    assert str(cache_folder()) not in svg  # the SVG needs no other file
    written = g.render(tmp_path / "cnn", format="svg")
    assert "data:image/png" in Path(written).read_text()
    png = g.render(tmp_path / "cnn", format="png")
    assert Path(png).read_bytes()[:4] == b"\x89PNG"
    plain = draw(loss, thumbnails=False).pipe(format="svg").decode()
    assert "<image" not in plain
    forward_only = draw(loss, show_grad=False).pipe(format="svg").decode()
    assert forward_only.count("<image") == len(pictured(loss))


@needs_dot
def test_frames_show_the_gradient_pictures_of_their_step(tmp_path) -> None:
    _, loss, _ = small_cnn()
    frames = list(moments(loss, "backward"))
    sources = [m.graph.source for m in frames]
    images = [re.findall(r'<IMG SRC="([^"]+)"/>', s) for s in sources]
    assert all(len(found) == 2 * len(pictured(loss)) for found in images)
    assert images[0] != images[-1]  # the gradients' pictures changed from the first frame
    paths = save_frames([m.graph for m in frames[-2:]], tmp_path, "svg")
    assert all("data:image/png" in p.read_text() for p in paths)


@needs_dot
def test_the_player_has_a_picture_for_each_change(tmp_path) -> None:
    model, loss, scopes = small_cnn()
    page = save_html(loss, tmp_path / "cnn.html", names=model, scopes=scopes).read_text()
    line = timeline_of(page)
    uris = line["pictures"]
    assert uris and all(u.startswith("data:image/png;base64,") for u in uris)
    assert len(set(uris)) == len(uris)  # each picture once
    kinds = {(k, kind) for step in line["steps"] for k, kind, _ in step["pictures"]}
    for k in pictured(loss):
        assert line["nodes"][k]["blank"] is not None
        assert {(k, "data"), (k, "grad")} <= kinds
    assert all(node["blank"] is None for k, node in enumerate(line["nodes"])
               if k not in pictured(loss))
    none = timeline_of(save_html(loss, tmp_path / "plain.html", thumbnails=False).read_text())
    assert none["pictures"] == [] and "<image" not in (tmp_path / "plain.html").read_text()


DRIVE = """<script>
var log = [];
function pictures() {
  return Array.prototype.map.call(document.querySelectorAll('g.node image'), function (i) {
    return i.getAttribute('href') || i.getAttributeNS('http://www.w3.org/1999/xlink', 'href');
  });
}
window.glassgrad.show(0); log.push(pictures());
window.glassgrad.show(1000); log.push(pictures());
var out = document.createElement('pre'); out.id = 'log'; out.textContent = JSON.stringify(log);
document.body.appendChild(out);
</script></body>"""


@needs_chromium
def test_the_pictures_change_in_place_in_chromium(tmp_path) -> None:
    model, loss, _ = small_cnn()
    page = save_html(loss, tmp_path / "cnn.html", names=model)
    line = timeline_of(page.read_text())
    start, end = driven(page.read_text(), DRIVE, tmp_path)[0]
    blanks = {line["pictures"][node["blank"]] for node in line["nodes"]
              if node["blank"] is not None}
    assert len(start) == len(end) == 2 * len(pictured(loss))

    def shown_at(s: int) -> list[str]:
        """What each picture should show at step s: its last change, else its node's blank."""
        last = {}
        for step in line["steps"][:s + 1]:
            for k, kind, i in step["pictures"]:
                last[(k, kind)] = line["pictures"][i]
        blank = [line["pictures"][node["blank"]] if node["blank"] is not None else None
                 for node in line["nodes"]]
        return [last.get((k, kind), blank[k]) for k in pictured(loss) for kind in ("data", "grad")]

    assert start == shown_at(0) and end == shown_at(len(line["steps"]) - 1)
    inputs = {k for k, _, _ in line["steps"][0]["pictures"]}  # the images and the kernels
    assert sum(uri in blanks for uri in start) == 2 * len(pictured(loss)) - len(inputs)
    assert not set(end[0::2]) & blanks  # the end: every data map shown


@needs_dot
def test_frames_with_pictures_keep_one_layout_and_fit_their_nodes(capfd) -> None:
    """Pictures are sized in the label, so the layout made in json (which loads no pictures)
    has the sizes the SVG has: every frame puts every node in the same place, and dot warns
    of no label too big for its node (the current node's table keeps a 1-point border)."""
    _, loss, scopes = small_cnn()
    frames = [*moments(loss, "forward", scopes=scopes), *moments(loss, "backward", scopes=scopes)]
    places = []
    for frame in frames:
        laid_out = json.loads(frame.graph.pipe(format="json", quiet=True))
        places.append({o["name"]: o["pos"] for o in laid_out["objects"] if "pos" in o})
        frame.graph.pipe(format="svg")
    assert all(p == places[0] for p in places) and len(places[0]) > 10
    assert "Warning" not in capfd.readouterr().err
