"""Tensors as pictures: small heat maps of an array's data or gradient, and a way into an SVG.

An array is *image-like* when it has two-dimensional structure and more values than a label
writes out (:func:`autograd.see.text.format_data` shows up to 12): a matrix, a stack of maps
``(N, H, W)``, a batch of feature maps ``(N, C, H, W)`` or a conv kernel ``(out, in, kh, kw)``.
:func:`tiles` says how such an array becomes one picture; :func:`heatmap_png` paints it as a PNG
(numpy, zlib and struct only), data in a sequential colour map, gradients in a diverging one
centred on 0; :func:`data_uri` makes a picture part of a page, so a page stays one
self-contained file. :mod:`autograd.see.picture_nodes` puts them in the drawings' nodes.

>>> import numpy as np
>>> image_like((784, 128)), image_like((32, 1, 3, 3)), image_like((3,)), image_like((2, 2))
(True, True, False, False)
>>> png = heatmap_png(np.arange(16.0).reshape(4, 4), size=30)
>>> png[:8], struct.unpack(">II", png[16:24])  # the PNG signature, then width and height
(b'\\x89PNG\\r\\n\\x1a\\n', (28, 28))
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["data_uri", "heatmap_png", "image_like", "tiles"]

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
    3x3 blocks); large ones are shrunk by averaging blocks. A thin matrix (8 samples of 128
    features) has its short side stretched to a quarter of ``size``, so that each row stays in
    sight. Tiles are one grey pixel apart; empty places of the last row are transparent.

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
    least = size // 4  # a thin matrix's short side is stretched to this, as far as room allows
    tall = max(1, min(room_h // (h * grow), -(-least // (h * grow)))) if count == 1 else 1
    wide = max(1, min(room_w // (w * grow), -(-least // (w * grow)))) if count == 1 else 1
    painted = _colours(small, kind).repeat(grow * tall, axis=1).repeat(grow * wide, axis=2)
    h, w = h * grow * tall, w * grow * wide
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
