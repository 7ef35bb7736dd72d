"""glassgrad models to ONNX files: :func:`to_onnx`.

Like :mod:`nn.export.torch_model`, a table from a layer class to a
:class:`~nn.export._common.Rule`; here a row's ``build`` appends the layer's ONNX nodes to a
:class:`_Graph`, which threads the name of the current tensor from one layer to the next. The
weights become initializers named by the model's ``state_dict()`` keys (``0.weight``), in their
own dtype. The graph is opset 13 with IR version 7 (ONNX 1.8, the release that brought opset
13), which every onnxruntime since 1.6 reads.

onnx is imported when :func:`to_onnx` is called, never by ``import nn``.
"""

from __future__ import annotations

import numbers
import os
from typing import IO, Any

import numpy as np

from .._files import write_atomically
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
from ..normalization import BatchNorm
from ..scalar import MLP
from ..training import predict
from ..upsampling import Conv2DTranspose, UpSampling2D
from ._common import (
    Rule,
    check_floats,
    check_model,
    float_dtype,
    join,
    mlp_layers,
    require,
    sequential_children,
    where,
)

__all__ = ["IR_VERSION", "ONNX", "OPSET", "to_onnx"]

OPSET = 13
IR_VERSION = 7  # ONNX 1.8's: the IR that opset 13 came with; onnxruntime >= 1.6 reads it


class _Graph:
    """The nodes and initializers made so far, and the tensor the next layer reads.

    ``current`` is the name of that tensor and ``shape`` its shape (batch axis None), followed
    through each layer's ``output_shape``; ``names`` maps each parameter to its state_dict name.
    """

    def __init__(self, onnx: Any, model: Module, input_shape: tuple[int, ...]) -> None:
        self.onnx, self.helper = onnx, onnx.helper
        self.names = {id(p): name for name, p in model.named_parameters()}
        self.nodes: list[Any] = []
        self.initializers: dict[str, Any] = {}
        self.current, self.shape = "input", (None, *input_shape)

    def weight(self, name: str, array: np.ndarray) -> str:
        """An initializer (once per name) holding a copy of ``array`` in its own dtype."""
        if name not in self.initializers:
            self.initializers[name] = self.onnx.numpy_helper.from_array(np.asarray(array), name)
        return name

    def parameter(self, p: Any) -> str:
        """The initializer of a parameter, named by its state_dict key (a shared one once)."""
        return self.weight(self.names[id(p)], p.data)

    def node(self, op: str, path: str, *inputs: str, suffix: str = "", **attributes: Any) -> str:
        """Append ``op`` reading the current tensor and ``inputs``; its output becomes current.

        The node and its output are named by the layer's place (``"0"``, ``"7"``; the op at
        the top), so Netron and onnxruntime's messages point back at the glassgrad layer.
        """
        self.current = self.side_node(op, path + suffix if path else op, self.current, *inputs,
                                      **attributes)
        return self.current

    def side_node(self, op: str, name: str, *inputs: str, **attributes: Any) -> str:
        """Append ``op`` on ``inputs`` alone, its output named ``name``; current stays."""
        self.nodes.append(self.helper.make_node(op, list(inputs), [name], name=name,
                                                **attributes))
        return name

    def add(self, layer: Module, path: str) -> None:
        """The nodes of one layer (containers add their children's)."""
        ONNX[type(layer)].build(layer, self, path)
        if ONNX[type(layer)].children is None:
            self.shape = layer.output_shape(self.shape)


# ---- the rows --------------------------------------------------------------------------------

def _dense(layer: Dense, g: _Graph, path: str) -> None:
    """y = x @ W.T + b: one Gemm (transB=1) on (batch, in); on more axes, where Gemm does not
    go, MatMul with Transpose(W), then Add."""
    weight = g.parameter(layer.weight)
    bias = [] if layer.bias is None else [g.parameter(layer.bias)]
    if len(g.shape) == 2:
        g.node("Gemm", path, weight, *bias, transB=1)
        return
    g.node("MatMul", path, g.side_node("Transpose", f"{weight}.T", weight, perm=[1, 0]),
           suffix=".matmul" if bias else "")
    if bias:
        g.node("Add", path, *bias)


def _conv(op: str, *extra: str) -> Any:
    """A row's build for Conv or ConvTranspose (whose weights are laid out as PyTorch's), with
    the layer's attributes ``extra`` as attributes of the same names."""
    def build(layer: Conv2D | Conv2DTranspose, g: _Graph, path: str) -> None:
        weight = g.parameter(layer.weight)
        bias = [] if layer.bias is None else [g.parameter(layer.bias)]
        (ph, pw) = layer.padding
        g.node(op, path, weight, *bias, kernel_shape=list(layer.kernel_size),
               strides=list(layer.stride), pads=[ph, pw, ph, pw],
               **{name: list(getattr(layer, name)) for name in extra})
    return build


def _batch_norm(layer: BatchNorm, g: _Graph, path: str) -> None:
    """The evaluation-mode layer: the running statistics, named by their state_dict keys."""
    inputs = [g.parameter(layer.weight), g.parameter(layer.bias)]
    inputs += [g.weight(join(path, name), getattr(layer, name).astype(layer.weight.dtype))
               for name in ("running_mean", "running_var")]
    g.node("BatchNormalization", path, *inputs, epsilon=layer.eps)


def _reshape(layer: Reshape, g: _Graph, path: str) -> None:
    """Reshape to (0, *shape): 0 keeps the batch axis, -1 is worked out (as the layer does)."""
    shape = g.weight(join(path, "shape"), np.array([0, *layer.shape], dtype=np.int64))
    g.node("Reshape", path, shape)


def _upsample(layer: UpSampling2D, g: _Graph, path: str) -> None:
    """Resize (nearest, floor of the asymmetric coordinates): y[i] = x[i // s]."""
    scales = g.weight(join(path, "scales"), np.array([1, 1, *layer.size], dtype=np.float32))
    g.node("Resize", path, "", scales, mode="nearest",
           coordinate_transformation_mode="asymmetric", nearest_mode="floor")


def _max_pool2d(layer: MaxPool2D, g: _Graph, path: str) -> None:
    g.node("MaxPool", path, kernel_shape=list(layer.kernel_size), strides=list(layer.stride))


def _mlp(mlp: MLP, g: _Graph, path: str) -> None:
    """Gemm (float64) for each layer, then Relu where the layer has it, named as its state."""
    for affine in mlp_layers("to_onnx", mlp, path):
        name = join(path, affine.name)
        g.node("Gemm", name, g.weight(f"{name}.weight", affine.weight),
               g.weight(f"{name}.bias", affine.bias), transB=1)
        if affine.relu:
            g.node("Relu", name, suffix=".relu")


def _check_mlp(owner: str, mlp: MLP, path: str) -> None:
    if path:
        raise TypeError(f"{owner}: the scalar MLP {where(path)} takes one sample as a list of "
                        "Values, so it cannot sit inside a tensor model; export it on its own")
    mlp_layers(owner, mlp, path)


def _sequential(model: Sequential, g: _Graph, path: str) -> None:
    for name, layer in sequential_children(model):
        g.add(layer, join(path, name))


def _same(op: str) -> Any:
    """A row's build for an elementwise layer that is one ONNX op of the same meaning."""
    return lambda layer, g, path: g.node(op, path)


ONNX: dict[type, Rule] = {
    Sequential: Rule(_sequential, children=sequential_children),
    Dense: Rule(_dense, check_floats),
    Conv2D: Rule(_conv("Conv"), check_floats),
    MaxPool2D: Rule(_max_pool2d),
    Flatten: Rule(lambda layer, g, path: g.node("Flatten", path, axis=1)),  # (N, d1*d2*...)
    Dropout: Rule(lambda layer, g, path: None),  # the identity in evaluation mode
    ReLU: Rule(_same("Relu")),
    Tanh: Rule(_same("Tanh")),
    Sigmoid: Rule(_same("Sigmoid")),
    MLP: Rule(_mlp, _check_mlp),
    Conv2DTranspose: Rule(_conv("ConvTranspose", "output_padding"), check_floats),
    UpSampling2D: Rule(_upsample),
    Reshape: Rule(_reshape),
    BatchNorm: Rule(_batch_norm, check_floats),
    LeakyReLU: Rule(lambda layer, g, path: g.node("LeakyRelu", path,
                                                  alpha=layer.negative_slope)),
}


# ---- the checks before building --------------------------------------------------------------

def _shape(input_shape: Any) -> tuple[int, ...]:
    if (not isinstance(input_shape, tuple | list) or not input_shape
            or any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1
                   for d in input_shape)):
        raise ValueError("to_onnx: input_shape must be a tuple of positive ints, the shape of "
                         f"one sample without the batch axis, such as (1, 28, 28); got "
                         f"{input_shape!r:.80}")
    return tuple(int(d) for d in input_shape)


def _dtype(model: Module) -> np.dtype:
    """The model's one float dtype (float32 for a model without weights); ONNX's operators
    take one dtype for all their inputs, so a mix is a ValueError naming the layers."""
    if isinstance(model, MLP):
        return np.dtype(np.float64)
    dtypes: dict[np.dtype, list[str]] = {}
    for path, layer in model.named_modules():
        if isinstance(layer, Dense | Conv2D | Conv2DTranspose | BatchNorm):
            dtypes.setdefault(float_dtype("to_onnx", layer, path), []).append(path or "the top")
    if len(dtypes) > 1:
        mix = "; ".join(f"{dtype}: {', '.join(paths)}" for dtype, paths in dtypes.items())
        raise ValueError(f"to_onnx: the layers mix dtypes ({mix}); an ONNX graph computes in "
                         "one dtype: give every layer the same one")
    return next(iter(dtypes), np.dtype(np.float32))


def _output_shape(model: Module, shape: tuple[int, ...], dtype: np.dtype) -> tuple[int, ...]:
    """One sample's output shape: the model run on a batch of one zero sample (evaluation
    mode, no graph recorded), so a shape that does not fit is found before anything is built."""
    if isinstance(model, MLP):
        nin = len(model.layers[0].neurons[0].w)
        if shape != (nin,):
            raise ValueError(f"to_onnx: input_shape {shape} does not fit the MLP, which takes "
                             f"{nin} inputs: input_shape=({nin},)")
        return (len(model.layers[-1].neurons),)
    try:
        out = predict(model, np.zeros((1, *shape), dtype=dtype))
    except ValueError as error:
        raise ValueError(f"to_onnx: input_shape {shape} does not fit the model: {error}"
                         ) from error
    return out.shape[1:]


def _serialize(proto: Any, file: IO[bytes]) -> None:
    """Write the file's bytes (one function: the tests make it fail midway)."""
    file.write(proto.SerializeToString())


# ---- the function ----------------------------------------------------------------------------

def to_onnx(model: Module, path: str | os.PathLike, input_shape: tuple[int, ...]) -> str:
    """Write ``model`` as an ONNX file (opset 13, IR version 7) that onnxruntime runs.

    ============================  ===========================================================
    glassgrad                     ONNX
    ============================  ===========================================================
    ``Sequential``                its layers' nodes, in order
    ``Dense``                     ``Gemm(x, weight, bias, transB=1)`` = x @ weight.T + bias
                                  (no bias input for ``bias=False``); on inputs of more
                                  than 2 axes ``MatMul`` with ``Transpose(weight)``, then
                                  ``Add``
    ``Conv2D``                    ``Conv`` (kernel_shape, strides, pads = padding on each
                                  side)
    ``MaxPool2D``                 ``MaxPool`` (kernel_shape, strides)
    ``Flatten``                   ``Flatten(axis=1)``
    ``Dropout``                   nothing: the graph is the model in evaluation mode
    ``ReLU``, ``Tanh``, ``Sigmoid``  ``Relu``, ``Tanh``, ``Sigmoid``
    ``MLP`` (scalar)              float64 ``Gemm`` per layer, ``Relu`` after the hidden ones
    ``Conv2DTranspose``           ``ConvTranspose`` (kernel_shape, strides, pads,
                                  output_padding)
    ``UpSampling2D``              ``Resize`` (nearest, asymmetric coordinates, floor)
    ``Reshape(*shape)``           ``Reshape`` to ``(0, *shape)`` (0: the batch axis)
    ``BatchNorm``                 ``BatchNormalization`` with the running statistics (the
                                  evaluation-mode layer), named by their state_dict keys
    ``LeakyReLU``                 ``LeakyRelu`` (alpha = negative_slope)
    ============================  ===========================================================

    ``LayerNorm`` (LayerNormalization came with opset 17) and ``Embedding`` (its input is
    integers; the graph's is the model's float dtype) have no row.

    The graph reads ``input`` of shape ``("batch", *input_shape)``, any batch size, and gives
    ``output`` of shape ``("batch", ...)``; every intermediate tensor's shape is stored too
    (Netron shows them). Initializers are named by ``model.state_dict()``'s keys and keep
    their dtype: a float32 model gives a float32 graph, a float64 one a float64 graph
    (onnxruntime's CPU provider runs float64 Gemm, MatMul and the activations, but has no
    float64 Conv or MaxPool; ``onnx.reference`` runs those). The scalar MLP, exported on its
    own, reads (batch, nin) and gives (batch, nout) even when nout is 1. The model, its modes
    and its random generators are left as they were.

    Args:
        model: the model to write.
        path: the file to write (atomically: an error leaves an existing file as it was).
        input_shape: the shape of one sample, without the batch axis, e.g. ``(1, 28, 28)``.

    Returns:
        ``path`` as a str.

    Raises:
        ImportError: onnx is not installed.
        TypeError: a layer has no ONNX equivalent (every such layer and its place is named,
            before anything is built or written), or a scalar MLP sits inside a model.
        ValueError: a bad ``input_shape``, one the model does not take (the layer's message
            is given), or layers of different dtypes.
    """
    onnx = require("onnx", "to_onnx")
    check_model("to_onnx", model, ONNX, "ONNX")
    shape = _shape(input_shape)
    dtype = _dtype(model)
    out_shape = _output_shape(model, shape, dtype)

    g = _Graph(onnx, model, shape)
    g.add(model, "")
    if g.current == "input":  # no node at all (only Dropouts): the output is the input
        g.node("Identity", "")
    g.nodes[-1].output[0] = "output"  # the last node made the current tensor
    helper, elem = onnx.helper, onnx.helper.np_dtype_to_tensor_dtype(dtype)
    graph = helper.make_graph(
        g.nodes, type(model).__name__,
        [helper.make_tensor_value_info("input", elem, ["batch", *shape])],
        [helper.make_tensor_value_info("output", elem, ["batch", *out_shape])],
        initializer=list(g.initializers.values()))
    proto = helper.make_model(graph, producer_name="glassgrad",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    proto.ir_version = IR_VERSION
    proto = onnx.shape_inference.infer_shapes(proto, check_type=True, strict_mode=True)
    onnx.checker.check_model(proto, full_check=True)
    return write_atomically("to_onnx", path, lambda f: _serialize(proto, f))
