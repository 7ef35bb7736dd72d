"""The tensor op table: every op's forward against numpy, its gradient against central
differences (hypothesis, float64, broadcastable shapes with size-1 axes) and against PyTorch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, gradcheck, topological_order
from autograd.ops import list_builtin_ops

from .cases import CASES

NAMES = sorted(CASES)


def test_every_tensor_op_has_a_case():
    assert {op.name for op in list_builtin_ops("tensor")} == set(CASES)


def test_every_tensor_op_states_its_math():
    for op in list_builtin_ops("tensor"):
        assert op.math.startswith("f(") and ";" in op.math, op.name


def _uses(out: Tensor, name: str) -> bool:
    return any(node._op is not None and node._op.name == name for node in topological_order(out))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_forward_matches_numpy(name, data):
    case = data.draw(CASES[name])
    inputs = [Tensor(a, requires_grad=True) for a in case.arrays]
    out = case.fn(*inputs)
    assert _uses(out, name)
    expected = case.reference(*case.arrays)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_gradient_matches_finite_differences(name, data):
    case = data.draw(CASES[name])
    inputs = [Tensor(a.copy(), requires_grad=True) for a in case.arrays]
    assert gradcheck(case.fn, *inputs)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_matches_pytorch(name, data):
    torch = pytest.importorskip("torch")
    case = data.draw(CASES[name])
    ours = [Tensor(a.copy(), requires_grad=True) for a in case.arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in case.arrays]
    out, ref = case.fn(*ours), case.torch_fn(torch, *theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(seed)
    ref.backward(torch.tensor(seed))
    for t, r in zip(ours, theirs):
        expected = np.zeros(t.shape) if r.grad is None else r.grad.numpy()
        got = np.zeros(t.shape) if t.grad is None else t.grad
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
