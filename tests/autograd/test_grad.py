"""autograd.grad: gradients as return values, the recorded backward pass, and its errors."""

import math

import numpy as np
import pytest

from autograd import Tensor, Value, define_op, grad, gradcheck, no_grad, remove_op
from autograd.ops import NotDifferentiableError
from autograd.tensor import log_softmax


def test_returns_a_tuple_and_leaves_every_grad_alone():
    a, b = Value(2.0), Value(-3.0)
    a.grad = 7.0
    out = a * b + a
    ga, gb = grad(out, [a, b])
    assert (ga.data, gb.data) == (-2.0, 2.0)
    assert (a.grad, b.grad, out.grad) == (7.0, 0.0, 0.0)
    w = Tensor([[1.0, 2.0]], requires_grad=True)
    (gw,) = grad((w * w).sum(), w)
    assert isinstance(gw, Tensor) and w.grad is None
    np.testing.assert_array_equal(gw.data, [[2.0, 4.0]])


def test_matches_backward_on_an_mlp_loss():
    rng = np.random.default_rng(0)
    w1 = Tensor(rng.normal(size=(4, 5)), requires_grad=True)
    w2 = Tensor(rng.normal(size=(5, 3)), requires_grad=True)
    x = Tensor(rng.normal(size=(6, 4)))
    loss = (log_softmax((x @ w1).tanh() @ w2) * rng.normal(size=(6, 3))).sum()
    g1, g2 = grad(loss, [w1, w2])
    loss.backward()
    np.testing.assert_allclose(g1.data, w1.grad, rtol=1e-12)
    np.testing.assert_allclose(g2.data, w2.grad, rtol=1e-12)


def test_higher_derivatives_of_a_scalar_to_any_order():
    x = Value(0.7)
    d = x.tanh()
    derivatives = []
    for _ in range(4):
        (d,) = grad(d, x, create_graph=True)
        derivatives.append(d.data)
    t = math.tanh(0.7)
    expected = [1 - t * t, -2 * t * (1 - t * t), (1 - t * t) * (6 * t * t - 2),
                (1 - t * t) * (16 * t - 24 * t ** 3)]
    np.testing.assert_allclose(derivatives, expected, rtol=1e-12)


def test_create_graph_gives_nodes_of_a_graph():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad and g._op is not None
    (h,) = grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 6 * x.data)
    (g_plain,) = grad((x ** 3).sum(), x)
    assert not g_plain.requires_grad and g_plain.is_leaf


def test_grad_outputs_seed_each_output():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad(x * x, x, grad_outputs=np.array([1.0, 10.0]))
    np.testing.assert_allclose(g.data, [2.0, 40.0])
    (g,) = grad([x * 3, (x * x).sum()], x, grad_outputs=[np.ones(2), None])
    np.testing.assert_allclose(g.data, [5.0, 7.0])
    (g,) = grad(x * x, x, grad_outputs=[[1.0, 1.0]][0])  # a plain list is one seed
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    v = Value(3.0)
    assert grad(v * v, v, grad_outputs=2.0)[0].data == 12.0
    assert grad(v * v, v, grad_outputs=[2.0])[0].data == 12.0


def test_interior_inputs_and_inputs_used_twice():
    a = Value(1.5)
    b = a * a
    c = b * b + b
    gb, ga = grad(c, [b, a])
    assert gb.data == pytest.approx(2 * b.data + 1)
    assert ga.data == pytest.approx((2 * b.data + 1) * 2 * a.data)


def test_allow_unused():
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match=r"grad: inputs\[1\] was not used to compute the "
                                         "outputs.*allow_unused=True"):
        grad(a * 3, [a, b])
    ga, gb = grad(a * 3, [a, b], allow_unused=True)
    assert ga.data == 3.0 and gb is None
    (plain,) = grad(a * a, a)  # without create_graph: a constant, unrelated to a
    with pytest.raises(ValueError, match=r"an output is a leaf: .*pass create_graph=True"):
        grad(plain, a)


def test_errors_name_what_is_wrong():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"grad: inputs\[0\] must be a Value or a Tensor, got "
                                        "ndarray"):
        grad(x.sum(), np.ones(2))
    with pytest.raises(ValueError, match=r"grad: inputs\[0\] \(shape \(2,\)\) does not require "
                                         "a gradient"):
        grad(x.sum(), Tensor([1.0, 2.0]))
    with no_grad():
        y = x.sum()
    with pytest.raises(ValueError, match=r"grad: outputs\[0\] \(shape \(\)\) was computed from "
                                         "nothing that requires a gradient"):
        grad(y, x)
    with pytest.raises(ValueError, match=r"grad: grad_outputs\[0\]: a tensor of shape \(2,\) "
                                         "needs a seed gradient"):
        grad(x * 2, x)
    with pytest.raises(ValueError, match="grad: 1 grad_outputs for 2 outputs"):
        grad([x.sum(), x.sum()], x, grad_outputs=[None])
    with pytest.raises(ValueError, match=r"backward\(create_graph=True\).*autograd.grad"):
        x.sum().backward(create_graph=True)
    with pytest.raises(ValueError, match=r"backward\(create_graph=True\).*autograd.grad"):
        Value(1.0).backward(create_graph=True)


def test_a_stale_graph_is_refused():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with no_grad():
        w.mul_(2.0)
    with pytest.raises(RuntimeError, match="has been modified in place since"):
        grad(loss, w)


def test_data_only_user_rule_works_once_and_refuses_a_second_derivative():
    def square_rule(node):
        (x,) = node._prev
        return (2.0 * x.data,)  # reads data: not marked differentiable

    square = define_op("grad_test_square", lambda x: x * x, local=square_rule, replace=True)
    try:
        x = Value(3.0)
        (g,) = grad(square(x), x, create_graph=True)  # first derivatives still work
        assert g.data == 6.0
        with pytest.raises(NotDifferentiableError, match="'grad_test_square' works on data "
                                                         "only.*differentiable=True"):
            grad(g, x)
    finally:
        remove_op("grad_test_square")


def test_differentiable_user_rule_gives_second_derivatives():
    def cube_rule(node):
        (x,) = node._prev
        return (3.0 * x.data * x.data,)

    cube = define_op("grad_test_cube", lambda x: x ** 3, local=cube_rule, differentiable=True,
                     replace=True)
    try:
        x = Value(2.0)
        (g,) = grad(cube(x), x, create_graph=True)
        (h,) = grad(g, x)
        assert (g.data, h.data) == (12.0, 12.0)
        assert gradcheck(lambda a: cube(a), Value(0.4))
    finally:
        remove_op("grad_test_cube")


def test_the_gradient_graph_can_be_drawn_and_stepped():
    from autograd import backward_steps, to_dot

    x = Value(0.5, label="x")
    L = (x * x).tanh()
    (g,) = grad(L, x, create_graph=True)
    dot = to_dot(g)
    assert "tanh" in dot and dot.count("->") > 3
    steps = list(backward_steps(g))
    assert steps and x.grad == pytest.approx(grad(g, x)[0].data)


def test_each_rule_of_a_recorded_pass_is_drawn_as_a_cluster():
    from autograd import record_scopes, to_dot

    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    with record_scopes() as scopes:
        (g,) = grad((x * w).tanh(), x, create_graph=True)
    dot = to_dot(g, scopes=scopes)
    assert "backward of tanh" in dot and "backward of *" in dot
    (plain,) = grad((x * w).tanh(), x, create_graph=True)  # no scopes recorded: no cost
    assert "backward of" not in to_dot(plain)


def test_first_derivatives_through_every_mask_op_are_constants():
    x = Tensor([-1.0, 2.0, 3.0], requires_grad=True)
    (g,) = grad((x.relu() * 3.0).sum() + x.abs().sum() + x.max(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [-1.0, 4.0, 5.0])
    assert not g.requires_grad  # piecewise linear: the masks are constants, so is g (PyTorch
    # gives the same for 3 * x: grad(g, x) is then an error, as here)
    with pytest.raises(ValueError, match="computed from nothing that requires a gradient"):
        grad(g.sum(), x)
