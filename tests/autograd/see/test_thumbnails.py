"""Thumbnails: which arrays are pictures, and the PNG decoded pixel by pixel."""

from __future__ import annotations

import base64
import struct
import warnings
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Tensor
from autograd.see.text import format_data
from autograd.see.thumbnails import (
    DATA_COLOURS,
    GAP,
    GRAD_COLOURS,
    NONFINITE,
    data_uri,
    heatmap_png,
    image_like,
    tiles,
)
from autograd.testing import arrays, shapes


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
    # a thin matrix: 300 columns shrink to 75; its 3 rows stretch to 8 pixels each (96 / 4)
    thin = decode(heatmap_png(np.arange(900.0).reshape(3, 300), size=96))
    assert thin.shape[:2] == (24, 75)
    assert all((thin[8 * r:8 * r + 8] == thin[8 * r]).all() for r in range(3))
    assert not (thin[0] == thin[8]).all()


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
