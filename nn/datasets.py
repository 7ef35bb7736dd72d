"""MNIST: the four canonical IDX files, checked against their published checksums, as arrays.

MNIST is by Yann LeCun and Corinna Cortes (a derivative of NIST data), available under the
Creative Commons Attribution-Share Alike 3.0 licence.

An IDX file is a big-endian header then the raw numbers:

    bytes 0-1: 0 0    byte 2: element type (0x08 = unsigned byte)    byte 3: number of dims d
    then d unsigned 32-bit big-endian sizes, then prod(sizes) elements in C order

so the images file starts with the magic number 2051 (0x00000803: bytes, 3 dims) and the labels
file with 2049 (0x00000801: bytes, 1 dim).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["MNIST_FILES", "MNIST_MIRRORS", "load_mnist", "parse_idx", "read_idx"]

#: name -> (size in bytes, md5, sha256) of the canonical files.
MNIST_FILES: dict[str, tuple[int, str, str]] = {
    "train-images-idx3-ubyte.gz": (
        9912422, "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train-labels-idx1-ubyte.gz": (
        28881, "d53e105ee54ea40749a09fcbcd1e9432",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "t10k-images-idx3-ubyte.gz": (
        1648877, "9fb629c4189551a2d022fa330f9573f3",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "t10k-labels-idx1-ubyte.gz": (
        4542, "ec29112dd5afa0611ce80d1b7f02629c",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}

#: Public mirrors of the original files, tried in order.
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into an array of its shape.

    >>> header = bytes([0, 0, 0x08, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    >>> raw = header + bytes(range(6))
    >>> parse_idx(raw)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    if len(raw) < 4:
        raise ValueError(f"{name}: truncated IDX file ({len(raw)} bytes, no header)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        magic = int.from_bytes(raw[:4], "big")
        raise ValueError(f"{name}: not an IDX file (magic number {magic:#010x})")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise ValueError(f"{name}: truncated IDX file (header cut short)")
    dims = struct.unpack(f">{ndim}I", raw[4:start])
    count = int(np.prod(dims, dtype=np.int64))
    expected = start + count * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(f"{name}: IDX file {what}: header says {dims} ({expected} bytes), the "
                         f"file has {len(raw)} bytes")
    return np.frombuffer(raw, dtype=dtype, count=count, offset=start).reshape(dims)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzip-compressed when its name ends in ``.gz``."""
    path = os.fspath(path)
    name = os.path.basename(path)
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            with open(path, "rb") as f:
                raw = f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise ValueError(f"{name}: truncated or corrupt gzip file ({e})") from e
    return parse_idx(raw, name)


def _digests(path: str) -> tuple[int, str, str]:
    md5, sha256, size = hashlib.md5(), hashlib.sha256(), 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return size, md5.hexdigest(), sha256.hexdigest()


def _verify(path: str, name: str) -> None:
    """A ValueError naming the file unless its size, md5 and sha256 are the published ones."""
    size, md5, sha256 = _digests(path)
    want_size, want_md5, want_sha256 = MNIST_FILES[name]
    if size != want_size:
        raise ValueError(f"{name}: {size} bytes, expected {want_size} (truncated or not the "
                         f"canonical file): {path}")
    if md5 != want_md5 or sha256 != want_sha256:
        raise ValueError(f"{name}: checksum mismatch (md5 {md5}, expected {want_md5}; sha256 "
                         f"{sha256}, expected {want_sha256}): {path}")


def _fetch(name: str, directory: str, mirrors: Sequence[str], progress: bool) -> str:
    """Download one file into ``directory`` from the first mirror that serves it intact."""
    errors = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + name
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
                _copy(response, out, name, MNIST_FILES[name][0], progress)
            _verify(tmp, name)
            path = os.path.join(directory, name)
            os.replace(tmp, path)
            return path
        except (OSError, ValueError) as e:  # URLError and timeouts are OSErrors
            errors.append(f"{url}: {e}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise ConnectionError(f"could not download {name}:\n  " + "\n  ".join(errors))


def _copy(response: Any, out: Any, name: str, total: int, progress: bool) -> None:
    bar = None
    if progress:
        try:
            from tqdm import tqdm
            bar = tqdm(total=total, unit="B", unit_scale=True, desc=name, leave=False)
        except ImportError:
            pass
    try:
        for chunk in iter(lambda: response.read(1 << 16), b""):
            out.write(chunk)
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()


def _where_to_put(missing: list[str], directory: str) -> str:
    files = "\n".join(f"  {n}" for n in missing)
    return (f"put these MNIST files (the original .gz files) in {os.path.abspath(directory)}:\n"
            f"{files}\nthey are served by {', '.join(MNIST_MIRRORS)}")


def load_mnist(directory: str | os.PathLike, download: bool = False, verify: bool = True,
               progress: bool = True, mirrors: Sequence[str] = MNIST_MIRRORS,
               ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST from the four canonical ``.gz`` files in ``directory``.

    Args:
        directory: the folder holding ``train-images-idx3-ubyte.gz``,
            ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
            ``t10k-labels-idx1-ubyte.gz``.
        download: fetch the missing files from ``mirrors`` (each verified before it is kept).
        verify: check each file's size, md5 and sha256 against :data:`MNIST_FILES`; turn it off
            only for files that are not the canonical ones (e.g. a small test fixture).
        progress: show a tqdm progress bar while downloading (when tqdm is installed).
        mirrors: base URLs to download from, tried in order.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images float32 in [0, 1] shaped (N, 1, 28, 28),
        labels int64 in 0..9.

    Raises:
        FileNotFoundError: files are missing and ``download`` is False.
        ConnectionError: a missing file could not be downloaded (offline); says where to put it.
        ValueError: a file is truncated, corrupt, not the canonical one, or inconsistent.
    """
    directory = os.fspath(directory)
    missing = [n for n in MNIST_FILES if not os.path.isfile(os.path.join(directory, n))]
    if missing and not download:
        raise FileNotFoundError("MNIST files not found; pass download=True to fetch them, or "
                                + _where_to_put(missing, directory))
    if missing:
        os.makedirs(directory, exist_ok=True)
        for name in missing:
            try:
                _fetch(name, directory, mirrors, progress)
            except ConnectionError as e:
                raise ConnectionError(f"{e}\nto work offline, {_where_to_put(missing, directory)}"
                                      ) from None
    arrays = {}
    for name in MNIST_FILES:
        path = os.path.join(directory, name)
        if verify:
            _verify(path, name)
        arrays[name] = read_idx(path)
    train = _pair(arrays, "train")
    test = _pair(arrays, "t10k")
    return train, test


def _pair(arrays: dict[str, np.ndarray], prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """Check one images/labels pair and convert it: (N, 1, 28, 28) float32, (N,) int64."""
    img_name, lbl_name = f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"
    images, labels = arrays[img_name], arrays[lbl_name]
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{img_name}: expected unsigned-byte images of 28x28 pixels (magic "
                         f"2051), got {images.dtype} of shape {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{lbl_name}: expected a vector of unsigned-byte labels (magic 2049), "
                         f"got {labels.dtype} of shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{img_name} has {len(images)} images but {lbl_name} has "
                         f"{len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{lbl_name}: labels must be digits 0-9, found {labels.max()}")
    x = np.divide(images.reshape(-1, 1, 28, 28), 255, dtype=np.float32)
    return x, labels.astype(np.int64)
