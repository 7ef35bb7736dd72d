"""The scalar op table: every op's forward against math and its gradient against central
differences (hypothesis, float64) and against PyTorch when installed."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Op, Value, define_op, get_op, gradcheck, list_ops, remove_op
from autograd.ops import list_builtin_ops
from autograd.testing import op_arguments

# The forward reference for every scalar op: name -> function of the input floats (and ctx).
REFERENCE = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "pow": lambda a, n: a ** n,
    "pow_value": lambda a, b: a ** b,
    "relu": lambda a: max(a, 0.0),
    "tanh": math.tanh,
    "exp": math.exp,
    "log": math.log,
    "sigmoid": lambda a: 1.0 / (1.0 + math.exp(-a)),
    "abs": abs,
    "sqrt": math.sqrt,
}

# PyTorch's version of each op, for the cross-check.
TORCH = {
    "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "pow": lambda a, n: a ** n,
    "pow_value": lambda a, b: a ** b, "relu": lambda a: a.relu(), "tanh": lambda a: a.tanh(),
    "exp": lambda a: a.exp(), "log": lambda a: a.log(), "sigmoid": lambda a: a.sigmoid(),
    "abs": lambda a: a.abs(), "sqrt": lambda a: a.sqrt(),
}

BUILTIN = list_builtin_ops("scalar")


def test_every_scalar_op_has_a_forward_and_gradient_test():
    names = {op.name for op in list_builtin_ops("scalar")}
    missing = names - set(REFERENCE)
    assert not missing, f"ops without tests: {sorted(missing)}"
    assert names == set(REFERENCE)
    assert set(TORCH) == set(REFERENCE)


def test_every_op_states_its_math():
    for op in BUILTIN:
        assert "f(" in op.math and "df/d" in op.math, op.name


def _apply(op: Op, inputs, ctx):
    return op(*[Value(x) for x in inputs], ctx=ctx)


@pytest.mark.parametrize("op", BUILTIN, ids=lambda op: op.name)
@given(data=st.data())
def test_forward_matches_math(op, data):
    inputs, ctx = data.draw(op_arguments(op))
    expected = REFERENCE[op.name](*inputs, *(() if ctx is None else (ctx,)))
    assert _apply(op, inputs, ctx).data == pytest.approx(expected, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("op", BUILTIN, ids=lambda op: op.name)
@given(data=st.data())
def test_gradient_matches_finite_differences(op, data):
    inputs, ctx = data.draw(op_arguments(op))
    assert gradcheck(lambda *xs: op(*xs, ctx=ctx), *[Value(x) for x in inputs])


@pytest.mark.parametrize("op", BUILTIN, ids=lambda op: op.name)
@given(data=st.data())
def test_against_torch(op, data):
    torch = pytest.importorskip("torch")
    inputs, ctx = data.draw(op_arguments(op))
    ours = [Value(x) for x in inputs]
    out = op(*ours, ctx=ctx)
    out.backward()
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    ref = TORCH[op.name](*theirs, *(() if ctx is None else (ctx,)))
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-10, abs=1e-12)
    for v, t in zip(ours, theirs):
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-8, abs=1e-12)


def test_methods_use_the_table():
    x = Value(0.5)
    for name in ("relu", "tanh", "exp", "log", "sigmoid", "abs", "sqrt"):
        assert getattr(x, name)()._op is get_op(name)
    assert (x * x)._op is get_op("mul") and (x + x)._op is get_op("add")
    assert (x ** 2)._op is get_op("pow") and (x ** 2)._ctx == 2
    assert (x ** x)._op is get_op("pow_value")


def test_relu_and_abs_gradients_at_zero_follow_pytorch():
    for name in ("relu", "abs"):
        x = Value(0.0)
        getattr(x, name)().backward()
        assert x.grad == 0.0


def test_user_defined_op_works_like_builtin():
    def cube_grad(node):
        (a,) = node._prev
        return (3.0 * a.data ** 2,)

    cube = define_op("cube", lambda a: a ** 3, local=cube_grad, symbol="³",
                     math="f(a) = a ** 3;  df/da = 3 a ** 2", replace=True)
    assert cube in list_ops("scalar") and get_op("cube") is cube
    x = Value(2.0)
    y = cube(x) * 2
    y.backward()
    assert y.data == 16.0 and x.grad == 24.0
    assert gradcheck(lambda a: cube(a), Value(-1.3))
    y3 = cube(3)  # numbers are wrapped as constants
    assert y3.data == 27.0


def test_user_op_with_three_inputs():
    def fma_grad(node):
        a, b, c = node._prev
        return b.data, a.data, 1.0

    fma = define_op("fma", lambda a, b, c: a * b + c, local=fma_grad, arity=3, replace=True,
                    math="f(a, b, c) = a * b + c;  df/da = b;  df/db = a;  df/dc = 1")
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    y = fma(a, b, c)
    assert y._prev == (a, b, c)
    y.backward()
    assert (y.data, a.grad, b.grad, c.grad) == (10.0, 3.0, 2.0, 1.0)
    assert gradcheck(fma, Value(0.5), Value(-1.5), Value(2.0))


def test_define_op_refuses_duplicates_and_bad_rules():
    with pytest.raises(ValueError, match="a scalar op named 'mul' exists already"):
        define_op("mul", lambda a, b: a * b, local=lambda n: (1.0, 1.0), arity=2)
    with pytest.raises(ValueError, match="give exactly one gradient rule"):
        define_op("nothing", lambda a: a)
    with pytest.raises(KeyError, match="no scalar op named 'nope'; known: "):
        get_op("nope")
    with pytest.raises(TypeError, match="mul: takes 2 input"):
        get_op("mul")(Value(1.0))


def test_wrong_user_rule_is_caught_by_gradcheck():
    wrong = define_op("wrong_square", lambda a: a * a, local=lambda node: (node._prev[0].data,),
                      math="f(a) = a ** 2;  df/da = a  (wrong on purpose)", replace=True)
    from autograd import GradcheckError
    with pytest.raises(GradcheckError, match="disagree"):
        gradcheck(wrong, Value(1.5))
    assert remove_op("wrong_square") is wrong
    assert "wrong_square" not in {op.name for op in list_ops("scalar")}
    with pytest.raises(ValueError, match="'mul' is a built-in scalar op"):
        remove_op("mul")
