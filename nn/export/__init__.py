"""Hand a model to PyTorch or ONNX: :func:`to_torch`, :func:`from_torch`, :func:`to_onnx`.

glassgrad's state already has PyTorch's names and layouts (``0.weight`` of shape (out, in)), so
a model crosses over layer by layer: each direction is a table from a layer class to the code
that builds the other side's layer, and the weights go across under their state_dict names.

- :func:`to_torch` (``nn.Module`` -> ``torch.nn.Module``) and :func:`from_torch` (the reverse),
  in :mod:`nn.export.torch_model`;
- :func:`to_onnx` (``nn.Module`` -> an ONNX file, opset 13, that onnxruntime runs), in
  :mod:`nn.export.onnx_model`: the same kind of table, whose rows append ONNX nodes.

torch and onnx are optional (``pip install 'glassgrad[crosscheck]'``, which also brings
onnxruntime to run the files) and imported only when one of these functions is called:
``import nn`` loads neither.
"""

from .onnx_model import to_onnx
from .torch_model import from_torch, to_torch

__all__ = ["from_torch", "to_onnx", "to_torch"]
