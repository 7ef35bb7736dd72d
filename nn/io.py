"""Saving and loading a model's state as a ``.npz`` file keyed by the names of its state_dict.

The file is a zip of ``.npy`` arrays, one per entry of :meth:`nn.Module.state_dict` (``"0.weight"``,
``"layers.1.bias"``), parameters and buffers with PyTorch's names and layouts. It opens with
``numpy.load`` (no pickle involved), so it can be read without glassgrad, and
``torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in np.load(path).items()})``
loads it into the equivalent PyTorch model.

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

import os
import zipfile
import zlib
from typing import IO, Any

import numpy as np

from ._files import write_atomically
from .state import load_state, read_state

__all__ = ["load_weights", "save_weights"]

_READ_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error)


def _slots(owner: str, model: Any) -> list:
    if not callable(getattr(model, "_named_slots", None)) or isinstance(model, type):
        raise TypeError(f"{owner}: expected an nn.Module (a model with state_dict()), "
                        f"got {type(model).__name__}")
    return model._named_slots(owner)


def save_weights(model: Any, path: str | os.PathLike) -> None:
    """Write ``model.state_dict()`` to ``path`` (exactly that name) as a ``.npz`` file.

    The file is written atomically: first to a temporary file in the same directory, which then
    replaces ``path`` in one ``os.replace``; a crash midway never leaves a half-written file.
    """
    state = read_state(iter(_slots("save_weights", model)))

    def write(f: IO[bytes]) -> None:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
            for name, array in state.items():
                with zf.open(name + ".npy", "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, array, allow_pickle=False)

    write_atomically("save_weights", path, write)


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
    """Set the state of ``model`` from a file written by :func:`save_weights`.

    Everything is checked before anything is assigned, so on any error the model is unchanged:
    a truncated or corrupt file is a ValueError; so is a file whose entries do not fit the
    model (missing or unexpected names, shapes, dtypes: all listed in one message, as
    :meth:`nn.Module.load_state_dict` does with ``strict=True``). Arrays are cast to each
    entry's dtype and array parameters are overwritten in place; a Tensor's version counter
    notes the change (a graph built before refuses ``backward()``).
    """
    slots = _slots("load_weights", model)
    path = os.fspath(path)
    load_state("load_weights", type(model).__name__, slots, _read_all(path), strict=True,
               source=path)
