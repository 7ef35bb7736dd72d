"""Value: construction, operators, domain errors, no_grad and micrograd compatibility."""

import math

import numpy as np
import pytest

from autograd import DivisionByZeroError, DomainError, OverflowDomainError, Value, no_grad


@pytest.mark.parametrize("raw", [3, 2.5, np.float32(1.5), np.float64(-2.0), np.int64(7), True])
def test_value_accepts_numbers(raw):
    v = Value(raw)
    assert type(v.data) is float and v.data == float(raw)
    assert v.grad == 0.0 and v.label == ""


@pytest.mark.parametrize("bad", ["1.0", [1.0], None, np.array([1.0, 2.0]), 1 + 2j])
def test_value_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match=r"Value: expected an int, a float or a numpy scalar, got"):
        Value(bad)


def test_repr_and_label():
    v = Value(2.0, label="w")
    assert repr(v) == "Value(data=2.0, grad=0.0)" and v.label == "w"


def test_operators_with_numbers_on_either_side():
    v = Value(3.0)
    cases = {
        "v + 2": (v + 2, 5.0), "2 + v": (2 + v, 5.0), "v - 1": (v - 1, 2.0),
        "1 - v": (1 - v, -2.0), "2 * v": (2 * v, 6.0), "v * 2": (v * 2, 6.0),
        "v / 2": (v / 2, 1.5), "6 / v": (6 / v, 2.0), "v ** 2": (v ** 2, 9.0),
        "2 ** v": (2 ** v, 8.0), "-v": (-v, -3.0), "v ** Value(2)": (v ** Value(2.0), 9.0),
        "abs(-v)": (abs(-v), 3.0),
    }
    for text, (result, expected) in cases.items():
        assert isinstance(result, Value), text
        assert result.data == pytest.approx(expected), text


def test_unsupported_operand_is_a_type_error():
    with pytest.raises(TypeError, match=r"unsupported operand for \+: Value and str"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match=r"unsupported operand for \*: Value and list"):
        Value(1.0) * [1]


def test_relu_returns_floats():
    assert Value(-2.0).relu().data == 0.0 and type(Value(-2.0).relu().data) is float
    assert Value(-2).relu().data == 0.0 and type(Value(3).relu().data) is float


@pytest.mark.parametrize("x", [-1e3, -745.0, -50.0, 0.0, 50.0, 1e3, 1e6, -1e6])
def test_sigmoid_is_stable_for_large_inputs(x):
    s = Value(x).sigmoid()
    assert 0.0 <= s.data <= 1.0 and math.isfinite(s.data)
    expected = 1 / (1 + math.exp(-x)) if x > -700 else 0.0
    assert s.data == pytest.approx(expected, rel=1e-12, abs=1e-300)
    s.backward()
    assert math.isfinite(s._prev[0].grad)


def test_domain_errors_name_the_op_and_value():
    with pytest.raises(DomainError, match=r"log: input must be positive, got -1.0"):
        Value(-1.0).log()
    with pytest.raises(DomainError, match=r"log: input must be positive, got 0.0"):
        Value(0.0).log()
    with pytest.raises(DomainError, match=r"pow: negative base -8.0 to the non-integer power"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(DomainError, match=r"sqrt: input must be non-negative, got -4.0"):
        Value(-4.0).sqrt()
    root = Value(0.0).sqrt()  # the value is fine; its slope is 1 / (2 * 0)
    with pytest.raises(DivisionByZeroError, match=r"sqrt: the derivative .* at a = 0.0"):
        root.backward()
    with pytest.raises(DomainError, match=r"pow: negative base -2.0 to a Value exponent"):
        Value(-2.0) ** Value(3.0)
    assert isinstance(DomainError("x"), ValueError)


def test_negative_base_with_integer_power_is_fine():
    assert (Value(-2.0) ** 3).data == -8.0


def test_zero_to_the_power_zero_has_slope_zero():
    """Regression: the rule computed 0 * 0.0 ** -1, a DivisionByZeroError, in backward; the
    Tensor path and PyTorch give 0."""
    for base in (0.0, 2.0, -3.0):
        a = Value(base)
        y = a ** 0
        y.backward()
        assert y.data == 1.0 and a.grad == 0.0


def test_zero_to_negative_power_and_division_by_zero():
    with pytest.raises(DivisionByZeroError, match=r"pow: 0.0 \*\* -1 is a division by zero"):
        Value(0.0) ** -1
    with pytest.raises(DivisionByZeroError, match=r"div: division by zero"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError, match=r"division by zero"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match=r"division by zero"):
        3 / Value(0.0)


def test_exp_overflow_names_exp_and_input():
    with pytest.raises(OverflowDomainError, match=r"exp: exp\(1000.0\) overflows"):
        Value(1000.0).exp()
    assert isinstance(OverflowDomainError("x"), ValueError)
    with pytest.raises(OverflowDomainError, match=r"pow: 10.0 \*\* 400.0 overflows"):
        Value(10.0) ** 400.0


def test_value_exponent_with_negative_base_is_refused():
    with pytest.raises(DomainError, match=r"pow: negative base -2.0 to a Value exponent"):
        (-2) ** Value(2.0)


def test_no_grad_records_nothing_and_restores():
    a = Value(2.0)
    with no_grad():
        b = a * 3 + 1
        assert b._prev == () and b._op is None
    c = a * 3
    assert c._prev == (a, c._prev[1]) and c._op.name == "mul"


def test_no_grad_restores_after_exception():
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert (Value(1.0) * 2)._prev != ()


# micrograd's own test suite, with the expected numbers written out so it runs without torch.
def test_micrograd_sanity_check():
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0 and x.grad == 46.0


def _micrograd_more_ops(value_cls):
    a = value_cls(-4.0)
    b = value_cls(2.0)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    return a, b, g


def test_micrograd_more_ops():
    a, b, g = _micrograd_more_ops(Value)
    assert abs(g.data - 24.70408163265306) < 1e-6
    assert abs(a.grad - 138.83381924198252) < 1e-6
    assert abs(b.grad - 645.5772594752186) < 1e-6


def test_micrograd_augmented_assignment_style():
    # micrograd's suite writes c += c + 1: += on Values builds new nodes
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    c += c + 1
    c += 1 + c + (-a)
    c.backward()
    assert c.data == -1.0 and a.grad == 3.0 and b.grad == 4.0


def test_against_torch():
    torch = pytest.importorskip("torch")

    def run(lib):
        a, b, g = _micrograd_more_ops(lib)
        return a.grad, b.grad, g.data

    def torch_value(x):
        t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
        return t

    ours = run(Value)
    a, b, g = _micrograd_more_ops(torch_value)
    assert ours[2] == pytest.approx(g.item(), abs=1e-9)
    assert ours[0] == pytest.approx(a.grad.item(), abs=1e-9)
    assert ours[1] == pytest.approx(b.grad.item(), abs=1e-9)


def test_micrograd_style_manual_backward_steps():
    # Karpathy's lecture steps through backprop by hand with o._backward()
    x1, w1, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    n = x1 * w1 + b
    o = n.tanh()
    o.grad = 1.0
    o._backward()
    n._backward()
    n._prev[0]._backward()
    assert n.grad == pytest.approx(0.5, abs=1e-6)
    assert w1.grad == pytest.approx(1.0, abs=1e-6) and x1.grad == pytest.approx(-1.5, abs=1e-6)
    x1._backward()  # a leaf: nothing to do
