"""Saving and loading a model's weights as a ``.npz`` file keyed by parameter name.

The file is a zip of ``.npy`` arrays, one per entry of :meth:`nn.Module.named_parameters`
(``"layers.0.neurons.3.w.1"``): a Value is stored as a 0-d float64 array, an array parameter as
its array. It opens with ``numpy.load`` (no pickle involved), so it can be read without glassgrad.

>>> import os, random, tempfile
>>> from nn import MLP
>>> random.seed(0); a = MLP(2, [3, 1])
>>> random.seed(1); b = MLP(2, [3, 1])
>>> path = os.path.join(tempfile.mkdtemp(), "mlp.npz")
>>> save_weights(a, path); load_weights(b, path)
>>> [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
True
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
import zlib
from typing import Any

import numpy as np

from autograd import Tensor, Value, no_grad

__all__ = ["load_weights", "save_weights"]

_READ_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error)


def _check_model(owner: str, model: Any) -> list[tuple[str, Any]]:
    if not callable(getattr(model, "named_parameters", None)) or isinstance(model, type):
        raise TypeError(f"{owner}: expected an nn.Module (a model with named_parameters()), "
                        f"got {type(model).__name__}")
    named = model.named_parameters()
    seen: set[str] = set()
    for name, _ in named:
        if name in seen:
            raise ValueError(f"{owner}: two parameters are both named {name!r} (e.g. dict keys 0 "
                             "and '0'); give them different names")
        seen.add(name)
    return named


def save_weights(model: Any, path: str | os.PathLike) -> None:
    """Write every parameter of ``model`` to ``path`` (exactly that name) as a ``.npz`` file.

    The file is written atomically: first to a temporary file in the same directory, which then
    replaces ``path`` in one ``os.replace``; a crash midway never leaves a half-written file.
    """
    named = _check_model("save_weights", model)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        _give_file_mode(tmp, path)
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
                for name, p in named:
                    data = np.asarray(p.data, dtype=np.float64) if isinstance(p, Value) else p.data
                    with zf.open(name + ".npy", "w", force_zip64=True) as out:
                        np.lib.format.write_array(out, np.asarray(data), allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _give_file_mode(tmp: str, path: str) -> None:
    """mkstemp makes the file private (0600); give it what ``np.savez`` would: the replaced
    file's permissions, else 0666 less the umask (read from /proc: ``os.umask`` would change it
    for every thread for a moment). Where neither is known, or chmod is refused, it stays 0600."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        mode = None
        with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    mode = 0o666 & ~int(line.split()[1], 8)
    if mode is not None:
        with contextlib.suppress(OSError):  # a filesystem without permissions (vfat, CIFS)
            os.chmod(tmp, mode)


def _read_all(path: str) -> dict[str, np.ndarray]:
    """Every array in the file, read completely; a ValueError for anything unreadable."""
    try:
        npz = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except _READ_ERRORS as e:
        raise ValueError(f"load_weights: {path} is not a readable .npz weights file (truncated "
                         f"or corrupt?): {e}") from e
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(f"load_weights: {path} holds a single array, not an .npz weights file")
    stored = {}
    with npz:
        for key in npz.files:
            try:
                stored[key] = npz[key]
            except _READ_ERRORS as e:
                raise ValueError(f"load_weights: cannot read parameter {key!r} from {path} "
                                 f"(truncated or corrupt file): {e}") from e
    return stored


def load_weights(model: Any, path: str | os.PathLike) -> None:
    """Set the parameters of ``model`` from a file written by :func:`save_weights`.

    Everything is checked before anything is assigned, so on any error the model is unchanged:
    a truncated or corrupt file, a parameter missing from the file, a name in the file that the
    model does not have, a shape or dtype that does not fit: each is a ValueError naming the
    parameter. Array parameters are overwritten in place and keep their dtype; a Tensor's
    version counter notes the change (a graph built before refuses ``backward()``).
    """
    named = _check_model("load_weights", model)
    path = os.fspath(path)
    stored = _read_all(path)
    names = [name for name, _ in named]
    missing = [n for n in names if n not in stored]
    if missing:
        raise ValueError(f"load_weights: parameter {missing[0]!r} is missing from {path}"
                         + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    extra = sorted(set(stored) - set(names))
    if extra:
        raise ValueError(f"load_weights: {path} has a parameter {extra[0]!r} that the model does "
                         "not have" + (f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""))
    for name, p in named:
        arr = stored[name]
        expected = () if isinstance(p, Value) else p.data.shape
        if arr.shape != expected:
            raise ValueError(f"load_weights: parameter {name!r} has shape {expected} in the model "
                             f"but {arr.shape} in {path}")
        if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise ValueError(f"load_weights: parameter {name!r} has dtype {arr.dtype} in {path}; "
                             "expected real numbers")
        if not isinstance(p, Value) and not p.data.flags.writeable:
            raise ValueError(f"load_weights: parameter {name!r} of the model is read-only (its "
                             "data is a read-only array); nothing was loaded")
    with no_grad():
        for name, p in named:
            if isinstance(p, Value):
                p.data = float(stored[name])
            elif isinstance(p, Tensor):
                p.copy_(stored[name])
            else:
                p.data[...] = stored[name]
