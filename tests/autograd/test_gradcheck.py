"""gradcheck: agreement, the bugs it must catch, its report and its input checks."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import GradcheckError, Value, gradcheck
from autograd.gradcheck import jacobians
from autograd.testing import expression_graphs, floats_in


def test_true_for_a_correct_graph():
    assert gradcheck(lambda a, b: (a * b + a.exp()).tanh() / (b * b + 1), Value(0.3), Value(-1.2))


def test_catches_a_constant_copy():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: a * Value(a.data), Value(1.5))
    lines = str(info.value).splitlines()
    assert lines[0].startswith("gradcheck: 1 of 1 gradient entries disagree (eps=1e-06, atol=1e-05")
    assert lines[1].split() == ["input", "out", "elem", "analytic", "numeric", "error"]
    assert lines[2].split() == ["0", "0", "0", "1.5", "3", "1.5"]


def test_catches_a_detached_subexpression():
    def f(a, b):
        hidden = Value((a * b).data)  # the product's gradient is lost
        return hidden + a

    with pytest.raises(GradcheckError, match="2 of 2 gradient entries disagree"):
        gradcheck(f, Value(2.0), Value(3.0))


def test_raise_exception_false_returns_false():
    assert gradcheck(lambda a: a * Value(a.data), Value(1.5), raise_exception=False) is False


def test_leaves_input_gradients_reset():
    a = Value(0.7)
    gradcheck(lambda x: x * x, a)
    assert a.grad == 0.0


def test_jacobians_are_analytic_and_numeric():
    (analytic, numeric), = jacobians(lambda x: x.exp(), [Value(0.5)]).values()
    assert analytic.shape == (1, 1) and analytic[0, 0] == pytest.approx(math.exp(0.5))
    assert numeric[0, 0] == pytest.approx(math.exp(0.5), rel=1e-8)


def test_tolerances_are_used():
    # Central differences of tanh are off by about 1e-10: fine for the defaults, not for zero.
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: a.tanh(), Value(0.3), atol=0.0, rtol=0.0)
    assert gradcheck(lambda a: a.tanh(), Value(0.3))


def test_bad_inputs_are_type_errors():
    expected = "gradcheck: input 1 must be a Value or a Tensor, got float"
    with pytest.raises(TypeError, match=expected):
        gradcheck(lambda a, b: a * b, Value(1.0), 2.0)


@given(expression_graphs())
def test_expression_graphs_pass(graph):
    assert gradcheck(graph.evaluate, *graph.leaves())
    assert "ExpressionGraph(" in repr(graph)


@given(floats_in([(-3.0, -0.5), (0.5, 3.0)]))
def test_floats_in_stays_in_its_intervals(x):
    assert 0.5 <= abs(x) <= 3.0


@given(st.floats(0.1, 3.0))
def test_gradcheck_of_sqrt_log_chain(x):
    assert gradcheck(lambda a: (a.sqrt() + a.log()) * a, Value(x))
