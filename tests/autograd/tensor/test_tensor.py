"""Tensor: construction, the node protocol, backward semantics (PyTorch's), dtypes, error
messages, detect_anomaly, and parity with the scalar engine."""

import random

import numpy as np
import pytest

from autograd import (
    AnomalyError,
    Tensor,
    Value,
    backward_steps,
    concatenate,
    detect_anomaly,
    maximum,
    no_grad,
    stack,
    where,
)
from autograd import tensor as F

# ---- construction and properties --------------------------------------------------------------


def test_wraps_arrays_lists_and_numbers():
    a = np.arange(6.0).reshape(2, 3)
    t = Tensor(a)
    assert t.data is a and t.numpy() is a
    assert (t.shape, t.ndim, t.size, t.dtype) == ((2, 3), 2, 6, np.float64)
    assert Tensor([[1, 2], [3, 4]]).dtype == np.int64
    assert Tensor(2.5).shape == () and Tensor(2.5).item() == 2.5
    assert Tensor([1, 2], dtype="float32").dtype == np.float32
    assert len(t) == 2 and float(Tensor([3.0])) == 3.0


def test_repr_shows_data_shape_dtype_and_grad_state():
    t = Tensor([1.0, 2.0], requires_grad=True, label="w")
    assert repr(t) == ("Tensor([1., 2.], shape=(2,), dtype=float64, requires_grad=True, "
                       "label='w')")
    assert repr(t * 2) == "Tensor([2., 4.], shape=(2,), dtype=float64, requires_grad=True, op=mul)"
    assert repr(Tensor(np.zeros((2, 2), np.float32))).endswith("shape=(2, 2), dtype=float32)")


def test_bad_data_is_a_type_error_naming_what_was_given():
    with pytest.raises(TypeError, match=r"Tensor: expected a numpy array, nested lists or a "
                                        r"number, got str 'abc'"):
        Tensor("abc")
    with pytest.raises(TypeError, match="got NoneType"):
        Tensor(None)
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients, got "
                                        "dtype int64"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(ValueError, match="Tensor: cannot make an array of list"):
        Tensor([[1.0, 2.0], [3.0]])


def test_unsupported_operand_is_a_type_error():
    with pytest.raises(TypeError, match=r"unsupported operand for \+: Tensor and str 'x'; "
                                        "expected a Tensor, a numpy array or a number"):
        Tensor([1.0]) + "x"
    with pytest.raises(TypeError, match="unsupported operand for @: Tensor and dict"):
        Tensor([1.0]) @ {}


# ---- the engine protocol and backward semantics ----------------------------------------------


def test_elementwise_eq_does_not_break_the_engine():
    a = Tensor([1.0, 2.0], requires_grad=True)
    assert (a == Tensor([1.0, 3.0])).tolist() == [True, False]
    b = a + a  # two edges to the same node; hashing is by identity
    b.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]
    assert len({a, b, a}) == 2


def test_graph_only_when_some_input_requires_grad():
    x, w = Tensor([1.0, 2.0]), Tensor([3.0, 4.0], requires_grad=True)
    assert (x * 2)._op is None and not (x * 2).requires_grad
    y = x * w
    assert y.requires_grad and y._op.name == "mul" and y._prev == (x, w)
    with no_grad():
        z = x * w
    assert z._op is None and z._prev == () and not z.requires_grad
    y.sum().backward()
    assert x.grad is None and w.grad.tolist() == [1.0, 2.0]


def test_constant_parents_get_no_gradient_work():
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = (w * 2.0).sum()
    steps = list(backward_steps(y))
    mul_step = next(s for s in steps if s.op.name == "mul")
    assert mul_step.local[1] is None and mul_step.contributions[1] is None
    assert w.grad.tolist() == [2.0, 2.0]


def test_grad_is_none_until_reached_and_accumulates_like_pytorch():
    w = Tensor([1.0, -2.0], requires_grad=True)
    assert w.grad is None
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, -4.0]
    (w * 3).sum().backward()
    assert w.grad.tolist() == [5.0, -1.0]
    w.grad = None
    (w * 3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


def test_leaf_grad_is_its_own_array():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w.reshape(2, 1).reshape(2)
    seed = np.array([1.0, 1.0])
    y.backward(seed)
    w.grad *= 10  # the user's to change: must not touch the seed or interior gradients
    assert seed.tolist() == [1.0, 1.0] and y.grad.tolist() == [1.0, 1.0]


def test_leaves_keep_new_products_without_copies_and_never_share_them():
    # a product the engine or a fresh_vjp rule just made is kept as is (no copy on the hot path)
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    w = Tensor(np.full((4, 2), 0.5), requires_grad=True)
    loss = (x @ w).sum() + (w * w).sum()
    loss.backward()
    assert w.grad.tolist() == [[4.0, 4.0]] * 4  # 3 from x^T @ 1 plus 2 * 0.5
    assert not np.shares_memory(x.grad, w.grad)
    w.grad *= 0  # the user's to change: nothing else moves
    assert x.grad.tolist() == [[1.0] * 4] * 3
    # a recorded pass keeps its contributions in the steps, so leaves copy them there
    x.grad = w.grad = None
    steps = list(backward_steps((x @ w).sum()))
    w.grad += 1
    assert all(not np.shares_memory(c, w.grad) for s in steps for c in s.contributions
               if c is not None)


def test_a_read_only_gradient_from_a_fresh_rule_is_copied_for_the_leaf():
    from autograd import define_op, remove_op

    spread = define_op("spread", lambda a: a.sum(axis=0), arity=1, kind="tensor",
                       fresh_vjp=True,  # a new array, but a read-only broadcast view of it
                       vjp=lambda node, up: (np.broadcast_to(up.copy(), node._prev[0].shape),))
    try:
        x = Tensor(np.ones((3, 2)), requires_grad=True)
        spread(x).sum().backward()
        x.grad *= 2  # the user's to change
        assert x.grad.tolist() == [[2.0, 2.0]] * 3
    finally:
        remove_op("spread", kind="tensor")


def test_broadcast_gradients_are_summed_back_to_each_shape():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((3,)), requires_grad=True)
    c = Tensor(np.ones((2, 1)), requires_grad=True)
    (a * b + c).sum().backward()
    assert a.grad.shape == (2, 3) and b.grad.tolist() == [2.0, 2.0, 2.0]
    assert c.grad.tolist() == [[3.0], [3.0]]


def test_backward_needs_a_seed_for_non_scalars():
    y = Tensor(np.ones((3, 4)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"backward: a tensor of shape \(3, 4\) needs a seed "
                                         r"gradient of shape \(3, 4\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"the seed gradient has shape \(4,\) but the tensor "
                                         r"has shape \(3, 4\)"):
        y.backward(np.ones(4))
    y.backward(np.ones((3, 4)))
    assert Tensor([[5.0]], requires_grad=True).sum().grad is None


def test_backward_on_a_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        (Tensor([1.0]) * 2).backward()


def test_zero_grad_resets_the_graph_to_none():
    w = Tensor([1.0], requires_grad=True)
    y = (w * 2).sum()
    y.backward()
    y.zero_grad()
    assert w.grad is None and y.grad is None


def test_deep_chain_has_no_recursion_error():
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


# ---- dtypes -----------------------------------------------------------------------------------


def test_float32_stays_float32_with_python_and_numpy_numbers():
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = ((x * 2.5 + 1) / 3.0 - np.float64(0.5)) ** 2
    y = (2.0 - y).exp().log().tanh().sigmoid().relu().abs().sqrt()
    y = maximum(y, 0.1) + where(x.data > 0, y, 0.0) + (x @ np.ones((3, 2), np.float32)).sum()
    y = F.log_softmax(y.reshape(3, 2).T, axis=1).mean() / 2
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_float32_through_conv_and_pool():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 1, 6, 6)).astype(np.float32))
    w = Tensor(rng.standard_normal((3, 1, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.max_pool2d(F.conv2d(x, w, padding=1), 2) * np.float64(0.5)
    assert y.dtype == np.float32
    F.log_softmax(y.flatten(1)).exp().sum().backward()
    assert w.grad.dtype == np.float32


def test_mixed_float_tensors_promote_and_gradients_keep_each_dtype():
    a = Tensor(np.ones(2, np.float32), requires_grad=True)
    b = Tensor(np.ones(2, np.float64), requires_grad=True)
    y = (a * b).sum()
    assert y.dtype == np.float64
    y.backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


# ---- shape errors and shape ops ---------------------------------------------------------------


def test_shape_errors_name_the_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"^matmul: shapes \(3, 4\) and \(5, 2\) are not "
                                         r"aligned: 4 != 5$"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"^add: shapes \(2, 3\) and \(4,\) do not broadcast$"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"^mul: shapes \(2,\) and \(3,\) do not broadcast$"):
        Tensor(np.ones(2)) * np.ones(3)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape shape \(2, 3\) \(6 "
                                         r"elements\) into \(4, 2\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)
    with pytest.raises(ValueError, match=r"sum: axis 2 is out of bounds for shape \(2, 3\)"):
        Tensor(np.ones((2, 3))).sum(axis=2)
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 0\) are not a permutation"):
        Tensor(np.ones((2, 3))).transpose(0, 0)
    with pytest.raises(ValueError, match=r"concatenate: shapes \(2, 3\) and \(2, 4\) differ "
                                         "outside axis 0"):
        concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))])
    with pytest.raises(IndexError, match=r"getitem: .* \(tensor of shape \(2,\)\)"):
        Tensor(np.ones(2))[5]
    with pytest.raises(TypeError, match="sum: axis must be an int or a tuple of ints, got str"):
        Tensor(np.ones(2)).sum(axis="0")


def test_shape_helpers():
    t = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    assert t.T.shape == (4, 3, 2) and t.transpose().shape == (4, 3, 2)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12)
    assert t.reshape((4, -1)).shape == (4, 6)
    assert stack([t, t], axis=1).shape == (2, 2, 3, 4)
    assert t.mean().item() == 11.5 and t.min(axis=0).shape == (3, 4)
    assert t.max(axis=(0, 2), keepdims=True).shape == (1, 3, 1)
    stack([t, t * 2], axis=-1).sum().backward()
    assert np.all(t.grad == 3.0)


def test_division_by_the_number_zero_is_an_error():
    with pytest.raises(ZeroDivisionError, match=r"div: division by zero"):
        Tensor([1.0]) / 0


# ---- detect_anomaly ---------------------------------------------------------------------------


def test_detect_anomaly_names_the_op_shapes_and_user_line():
    x = Tensor([1.0, 0.0, 2.0], requires_grad=True)
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        y = x * 2
        y.log()  # the user line
    message = str(info.value)
    assert message.startswith("detect_anomaly: log produced 1 inf value(s) in its output of "
                              "shape (3,) from inputs of shape(s) (3,); created at ")
    assert "test_tensor.py:" in message and "y.log()  # the user line" in message


def test_detect_anomaly_points_at_a_user_file_whose_name_starts_like_the_package():
    from pathlib import Path

    import autograd

    user_file = str(Path(autograd.__file__).resolve().parents[1] / "nn_lab.py")  # not nn/
    code = compile("x = Tensor([0.0], requires_grad=True)\nx.log()\n", user_file, "exec")
    with pytest.raises(AnomalyError, match=r"created at .*nn_lab\.py:2"), detect_anomaly():
        exec(code, {"Tensor": Tensor})


def test_detect_anomaly_checks_gradients_and_costs_nothing_outside():
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt().sum()  # forward is finite, backward divides by zero
    with pytest.raises(AnomalyError, match="backward pass produced 1 inf value"), \
            detect_anomaly():
        y = x.sqrt().sum()
        y.backward()
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        h = x * 1.0
        h.sqrt().sum().backward()  # sqrt's rule divides by zero; mul's output receives it
    from autograd.modes import modes
    assert modes().anomaly is None  # nothing (no graph) is held after the failed pass
    a = Tensor(np.array([1.0], np.float32), requires_grad=True)
    with pytest.raises(AnomalyError, match="when adding up the contributions"), detect_anomaly():
        h2 = a * 1.0
        (h2 + h2).backward(np.array([3e38], np.float32))  # each part is finite, the sum is not
    assert ("1 inf value(s) from the gradient rule of sqrt (created at " in str(info.value)
            and "h.sqrt().sum().backward()" in str(info.value)
            and "in the gradient of the output of mul" in str(info.value))
    with np.errstate(divide="ignore"):
        y = (Tensor([0.0], requires_grad=True)).log()  # no error outside the context
    assert np.isinf(y.data[0])


# ---- scalar-vs-tensor parity ------------------------------------------------------------------


def test_scalar_and_tensor_engines_agree_on_a_small_mlp():
    rng = random.Random(0)
    sizes = [3, 4, 4, 1]
    weights = [[[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)]
               for nin, nout in zip(sizes[:-1], sizes[1:])]
    biases = [[rng.uniform(-1, 1) for _ in range(nout)] for nout in sizes[1:]]
    xs = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(5)]
    ys = [rng.choice([-1.0, 1.0]) for _ in range(5)]

    # Values: micrograd style
    vw = [[[Value(w) for w in row] for row in layer] for layer in weights]
    vb = [[Value(b) for b in layer] for layer in biases]
    losses = []
    for x, y in zip(xs, ys):
        act = [Value(v) for v in x]
        for k, (lw, lb) in enumerate(zip(vw, vb)):
            act = [sum((wi * ai for wi, ai in zip(row, act)), b) for row, b in zip(lw, lb)]
            act = [a.tanh() for a in act] if k < len(vw) - 1 else act
        losses.append((act[0] - y) ** 2)
    vloss = sum(losses) * (1.0 / len(losses))
    vloss.backward()

    # Tensors: the same computation, a batch at a time
    tw = [Tensor(np.array(layer).T, requires_grad=True) for layer in weights]
    tb = [Tensor(np.array(layer), requires_grad=True) for layer in biases]
    act = Tensor(np.array(xs))
    for k, (w, b) in enumerate(zip(tw, tb)):
        act = act @ w + b
        act = act.tanh() if k < len(tw) - 1 else act
    tloss = ((act.reshape(-1) - np.array(ys)) ** 2).mean()
    tloss.backward()

    assert tloss.item() == pytest.approx(vloss.data, rel=1e-12)
    for layer_v, layer_t in zip(vw, tw):
        grads = np.array([[w.grad for w in row] for row in layer_v]).T
        np.testing.assert_allclose(layer_t.grad, grads, rtol=1e-10, atol=1e-12)
    for layer_v, layer_t in zip(vb, tb):
        np.testing.assert_allclose(layer_t.grad, [b.grad for b in layer_v], rtol=1e-10,
                                   atol=1e-12)


def test_user_defined_tensor_op_keeps_float32_with_numbers():
    from autograd import define_op, remove_op

    scale = define_op("scaled_add", lambda a, b: a + 2 * b, kind="tensor", arity=2,
                      local=lambda node: (1.0, 2.0), replace=True,
                      math="f(a, b) = a + 2 b;  df/da = 1;  df/db = 2")
    try:
        out = scale(Tensor(np.ones(3, dtype=np.float32), requires_grad=True), 1.5)
        assert out.dtype == np.float32 and out.numpy().tolist() == [4.0, 4.0, 4.0]
        assert scale(Tensor([1, 2]), 1.5).numpy().tolist() == [4.0, 5.0]  # not cut to ints
        x32 = Tensor(np.ones(3, dtype=np.float32))
        assert scale(x32, np.array([1.0, 2.0, 3.0])).dtype == np.float32
        assert scale(x32, [1, 2, 3]).dtype == np.float32
    finally:
        remove_op("scaled_add", "tensor")


# ---- division and dtypes as a PyTorch user expects -------------------------------------------


def test_true_division_by_integer_tensors_and_arrays():
    x = Tensor([1.0, 2.0, 4.0], requires_grad=True)
    y = x / Tensor([1, 2, 4])
    np.testing.assert_allclose(y.data, [1.0, 1.0, 1.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 0.5, 0.25])
    np.testing.assert_allclose((x / np.array([1, 2, 4])).data, [1.0, 1.0, 1.0])
    np.testing.assert_allclose((1 / Tensor([1, 2, 4])).data, [1.0, 0.5, 0.25])
    np.testing.assert_allclose((Tensor([1, 2]) / Tensor([2, 2])).data, [0.5, 1.0])
    np.testing.assert_allclose((Tensor([3, 4]) / 2).data, [1.5, 2.0])
    assert (Tensor([49]) / Tensor([49])).item() == 1.0 == (Tensor([49.0]) / 49).item()  # exact


def test_float32_stays_float32_with_integer_masks_and_0d_constants():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    for y in (x * Tensor([1, 0, 1]), x * np.array([1, 0, 1], np.int32), x + np.array(1.0),
              x * Tensor(2.0), x / np.array([1, 2, 4]), Tensor([True, False, True]) * x,
              np.array(2.0) - x):
        assert y.dtype == np.float32, y
    y = x * Tensor(np.ones(3))  # a float64 array of the same rank: numpy's rule, as in torch
    assert y.dtype == np.float64
    scale = Tensor(2.0, requires_grad=True)  # a learnt 0-d float64 scale: float32 stays
    y = x * scale
    assert y.dtype == np.float32 and (x / scale).dtype == np.float32
    y.sum().backward()
    assert scale.grad.dtype == np.float64 and scale.grad == 3.0 and x.grad.dtype == np.float32
    from autograd import where
    assert where(np.array([True, False, True]), x, np.array(0.0)).dtype == np.float32
    assert (x.reshape(1, 3) @ np.ones((3, 1), dtype=int)).dtype == np.float32


def test_unsigned_integer_tensors_wrap_around_as_numpy_does():
    """Regression: uint8 - 3 negated the 3 into a uint8 first: OverflowError."""
    u = np.array([1, 2], np.uint8)
    assert (Tensor(u) - 3).tolist() == (u - 3).tolist() == [254, 255]
    assert (3 - Tensor(u)).tolist() == (3 - u).tolist() == [2, 1]
    assert (-Tensor(u)).tolist() == (-u).tolist() == [255, 254]
    assert (Tensor(u) - 3).dtype == np.uint8 and (Tensor(u) - 1.5).tolist() == [-0.5, 0.5]
    assert (Tensor(np.array([5], np.int8)) - 3).tolist() == [2]


def test_subtracting_unsigned_integers_from_float_tensors():
    x = Tensor(np.full(2, 10.0, np.float32))
    assert (x - np.uint8(3)).numpy().tolist() == [7.0, 7.0]  # not 10 + 253
    y = x - np.array([3, 4], np.uint8)
    assert y.dtype == np.float32 and y.numpy().tolist() == [7.0, 6.0]
    assert (np.array([3, 4], np.uint8) - x).numpy().tolist() == [-7.0, -6.0]


def test_subtraction_and_division_errors_name_the_op_written():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"sub: shapes \(2, 3\) and \(4,\) do not broadcast"):
        a - b
    with pytest.raises(ValueError, match=r"div: shapes \(4,\) and \(2, 3\) do not broadcast"):
        b / a
    with pytest.raises(ValueError, match="pow_tensor: Integers to negative integer powers"):
        Tensor([2, 3]) ** Tensor([-1, -1])


def test_weight_gradients_come_in_the_weights_memory_order():
    """x @ w.T and linear(x, w) hand w a C-ordered (out, in) gradient, like w itself: an update
    across the rows of a column-ordered gradient is several times slower."""
    from autograd.tensor import linear

    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((5, 4)))
    for product in (lambda w: x @ w.T, lambda w: linear(x, w)):
        w = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
        product(w).sum().backward()
        assert w.grad.flags.c_contiguous
        np.testing.assert_allclose(w.grad, np.ones((5, 3)).T @ x.data)
    a = Tensor(rng.standard_normal((4, 5)), requires_grad=True)  # column-ordered left operand
    (a.T @ Tensor(rng.standard_normal((4, 2)))).sum().backward()
    assert a.grad.flags.c_contiguous
