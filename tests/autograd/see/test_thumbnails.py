"""Thumbnails: which arrays are pictures, the PNG decoded pixel by pixel, pictures in a real SVG."""

from __future__ import annotations

import base64
import re
import shutil
import struct
import warnings
import xml.etree.ElementTree as ET
import zlib

import graphviz
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Tensor
from autograd.see.text import format_data
from autograd.see.thumbnails import (
    DATA_COLOURS,
    GAP,
    GRAD_COLOURS,
    NONFINITE,
    data_uri,
    embed_in_svg,
    heatmap_png,
    image_like,
    tiles,
)
from autograd.tensor import conv2d
from autograd.testing import arrays, shapes

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="the graphviz program 'dot' is not installed")
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"


def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def decode(png: bytes) -> np.ndarray:
    """The pixels of an 8-bit RGBA PNG without filters (what heatmap_png writes), CRCs checked."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(png):
        (length,), tag = struct.unpack(">I", png[at:at + 4]), png[at + 4:at + 8]
        body = png[at + 8:at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length:at + 12 + length])[0] == zlib.crc32(
            tag + body)
        chunks[tag] = chunks.get(tag, b"") + body
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour, interlace) == (8, 6, 0) and b"IEND" in chunks
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert (rows[:, 0] == 0).all()  # filter type 0 on every row
    return rows[:, 1:].reshape(height, width, 4)


# ---- which arrays are pictures ------------------------------------------------------------------

@pytest.mark.parametrize("shape, expected", [
    ((784, 128), True), ((32, 1, 3, 3), True), ((128, 32, 14, 14), True), ((5, 28, 28), True),
    ((3, 5), True), ((3,), False), ((2, 2), False), ((3, 4), False), ((1, 100), False),
    ((100, 1), False), ((1000,), False), ((), False), ((0, 10), False), ((2, 3, 4, 5, 6), False),
    ((10, 3, 1, 1), False),
])
def test_image_like_decisions(shape: tuple[int, ...], expected: bool) -> None:
    assert image_like(shape) is expected


def test_tiny_arrays_are_the_ones_whose_numbers_are_written() -> None:
    for shape in [(2, 2), (3, 4), (2, 2, 3), (3, 5), (2, 7), (2, 2, 2, 2)]:
        numbers_written = "min" not in format_data(np.ones(shape))
        assert image_like(shape) is not numbers_written, shape


def test_tiles_of_feature_maps_kernels_and_stacks() -> None:
    maps = np.arange(128 * 32 * 14 * 14.0).reshape(128, 32, 14, 14)
    stack, columns = tiles(maps)
    assert columns == 4 and np.array_equal(stack, maps[0, :16])  # the first sample's channels
    stack, columns = tiles(np.zeros((1, 4, 10, 10)))
    assert stack.shape == (4, 10, 10) and columns == 2  # one sample: its channels, 2 x 2
    kernel = np.arange(6 * 3 * 5 * 5.0).reshape(6, 3, 5, 5)
    stack, columns = tiles(kernel)  # one row per output channel: its RGB slices
    assert columns == 3 and np.array_equal(stack, kernel[:5].reshape(15, 5, 5))
    stack, columns = tiles(np.zeros((32, 1, 3, 3)))
    assert stack.shape == (16, 3, 3) and columns == 4
    stack, columns = tiles(np.zeros((5, 10, 10)))
    assert stack.shape == (5, 10, 10) and columns == 3
    stack, columns = tiles(Tensor(np.ones((4, 5))))  # anything numpy turns into an array
    assert stack.shape == (1, 4, 5) and columns == 1


# ---- the PNG ------------------------------------------------------------------------------------

def test_data_runs_from_the_bottom_colour_to_the_top_colour_in_blocks() -> None:
    pixels = decode(heatmap_png(np.arange(25.0).reshape(5, 5), size=20))
    assert pixels.shape == (20, 20, 4) and (pixels[..., 3] == 255).all()
    assert tuple(pixels[0, 0, :3]) == rgb(DATA_COLOURS[0])  # min: dark purple
    assert tuple(pixels[19, 19, :3]) == rgb(DATA_COLOURS[-1])  # max: yellow
    assert tuple(pixels[10, 10, :3]) == rgb(DATA_COLOURS[4])  # the middle value
    blocks = pixels[..., :3].reshape(5, 4, 5, 4, 3)  # each value a 4 x 4 block
    assert (blocks == blocks[:, :1, :, :1]).all()


def test_gradients_are_white_at_zero_and_symmetric_about_it() -> None:
    grad = np.array([[-1.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, -2.0], [0.0] * 4, [0.5] * 4])
    pixels = decode(heatmap_png(grad, kind="grad", size=16))[..., :3]
    assert pixels.shape == (16, 16, 3)
    at = lambda i, j: tuple(pixels[4 * i, 4 * j])  # noqa: E731
    assert at(0, 1) == at(2, 2) == (255, 255, 255)
    assert at(0, 2) == rgb(GRAD_COLOURS[-1]) and at(1, 3) == rgb(GRAD_COLOURS[0])  # +-max|g|
    assert at(0, 0) == rgb(GRAD_COLOURS[1]) and at(1, 1) == rgb(GRAD_COLOURS[3])  # +-max/2


def test_kernels_are_tiled_with_one_grey_pixel_between() -> None:
    kernels = np.arange(32.0)[:, None, None, None] * np.ones((32, 1, 3, 3))
    pixels = decode(heatmap_png(kernels, size=48))[..., :3]
    assert pixels.shape == (39, 39, 3)  # 4 x 4 tiles of 3 x 3 values of 3 px, 3 gaps
    for line in (9, 19, 29):
        assert (pixels[line] == GAP).all() and (pixels[:, line] == GAP).all()
    corners = [tuple(pixels[10 * (k // 4), 10 * (k % 4)]) for k in range(16)]
    assert corners[0] == rgb(DATA_COLOURS[0]) and corners[15] == rgb(DATA_COLOURS[-1])
    assert len(set(corners)) == 16  # row-major: kernel k in row k // 4, column k % 4
    tile = pixels[10:19, 20:29]  # kernel 6: one colour
    assert (tile == tile[0, 0]).all()


def test_empty_places_of_the_last_row_are_transparent() -> None:
    pixels = decode(heatmap_png(np.random.default_rng(0).normal(size=(5, 10, 10)), size=64))
    assert pixels.shape == (41, 62, 4)  # 2 rows, 3 columns of 20 px tiles, 1 px apart
    assert (pixels[21:, 42:, 3] == 0).all() and (pixels[:21, 42:, 3] == 255).all()
    assert (pixels[20, :41, :3] == GAP).all() and (pixels[21:, :42, 3] == 255).all()


def test_nan_and_inf_are_magenta_and_leave_the_scale_alone() -> None:
    data = np.arange(36.0).reshape(6, 6)
    data[0, 1], data[2, 2], data[5, 0] = np.nan, np.inf, -np.inf
    for kind, low, high in [("data", DATA_COLOURS[0], DATA_COLOURS[-1]),
                            ("grad", GRAD_COLOURS[2], GRAD_COLOURS[-1])]:
        pixels = decode(heatmap_png(data, kind=kind, size=24))[..., :3]
        assert pixels.shape == (24, 24, 3)
        for i, j in [(0, 1), (2, 2), (5, 0)]:
            assert tuple(pixels[4 * i, 4 * j]) == NONFINITE
        assert tuple(pixels[0, 0]) == rgb(low) and tuple(pixels[20, 20]) == rgb(high)


def test_constant_and_all_nan_arrays_divide_by_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        middle = decode(heatmap_png(np.full((5, 5), 3.0)))[..., :3]
        zero = decode(heatmap_png(np.zeros((5, 5)), kind="grad"))[..., :3]
        nan = decode(heatmap_png(np.full((5, 5), np.nan), kind="grad"))[..., :3]
        overflow = decode(heatmap_png(np.array([[-1e308, 1e308] * 4] * 4)))[..., :3]
    assert (middle == rgb(DATA_COLOURS[4])).all() and (zero == 255).all()
    assert (nan == NONFINITE).all()
    assert {tuple(p) for p in overflow.reshape(-1, 3)} == {rgb(DATA_COLOURS[0]),
                                                           rgb(DATA_COLOURS[-1])}


def test_large_matrices_shrink_by_block_means_and_keep_their_orientation() -> None:
    weight = np.zeros((784, 128))
    weight[:, 64:] = 1.0
    pixels = decode(heatmap_png(weight, size=64))[..., :3]
    height, width = pixels.shape[:2]
    assert height <= 64 and width <= 64 and height > 2 * width >= 16
    assert (pixels[:, 0] == rgb(DATA_COLOURS[0])).all()
    assert (pixels[:, -1] == rgb(DATA_COLOURS[-1])).all()
    assert decode(heatmap_png(np.ones((3, 300)), size=96)).shape[:2] == (3, 75)


@given(arrays(shapes(min_dims=1, max_dims=4, max_side=40).filter(lambda s: np.prod(s) < 5000)),
       st.integers(16, 96), st.sampled_from(["data", "grad"]))
def test_every_image_like_array_fits_its_size(data: np.ndarray, size: int, kind: str) -> None:
    if not image_like(data.shape):
        with pytest.raises(ValueError, match="is not image-like"):
            heatmap_png(data)
        return
    height, width, _ = decode(heatmap_png(data, kind=kind, size=size)).shape
    assert 2 <= height <= size and 2 <= width <= size


def test_user_errors_name_the_function_and_what_was_expected() -> None:
    with pytest.raises(ValueError, match=r"heatmap_png: kind must be 'data' or 'grad', got 'g'"):
        heatmap_png(np.ones((5, 5)), kind="g")
    with pytest.raises(ValueError, match="heatmap_png: size must be a whole number of pixels "
                                         "from 16 to 512, got 8"):
        heatmap_png(np.ones((5, 5)), size=8)
    with pytest.raises(ValueError, match=r"tiles: an array of shape \(3,\) is not image-like"):
        heatmap_png(np.ones(3))
    with pytest.raises(TypeError, match="tiles: expected an array of real numbers, got dtype "
                                        "complex128"):
        heatmap_png(np.ones((5, 5), complex))
    with pytest.raises(TypeError, match="data_uri: expected PNG bytes"):
        data_uri(b"GIF89a")


def test_data_uri_holds_the_png() -> None:
    png = heatmap_png(np.eye(5))
    uri = data_uri(png)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == png


# ---- pictures in an SVG -------------------------------------------------------------------------

def conv_graph() -> tuple[Tensor, dict[str, dict[str, bytes]]]:
    """A small conv net's loss, and the data and grad thumbnails of its image-like nodes."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(1, 1, 8, 8)), requires_grad=True, label="x")
    w = Tensor(rng.normal(size=(4, 1, 3, 3)), requires_grad=True, label="w")
    y = conv2d(x, w)
    y.label = "y"
    loss = (y * y).sum()
    loss.backward()
    pictures = {}
    for k, node in enumerate(autograd.topological_order(loss)):
        if image_like(node.data.shape):
            pictures[f"v{k}"] = {"data": heatmap_png(node.data, size=32),
                                 "grad": heatmap_png(node.grad, kind="grad", size=32)}
    return loss, pictures


def viewbox(root: ET.Element) -> list[float]:
    return [float(v) for v in root.get("viewBox").split()]


def image_boxes(root: ET.Element) -> dict[str, list[tuple[float, ...]]]:
    """Node id -> the boxes of its pictures, in graph units."""
    return {g.get("id"): [tuple(float(i.get(k)) for k in ("x", "y", "width", "height"))
                          for i in g.iter(f"{SVG}image")]
            for g in root.iter(f"{SVG}g") if g.get("class", "").startswith("node")}


@needs_dot
@pytest.mark.parametrize("rankdir, fit", [("LR", None), ("TB", "3,3")])
def test_pictures_join_their_nodes_in_a_real_drawing_and_the_canvas_grows(
        rankdir: str, fit: str | None) -> None:
    loss, pictures = conv_graph()
    assert len(pictures) == 4  # x, w, y and y * y
    drawing = autograd.draw(loss, rankdir=rankdir)
    if fit:
        drawing.attr(size=fit)  # graphviz scales the graph down: scale(s s) in the SVG
    svg = drawing.pipe(format="svg").decode()
    out = embed_in_svg(svg, pictures)
    root = ET.fromstring(out)
    before, after = viewbox(ET.fromstring(svg)), viewbox(root)
    assert after[3] > before[3] and after[2] >= before[2]
    points = lambda r, side: float(r.get(side).removesuffix("pt"))  # noqa: E731
    for side, k in (("width", 2), ("height", 3)):  # the page keeps its points per unit
        old = points(ET.fromstring(svg), side) / before[k]
        assert points(root, side) / after[k] == pytest.approx(old, rel=1e-3)
    images = list(root.iter(f"{SVG}image"))
    assert len(images) == 8 and all(i.get(XLINK).startswith("data:image/png;base64,")
                                    for i in images)
    boxes = image_boxes(root)
    assert all(len(boxes[node_id]) == 2 for node_id in pictures)
    assert not any(boxes[g] for g in boxes if g not in pictures)
    scale = float(re.search(r"scale\(([\d.]+)", out).group(1))
    assert (scale < 1) is bool(fit)
    shift = [float(v) for v in re.search(r"translate\(([^)]*)\)", out).group(1).split()]
    for x, y, width, height in (b for bs in boxes.values() for b in bs):
        assert after[0] <= scale * (x + shift[0]) <= scale * (x + width + shift[0]) <= (
            after[0] + after[2])
        assert after[1] <= scale * (y + shift[1]) <= scale * (y + height + shift[1]) <= (
            after[1] + after[3])
    background = re.search(r'<title>%3</title>\s*<polygon[^>]*points="([^"]*)"', out).group(1)
    ys = [scale * (float(p.split(",")[1]) + shift[1]) for p in background.split()]
    assert min(ys) == pytest.approx(after[1], abs=0.01)
    assert max(ys) == pytest.approx(after[1] + after[3], abs=0.01)
    assert "<text" in out.split('<g class="thumbnail">', 1)[1]  # captions under the node


@needs_dot
def test_pictures_fill_room_reserved_under_their_field() -> None:
    png = heatmap_png(np.eye(6), size=24)  # 24 px: 18 points
    dot = graphviz.Source(
        'digraph { rankdir=LR; node [shape=record fontsize=11]\n'
        'w [id=v1 label="{ w | { data min 0, max 1 | \\n\\n\\n } | { grad min 0, max 1 | '
        '\\n\\n\\n } }"]\n'
        'z [id=v2 label="{ z | data 1.0 }"]\n z -> w }')
    out = embed_in_svg(dot.pipe(format="svg").decode(), {"v1": {"data": png, "grad": png}})
    root = ET.fromstring(out)
    node = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "v1")
    points = [tuple(map(float, p.split(","))) for p in
              node.find(f"{SVG}polygon").get("points").split()]
    left, right = min(p[0] for p in points), max(p[0] for p in points)
    top, bottom = min(p[1] for p in points), max(p[1] for p in points)
    texts = {t.text.split()[0]: float(t.get("x")) for t in node.iter(f"{SVG}text")}
    boxes = image_boxes(root)["v1"]
    assert len(boxes) == 2 and "thumbnail" in out and "font-size=\"8.00\"" not in out
    for (x, y, width, height), field in zip(boxes, ("data", "grad")):
        assert (width, height) == (18.0, 18.0)
        assert left <= x and x + width <= right and top < y and y + height <= bottom
        assert x + width / 2 == pytest.approx(texts[field], abs=0.01)  # under its own field
    assert viewbox(root) == viewbox(ET.fromstring(dot.pipe(format="svg").decode()))


@needs_dot
def test_nodes_not_drawn_are_skipped_and_bad_pictures_are_errors() -> None:
    svg = graphviz.Source('digraph { a [id=v0 style=invis]; b [id=v1]; a -> b }').pipe(
        format="svg").decode()
    png = heatmap_png(np.eye(5))
    assert embed_in_svg(svg, {"v0": png, "v7": png}) == svg  # invisible, and not there
    assert embed_in_svg(svg, {}) == svg
    with pytest.raises(TypeError, match="data_uri: expected PNG bytes"):
        embed_in_svg(svg, {"v1": b"not a png"})
    with pytest.raises(ValueError, match="embed_in_svg: scale must be positive"):
        embed_in_svg(svg, {"v1": png}, scale=0)
    ET.fromstring(embed_in_svg(svg, {"v1": png}))  # an ellipse: pictures under it, no caption
