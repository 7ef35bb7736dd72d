"""glassgrad models to PyTorch modules and back: :func:`to_torch` and :func:`from_torch`.

Each direction is a table from a layer class to a :class:`~nn.export._common.Rule`; a new layer
crosses over by one row in each table (as RNN, LSTM and GRU do). The weights go across through
``load_state_dict`` (names and layouts are the same on both sides, see :mod:`nn.state`), copied,
in the layer's dtype (float32 stays float32, float64 stays float64), with each parameter's
``requires_grad`` and each module's training mode. Layers are made without drawing initial
weights (``torch.nn.utils.skip_init``; ``rng=0`` on glassgrad's side), so only a Dropout made
by :func:`from_torch` takes a number from numpy's global generator (its seed, as
``nn.Dropout(p)`` does); torch's generator is never used. A module used twice in a Sequential is one
module, used twice, on the other side too.

torch is imported when one of the functions is called, never by ``import nn``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from ..layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Sequential, Sigmoid, Tanh
from ..module import Module
from ..parameter import Parameter
from ..recurrent import GRU, LSTM, RNN
from ..scalar import MLP
from ._common import (
    Rule,
    check_floats,
    check_mlp,
    check_model,
    mlp_layers,
    require,
    sequential_children,
    where,
)

__all__ = ["TO_TORCH", "from_torch", "to_torch"]


class _Builder:
    """Builds the other side's model from a checked one, layer by layer, through a table.

    ``child(layer)`` builds one layer (containers call it for their children); a layer met
    twice is built once. ``mode(new, old)`` copies the training mode.
    """

    def __init__(self, torch: Any, rules: dict[type, Rule], mode: Any) -> None:
        self.torch, self.rules, self.mode, self.memo = torch, rules, mode, {}

    def child(self, layer: Any) -> Any:
        if id(layer) not in self.memo:
            rule = self.rules[type(layer)]
            built = rule.build(layer, self)
            self.mode(built, layer, rule.children is None)
            self.memo[id(layer)] = built
        return self.memo[id(layer)]


# ---- glassgrad -> PyTorch --------------------------------------------------------------------

def _load_into_torch(module: Any, layer: Module, torch: Any) -> Any:
    """Copy ``layer``'s state into the torch ``module`` (same names), with requires_grad."""
    module.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    grads = {n: getattr(p, "requires_grad", True) for n, p in layer.named_parameters()}
    for name, p in module.named_parameters():
        p.requires_grad_(grads.get(name, True))
    return module


def _linear(layer: Dense, b: _Builder) -> Any:
    torch = b.torch
    dtype = getattr(torch, layer.weight.dtype.name)
    linear = torch.nn.utils.skip_init(torch.nn.Linear, layer.in_features, layer.out_features,
                                      bias=layer.bias is not None, dtype=dtype)
    return _load_into_torch(linear, layer, torch)


def _conv2d(layer: Conv2D, b: _Builder) -> Any:
    torch = b.torch
    conv = torch.nn.utils.skip_init(torch.nn.Conv2d, layer.in_channels, layer.out_channels,
                                    layer.kernel_size, stride=layer.stride,
                                    padding=layer.padding, bias=layer.bias is not None,
                                    dtype=getattr(torch, layer.weight.dtype.name))
    return _load_into_torch(conv, layer, torch)


def _recurrent(layer: RNN | LSTM | GRU, b: _Builder) -> Any:
    """torch.nn.RNN, LSTM or GRU with the layer's sizes, num_layers, batch_first (and
    nonlinearity); ``unroll`` has no PyTorch counterpart (it only changes the graph)."""
    torch = b.torch
    extra = {"nonlinearity": layer.nonlinearity} if isinstance(layer, RNN) else {}
    module = getattr(torch.nn, type(layer).__name__)(  # skip_init's way: no initial draw
        layer.input_size, layer.hidden_size, num_layers=layer.num_layers,
        batch_first=layer.batch_first, device="meta",
        dtype=getattr(torch, layer.weight_ih_l0.dtype.name), **extra).to_empty(device="cpu")
    return _load_into_torch(module, layer, torch)


def _mlp(mlp: MLP, b: _Builder) -> Any:
    """Linear (float64) for each layer, followed by ReLU where the layer has it:
    ``layers.{i}.weight`` becomes ``{k}.weight``, k the Linear's index (2i for micrograd's MLP)."""
    tnn = b.torch.nn
    modules = []
    for affine in mlp_layers("to_torch", mlp, ""):
        nout, nin = affine.weight.shape
        linear = b.torch.nn.utils.skip_init(tnn.Linear, nin, nout, dtype=b.torch.float64)
        linear.load_state_dict({"weight": b.torch.from_numpy(affine.weight),
                                "bias": b.torch.from_numpy(affine.bias)})
        modules += [linear, tnn.ReLU()] if affine.relu else [linear]
    return tnn.Sequential(*modules)


def _sequential(model: Sequential, b: _Builder) -> Any:
    return b.torch.nn.Sequential(OrderedDict(
        (name, b.child(layer)) for name, layer in sequential_children(model)))


def _same(name: str, **attributes: str) -> Any:
    """A row's build for a torch layer made from the glassgrad layer's attributes, e.g.
    ``_same("MaxPool2d", kernel_size="kernel_size", stride="stride")``."""
    def build(layer: Module, b: _Builder) -> Any:
        return getattr(b.torch.nn, name)(
            **{theirs: getattr(layer, ours) for theirs, ours in attributes.items()})
    return build


TO_TORCH: dict[type, Rule] = {
    Sequential: Rule(_sequential, children=sequential_children),
    Dense: Rule(_linear, check_floats),
    Conv2D: Rule(_conv2d, check_floats),
    MaxPool2D: Rule(_same("MaxPool2d", kernel_size="kernel_size", stride="stride")),
    Flatten: Rule(lambda layer, b: b.torch.nn.Flatten(start_dim=1, end_dim=-1)),
    Dropout: Rule(_same("Dropout", p="p")),
    ReLU: Rule(_same("ReLU")),
    Tanh: Rule(_same("Tanh")),
    Sigmoid: Rule(_same("Sigmoid")),
    MLP: Rule(_mlp, check_mlp),
    RNN: Rule(_recurrent, check_floats),
    LSTM: Rule(_recurrent, check_floats),
    GRU: Rule(_recurrent, check_floats),
}


def _torch_mode(module: Any, layer: Module, leaf: bool) -> None:
    if leaf:
        module.train(bool(layer.training))  # a leaf here may hold torch children (the MLP)
    else:
        module.training = bool(layer.training)  # children carry their own modes


def to_torch(model: Module) -> Any:
    """An equivalent ``torch.nn.Module`` holding a copy of ``model``'s weights.

    ============================  ===========================================================
    glassgrad                     PyTorch
    ============================  ===========================================================
    ``Sequential``                ``torch.nn.Sequential``, children named ``0``, ``1``, ...
    ``Dense(i, o, bias)``         ``Linear(i, o, bias)``
    ``Conv2D``                    ``Conv2d`` (kernel_size, stride, padding, bias)
    ``MaxPool2D(k, s)``           ``MaxPool2d(k, s)``
    ``Flatten()``                 ``Flatten(start_dim=1, end_dim=-1)``
    ``Dropout(p)``                ``Dropout(p)``
    ``ReLU``, ``Tanh``, ``Sigmoid``  the same names
    ``RNN``, ``LSTM``, ``GRU``    the same names (input_size, hidden_size, num_layers,
                                  batch_first; RNN's nonlinearity); ``unroll`` is dropped
    ``MLP`` (scalar)              ``Sequential`` of float64 ``Linear`` + ``ReLU`` (none after
                                  the last layer); ``layers.{i}.weight`` -> ``{2i}.weight``
    ============================  ===========================================================

    The state_dict keys and shapes are the model's own (except the scalar MLP's, mapped as
    above); dtypes are kept, and so are each module's training mode (``model.eval()`` gives a
    torch model in eval mode) and each parameter's ``requires_grad``. The torch MLP takes a
    (batch, nin) tensor where the glassgrad one takes one list of nin numbers, and returns
    (batch, nout).

    Raises:
        ImportError: torch is not installed.
        TypeError: a layer has no PyTorch equivalent (every such layer and its place is named,
            before anything is built).
        ValueError: a layer's parameters are not all float32 or all float64.
    """
    torch = require("torch", "to_torch")
    check_model("to_torch", model, TO_TORCH, "PyTorch")
    return _Builder(torch, TO_TORCH, _torch_mode).child(model)


# ---- PyTorch -> glassgrad --------------------------------------------------------------------

def _attribute_error(owner: str, module: Any, path: str, name: str, expected: str) -> ValueError:
    return ValueError(f"{owner}: {type(module).__name__} {where(path)} has {name}="
                      f"{getattr(module, name)!r}; glassgrad's layers support {expected} only")


def _require(owner: str, module: Any, path: str, **expected: Any) -> None:
    """A ValueError naming the first attribute of ``module`` that is not in its allowed list."""
    for name, allowed in expected.items():
        if getattr(module, name) not in allowed:
            raise _attribute_error(owner, module, path, name,
                                   " or ".join(repr(a) for a in allowed))


def _check_dtypes(owner: str, module: Any, path: str) -> None:
    for name, p in module.named_parameters():
        if str(p.dtype) not in ("torch.float32", "torch.float64"):
            raise ValueError(f"{owner}: {type(module).__name__} {where(path)} has {name} of "
                             f"dtype {p.dtype}; glassgrad's layers take float32 or float64")


def _check_conv(owner: str, conv: Any, path: str) -> None:
    _require(owner, conv, path, dilation=[(1, 1)], groups=[1], padding_mode=["zeros"])
    if isinstance(conv.padding, str) and conv.padding != "valid":
        raise _attribute_error(owner, conv, path, "padding",
                               "int or pair paddings (or 'valid')")
    _check_dtypes(owner, conv, path)


def _check_pool(owner: str, pool: Any, path: str) -> None:
    _require(owner, pool, path, padding=[0, (0, 0)], dilation=[1, (1, 1)], ceil_mode=[False],
             return_indices=[False])


def _check_flatten(owner: str, flatten: Any, path: str) -> None:
    _require(owner, flatten, path, start_dim=[1], end_dim=[-1])


def _check_dropout(owner: str, dropout: Any, path: str) -> None:
    if not 0 <= dropout.p < 1:
        raise _attribute_error(owner, dropout, path, "p", "p in [0, 1)")


def _check_recurrent(owner: str, module: Any, path: str) -> None:
    _require(owner, module, path, bidirectional=[False], proj_size=[0], bias=[True])
    if module.dropout != 0:
        raise _attribute_error(owner, module, path, "dropout", "dropout=0 (no dropout between "
                               "layers)")
    _check_dtypes(owner, module, path)


def _load_from_torch(layer: Module, module: Any) -> Module:
    """Give ``layer`` the dtype of the torch ``module``'s parameters, then load their state."""
    grads = {n: p.requires_grad for n, p in module.named_parameters()}
    for name, p in list(vars(layer).items()):
        if isinstance(p, Parameter):
            dtype = np.float64 if str(module.get_parameter(name).dtype) == "torch.float64" \
                else np.float32
            setattr(layer, name, Parameter(p.data.astype(dtype), requires_grad=grads[name],
                                           label=p.label))
    layer.load_state_dict(module.state_dict())
    return layer


def _dense(linear: Any, b: _Builder) -> Dense:
    layer = Dense(linear.in_features, linear.out_features, bias=linear.bias is not None, rng=0)
    return _load_from_torch(layer, linear)


def _conv(conv: Any, b: _Builder) -> Conv2D:
    padding = 0 if conv.padding == "valid" else tuple(conv.padding)
    layer = Conv2D(conv.in_channels, conv.out_channels, tuple(conv.kernel_size),
                   stride=tuple(conv.stride), padding=padding, bias=conv.bias is not None,
                   rng=0)
    return _load_from_torch(layer, conv)


def _from_recurrent(module: Any, b: _Builder) -> Module:
    cls = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}[type(module).__name__]
    extra = {"nonlinearity": module.nonlinearity} if cls is RNN else {}
    layer = cls(module.input_size, module.hidden_size, module.num_layers,
                batch_first=module.batch_first, rng=0, **extra)
    return _load_from_torch(layer, module)


def _torch_children(seq: Any) -> list[tuple[str, Any]]:
    return [(name, m) for name, m in seq._modules.items() if m is not None]


def _glassgrad_mode(layer: Module, module: Any, leaf: bool) -> None:
    layer.training = bool(module.training)


def _from_torch_rules(tnn: Any) -> dict[type, Rule]:
    """The table of :func:`from_torch`, keyed by torch's classes (so made when torch is)."""
    return {
        tnn.Sequential: Rule(lambda seq, b: Sequential(
            *[b.child(m) for _, m in _torch_children(seq)]), children=_torch_children),
        tnn.Linear: Rule(_dense, _check_dtypes),
        tnn.Conv2d: Rule(_conv, _check_conv),
        tnn.MaxPool2d: Rule(lambda pool, b: MaxPool2D(pool.kernel_size, pool.stride),
                            _check_pool),
        tnn.Flatten: Rule(lambda flatten, b: Flatten(), _check_flatten),
        tnn.Dropout: Rule(lambda dropout, b: Dropout(float(dropout.p)), _check_dropout),
        tnn.ReLU: Rule(lambda relu, b: ReLU()),
        tnn.Tanh: Rule(lambda tanh, b: Tanh()),
        tnn.Sigmoid: Rule(lambda sigmoid, b: Sigmoid()),
        tnn.RNN: Rule(_from_recurrent, _check_recurrent),
        tnn.LSTM: Rule(_from_recurrent, _check_recurrent),
        tnn.GRU: Rule(_from_recurrent, _check_recurrent),
    }


def from_torch(module: Any) -> Module:
    """A glassgrad model equivalent to the torch ``module``, holding a copy of its weights.

    The reverse of :func:`to_torch` for ``torch.nn.Sequential`` (children renamed ``0``,
    ``1``, ... in order), ``Linear`` (-> Dense), ``Conv2d`` (-> Conv2D; dilation 1, groups 1,
    padding_mode "zeros", int or pair padding), ``MaxPool2d`` (no padding, dilation or
    ceil_mode), ``Flatten`` (start_dim=1, end_dim=-1), ``Dropout``, ``ReLU``, ``Tanh``,
    ``Sigmoid``, and ``RNN``, ``LSTM``, ``GRU`` (one direction, with biases, no dropout between
    layers, no proj_size). ``bias=None`` gives a layer with ``bias=False``. float32 and
    float64 weights keep their dtype; training mode and ``requires_grad`` carry over. Dropout
    layers draw their masks from a generator seeded from numpy's global one, as
    ``nn.Dropout(p)`` does.

    Raises:
        ImportError: torch is not installed.
        TypeError: a module has no glassgrad equivalent (named with its place in the model).
        ValueError: a setting glassgrad's layer lacks (the layer and the attribute are named).
        Nothing is built until the whole module has been checked.
    """
    torch = require("torch", "from_torch")
    rules = _from_torch_rules(torch.nn)
    check_model("from_torch", module, rules, "glassgrad",
                name_of=lambda cls: f"torch.nn.{cls.__name__}"
                if cls.__module__.startswith("torch.nn") else cls.__name__)
    return _Builder(torch, rules, _glassgrad_mode).child(module)
