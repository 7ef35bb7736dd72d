"""Learning-rate schedules: Keras' formulas, PyTorch's schedulers, optimizers and fit using them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import (
    SGD,
    Adam,
    CosineDecay,
    Dense,
    ExponentialDecay,
    LearningRateScheduler,
    Sequential,
    fit,
)


def test_cosine_decay_follows_the_formula_and_stays_at_alpha_after_the_end():
    schedule = CosineDecay(2e-3, decay_steps=10, alpha=0.1)
    for k in range(14):
        t = min(k, 10) / 10
        expected = 2e-3 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))
        assert schedule(k) == pytest.approx(expected, rel=1e-12)
    assert schedule(10) == schedule(13) == pytest.approx(2e-4)


def test_cosine_decay_warms_up_linearly_then_decays_from_the_target():
    schedule = CosineDecay(1e-4, decay_steps=4, warmup_steps=3, warmup_target=1e-3)
    assert [schedule(k) for k in range(3)] == pytest.approx([1e-4, 4e-4, 7e-4])
    assert [schedule(k) for k in range(3, 8)] == pytest.approx(
        [1e-3 * 0.5 * (1 + math.cos(math.pi * j / 4)) for j in range(5)])


def test_exponential_decay_smooth_and_staircase():
    smooth = ExponentialDecay(1.0, decay_steps=4, decay_rate=0.5)
    assert smooth(2) == pytest.approx(0.5 ** 0.5)
    stairs = ExponentialDecay(1.0, decay_steps=4, decay_rate=0.5, staircase=True)
    assert [stairs(k) for k in (0, 3, 4, 7, 8)] == [1.0, 1.0, 0.5, 0.5, 0.25]


@pytest.mark.parametrize("make, name", [
    (lambda: CosineDecay(-1.0, 10), "initial_lr"),
    (lambda: CosineDecay(1e-3, 0), "decay_steps"),
    (lambda: CosineDecay(1e-3, 10, alpha=1.5), "alpha"),
    (lambda: CosineDecay(1e-3, 10, warmup_steps=5), "warmup_target"),
    (lambda: CosineDecay(0.0, 10), "initial_lr is 0"),
    (lambda: ExponentialDecay(1e-3, 10, decay_rate=float("nan")), "decay_rate"),
    (lambda: ExponentialDecay(1e-3, -1, decay_rate=0.5), "decay_steps"),
])
def test_bad_schedule_arguments_are_value_errors_naming_them(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_a_fractional_step_count_is_a_type_error():
    with pytest.raises(TypeError, match="CosineDecay: decay_steps must be an int, got float 2.5"):
        CosineDecay(1e-3, 2.5)


def test_sgd_takes_each_step_with_the_scheduled_rate():
    rates = [0.1, 0.05, 0.025]
    w = Value(1.0)
    opt = SGD([w], lr=lambda step: rates[step])
    expected = 1.0
    for rate in rates:
        assert opt.current_lr == rate
        opt.zero_grad()
        (w * w).backward()
        opt.step()
        expected -= rate * 2 * expected
        assert w.data == pytest.approx(expected, rel=1e-12)
    assert opt.iterations == 3


def test_a_schedule_returning_a_bad_rate_is_a_clear_error():
    opt = Adam([Value(1.0)], lr=lambda step: float("nan"))
    with pytest.raises(ValueError, match="schedule returned nan at step 0"):
        opt.step()


def test_learning_rate_scheduler_refuses_an_optimizer_with_a_schedule():
    opt = Adam([Value(1.0)], lr=CosineDecay(1e-3, 10))
    callback = LearningRateScheduler(lambda epoch, lr: lr)
    callback.set_context(None, {}, None, opt)
    with pytest.raises(TypeError, match="already a per-step schedule"):
        callback.on_epoch_begin(0)


def test_fit_counts_steps_across_epochs():
    np.random.seed(0)
    x = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = Sequential(Dense(3, 1))
    opt = SGD(model.parameters(), lr=CosineDecay(0.05, decay_steps=20))
    fit(model, x, y, "mse", opt, epochs=3, batch_size=10, verbose=0)
    assert opt.iterations == 12
    assert opt.current_lr == pytest.approx(0.05 * 0.5 * (1 + math.cos(math.pi * 12 / 20)))


def test_adam_with_cosine_decay_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w0 = rng.normal(size=(3, 2))
    grads = [rng.normal(size=(3, 2)) for _ in range(6)]
    ours = Tensor(w0.copy(), requires_grad=True)
    opt = Adam([ours], lr=CosineDecay(0.1, decay_steps=6, alpha=0.2))
    theirs = torch.tensor(w0.copy(), requires_grad=True)
    topt = torch.optim.Adam([theirs], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=6, eta_min=0.02)
    for g in grads:
        ours.grad = g.copy()
        opt.step()
        theirs.grad = torch.from_numpy(g.copy())
        topt.step()
        sched.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_reprs_show_what_the_schedule_does():
    assert repr(CosineDecay(1e-4, 10, warmup_target=1e-3)) == (
        "CosineDecay(initial_lr=0.0001, decay_steps=10, alpha=0.0, warmup_target=0.001)")
    assert "staircase=True" in repr(ExponentialDecay(1e-3, 5, 0.5, staircase=True))


def test_a_growing_exponential_schedule_that_overflows_is_a_clear_error():
    opt = SGD([Value(1.0)], lr=ExponentialDecay(1e-3, decay_steps=1, decay_rate=2.0))
    opt.iterations = 5000
    with pytest.raises(ValueError, match="schedule returned inf at step 5000"):
        opt.step()
