"""nn.datasets.load_mnist: IDX parsing, checksums, errors, download (mocked), real files."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from nn import datasets
from nn.datasets import MNIST_FILES, load_mnist, parse_idx

NAMES = list(MNIST_FILES)


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def fixture_arrays(n_train: int = 5, n_test: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": np.arange(n_train, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": (np.arange(n_test, dtype=np.uint8) + 7) % 10,
    }


def write_fixture(directory: Path, arrays: dict[str, np.ndarray] | None = None) -> dict:
    arrays = fixture_arrays() if arrays is None else arrays
    for name, array in arrays.items():
        (directory / name).write_bytes(gzip.compress(idx_bytes(array), mtime=0))
    return arrays


def test_parse_idx_header_and_errors():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(parse_idx(idx_bytes(a)), a)
    raw = idx_bytes(a)
    with pytest.raises(ValueError, match="truncated"):
        parse_idx(raw[:-1], "x.idx")
    with pytest.raises(ValueError, match="trailing bytes"):
        parse_idx(raw + b"\0", "x.idx")
    with pytest.raises(ValueError, match="x.idx: not an IDX file"):
        parse_idx(b"\x1f\x8b" + raw[2:], "x.idx")
    with pytest.raises(ValueError, match="truncated IDX file \\(header"):
        parse_idx(raw[:7])
    floats = np.array([1.5, -2.0], dtype=">f4")
    raw_f = bytes([0, 0, 0x0D, 1]) + struct.pack(">I", 2) + floats.tobytes()
    assert parse_idx(raw_f).tolist() == [1.5, -2.0]


def test_load_fixture_shapes_dtypes_and_values(tmp_path):
    arrays = write_fixture(tmp_path)
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path, verify=False)
    assert x_train.shape == (5, 1, 28, 28) and x_test.shape == (3, 1, 28, 28)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert np.array_equal(x_train[:, 0] * 255, arrays["train-images-idx3-ubyte.gz"])
    assert y_test.tolist() == [7, 8, 9]
    assert x_train.min() >= 0.0 and x_train.max() <= 1.0


def test_checksums_are_verified_by_default(tmp_path):
    write_fixture(tmp_path)
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz: .* bytes, expected 9912422"):
        load_mnist(tmp_path)


def test_truncated_gzip_names_the_file(tmp_path):
    write_fixture(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz: truncated or corrupt gzip"):
        load_mnist(tmp_path, verify=False)


@pytest.mark.parametrize("change, match", [
    ({"train-labels-idx1-ubyte.gz": np.arange(4, dtype=np.uint8)}, "5 images but .* 4 labels"),
    ({"t10k-labels-idx1-ubyte.gz": np.array([1, 12, 3], dtype=np.uint8)}, "digits 0-9"),
    ({"t10k-images-idx3-ubyte.gz": np.zeros((3, 28, 27), dtype=np.uint8)}, "28x28"),
    ({"train-labels-idx1-ubyte.gz": np.zeros((5, 1), dtype=np.uint8)}, "vector of unsigned"),
])
def test_inconsistent_files_are_value_errors(tmp_path, change, match):
    arrays = fixture_arrays()
    arrays.update(change)
    write_fixture(tmp_path, arrays)
    with pytest.raises(ValueError, match=match):
        load_mnist(tmp_path, verify=False)


def test_missing_files_without_download_say_what_to_put_where(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path / "mnist")
    message = str(info.value)
    assert "download=True" in message and str(tmp_path / "mnist") in message
    assert all(name in message for name in NAMES)


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def canonical_for(monkeypatch, directory: Path, arrays: dict) -> dict[str, bytes]:
    """Make the fixture files the 'canonical' ones (sizes and digests) for this test."""
    served = {}
    for name, array in arrays.items():
        data = gzip.compress(idx_bytes(array), mtime=0)
        served[name] = data
        monkeypatch.setitem(MNIST_FILES, name, (len(data), hashlib.md5(data).hexdigest(),
                                                hashlib.sha256(data).hexdigest()))
    return served


def test_download_fetches_missing_files_and_verifies_them(tmp_path, monkeypatch):
    served = canonical_for(monkeypatch, tmp_path, fixture_arrays())
    calls = []

    def urlopen(url, timeout=None):
        calls.append(url)
        name = url.rsplit("/", 1)[1]
        if url.startswith("https://bad.example/"):
            return FakeResponse(served[name][:-5] + b"xxxxx")  # corrupt: next mirror
        return FakeResponse(served[name])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    target = tmp_path / "new" / "mnist"
    (x_train, _), (x_test, y_test) = load_mnist(
        target, download=True, mirrors=("https://bad.example/", "https://good.example/m"))
    assert x_train.shape == (5, 1, 28, 28) and y_test.tolist() == [7, 8, 9]
    assert sorted(os.listdir(target)) == sorted(NAMES)  # no temporary files left
    assert len(calls) == 8 and calls[1] == "https://good.example/m/" + NAMES[0]
    calls.clear()
    load_mnist(target, download=True, progress=False)  # present: nothing downloaded
    assert calls == []


def test_offline_download_is_a_clear_error(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(ConnectionError) as info:
        load_mnist(tmp_path, download=True, progress=False)
    message = str(info.value)
    assert "could not download train-images-idx3-ubyte.gz" in message
    assert "name resolution" in message and str(tmp_path) in message
    assert all(name in message for name in NAMES)
    assert os.listdir(tmp_path) == []


def test_download_with_only_bad_copies_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: FakeResponse(b"junk"))
    with pytest.raises(ConnectionError, match="expected 9912422"):
        load_mnist(tmp_path, download=True, progress=False)
    assert os.listdir(tmp_path) == []


def _real_mnist() -> Path | None:
    """The four real MNIST files: in $GLASSGRAD_MNIST_DIR, or in shared/data/mnist next to the
    repository (where the benchmark looks); None when neither holds them."""
    root = Path(__file__).resolve().parents[2]
    candidates = [root.parent / "shared" / "data" / "mnist"]
    if os.environ.get("GLASSGRAD_MNIST_DIR"):
        candidates.insert(0, Path(os.environ["GLASSGRAD_MNIST_DIR"]))
    for candidate in candidates:
        if all((candidate / n).is_file() for n in NAMES):
            return candidate
    return None


@pytest.mark.skipif(_real_mnist() is None, reason="the MNIST files are not on this machine")
def test_real_mnist_files(monkeypatch):
    monkeypatch.setattr(datasets.urllib.request, "urlopen", None)  # never download here
    (x_train, y_train), (x_test, y_test) = load_mnist(_real_mnist())
    assert x_train.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                             5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974,
                                            1009]
