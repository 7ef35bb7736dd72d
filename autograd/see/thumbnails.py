"""Tensors as pictures: small heat maps of an array's data or gradient, and a way into an SVG.

An array is *image-like* when it has two-dimensional structure and more values than a label
writes out (:func:`autograd.see.text.format_data` shows up to 12): a matrix, a stack of maps
``(N, H, W)``, a batch of feature maps ``(N, C, H, W)`` or a conv kernel ``(out, in, kh, kw)``.
:func:`tiles` says how such an array becomes one picture; :func:`heatmap_png` paints it as a PNG
(numpy, zlib and struct only), data in a sequential colour map, gradients in a diverging one
centred on 0; :func:`data_uri` and :func:`embed_in_svg` put the pictures beside the nodes of a
graphviz SVG, so a page stays one self-contained file.

>>> import numpy as np
>>> image_like((784, 128)), image_like((32, 1, 3, 3)), image_like((3,)), image_like((2, 2))
(True, True, False, False)
>>> png = heatmap_png(np.arange(16.0).reshape(4, 4), size=30)
>>> png[:8], struct.unpack(">II", png[16:24])  # the PNG signature, then width and height
(b'\\x89PNG\\r\\n\\x1a\\n', (28, 28))
"""

from __future__ import annotations

import base64
import html
import math
import re
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["data_uri", "embed_in_svg", "heatmap_png", "image_like", "tiles"]

TINY = 12
"""Arrays with at most this many values are written out as numbers (``format_data``'s default)."""
MAX_TILES = 16
"""At most this many maps of a stack, feature map or kernel are drawn."""
KEEP_SIDE = 16
"""A large matrix shrinks evenly to fit, except that its short side keeps at least this many
pixels (a 784 x 128 weight matrix in 64 px becomes 61 x 16, not 61 x 10)."""

# Colour maps: anchor colours at evenly spaced points, interpolated linearly in between.
DATA_COLOURS = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962",
                "#addc30", "#fde725")  # viridis: dark purple (low) to yellow (high)
GRAD_COLOURS = ("#2166ac", "#92c5de", "#ffffff", "#f4a582", "#b2182b")  # blue, white at 0, red
NONFINITE = (255, 0, 255)  # magenta: NaN and inf, in neither map
GAP = (176, 176, 176)  # the one-pixel lines between tiles
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _layout(shape: Sequence[int]) -> tuple[int, int] | None:
    """``(number of tiles, columns)`` for an image-like shape, else None."""
    shape = tuple(int(n) for n in shape)
    if len(shape) not in (2, 3, 4) or math.prod(shape) <= TINY or min(shape[-2:]) < 2:
        return None
    if len(shape) == 2:
        return 1, 1
    if len(shape) == 3:  # a stack of maps: the first ones
        n = min(shape[0], MAX_TILES)
        return n, math.ceil(math.sqrt(n))
    samples, channels = shape[:2]
    if samples > 1 and 1 < channels <= 4:  # one row per sample (or output channel)
        return channels * min(samples, MAX_TILES // channels), channels
    n = min(channels if channels > 1 else samples, MAX_TILES)  # the first sample's channels,
    return n, math.ceil(math.sqrt(n))  # or each sample's (output channel's) one map


def image_like(shape: Sequence[int]) -> bool:
    """Whether an array of this shape is drawn as a picture (else its numbers are written).

    Image-like: more than :data:`TINY` values, 2 to 4 dimensions and at least 2 values along
    each of the last two. A vector is not: it has no second dimension to show, and one row of
    colour beside a label says less than the label's ``min, max``.

    >>> [image_like(s) for s in [(784, 128), (128, 32, 14, 14), (5, 28, 28), (3,), (1, 100)]]
    [True, True, True, False, False]
    """
    return _layout(shape) is not None


def tiles(array: Any) -> tuple[np.ndarray, int]:
    """The maps drawn for an image-like array, as a stack ``(T, H, W)``, and the grid's columns.

    A matrix is one tile. A stack ``(N, H, W)`` gives its first maps, in a square grid. A 4-D
    array ``(A, B, H, W)`` (a batch of feature maps, or a conv kernel ``(out, in, kh, kw)``):
    with ``B == 1``, its first ``A`` maps in a square grid; with ``A > 1`` and ``1 < B <= 4``,
    one row per sample or output channel holding its ``B`` maps (a kernel's RGB slices read
    across); otherwise the first sample's (or the first kernel's) channels in a square grid.
    At most :data:`MAX_TILES` tiles.

    >>> stack, columns = tiles(np.zeros((128, 32, 14, 14)))
    >>> stack.shape, columns
    ((16, 14, 14), 4)
    >>> tiles(np.zeros((6, 3, 5, 5)))[0].shape, tiles(np.zeros((6, 3, 5, 5)))[1]
    ((15, 5, 5), 3)
    """
    data = _as_float(array, "tiles")
    layout = _layout(data.shape)
    if layout is None:
        raise ValueError(f"tiles: an array of shape {data.shape} is not image-like (it needs "
                         f"2 to 4 dimensions, at least 2 values along each of the last two and "
                         f"more than {TINY} values); check image_like(shape) first")
    count, columns = layout
    return data.reshape(-1, *data.shape[-2:])[:count], columns


def _as_float(array: Any, caller: str) -> np.ndarray:
    data = np.asarray(array)
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{caller}: expected an array of real numbers, got dtype {data.dtype}")
    return data.astype(np.float64, copy=False)


def _shrink(stack: np.ndarray, fh: int, fw: int) -> np.ndarray:
    """Means over ``fh x fw`` blocks (partial blocks at the edges averaged over what they hold)."""
    if fh == fw == 1:
        return stack
    t, h, w = stack.shape
    hp, wp = -(-h // fh) * fh, -(-w // fw) * fw
    padded = np.zeros((t, hp, wp))
    padded[:, :h, :w] = stack
    counts = np.zeros((hp, wp))
    counts[:h, :w] = 1.0
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and inf stay non-finite
        sums = padded.reshape(t, hp // fh, fh, wp // fw, fw).sum(axis=(2, 4))
    return sums / counts.reshape(hp // fh, fh, wp // fw, fw).sum(axis=(1, 3))


def _colours(values: np.ndarray, kind: str) -> np.ndarray:
    """RGB (uint8) for each value: data from its min to its max, gradients symmetric about 0."""
    finite = np.isfinite(values)
    shown = values[finite]
    position = np.full(values.shape, 0.5)  # a constant array takes the middle colour
    if kind == "data" and shown.size and shown.max() > shown.min():
        low, high = shown.min() / 2, shown.max() / 2  # halves: no overflow near the float limit
        position[finite] = (shown / 2 - low) / (high - low)
    elif kind == "grad" and shown.size and (peak := np.abs(shown).max()) > 0:
        position[finite] = 0.5 + shown / (2 * peak)
    anchors = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)]
                        for c in (DATA_COLOURS if kind == "data" else GRAD_COLOURS)], float)
    stops = np.linspace(0.0, 1.0, len(anchors))
    rgb = np.stack([np.interp(position, stops, anchors[:, i]) for i in range(3)], axis=-1)
    rgb[~finite] = NONFINITE
    return np.rint(rgb).astype(np.uint8)


def _png(rgba: np.ndarray) -> bytes:
    """An RGBA image ``(height, width, 4)`` of uint8 as PNG bytes (no filtering, zlib)."""
    height, width, _ = rgba.shape
    rows = np.zeros((height, 1 + 4 * width), np.uint8)  # each row starts with filter type 0
    rows[:, 1:] = rgba.reshape(height, -1)

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (PNG_SIGNATURE + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + chunk(b"IEND", b""))


def heatmap_png(array: Any, *, kind: str = "data", size: int = 64) -> bytes:
    """A heat map of an image-like array (see :func:`tiles`) as PNG bytes, at most ``size`` px.

    ``kind="data"`` colours from the smallest value (dark purple) to the largest (yellow);
    ``kind="grad"`` is blue below 0, white at 0 and red above, scaled by the largest ``|g|``.
    A constant array takes the middle colour (a zero gradient is white); NaN and inf are magenta
    and do not stretch the scale. Small maps are enlarged by whole factors (a 3x3 kernel becomes
    3x3 blocks); large ones are shrunk by averaging blocks. Tiles are one grey pixel apart;
    empty places of the last row are transparent.

    >>> png = heatmap_png(np.zeros((32, 1, 3, 3)), kind="grad", size=48)
    >>> struct.unpack(">II", png[16:24])  # 4 x 4 kernels of 3 x 3 blocks of 3 px, 3 gaps
    (39, 39)
    """
    if kind not in ("data", "grad"):
        raise ValueError(f"heatmap_png: kind must be 'data' or 'grad', got {kind!r}")
    if not isinstance(size, int | np.integer) or isinstance(size, bool) or not 16 <= size <= 512:
        raise ValueError(f"heatmap_png: size must be a whole number of pixels from 16 to 512, "
                         f"got {size!r}")
    stack, columns = tiles(array)
    count, height, width = stack.shape
    rows = -(-count // columns)
    room_h, room_w = (size - rows + 1) // rows, (size - columns + 1) // columns
    fit_h, fit_w = -(-height // room_h), -(-width // room_w)  # the least shrinking that fits
    shrink = max(fit_h, fit_w)  # the same along both sides, unless that leaves one too thin
    small = _shrink(stack, min(shrink, max(fit_h, height // KEEP_SIDE, 1)),
                    min(shrink, max(fit_w, width // KEEP_SIDE, 1)))
    _, h, w = small.shape
    grow = max(1, min(room_h // h, room_w // w))
    painted = _colours(small, kind).repeat(grow, axis=1).repeat(grow, axis=2)
    h, w = h * grow, w * grow
    canvas = np.zeros((rows * (h + 1) - 1, columns * (w + 1) - 1, 4), np.uint8)
    canvas[..., :3], canvas[..., 3] = GAP, 255
    for k in range(rows * columns):
        top, left = (k // columns) * (h + 1), (k % columns) * (w + 1)
        if k < count:
            canvas[top:top + h, left:left + w, :3] = painted[k]
        else:
            canvas[top:top + h, left:left + w, 3] = 0
    return _png(canvas)


def data_uri(png: bytes) -> str:
    """PNG bytes as a ``data:`` URI, for an ``<img>`` or an SVG ``<image>`` that needs no file.

    >>> data_uri(heatmap_png(np.eye(4)))[:30]
    'data:image/png;base64,iVBORw0K'
    """
    if not isinstance(png, bytes | bytearray) or not png.startswith(PNG_SIGNATURE):
        start = f" starting {bytes(png[:8])!r}" if isinstance(png, bytes | bytearray) else ""
        raise TypeError(f"data_uri: expected PNG bytes (which start with {PNG_SIGNATURE!r}), "
                        f"got {type(png).__name__}{start}")
    return "data:image/png;base64," + base64.b64encode(bytes(png)).decode("ascii")


def embed_in_svg(svg: str, pictures: Mapping[str, bytes | Mapping[str, bytes]], *,
                 scale: float = 0.75, gap: float = 4.0) -> str:
    """Put PNG pictures beside the nodes of a graphviz SVG (``dot -Tsvg``), as data URIs.

    Args:
        svg: the SVG text; each node is a group ``<g id="v3" class="node">`` (graphviz writes a
            node's ``id`` attribute there, as :func:`autograd.see.viz.paint` sets it).
        pictures: node id -> PNG bytes, or node id -> ``{caption: PNG bytes}``, e.g.
            ``{"v3": {"data": png, "grad": png}}``.
        scale: SVG units (points) per image pixel; 0.75 shows one image pixel per CSS pixel.
        gap: the space between a node and its pictures, and between pictures, in points.

    A captioned picture goes inside its node, under the text that starts with the caption and
    a space (the record field ``data min -1.0, max 2.0``), where the node has room for it below
    that text; a record label such as ``{ data ... | \\n\\n\\n\\n }`` reserves that room in the
    layout. Otherwise the pictures stand in a row under the node's outline, each with its
    caption. Each picture is a ``<g class="thumbnail">`` inside the node's group (hidden with it)
    and the canvas (viewBox, width, height, background) grows to hold them. Ids of nodes the SVG
    does not draw (invisible, or left out by ``max_nodes``) are skipped.

    >>> svg = ('<svg width="80pt" height="40pt" viewBox="0.00 0.00 80.00 40.00" '
    ...        'xmlns="http://www.w3.org/2000/svg"><g id="v0" class="node"><title>v0</title>'
    ...        '<polygon points="0,20 0,40 60,40 60,20 0,20"/></g></svg>')
    >>> out = embed_in_svg(svg, {"v0": heatmap_png(np.eye(5), size=20)})  # 20 px: 15 points
    >>> out.count("<image"), re.search(r'<svg.*?>', out).group()  # placed 44 to 59, margin 4
    (1, '<svg width="80.00pt" height="63.00pt" viewBox="0.00 0.00 80.00 63.00" ...>')
    """
    if not scale > 0 or not gap >= 0:
        raise ValueError(f"embed_in_svg: scale must be positive and gap not negative, got "
                         f"scale={scale!r}, gap={gap!r}")
    inserts: list[tuple[int, str]] = []
    extents: list[tuple[float, float, float, float]] = []
    for node_id, given in pictures.items():
        items = [("", given)] if isinstance(given, bytes | bytearray) else list(given.items())
        sized = []
        for caption, png in items:
            uri = data_uri(png)
            width, height = struct.unpack(">II", png[16:24])
            sized.append((str(caption), uri, width * scale, height * scale))
        found = re.search(rf'<g\b[^>]*\bid="{re.escape(node_id)}"[^>]*>', svg)
        end = _group_end(svg, found.end()) if found else 0
        box = _outline(svg[found.end():end]) if found else None
        if box is None:  # a node not drawn
            continue
        snippets = _place(svg[found.end():end], box, sized, gap)
        inserts.append((end, "".join(s for s, _ in snippets)))
        extents.extend(e for _, e in snippets)
    for position, text in sorted(inserts, reverse=True):
        svg = svg[:position] + text + svg[position:]
    root_end = svg.find(">", svg.find("<svg"))
    if extents and "xmlns:xlink" not in svg[:root_end]:
        svg = svg[:root_end] + ' xmlns:xlink="http://www.w3.org/1999/xlink"' + svg[root_end:]
    return _grow(svg, extents, gap)


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?", text)]


def _attr(tag: str, name: str) -> str:
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    return found.group(1) if found else ""


def _group_end(svg: str, start: int) -> int:
    """Where the ``</g>`` closing the group opened just before ``start`` begins."""
    depth = 1
    for tag in re.finditer(r"<g[\s>]|</g>", svg[start:]):
        depth += -1 if tag.group() == "</g>" else 1
        if depth == 0:
            return start + tag.start()
    raise ValueError("embed_in_svg: the SVG is cut short (a node's group is not closed)")


def _outline(body: str) -> tuple[float, float, float, float] | None:
    """The bounding box (left, top, right, bottom) of a node's first shape, if it has one."""
    shape = re.search(r"<(polygon|ellipse|path)\b([^>]*)>", body)
    if shape is None:
        return None
    kind, attrs = shape.groups()
    if kind == "ellipse":
        cx, cy, rx, ry = (float(_attr(attrs, k)) for k in ("cx", "cy", "rx", "ry"))
        return cx - rx, cy - ry, cx + rx, cy + ry
    values = _numbers(_attr(attrs, "points" if kind == "polygon" else "d"))
    xs, ys = values[0::2], values[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _place(body: str, box: tuple[float, float, float, float],
           items: list[tuple[str, str, float, float]], gap: float,
           ) -> list[tuple[str, tuple[float, float, float, float]]]:
    """SVG for each picture and the box it covers: in its field where there is room, else below."""
    texts = [(float(_attr(a, "x")), float(_attr(a, "y")), _attr(a, "text-anchor"),
              float(_attr(a, "font-size") or 14), html.unescape(t))
             for a, t in re.findall(r"<text\b([^>]*)>(.*?)</text>", body, re.S)]
    lines = [_numbers(_attr(a, "points")) for a in re.findall(r"<polyline\b([^>]*)>", body)]
    rules = [(min(v[0], v[2]), max(v[0], v[2]), v[1])  # the horizontal lines between fields
             for v in lines if len(v) == 4 and v[1] == v[3]]
    placed, below = [], []
    for caption, uri, width, height in items:
        fields = [t for t in texts if caption and t[4].startswith(caption + " ")]
        if fields:
            x, y, anchor, size, _ = fields[-1]
            top = min([r[2] for r in rules if r[0] <= x <= r[1] and y < r[2] <= y + size],
                      default=y + 0.3 * size) + 1
            bottom = box[3] - 1
            left = x - {"middle": width / 2, "end": width}.get(anchor, 0.0)
            if bottom - top >= height and box[0] <= left and left + width <= box[2]:
                placed.append(_picture(left, top + (bottom - top - height) / 2, width, height,
                                       uri, caption, False))
                continue
        below.append((caption, uri, width, height))
    left = (box[0] + box[2] - sum(w for _, _, w, _ in below) - gap * (len(below) - 1)) / 2
    for caption, uri, width, height in below:
        placed.append(_picture(left, box[3] + gap, width, height, uri, caption, True))
        left += width + gap
    return placed


def _picture(x: float, y: float, width: float, height: float, uri: str, caption: str,
             captioned: bool) -> tuple[str, tuple[float, float, float, float]]:
    title = f"<title>{html.escape(caption)}</title>" if caption else ""
    text = (f'<text text-anchor="middle" x="{x + width / 2:.2f}" y="{y + height + 8:.2f}" '
            f'font-family="Helvetica,sans-Serif" font-size="8.00" fill="#555555">'
            f"{html.escape(caption)}</text>") if captioned and caption else ""
    svg = (f'<g class="thumbnail">{title}<image x="{x:.2f}" y="{y:.2f}" width="{width:.2f}" '
           f'height="{height:.2f}" preserveAspectRatio="none" '
           f'style="image-rendering:pixelated" xlink:href="{uri}"/>'
           f'<rect x="{x:.2f}" y="{y:.2f}" width="{width:.2f}" height="{height:.2f}" '
           f'fill="none" stroke="#888888" stroke-width="0.5"/>{text}</g>')
    return svg, (x, y, x + width, y + height + (10 if text else 0))


def _grow(svg: str, extents: list[tuple[float, float, float, float]], margin: float) -> str:
    """Widen the viewBox, width, height and background so that ``extents`` are all inside."""
    root = re.search(r"<svg\b[^>]*>", svg)
    view = _numbers(_attr(root.group(), "viewBox")) if root else []
    if not extents or len(view) != 4:
        return svg
    graph = re.search(r'<g\b[^>]*\bid="graph0"[^>]*>', svg)
    transform = _attr(graph.group(), "transform") if graph else ""
    scaled = re.search(r"scale\(([^)]*)\)", transform)
    moved = re.search(r"translate\(([^)]*)\)", transform)
    sx, sy = ((_numbers(scaled.group(1)) * 2)[:2] if scaled else (1.0, 1.0))
    tx, ty = ((_numbers(moved.group(1)) + [0.0])[:2] if moved else (0.0, 0.0))
    left = min([view[0]] + [sx * (e[0] + tx) - margin for e in extents])
    top = min([view[1]] + [sy * (e[1] + ty) - margin for e in extents])
    right = max([view[0] + view[2]] + [sx * (e[2] + tx) + margin for e in extents])
    bottom = max([view[1] + view[3]] + [sy * (e[3] + ty) + margin for e in extents])
    if (left, top, right, bottom) == (view[0], view[1], view[0] + view[2], view[1] + view[3]):
        return svg
    tag = root.group()
    new = re.sub(r'\bviewBox="[^"]*"',
                 f'viewBox="{left:.2f} {top:.2f} {right - left:.2f} {bottom - top:.2f}"', tag)
    for name, old, now in (("width", view[2], right - left), ("height", view[3], bottom - top)):
        found = re.search(rf'\b{name}="([\d.]+)([a-z%]*)"', new)
        if found:
            value = float(found.group(1)) * now / old
            new = new.replace(found.group(), f'{name}="{value:.2f}{found.group(2)}"', 1)
    svg = svg.replace(tag, new, 1)
    corners = [((x / sx - tx), (y / sy - ty)) for x, y in
               ((left, bottom), (left, top), (right, top), (right, bottom), (left, bottom))]
    points = " ".join(f"{x:.2f},{y:.2f}" for x, y in corners)
    return re.sub(r'(<g\b[^>]*\bid="graph0"[^>]*>\s*<title>.*?</title>\s*<polygon\b[^>]*\bpoints=")'
                  r'[^"]*', lambda m: m.group(1) + points, svg, count=1, flags=re.S)
