"""Shared helpers for the nn tests: a duck-typed stand-in for autograd.Tensor parameters."""

from __future__ import annotations

import numpy as np
import pytest


class FakeTensor:
    """What nn needs of a Tensor parameter: array ``data``, ``grad`` (None or array), a flag."""

    def __init__(self, data, requires_grad: bool = True, dtype=np.float32) -> None:
        self.data = np.array(data, dtype=dtype)
        self.grad = None
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return f"FakeTensor({self.data!r})"


@pytest.fixture
def fake_tensor():
    """The FakeTensor class (test modules cannot import conftest under importlib mode)."""
    return FakeTensor
