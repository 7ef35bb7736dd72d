"""Second derivatives of every built-in op and of random expression graphs: the recorded backward
pass (``grad(..., create_graph=True)``) differentiated again, against central differences of the
first derivatives (``gradgradcheck``), in float64 over each op's safe domain."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, Value, gradgradcheck
from autograd.gradcheck import GradcheckError
from autograd.ops import list_builtin_ops
from autograd.tensor import log_softmax
from autograd.testing import expression_graphs, op_arguments

from .tensor.cases import CASES

SCALAR_OPS = list_builtin_ops("scalar")


@pytest.mark.parametrize("op", SCALAR_OPS, ids=lambda op: op.name)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_scalar_op_second_derivatives(op, data):
    inputs, ctx = data.draw(op_arguments(op))
    assert gradgradcheck(lambda *xs: op(*xs, ctx=ctx), *[Value(x) for x in inputs])


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_tensor_op_second_derivatives(name, data):
    case = data.draw(CASES[name])
    inputs = [Tensor(a.copy(), requires_grad=True) for a in case.arrays]
    # a nonlinear head, so that linear ops have second derivatives to check too
    assert gradgradcheck(lambda *ts: (case.fn(*ts) ** 2).sum(), *inputs, atol=1e-4)


@settings(max_examples=60, deadline=None)
@given(expression_graphs())
def test_random_expression_graphs(graph):
    assert gradgradcheck(graph.evaluate, *graph.leaves())


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), sizes=st.lists(st.integers(1, 4), min_size=2,
                                                         max_size=4))
def test_random_tensor_networks(seed, sizes):
    """Layers of matmul and a smooth activation picked at random, then a loss built from
    log-softmax, max and a square (values stay moderate, so differences stay accurate)."""
    rng = np.random.default_rng(seed)
    weights = [Tensor(rng.normal(size=(m, n)) * 0.7, requires_grad=True)
               for m, n in zip(sizes, sizes[1:])]
    x = Tensor(rng.normal(size=(3, sizes[0])))
    acts = [rng.choice(["tanh", "sigmoid", "exp"]) for _ in weights]
    c = rng.normal(size=(3, sizes[-1]))

    def loss(*ws):
        h = x
        for w, act in zip(ws, acts):
            h = getattr((h @ w) * 0.5, act)()
        return (log_softmax(h, axis=1) * c).sum() + (h.max(axis=1) ** 2).sum()

    assert gradgradcheck(loss, *weights, atol=1e-4)


def test_gradgradcheck_reports_a_wrong_second_derivative():
    from autograd import define_op, remove_op

    def rule(node):  # right first derivative (3 x^2), written as 3 * x * value: wrong curvature
        (x,) = node._prev
        return (3.0 * x.data * abs(x.data if isinstance(x.data, float) else x.data.data),)

    cube = define_op("ggc_bad_cube", lambda x: x ** 3, local=rule, differentiable=True,
                     replace=True)
    try:
        with pytest.raises(GradcheckError, match=r"gradgradcheck: 1 of 1 second-derivative "
                                                 r"entries disagree"):
            gradgradcheck(lambda a: cube(a), Value(0.8))
        assert gradgradcheck(lambda a: cube(a), Value(0.8), raise_exception=False) is False
    finally:
        remove_op("ggc_bad_cube")
