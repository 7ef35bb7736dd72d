"""What the exporters share: the tables' rows, the check of a whole model before anything is
built, the optional imports, and reading the layers of glassgrad's models.

An exporter is a table from a layer class to a :class:`Rule`: how to build the other library's
layer (``build``; for ONNX, the layer's nodes), what to check first (``check``: a ValueError
for a setting the other side lacks) and, for a container, its children (``children``).
:func:`check_model` walks the model through the table, so an unsupported layer anywhere is a
TypeError that names it and its place before anything is built.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from ..layers import Sequential
from ..module import Module
from ..scalar import MLP

__all__ = ["EXTRA", "Rule", "check_model", "float_dtype", "join", "mlp_layers", "require",
           "sequential_children", "where"]

EXTRA = "pip install 'glassgrad[crosscheck]'"


class Rule(NamedTuple):
    """One row of an exporter's table: how one layer class crosses to the other side."""

    build: Callable[..., Any]
    check: Callable[[str, Any, str], None] | None = None  # (owner, layer, path)
    children: Callable[[Any], Iterable[tuple[str, Any]]] | None = None  # containers only


def require(package: str, function: str) -> ModuleType:
    """Import an optional package on first use; an ImportError naming the function and the
    extra that installs it when the package is missing."""
    try:
        return importlib.import_module(package)
    except ImportError as error:
        raise ImportError(f"{function} needs the package {package!r}, which is not installed: "
                          f"{EXTRA}") from error


def where(path: str) -> str:
    """A layer's place in a model, for messages: ``at '2'`` or ``at the top``."""
    return f"at {path!r}" if path else "at the top (the model itself)"


def join(path: str, name: str) -> str:
    """The place of a child ``name`` of the layer at ``path``: ``1.0``, or ``0`` at the top."""
    return f"{path}.{name}" if path else name


def sequential_children(model: Sequential) -> list[tuple[str, Module]]:
    """A Sequential's layers with their names, ``0``, ``1``, ... (the children of its row)."""
    return [(str(i), layer) for i, layer in enumerate(model.layers)]


def check_model(owner: str, model: Any, rules: dict[type, Rule], peer: str,
                name_of: Callable[[type], str] = lambda cls: cls.__name__) -> None:
    """Check every layer of ``model`` against ``rules`` before anything is built.

    Layers are looked up by their exact class (a subclass may compute something else). Every
    layer without a row is listed in one TypeError; then each row's ``check`` runs (ValueError).
    """
    missing, found = [], []
    stack: list[tuple[str, Any]] = [("", model)]
    while stack:
        path, layer = stack.pop()
        rule = rules.get(type(layer))
        if rule is None:
            missing.append(f"{name_of(type(layer))} {where(path)}")
            continue
        found.append((path, layer, rule))
        if rule.children is not None:
            stack.extend(reversed([(join(path, n), c) for n, c in rule.children(layer)]))
    if missing:
        supported = ", ".join(sorted(name_of(cls) for cls in rules))
        raise TypeError(f"{owner}: no {peer} equivalent for {'; '.join(missing)}. Supported: "
                        f"{supported}")
    for path, layer, rule in found:
        if rule.check is not None:
            rule.check(owner, layer, path)


def float_dtype(owner: str, layer: Any, path: str) -> np.dtype:
    """The one dtype of a layer's array parameters: float32 or float64, else a ValueError."""
    dtypes = {np.dtype(p.dtype) for p in layer.parameters()}
    if len(dtypes) > 1 or not dtypes <= {np.dtype(np.float32), np.dtype(np.float64)}:
        raise ValueError(f"{owner}: {type(layer).__name__} {where(path)} has parameters of "
                         f"dtype {', '.join(sorted(map(str, dtypes)))}; expected all float32 "
                         "or all float64")
    return dtypes.pop() if dtypes else np.dtype(np.float32)


class Affine(NamedTuple):
    """One layer of a scalar MLP as arrays: ``relu(x @ weight.T + bias)`` if ``relu``."""

    name: str
    weight: np.ndarray
    bias: np.ndarray
    relu: bool


def mlp_layers(owner: str, mlp: MLP, path: str) -> list[Affine]:
    """The layers of a scalar :class:`nn.MLP` as float64 arrays (its state_dict), each with its
    ReLU flag; a ValueError when a layer's neurons disagree on the nonlinearity or the sizes
    do not chain."""
    state = mlp.state_dict()
    out = []
    for i, layer in enumerate(mlp.layers):
        nonlin = {bool(n.nonlin) for n in layer.neurons}
        if len(nonlin) != 1:
            raise ValueError(f"{owner}: MLP {where(path)}: the neurons of layers.{i} mix ReLU "
                             "and linear neurons; one layer needs one nonlinearity")
        weight, bias = state[f"layers.{i}.weight"], state[f"layers.{i}.bias"]
        if out and out[-1].weight.shape[0] != weight.shape[1]:
            raise ValueError(f"{owner}: MLP {where(path)}: layers.{i} takes {weight.shape[1]} "
                             f"inputs but layers.{i - 1} gives {out[-1].weight.shape[0]}")
        out.append(Affine(f"layers.{i}", weight, bias, nonlin.pop()))
    return out


def check_mlp(owner: str, mlp: MLP, path: str) -> None:
    """The check of a scalar MLP's row: see :func:`mlp_layers`."""
    mlp_layers(owner, mlp, path)


def check_floats(owner: str, layer: Any, path: str) -> None:
    """The check of a Dense or Conv2D row: see :func:`float_dtype`."""
    float_dtype(owner, layer, path)
