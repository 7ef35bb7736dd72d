"""glassgrad models to PyTorch modules and back: :func:`to_torch` and :func:`from_torch`.

Each direction is a table from a layer class to a :class:`~nn.export._common.Rule`; a new layer
(an RNN, an LSTM) crosses over by one row in each table. The weights go across through
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

from ..embedding import Embedding
from ..layers import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Reshape,
    Sequential,
    Sigmoid,
    Tanh,
)
from ..module import Module
from ..normalization import BatchNorm, LayerNorm
from ..parameter import Parameter
from ..scalar import MLP
from ..upsampling import Conv2DTranspose, UpSampling2D
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


def _built(b: _Builder, name: str, layer: Module, *args: Any, **kwargs: Any) -> Any:
    """``torch.nn.<name>(*args, **kwargs)`` made without drawing its weights (``skip_init``), in
    the layer's dtype, then given the layer's state (parameters and buffers)."""
    torch = b.torch
    module = torch.nn.utils.skip_init(getattr(torch.nn, name), *args,
                                      dtype=getattr(torch, layer.weight.dtype.name), **kwargs)
    return _load_into_torch(module, layer, torch)


def _linear(layer: Dense, b: _Builder) -> Any:
    return _built(b, "Linear", layer, layer.in_features, layer.out_features,
                  bias=layer.bias is not None)


def _conv2d(layer: Conv2D, b: _Builder) -> Any:
    return _built(b, "Conv2d", layer, layer.in_channels, layer.out_channels, layer.kernel_size,
                  stride=layer.stride, padding=layer.padding, bias=layer.bias is not None)


def _conv_transpose2d(layer: Conv2DTranspose, b: _Builder) -> Any:
    return _built(b, "ConvTranspose2d", layer, layer.in_channels, layer.out_channels,
                  layer.kernel_size, stride=layer.stride, padding=layer.padding,
                  output_padding=layer.output_padding, bias=layer.bias is not None)


def _batch_norm(layer: BatchNorm, b: _Builder) -> Any:
    """BatchNorm2d for a layer that last saw (N, C, H, W) inputs, else BatchNorm1d."""
    name = "BatchNorm2d" if layer.input_ndim == 4 else "BatchNorm1d"
    return _built(b, name, layer, layer.num_features, eps=layer.eps, momentum=layer.momentum)


def _check_batch_norm(owner: str, layer: BatchNorm, path: str) -> None:
    check_floats(owner, layer, path)
    if layer.input_ndim is None:
        raise ValueError(f"{owner}: BatchNorm {where(path)} has not been called yet, so whether "
                         "it is torch's BatchNorm1d (inputs (N, C) or (N, C, L)) or BatchNorm2d "
                         "((N, C, H, W)) is not known: run the model on a batch first")


def _upsample(layer: UpSampling2D, b: _Builder) -> Any:
    sh, sw = layer.size
    scale = float(sh) if sh == sw else (float(sh), float(sw))
    return b.torch.nn.Upsample(scale_factor=scale, mode="nearest")


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
    Conv2DTranspose: Rule(_conv_transpose2d, check_floats),
    UpSampling2D: Rule(_upsample),
    Reshape: Rule(lambda layer, b: b.torch.nn.Unflatten(1, layer.shape)),
    BatchNorm: Rule(_batch_norm, _check_batch_norm),
    LayerNorm: Rule(lambda layer, b: _built(b, "LayerNorm", layer, layer.normalized_shape,
                                            eps=layer.eps), check_floats),
    Embedding: Rule(lambda layer, b: _built(b, "Embedding", layer, layer.num_embeddings,
                                            layer.embedding_dim), check_floats),
    LeakyReLU: Rule(_same("LeakyReLU", negative_slope="negative_slope")),
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
    ``MLP`` (scalar)              ``Sequential`` of float64 ``Linear`` + ``ReLU`` (none after
                                  the last layer); ``layers.{i}.weight`` -> ``{2i}.weight``
    ``Conv2DTranspose``           ``ConvTranspose2d`` (kernel_size, stride, padding,
                                  output_padding, bias)
    ``UpSampling2D(size)``        ``Upsample(scale_factor=size, mode="nearest")``
    ``Reshape(*shape)``           ``Unflatten(1, shape)``: the same on (N, features) inputs,
                                  Keras' use after Dense or Flatten (on more axes Unflatten
                                  splits axis 1 alone: put a Flatten before such a Reshape)
    ``BatchNorm``                 ``BatchNorm2d`` if the layer last saw (N, C, H, W) inputs,
                                  ``BatchNorm1d`` if (N, C) or (N, C, L); a BatchNorm never
                                  called is a ValueError (run the model on a batch first);
                                  running statistics and num_batches_tracked go across
    ``LayerNorm``, ``Embedding``,  the same names and arguments
    ``LeakyReLU``
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


def _load_from_torch(layer: Module, module: Any) -> Module:
    """Give ``layer`` the dtype of the torch ``module``'s parameters, then load their state."""
    grads = {n: p.requires_grad for n, p in module.named_parameters()}
    for name, p in list(vars(layer).items()):
        if isinstance(p, Parameter):
            dtype = np.float64 if str(module.get_parameter(name).dtype) == "torch.float64" \
                else np.float32
            setattr(layer, name, Parameter(p.data.astype(dtype), requires_grad=grads[name],
                                           label=p.label))
    for name in layer._buffer_names():  # float buffers (running statistics) likewise
        if getattr(layer, name).dtype.kind == "f":
            theirs = module.get_buffer(name).numpy()
            setattr(layer, name, getattr(layer, name).astype(theirs.dtype))
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


def _conv_transpose(conv: Any, b: _Builder) -> Conv2DTranspose:
    layer = Conv2DTranspose(conv.in_channels, conv.out_channels, tuple(conv.kernel_size),
                            stride=tuple(conv.stride), padding=tuple(conv.padding),
                            output_padding=tuple(conv.output_padding),
                            bias=conv.bias is not None, rng=0)
    return _load_from_torch(layer, conv)


def _check_conv_transpose(owner: str, conv: Any, path: str) -> None:
    _require(owner, conv, path, dilation=[(1, 1)], groups=[1], padding_mode=["zeros"])
    if any(e >= s for e, s in zip(conv.output_padding, conv.stride)):
        raise _attribute_error(owner, conv, path, "output_padding",
                               f"output_padding smaller than the stride {tuple(conv.stride)}")
    _check_dtypes(owner, conv, path)


def _scale_factor(upsample: Any) -> tuple[int, int] | None:
    """Upsample's scale_factor as a pair of ints, or None if it is not one or two whole
    numbers."""
    scale = upsample.scale_factor
    items = tuple(scale) if isinstance(scale, tuple | list) else (scale, scale)
    if len(items) != 2 or not all(isinstance(v, int | float) and v >= 1 and float(v).is_integer()
                                  for v in items):
        return None
    return int(items[0]), int(items[1])


def _check_upsample(owner: str, upsample: Any, path: str) -> None:
    _require(owner, upsample, path, mode=["nearest"], size=[None])
    if _scale_factor(upsample) is None:
        raise _attribute_error(owner, upsample, path, "scale_factor",
                               "whole numbers (one, or a pair)")


def _check_unflatten(owner: str, unflatten: Any, path: str) -> None:
    _require(owner, unflatten, path, dim=[1])
    if not all(isinstance(d, int) for d in unflatten.unflattened_size):
        raise _attribute_error(owner, unflatten, path, "unflattened_size", "sizes that are ints")


def _batch_norm_layer(norm: Any, b: _Builder) -> BatchNorm:
    layer = BatchNorm(norm.num_features, eps=norm.eps, momentum=norm.momentum)
    layer.input_ndim = 4 if isinstance(norm, b.torch.nn.BatchNorm2d) else 2
    return _load_from_torch(layer, norm)


def _check_norm(owner: str, norm: Any, path: str) -> None:
    """BatchNorm1d/2d (affine, with running statistics) and LayerNorm (elementwise_affine,
    with a bias): the settings glassgrad's layers have."""
    if hasattr(norm, "track_running_stats"):
        _require(owner, norm, path, affine=[True], track_running_stats=[True])
    else:
        _require(owner, norm, path, elementwise_affine=[True])
    if norm.bias is None:
        raise _attribute_error(owner, norm, path, "bias", "a bias (bias=True)")
    _check_dtypes(owner, norm, path)


def _check_embedding(owner: str, embedding: Any, path: str) -> None:
    _require(owner, embedding, path, padding_idx=[None], max_norm=[None],
             scale_grad_by_freq=[False], sparse=[False])
    _check_dtypes(owner, embedding, path)


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
        tnn.ConvTranspose2d: Rule(_conv_transpose, _check_conv_transpose),
        tnn.Upsample: Rule(lambda up, b: UpSampling2D(_scale_factor(up)), _check_upsample),
        tnn.Unflatten: Rule(lambda unflatten, b: Reshape(tuple(unflatten.unflattened_size)),
                            _check_unflatten),
        tnn.BatchNorm1d: Rule(_batch_norm_layer, _check_norm),
        tnn.BatchNorm2d: Rule(_batch_norm_layer, _check_norm),
        tnn.LayerNorm: Rule(lambda norm, b: _load_from_torch(
            LayerNorm(tuple(norm.normalized_shape), eps=norm.eps), norm), _check_norm),
        tnn.Embedding: Rule(lambda emb, b: _load_from_torch(
            Embedding(emb.num_embeddings, emb.embedding_dim, rng=0), emb), _check_embedding),
        tnn.LeakyReLU: Rule(lambda relu, b: LeakyReLU(float(relu.negative_slope))),
    }


def from_torch(module: Any) -> Module:
    """A glassgrad model equivalent to the torch ``module``, holding a copy of its weights.

    The reverse of :func:`to_torch` for ``torch.nn.Sequential`` (children renamed ``0``,
    ``1``, ... in order), ``Linear`` (-> Dense), ``Conv2d`` (-> Conv2D; dilation 1, groups 1,
    padding_mode "zeros", int or pair padding), ``MaxPool2d`` (no padding, dilation or
    ceil_mode), ``Flatten`` (start_dim=1, end_dim=-1), ``Dropout``, ``ReLU``, ``Tanh``,
    ``Sigmoid``, ``ConvTranspose2d`` (-> Conv2DTranspose; as Conv2d), ``Upsample`` (-> UpSampling2D;
    mode "nearest" with whole scale factors), ``Unflatten`` (dim 1 -> Reshape, the same on
    (N, features) inputs), ``BatchNorm1d`` and ``BatchNorm2d`` (-> BatchNorm, with its running
    statistics; affine, tracking them), ``LayerNorm`` (with weight and bias), ``Embedding``
    (no padding_idx, max_norm, scale_grad_by_freq or sparse) and ``LeakyReLU``.
    ``bias=None`` gives a layer with ``bias=False``. float32 and float64 weights (and
    buffers) keep their dtype; training mode and ``requires_grad`` carry over. Dropout layers
    draw their masks from a generator seeded from numpy's global one, as ``nn.Dropout(p)``
    does.

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
