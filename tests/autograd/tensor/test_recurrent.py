"""The recurrence ops (rnn_recurrence, lstm_recurrence, gru_recurrence) beyond the op table's
property tests (cases.py): larger sizes against the step-by-step references, second derivatives
(gradgradcheck, and a Hessian-vector product against PyTorch), the kept gate values against
recomputed ones, float32, and the errors."""

import numpy as np
import pytest

from autograd import Tensor, gradgradcheck, topological_order
from autograd.functional import hvp
from autograd.tensor import recurrent as R

OPS = {"rnn": (R.rnn_recurrence, R.rnn_reference, 1), "lstm": (R.lstm_recurrence,
       R.lstm_reference, 4), "gru": (R.gru_recurrence, R.gru_reference, 3)}


def arrays(kind, steps, batch, n, seed=0, scale=0.5, dtype=np.float64):
    rng = np.random.default_rng(seed)
    gates = OPS[kind][2]
    shapes = [(steps, batch, gates * n), (gates * n, n), (gates * n,), (gates * n,), (batch, n)]
    shapes += [(batch, n)] if kind == "lstm" else []
    return [(scale * rng.standard_normal(s)).astype(dtype) for s in shapes]


@pytest.mark.parametrize("kind", list(OPS))
def test_the_fused_forward_agrees_with_the_cells_step_by_step(kind):
    op, reference, _ = OPS[kind]
    xs = arrays(kind, 20, 5, 7, scale=2.0)  # large pre-activations: saturated gates
    out = op(*[Tensor(a) for a in xs])
    np.testing.assert_allclose(out.data, reference(*xs), rtol=1e-12, atol=1e-14)
    if kind == "rnn":
        relu = R.rnn_recurrence(*[Tensor(a) for a in xs], nonlinearity="relu")
        np.testing.assert_allclose(relu.data, R.rnn_reference(*xs, "relu"), rtol=1e-12)


@pytest.mark.parametrize("kind", list(OPS))
def test_one_node_per_sequence(kind):
    op, _, _ = OPS[kind]
    out = op(*[Tensor(a, requires_grad=True) for a in arrays(kind, 30, 2, 3)])
    assert [n._op.name for n in topological_order(out) if n._op is not None] == [
        f"{kind}_recurrence"]


@pytest.mark.parametrize("kind", list(OPS))
def test_second_derivatives_through_the_recorded_rule(kind):
    op, _, _ = OPS[kind]
    inputs = [Tensor(a, requires_grad=True) for a in arrays(kind, 3, 2, 2, seed=1, scale=0.8)]
    assert gradgradcheck(lambda *ts: (op(*ts) ** 2).sum(), *inputs, atol=1e-6)


def test_an_lstm_hessian_vector_product_matches_pytorch():
    torch = pytest.importorskip("torch")
    xs = arrays("lstm", 4, 2, 3, seed=2, scale=0.7)
    vs = [np.random.default_rng(3).standard_normal(a.shape) for a in xs]

    def ours(*ts):
        return (R.lstm_recurrence(*ts) ** 2).sum()

    def theirs(xw, w, b_ih, b_hh, h0, c0):
        params = [torch.eye(xw.shape[-1], dtype=xw.dtype), w, b_ih, b_hh]
        out, _, c_n = torch.lstm(xw, (h0[None], c0[None]), params, True, 1, 0.0, True, False,
                                 False)
        return (torch.cat([out, c_n]) ** 2).sum()

    _, products = hvp(ours, tuple(Tensor(a) for a in xs), tuple(Tensor(v) for v in vs))
    _, expected = torch.autograd.functional.hvp(
        theirs, tuple(torch.tensor(a) for a in xs), tuple(torch.tensor(v) for v in vs))
    for p, e in zip(products, expected):
        np.testing.assert_allclose(p.data, e.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", list(OPS))
def test_a_context_kept_for_other_arrays_is_not_used(kind):
    """The forward keeps its gate values in the op's context for the very arrays it ran on; a
    rule whose context now serves other arrays computes them again."""
    op, _, _ = OPS[kind]
    seed = np.random.default_rng(5).standard_normal(op(*arrays(kind, 4, 2, 3)).shape)
    fresh = [Tensor(a, requires_grad=True) for a in arrays(kind, 4, 2, 3, seed=4)]
    op(*fresh).backward(seed)
    ts = [Tensor(a, requires_grad=True) for a in arrays(kind, 4, 2, 3, seed=4)]
    out = op(*ts)
    out._op(*[Tensor(a) for a in arrays(kind, 4, 2, 3, seed=6)], ctx=out._ctx)  # reused
    assert out._ctx.kept([t.data for t in ts]) is None
    out.backward(seed)
    for t, f in zip(ts, fresh):
        np.testing.assert_allclose(t.grad, f.grad, rtol=1e-13)


@pytest.mark.parametrize("kind", list(OPS))
def test_float32_stays_float32_and_mixed_dtypes_promote(kind):
    op, _, _ = OPS[kind]
    xs = arrays(kind, 5, 3, 4, dtype=np.float32)
    ts = [Tensor(a, requires_grad=True) for a in xs]
    out = op(*ts)
    assert out.dtype == np.float32
    out.sum().backward()
    assert all(t.grad.dtype == np.float32 for t in ts)
    np.testing.assert_allclose(out.data, op(*[Tensor(a.astype(np.float64)) for a in xs]).data,
                               rtol=1e-5, atol=1e-6)
    mixed = [xs[0].astype(np.float64), *xs[1:]]
    assert op(*[Tensor(a) for a in mixed]).dtype == np.float64


def test_errors_name_the_op_and_the_shapes():
    xw, w, b, b2, h0, c0 = arrays("lstm", 3, 2, 4)
    with pytest.raises(ValueError, match=r"lstm_recurrence: W_hh must be \(4 \* hidden, "
                                         r"hidden\), got shape \(16, 3\)"):
        R.lstm_recurrence(xw, w[:, :3], b, b2, h0, c0)
    with pytest.raises(ValueError, match=r"lstm_recurrence: the input projections xw must be "
                                         r"\(steps >= 1, batch, 16\) for W_hh of shape \(16, 4\), "
                                         r"got shape \(3, 2, 12\)"):
        R.lstm_recurrence(xw[..., :12], w, b, b2, h0, c0)
    with pytest.raises(ValueError, match=r"xw must be \(steps >= 1, batch, 16\).*\(0, 2, 16\)"):
        R.lstm_recurrence(xw[:0], w, b, b2, h0, c0)
    with pytest.raises(ValueError, match=r"lstm_recurrence: b_hh must be \(16,\), got shape "
                                         r"\(15,\)"):
        R.lstm_recurrence(xw, w, b, b2[:15], h0, c0)
    with pytest.raises(ValueError, match=r"lstm_recurrence: c0 must be \(batch, hidden\) = "
                                         r"\(2, 4\), got shape \(1, 4\)"):
        R.lstm_recurrence(xw, w, b, b2, h0, c0[:1])
    with pytest.raises(ValueError, match="rnn_recurrence: nonlinearity must be 'tanh' or "
                                         "'relu', got 'sigmoid'"):
        R.rnn_recurrence(xw[..., :4], w[:4], b[:4], b2[:4], h0, "sigmoid")


@pytest.mark.parametrize("kind", ["rnn", "relu", "lstm", "gru"])
def test_the_forward_loops_keep_what_the_formulas_say(kind):
    """What a forward loop keeps for the rule (its local factors) equals the formulas the
    recorded backward pass computes from the cells' gate values."""
    name = "rnn" if kind == "relu" else kind
    xs = arrays(name, 6, 3, 4, seed=7, scale=1.5)
    ctx = R.RecurrentContext("relu" if kind == "relu" else "tanh")
    forward, formulas = {"rnn": (R.rnn_forward, R._rnn_kept), "lstm": (R.lstm_forward,
                         R._lstm_kept), "gru": (R.gru_forward, R._gru_kept)}[name]
    forward(*xs, ctx)
    expected = formulas(*xs, ctx)
    assert len(ctx.saved) == len(expected)
    for kept, formula in zip(ctx.saved, expected):
        assert kept.shape == formula.shape
        np.testing.assert_allclose(np.asarray(kept, float), np.asarray(formula, float),
                                   rtol=1e-12, atol=1e-14)
