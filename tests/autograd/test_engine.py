"""The graph engine: order, reuse, accumulation, repeated passes, deep graphs, steps."""

import sys

import pytest
from hypothesis import given

from autograd import Value, backward_steps, gradcheck, topological_order, zero_grad
from autograd.testing import expression_graphs


def test_a_plus_a_has_two_edges():
    a = Value(3.0)
    b = a + a
    assert b._prev == (a, a)
    b.backward()
    assert a.grad == 2.0


def test_reuse_b_plus_b():
    a = Value(-2.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_reuse_in_a_product():
    a = Value(3.0)
    b = a * a
    b.backward()
    assert a.grad == 6.0


def test_diamond():
    x = Value(2.0)
    left, right = x * 3, x.tanh()
    y = left * right
    y.backward()
    t = x.data
    import math
    expected = 3 * math.tanh(t) + 3 * t * (1 - math.tanh(t) ** 2)
    assert x.grad == pytest.approx(expected)


def test_topological_order_puts_parents_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    position = {id(n): k for k, n in enumerate(order)}
    assert order[-1] is e and len(order) == 5
    for node in order:
        for parent in node._prev:
            assert position[id(parent)] < position[id(node)]


def test_leaves_accumulate_and_a_second_pass_adds_exactly_once():
    x = Value(1.5)
    y = (x * x).tanh() * 2 + x
    y.backward()
    first = x.grad
    hidden = y._prev[0]
    hidden_first = hidden.grad
    y.backward()
    assert x.grad == pytest.approx(2 * first)
    assert hidden.grad == hidden_first  # interior nodes never compound (micrograd's bug)


def test_zero_grad_resets_the_whole_graph():
    x = Value(1.5)
    y = x * x + 1
    y.backward()
    zero_grad(y)
    assert x.grad == 0.0 and y.grad == 0.0
    y.backward()
    assert x.grad == 3.0
    y.zero_grad()
    assert x.grad == 0.0


def test_backward_on_a_leaf_accumulates_one():
    x = Value(2.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_million_node_chain_with_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(500_000):  # 500,000 multiplications + their constants: 1,000,001 nodes
        y = y * 1.0
    assert len(topological_order(y)) == 1_000_001
    y.backward()
    assert x.grad == 1.0
    del y  # freeing a deep chain must not overflow the C stack either


def test_nodes_are_compared_by_identity():
    a, b = Value(1.0), Value(1.0)
    c = a + b
    assert len(topological_order(c)) == 3


def test_steps_follow_reverse_topological_order_and_record_the_chain_rule():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    L = c + a
    L.label = "L"
    steps = list(backward_steps(L))
    assert [s.name for s in steps] == ["L", "c"]
    assert [s.index for s in steps] == [0, 1] and steps[0].total == 2
    mul = steps[1]
    assert mul.op.name == "mul" and mul.upstream == 1.0
    assert mul.parents == (a, b) and mul.parent_names == ("a", "b")
    assert mul.local == (-3.0, 2.0) and mul.contributions == (-3.0, 2.0)
    assert str(mul).splitlines() == [
        "dL/da += dL/dc * dc/da = 1.0000 * -3.0000 = -3.0000",
        "dL/db += dL/dc * dc/db = 1.0000 * 2.0000 = 2.0000",
    ]
    assert a.grad == -2.0 and b.grad == 2.0
    assert repr(mul) == "Step(2/2: c = *(a, b), upstream=1)"


def test_unlabelled_and_compound_names():
    x = Value(0.5, label="x")
    y = (x * 2).tanh()
    lines = [line for s in backward_steps(y) for line in s.lines()]
    assert lines[0].startswith("dn3/dn2 += dn3/dn3 * dn3/dn2 = 1.0000 * ")
    w = Value(1.0, label="x*w")
    z = w * 2
    z.label = "z"
    assert str(next(backward_steps(z))).startswith("dz/d(x*w) += dz/dz * dz/d(x*w)")


def test_backward_is_the_same_as_running_the_steps():
    x1, x2 = Value(0.3), Value(-0.7)
    y = (x1 * x2 + x1.exp()).tanh()
    for _ in backward_steps(y):
        pass
    g1, g2 = x1.grad, x2.grad
    zero_grad(y)
    y.backward()
    assert (x1.grad, x2.grad) == (g1, g2)


@given(expression_graphs())
def test_random_graphs_match_finite_differences(graph):
    assert gradcheck(graph.evaluate, *graph.leaves())
