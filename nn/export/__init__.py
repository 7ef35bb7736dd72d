"""Hand a model to PyTorch or ONNX: :func:`to_torch`, :func:`from_torch`, :func:`to_onnx`.

glassgrad's state already has PyTorch's names and layouts (``0.weight`` of shape (out, in)), so
a model crosses over layer by layer: each direction is a table from a layer class to the code
that builds the other side's layer, and the weights go across through ``load_state_dict``.

- :func:`to_torch` (``nn.Module`` -> ``torch.nn.Module``) and :func:`from_torch` (the reverse),
  in :mod:`nn.export.torch_model`;

torch and onnx are optional (``pip install 'glassgrad[crosscheck]'``) and imported only when
one of these functions is called: ``import nn`` loads neither.
"""

from .torch_model import from_torch, to_torch

__all__ = ["from_torch", "to_torch"]
