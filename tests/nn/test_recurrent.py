"""nn.RNN, nn.LSTM, nn.GRU: against PyTorch in float64 (outputs, final states, gradients of the
input, the initial states and every parameter, with torch's weights loaded through
load_state_dict), the fused ops against the unrolled graphs, shapes, errors, printing."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, record_scopes, topological_order
from nn import GRU, LSTM, RNN, Parameter

KINDS = {"RNN": (RNN, {}), "RNN-relu": (RNN, {"nonlinearity": "relu"}), "LSTM": (LSTM, {}),
         "GRU": (GRU, {})}


def make(kind: str, *args, **kwargs):
    cls, extra = KINDS[kind]
    return cls(*args, **extra, **kwargs)


def as_float64(layer):
    for name, p in layer.named_parameters():
        setattr(layer, name, Parameter(p.data.astype(np.float64)))
    return layer


def states_of(kind: str, rng, shape):
    h = rng.standard_normal(shape)
    return (h, rng.standard_normal(shape)) if kind == "LSTM" else h


def flat(final):
    """h_n, or h_n and c_n, as a list."""
    return list(final) if isinstance(final, tuple) else [final]


def run_ours(layer, x, hx):
    xt = Tensor(x, requires_grad=True)
    hts = None if hx is None else tuple(Tensor(h, requires_grad=True) for h in flat(hx))
    given = None if hts is None else (hts if len(hts) == 2 else hts[0])
    output, final = layer(xt, given)
    return xt, hts, output, flat(final)


def backward_ours(output, finals, seeds):
    loss = (output * seeds[0]).sum()
    for s, seed in zip(finals, seeds[1:]):
        loss = loss + (s * seed).sum()
    loss.backward()


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("given", [False, True])
@pytest.mark.parametrize("unroll", [False, True])
def test_matches_pytorch_in_float64(torch, kind, num_layers, batch_first, given, unroll):
    rng = np.random.default_rng(num_layers + 2 * batch_first)
    steps, batch, nin, hidden = 5, 3, 4, 3
    tcls = {"RNN": torch.nn.RNN, "RNN-relu": torch.nn.RNN, "LSTM": torch.nn.LSTM,
            "GRU": torch.nn.GRU}[kind]
    extra = {"nonlinearity": "relu"} if kind == "RNN-relu" else {}
    torch.manual_seed(num_layers)
    theirs = tcls(nin, hidden, num_layers, batch_first=batch_first, **extra).double()
    ours = as_float64(make(kind, nin, hidden, num_layers, batch_first=batch_first,
                           unroll=unroll, rng=0))
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((batch, steps, nin) if batch_first else (steps, batch, nin))
    hx = states_of(kind, rng, (num_layers, batch, hidden)) if given else None

    xt, hts, output, finals = run_ours(ours, x, hx)
    tx = torch.tensor(x, requires_grad=True)
    ths = None if hx is None else tuple(torch.tensor(h, requires_grad=True) for h in flat(hx))
    tout, tfinal = theirs(tx, None if ths is None else (ths if len(ths) == 2 else ths[0]))
    tfinals = flat(tfinal)
    assert output.shape == tuple(tout.shape) and len(finals) == len(tfinals)
    np.testing.assert_allclose(output.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(finals, tfinals):
        assert a.shape == (num_layers, batch, hidden)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)

    seeds = [rng.standard_normal(output.shape)] + [rng.standard_normal(a.shape) for a in finals]
    backward_ours(output, finals, seeds)
    tloss = (tout * torch.tensor(seeds[0])).sum()
    for s, seed in zip(tfinals, seeds[1:]):
        tloss = tloss + (s * torch.tensor(seed)).sum()
    tloss.backward()
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for h, th in zip(hts or (), ths or ()):
        np.testing.assert_allclose(h.grad, th.grad.numpy(), rtol=1e-10, atol=1e-12)
    params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(params[name].grad, p.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("kind", list(KINDS))
def test_unbatched_input_as_pytorch(torch, kind):
    rng = np.random.default_rng(3)
    cls, extra = KINDS[kind]
    theirs = getattr(torch.nn, cls.__name__)(3, 2, 2, **extra).double()
    ours = as_float64(make(kind, 3, 2, 2, batch_first=True, rng=0))  # ignored when unbatched
    ours.load_state_dict(theirs.state_dict())
    x, hx = rng.standard_normal((4, 3)), states_of(kind, rng, (2, 2))
    _, _, output, finals = run_ours(ours, x, hx)
    given = tuple(torch.tensor(h) for h in flat(hx))
    tout, tfinal = theirs(torch.tensor(x), given if len(given) == 2 else given[0])
    assert output.shape == (4, 2) and all(f.shape == (2, 2) for f in finals)
    np.testing.assert_allclose(output.data, tout.detach().numpy(), rtol=1e-10)
    for a, b in zip(finals, flat(tfinal)):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_fused_op_agrees_with_the_unrolled_graph(kind):
    rng = np.random.default_rng(5)
    fused = as_float64(make(kind, 3, 4, 2, rng=1))
    unrolled = as_float64(make(kind, 3, 4, 2, unroll=True, rng=1))
    unrolled.load_state_dict(fused.state_dict())
    x, hx = rng.standard_normal((6, 2, 3)), states_of(kind, rng, (2, 2, 4))
    results = []
    for layer in (fused, unrolled):
        xt, hts, output, finals = run_ours(layer, x, hx)
        backward_ours(output, finals, [np.ones(output.shape)] + [np.ones(f.shape)
                                                                 for f in finals])
        results.append([output.data, *[f.data for f in finals], xt.grad,
                         *[h.grad for h in hts], *[p.grad for p in layer.parameters()]])
        nodes = len(topological_order(output))
        if layer is fused:
            assert nodes < 30  # per layer: the projection, one recurrence op, slices
        else:
            assert nodes > 6 * 2 * 5  # every step of every layer, gate by gate
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_unrolled_steps_are_scoped_for_drawings():
    layer = LSTM(2, 2, unroll=True, rng=0)
    with record_scopes() as scopes:
        output, _ = layer(np.ones((3, 1, 2), dtype=np.float32))
    owners = {owner for _, owner in scopes.values()}
    assert {"layer 0, step 1", "layer 0, step 2", "layer 0, step 3"} <= owners
    assert output.shape == (3, 1, 2)


def test_parameters_names_shapes_init_and_float32():
    layer = LSTM(3, 5, num_layers=2, rng=0)
    assert [(n, p.shape) for n, p in layer.named_parameters()] == [
        ("weight_ih_l0", (20, 3)), ("weight_hh_l0", (20, 5)), ("bias_ih_l0", (20,)),
        ("bias_hh_l0", (20,)), ("weight_ih_l1", (20, 5)), ("weight_hh_l1", (20, 5)),
        ("bias_ih_l1", (20,)), ("bias_hh_l1", (20,))]
    bound = 1 / np.sqrt(5)
    for p in layer.parameters():
        assert p.dtype == np.float32 and np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > bound / 2  # drawn, not zeros
    assert GRU(2, 3).weight_hh_l0.shape == (9, 3) and RNN(2, 3).weight_ih_l0.shape == (3, 2)
    a, b = GRU(2, 3, rng=7), GRU(2, 3, rng=7)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))


def test_float32_in_float32_out_and_integer_input():
    layer = GRU(2, 3, rng=0)
    output, h_n = layer(np.ones((4, 2, 2), dtype=np.float32))
    assert output.dtype == np.float32 and h_n.dtype == np.float32
    output, _ = layer(np.ones((4, 2, 2), dtype=np.int64))
    assert output.dtype == np.float32


def test_the_state_dict_matches_pytorchs(torch):
    for kind in ("RNN", "LSTM", "GRU"):
        theirs = getattr(torch.nn, kind)(3, 4, 2)
        ours = getattr(nn, kind)(3, 4, 2)
        assert [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()] == [
            (k, v.shape) for k, v in ours.state_dict().items()]


def test_errors_name_the_layer_and_the_shapes():
    layer = LSTM(3, 2, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM\(3, 2, num_layers=2\): expected input of shape "
                                         r"\(steps, batch, 3\) or \(steps, 3\), got \(4, 1, 5\)"):
        layer(np.ones((4, 1, 5)))
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, steps, 3\)"):
        RNN(3, 2, batch_first=True)(np.ones(3))
    with pytest.raises(TypeError, match=r"LSTM\(3, 2, num_layers=2\): hx must be a pair "
                                        r"\(h_0, c_0\), got ndarray"):
        layer(np.ones((4, 1, 3)), np.zeros((2, 1, 2)))
    with pytest.raises(ValueError, match=r"expected c_0 of shape \(2, 1, 2\) \(num_layers, "
                                         r"batch, hidden_size\), got \(1, 1, 2\)"):
        layer(np.ones((4, 1, 3)), (np.zeros((2, 1, 2)), np.zeros((1, 1, 2))))
    with pytest.raises(ValueError, match=r"GRU\(3, 2\): expected h_0 of shape \(1, 2\)"):
        GRU(3, 2)(np.ones((4, 3)), np.zeros((1, 1, 2)))
    with pytest.raises(ValueError, match="RNN: nonlinearity must be 'tanh' or 'relu', got 'elu'"):
        RNN(3, 2, nonlinearity="elu")
    with pytest.raises(ValueError, match="GRU: hidden_size must be at least 1, got 0"):
        GRU(3, 0)
    with pytest.raises(TypeError, match="LSTM: batch_first must be a bool, got int 1"):
        LSTM(3, 2, batch_first=1)


def test_repr_output_shape_and_summary():
    assert repr(RNN(3, 2)) == "RNN(3, 2)"
    assert repr(RNN(3, 2, 2, nonlinearity="relu", batch_first=True)) == (
        "RNN(3, 2, num_layers=2, batch_first=True, nonlinearity='relu')")
    assert repr(LSTM(3, 2, unroll=True)) == "LSTM(3, 2, unroll=True)"
    assert GRU(3, 2).output_shape((7, 3)) == (7, None, 2)
    assert GRU(3, 2, batch_first=True).output_shape((7, 3)) == (None, 7, 2)
    assert LSTM(3, 2).output_shape((7, 5, 3)) == (7, 5, 2)
    with pytest.raises(ValueError, match=r"LSTM\(3, 2\): expected input of shape"):
        LSTM(3, 2).output_shape((7, 4))
    text = LSTM(3, 2).summary((7, 3), print_fn=None)
    assert "lstm (LSTM)" in text and "(7, None, 2)" in text and "Total params: 56" in text


def test_a_model_with_an_lstm_and_a_dense_head_trains():
    rng = np.random.default_rng(0)

    class Model(nn.Module):
        def __init__(self):
            self.lstm = LSTM(2, 8, batch_first=True, rng=0)
            self.head = nn.Dense(8, 1, rng=1)

        def forward(self, x):
            output, _ = self.lstm(x)
            return self.head(output[:, -1])

    model = Model()
    x = rng.standard_normal((16, 5, 2)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None].astype(np.float32)  # the sum of the sequence
    opt = nn.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(60):
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
