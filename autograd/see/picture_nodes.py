"""Tensor nodes drawn with pictures: heat maps of their data and gradient inside the node.

A value node is a graphviz record of one-line fields (name, shape, data, grad). A Tensor whose
data is image-like (:func:`autograd.see.thumbnails.image_like`: a feature map, a kernel, a
weight matrix) is drawn instead as an HTML-like table with the same fields, each of its data
and grad fields holding a small heat map (:func:`autograd.see.thumbnails.heatmap_png`) under
its text. Tiny arrays keep their numbers.

``dot`` reads pictures from files, so each PNG is written once to a cache folder named by its
content (:func:`picture_file`); ``dot -Tpng`` paints them in. In SVG the pictures become data
URIs (:func:`inline_pictures`): a drawing's SVG, a frame and the player's page need no other
file. :class:`Drawing`, the ``graphviz.Digraph`` that :func:`autograd.draw` returns, does that
whenever it makes SVG (``pipe``, ``render``, Jupyter's display).

>>> import numpy as np
>>> label = table_label(("w", "shape (4, 4) float64", "data min 0, max 15", "grad 0"),
...                     {"data": np.arange(16.0).reshape(4, 4), "grad": None}, {}, (4, 4))
>>> label.count("<IMG"), label.startswith("<<TABLE")
(2, True)
"""

from __future__ import annotations

import hashlib
import html
import math
import os
import re
import struct
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from .thumbnails import data_uri, heatmap_png, image_like

__all__ = ["PICTURE_PIXELS", "Drawing", "has_pictures", "inline_pictures", "picture_file",
           "table_label"]

PICTURE_PIXELS = 128
"""The longest side of a thumbnail, in pixels (drawn at 96 points: 0.75 point per pixel)."""


def has_pictures(node: Any) -> bool:
    """Whether ``node`` (a Value or a Tensor) is drawn with pictures: its data is image-like."""
    data = getattr(node, "data", None)
    return isinstance(data, np.ndarray) and image_like(data.shape)


def cache_folder() -> Path:
    """Where pictures wait for ``dot``: ``$GLASSGRAD_CACHE/thumbnails``, else a temp folder."""
    root = os.environ.get("GLASSGRAD_CACHE") or Path(tempfile.gettempdir()) / "glassgrad"
    return Path(root) / "thumbnails"


def picture_file(png: bytes) -> Path:
    """Write ``png`` to the cache folder under a name made from its content; return the path.

    The same picture is written once; a file is written whole (a temporary name, then a rename),
    so a ``dot`` run in another process never reads half a picture.
    """
    folder = cache_folder()
    path = folder / f"{hashlib.sha1(png).hexdigest()[:20]}.png"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        spare = folder / f".{path.name}.{os.getpid()}.tmp"
        spare.write_bytes(png)
        os.replace(spare, path)
    return path


def thumbnail(array: Any, kind: str, shape: tuple[int, ...]) -> bytes:
    """The heat map of ``array``; for a missing gradient (None), that of zeros of ``shape``."""
    values = np.zeros(shape) if array is None else np.asarray(array)
    return heatmap_png(values, kind=kind, size=PICTURE_PIXELS)


def table_label(fields: Sequence[str], pictures: Mapping[str, Any], attrs: Mapping[str, str],
                shape: tuple[int, ...]) -> str:
    """An HTML-like graphviz label: the record's ``fields`` in one row of cells, with a heat
    map under the field that starts with ``data`` or ``grad`` when ``pictures`` has that key
    (an array, or None for one not computed yet: zeros of ``shape``, the node's). ``attrs``
    are the node's colours (``fillcolor``, ``color``), which a table carries; its border stays
    1 point wide (a wider border would make the node bigger and move the frames' layout)."""
    fill = attrs.get("fillcolor", "white")
    colour = attrs.get("color", "#444444")
    cells = []
    for i, text in enumerate(fields):
        kind = text.split(" ", 1)[0] if i else ""  # the first field is the name
        escaped = html.escape(text).replace("\n", '<BR ALIGN="LEFT"/>')
        if kind in pictures:
            png = thumbnail(pictures[kind], kind, shape)
            src = html.escape(str(picture_file(png)))
            # the picture's size in points (0.75 per pixel) as the cell's least size: a layout
            # made in a format that loads no pictures (json, for the frames' sizes) keeps the
            # same sizes. (FIXEDSIZE="TRUE" there makes dot 2.43 write an empty PNG.)
            width, height = (math.ceil(0.75 * n) for n in struct.unpack(">II", png[16:24]))
            cells.append(f'<TD><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD>'
                         f'{escaped}</TD></TR><TR><TD WIDTH="{width}" '
                         f'HEIGHT="{height}"><IMG SRC="{src}"/></TD></TR></TABLE></TD>')
        else:
            cells.append(f"<TD>{escaped}</TD>")
    return (f'<<TABLE BORDER="1" CELLBORDER="0" COLUMNS="*" CELLSPACING="0" CELLPADDING="4" '
            f'BGCOLOR="{fill}" COLOR="{colour}"><TR>{"".join(cells)}</TR></TABLE>>')


_HREF = re.compile(r'(xlink:href|href)="([^"]+?\.png)"')


def inline_pictures(svg: str) -> str:
    """The SVG with every picture from the cache folder made a data URI (nothing else read).

    >>> png = heatmap_png(np.eye(4))
    >>> inline_pictures(f'<image xlink:href="{picture_file(png)}"/>')[:41]
    '<image xlink:href="data:image/png;base64,'
    """
    folder = cache_folder().resolve()

    def replace(found: re.Match) -> str:
        path = Path(html.unescape(found.group(2)))
        if path.parent.resolve() != folder or not path.is_file():
            return found.group(0)
        return f'{found.group(1)}="{data_uri(path.read_bytes())}"'

    return _HREF.sub(replace, svg)


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose SVG holds its pictures (data URIs), wherever it is made:
    ``pipe(format="svg")``, ``render(format="svg")`` and Jupyter's display."""

    def pipe(self, format: str | None = None, *args: Any, **kwargs: Any) -> Any:
        out = super().pipe(format, *args, **kwargs)
        if (format or self.format) != "svg":
            return out
        if isinstance(out, bytes):
            return inline_pictures(out.decode("utf-8")).encode("utf-8")
        return inline_pictures(out)

    def render(self, *args: Any, **kwargs: Any) -> str:
        path = super().render(*args, **kwargs)
        if str(path).endswith(".svg"):
            written = Path(path)
            written.write_text(inline_pictures(written.read_text(encoding="utf-8")),
                               encoding="utf-8")
        return path
