"""nn.data: splits, minibatches and the toy problems."""

from __future__ import annotations

import numpy as np
import pytest

from nn.data import (
    batches,
    make_function_2d,
    make_line,
    make_moons,
    make_quadratic,
    make_strokes,
    train_val_test_split,
)


def test_split_sizes_cover_everything_once():
    x, y = np.arange(100).reshape(100, 1), np.arange(100)
    (xa, ya), (xb, yb), (xc, yc) = train_val_test_split(x, y, (0.7, 0.2, 0.1), rng=0)
    assert (len(xa), len(xb), len(xc)) == (70, 20, 10)
    together = np.concatenate([ya, yb, yc])
    assert sorted(together.tolist()) == list(range(100))
    assert np.array_equal(xa[:, 0], ya) and np.array_equal(xc[:, 0], yc)  # pairs stay together
    assert not np.array_equal(ya, np.arange(70))  # shuffled first


def test_split_is_reproducible_with_a_seed_or_generator():
    x = np.arange(50)
    a = train_val_test_split(x, x, (0.6, 0.2, 0.2), rng=3)
    b = train_val_test_split(x, x, (0.6, 0.2, 0.2), rng=np.random.default_rng(3))
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(a, b))


@pytest.mark.parametrize("fractions, match", [
    ((0.5, 0.3), "three numbers"), ((0.5, 0.3, 0.3), "sum to 1"), ((1.2, -0.1, -0.1), "train"),
    ((0.5, "0.5", 0.0), "validation"), ("abc", "three numbers"),
])
def test_bad_fractions(fractions, match):
    with pytest.raises(ValueError, match=match):
        train_val_test_split(np.zeros(10), np.zeros(10), fractions)


def test_split_length_and_size_errors():
    with pytest.raises(ValueError, match="x has 10 samples but y has 9"):
        train_val_test_split(np.zeros(10), np.zeros(9))
    with pytest.raises(ValueError, match="too few"):
        train_val_test_split(np.zeros(2), np.zeros(2), (0.2, 0.4, 0.4))
    with pytest.raises(TypeError, match="rng"):
        train_val_test_split(np.zeros(10), np.zeros(10), rng="seed")


def test_batches_draw_without_replacement_each_epoch():
    x, y = np.arange(10) * 10, np.arange(10)
    gen = np.random.default_rng(0)
    epochs = [list(batches(x, y, batch_size=4, rng=gen)) for _ in range(2)]
    for epoch in epochs:
        assert [len(yb) for _, yb in epoch] == [4, 4, 2]
        seen = np.concatenate([yb for _, yb in epoch])
        assert sorted(seen.tolist()) == list(range(10))
        assert all(np.array_equal(xb, yb * 10) for xb, yb in epoch)
    assert not np.array_equal(np.concatenate([b for _, b in epochs[0]]),
                              np.concatenate([b for _, b in epochs[1]]))


def test_batches_options_and_errors():
    x = np.arange(10)
    ordered = [yb.tolist() for _, yb in batches(x, x, batch_size=3, shuffle=False)]
    assert ordered == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert [len(b) for b, _ in batches(x, x, batch_size=3, drop_last=True, rng=0)] == [3, 3, 3]
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        list(batches(x, x, batch_size=0))
    with pytest.raises(TypeError, match="batch_size must be an int"):
        list(batches(x, x, batch_size=2.5))
    with pytest.raises(ValueError, match="samples"):
        list(batches(x, x[:5], batch_size=2))


def test_line_and_quadratic():
    x, y = make_line(200, slope=-3.0, intercept=0.5, noise=0.0, rng=0)
    assert x.shape == y.shape == (200, 1)
    assert np.allclose(y, -3.0 * x + 0.5)
    x, y = make_quadratic(200, a=2.0, b=-1.0, c=0.5, noise=0.05, rng=0)
    residual = y - (2.0 * x**2 - x + 0.5)
    assert abs(residual.std() - 0.05) < 0.01
    with pytest.raises(ValueError, match="noise"):
        make_line(5, noise=-1.0)


def test_function_2d_default():
    x, y = make_function_2d(50, rng=1)
    assert x.shape == (50, 2) and y.shape == (50, 1)
    assert np.all((x >= -1) & (x <= 1))
    assert np.allclose(y[:, 0], np.sin(np.pi * x[:, 0]) * np.cos(np.pi * x[:, 1] / 2))


def test_moons_shapes_labels_and_geometry():
    x, y = make_moons(101, rng=0)
    assert x.shape == (101, 2) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    outer, inner = x[y == 0], x[y == 1]
    assert np.allclose(np.hypot(*outer.T), 1.0)  # on the unit circle
    assert np.allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0)
    assert np.all(outer[:, 1] >= 0) and np.all(inner[:, 1] <= 0.5)
    noisy, _ = make_moons(101, noise=0.1, rng=0)
    assert not np.allclose(noisy, x)
    assert np.array_equal(make_moons(20, noise=0.1, rng=5)[0], make_moons(20, noise=0.1, rng=5)[0])


def test_strokes_point_in_their_class_direction():
    """The principal axis of each clean image (its pixels' weighted second moments) lies within
    half the gap between classes of its class's angle k * 180 / classes."""
    x, y = make_strokes(300, classes=4, size=16, noise=0.0, rng=3)
    assert x.shape == (300, 1, 16, 16) and x.dtype == np.float32 and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1, 2, 3} and x.min() >= 0 and x.max() <= 1
    rows, cols = np.mgrid[0:16, 0:16]
    for image, label in zip(x[:, 0], y):
        w = image / image.sum()
        up, right = -(rows - (w * rows).sum()), cols - (w * cols).sum()  # rows grow downwards
        cov = [[(w * right * right).sum(), (w * right * up).sum()],
               [(w * right * up).sum(), (w * up * up).sum()]]
        values, vectors = np.linalg.eigh(cov)
        angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1])) % 180
        gap = abs((angle - 45 * label + 90) % 180 - 90)
        assert gap < 22.5, (label, angle)
    noisy = make_strokes(5, noise=0.2, rng=1)[0]
    assert np.array_equal(noisy, make_strokes(5, noise=0.2, rng=1)[0])
    with pytest.raises(ValueError, match="make_strokes"):
        make_strokes(5, classes=1)
    with pytest.raises(ValueError, match="make_strokes"):
        make_strokes(5, size=4)


@pytest.mark.parametrize("n, fractions, sizes", [
    (3, (0.0, 0.5, 0.5), (0, 2, 1)),  # a zero fraction gets no sample
    (5, (0.0, 0.5, 0.5), (0, 3, 2)),
    (100, (0.7, 0.15, 0.15), (70, 15, 15)),
    (7, (0.0, 0.0, 1.0), (0, 0, 7)),
    (10, (1 / 3, 1 / 3, 1 / 3), (3, 4, 3)),
    (5, (0.1, 0.8, 0.1), (1, 4, 0)),  # halves are rounded up
    (1, (0.5, 0.5, 0.0), (1, 0, 0)),
])
def test_split_sizes_are_within_a_sample_of_the_fractions(n, fractions, sizes):
    x = np.arange(n)
    parts = train_val_test_split(x, x, fractions, rng=0)
    assert tuple(len(p[0]) for p in parts) == sizes
    assert sorted(np.concatenate([p[0] for p in parts]).tolist()) == list(range(n))
