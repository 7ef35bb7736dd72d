"""The cross-check of a glassgrad layer with its PyTorch twin, in float64: PyTorch's weights are
copied into ours through ``load_state_dict`` (so names and layouts must be PyTorch's), then the
outputs, the input gradients, every parameter's gradient and the state after the step are
compared."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from nn import Module, Parameter


def as_float64(module: Module) -> Module:
    """Every parameter and float buffer of ``module`` (and below) as a float64 copy."""
    for m in module.modules():
        for name, value in list(vars(m).items()):
            if isinstance(value, Parameter):
                setattr(m, name, Parameter(value.data.astype(np.float64)))
        for name in m._buffer_names():
            if getattr(m, name).dtype.kind == "f":
                setattr(m, name, getattr(m, name).astype(np.float64))
    return module


def compare_with_torch(torch: Any, ours: Module, theirs: Any, x: np.ndarray, seed: int = 0,
                       rtol: float = 1e-10, atol: float = 1e-12, load: bool = True) -> Any:
    """One forward and backward pass of each on ``x`` (float64, or integer indices), with the
    same random output gradient; returns our output Tensor."""
    if load:
        ours.load_state_dict(theirs.state_dict())
    floats = x.dtype.kind == "f"
    xo = Tensor(x.copy(), requires_grad=floats)
    xt = torch.tensor(x, requires_grad=floats)
    out, ref = ours(xo), theirs(xt)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    up = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(up)
    ref.backward(torch.tensor(up))
    if floats:
        np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=rtol, atol=atol)
    params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, params[name].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)
    state = theirs.state_dict()
    for name, value in ours.state_dict().items():  # buffers after the step, too
        np.testing.assert_allclose(value, state[name].numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)
    return out
