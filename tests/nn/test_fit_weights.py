"""fit's initial_epoch, sample_weight and class_weight, checked against exact equivalents."""

from __future__ import annotations

import numpy as np
import pytest

from nn import (
    SGD,
    Callback,
    Dense,
    LearningRateScheduler,
    Sequential,
    cross_entropy,
    fit,
    mse,
    predict,
)


def model_for(n_in: int, n_out: int, seed: int = 0) -> Sequential:
    return Sequential(Dense(n_in, n_out, rng=seed))


def weights(model) -> list[np.ndarray]:
    return [p.data.copy() for p in model.parameters()]


def assert_same_weights(a, b, rtol: float = 1e-5) -> None:
    for p, q in zip(weights(a), weights(b)):
        np.testing.assert_allclose(p, q, rtol=rtol, atol=1e-6)


def regression(n: int = 5):
    rng = np.random.default_rng(3)
    return rng.standard_normal((n, 3)), rng.standard_normal((n, 2))


def full_batch(x, y, lr, epochs=3, **kwargs):
    """Full-batch SGD without shuffling: each step is lr * the mean gradient, exactly."""
    model = model_for(x.shape[1], y.shape[1] if y.ndim == 2 else 3)
    history = fit(model, x, y, kwargs.pop("loss", "mse"), SGD(model.parameters(), lr=lr),
                  epochs=epochs, batch_size=len(x), shuffle=False, verbose=0, **kwargs)
    return model, history


# ---- initial_epoch ---------------------------------------------------------------------------

def test_initial_epoch_runs_the_later_epochs_with_their_true_numbers(capsys):
    x, y = regression()
    seen = []

    class Seen(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(epoch)

    rates = LearningRateScheduler(lambda epoch, lr: 0.01 * (epoch + 1))
    model = model_for(3, 2)
    history = fit(model, x, y, "mse", SGD(model.parameters(), lr=0.1), epochs=5, initial_epoch=2,
                  callbacks=[Seen(), rates], verbose=2)
    assert seen == [2, 3, 4] and history.epoch == [2, 3, 4]
    assert history.history["lr"] == [0.03, 0.04, 0.05]
    assert [line.split(" - ")[0] for line in capsys.readouterr().out.splitlines()] == [
        "Epoch 3/5", "Epoch 4/5", "Epoch 5/5"]


def test_resuming_with_initial_epoch_equals_one_run():
    x, y = regression()
    whole, _ = full_batch(x, y, lr=0.1, epochs=4)
    model = model_for(3, 2)
    optimizer = SGD(model.parameters(), lr=0.1)
    fit(model, x, y, "mse", optimizer, epochs=2, batch_size=5, shuffle=False, verbose=0)
    fit(model, x, y, "mse", optimizer, epochs=4, initial_epoch=2, batch_size=5, shuffle=False,
        verbose=0)
    assert_same_weights(model, whole, rtol=0)


def test_initial_epoch_at_or_past_epochs_trains_nothing_and_is_checked():
    x, y = regression()
    model = model_for(3, 2)
    before = weights(model)
    calls = []

    class Ends(Callback):
        def on_train_begin(self, logs=None):
            calls.append("begin")

        def on_train_end(self, logs=None):
            calls.append("end")

    history = fit(model, x, y, "mse", SGD(model.parameters(), lr=0.1), epochs=3, initial_epoch=3,
                  callbacks=[Ends()], verbose=0)
    assert history.epoch == [] and history.history == {} and calls == ["begin", "end"]
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="fit: initial_epoch must be at least 0, got -1"):
        fit(model, x, y, "mse", opt, initial_epoch=-1)
    for bad in (1.0, True):
        with pytest.raises(TypeError, match="fit: initial_epoch must be an int"):
            fit(model, x, y, "mse", opt, initial_epoch=bad)


# ---- sample_weight ---------------------------------------------------------------------------

def test_one_weighted_step_by_hand():
    """L = (3 * l_1 + 1 * l_2) / 2 with l_i = (w x_i + b - y_i)^2, one SGD step."""
    model = model_for(1, 1)
    w0 = next(p for p in model.parameters() if p.data.ndim == 2).data.item()
    b0 = next(p for p in model.parameters() if p.data.ndim == 1).data.item()
    x, y, sw, lr = np.array([[1.0], [2.0]]), np.array([[0.5], [-1.0]]), np.array([3.0, 1.0]), 0.1
    r = w0 * x[:, 0] + b0 - y[:, 0]  # residuals
    loss = (sw * r**2).sum() / 2
    grad_w, grad_b = (sw * 2 * r * x[:, 0]).sum() / 2, (sw * 2 * r).sum() / 2
    history = fit(model, x, y, "mse", SGD(model.parameters(), lr=lr), batch_size=2,
                  sample_weight=sw, verbose=0)
    assert history.history["loss"] == [pytest.approx(loss, rel=1e-6)]
    w1 = next(p for p in model.parameters() if p.data.ndim == 2).data.item()
    b1 = next(p for p in model.parameters() if p.data.ndim == 1).data.item()
    assert (w1, b1) == (pytest.approx(w0 - lr * grad_w, rel=1e-5),
                        pytest.approx(b0 - lr * grad_b, rel=1e-5))


def test_a_zero_weight_sample_is_ignored():
    """sum_i w_i g_i / N with w_k = 0 is the N-1 samples' mean gradient times (N-1)/N."""
    x, y = regression(5)
    weighted, h = full_batch(x, y, lr=0.2, sample_weight=np.array([1.0, 1.0, 0.0, 1.0, 1.0]))
    keep = [0, 1, 3, 4]
    without, h_without = full_batch(x[keep], y[keep], lr=0.2 * 4 / 5)
    assert_same_weights(weighted, without)
    np.testing.assert_allclose(h.history["loss"], np.array(h_without.history["loss"]) * 4 / 5,
                               rtol=1e-5)
    other_y = y.copy()
    other_y[2] = 1e3  # what a weight-0 sample holds changes nothing
    assert_same_weights(full_batch(x, other_y, lr=0.2, sample_weight=[1, 1, 0, 1, 1])[0],
                        weighted, rtol=0)


def test_a_weight_of_two_duplicates_a_sample():
    x, y = regression(5)
    weighted, _ = full_batch(x, y, lr=0.2, sample_weight=np.array([1.0, 2.0, 1.0, 1.0, 1.0]))
    order = [0, 1, 1, 2, 3, 4]
    duplicated, _ = full_batch(x[order], y[order], lr=0.2 * 6 / 5)
    assert_same_weights(weighted, duplicated)


def test_unit_weights_change_nothing_and_weights_follow_shuffled_samples():
    x, y = regression(6)
    plain, h_plain = full_batch(x, y, lr=0.1, epochs=2)
    ones, h_ones = full_batch(x, y, lr=0.1, epochs=2, sample_weight=np.ones(6))
    assert_same_weights(plain, ones)
    assert h_ones.history["loss"] == pytest.approx(h_plain.history["loss"], rel=1e-6)
    results = []
    for value in (0.0, 1e3):  # minibatches drawn at random and a split: samples 1, 4 weigh 0
        y2 = y.copy()
        y2[[1, 4]] = value
        model = model_for(3, 2)
        fit(model, x, y2, "mse", SGD(model.parameters(), lr=0.1), epochs=3, batch_size=2,
            sample_weight=[1, 0, 1, 1, 0, 1], validation_split=0.34, verbose=0, rng=0)
        results.append(model)
    assert_same_weights(*results, rtol=0)


def test_validation_loss_stays_unweighted():
    x, y = np.zeros((4, 1)), np.full((4, 1), 2.0)  # every sample has the same loss (b - 2)^2
    model = model_for(1, 1)
    b = next(p for p in model.parameters() if p.data.ndim == 1).data.item()
    history = fit(model, x, y, "mse", SGD(model.parameters(), lr=0.1), batch_size=4,
                  sample_weight=np.zeros(4), validation_split=0.25, verbose=0, rng=0)
    assert history.history["loss"] == [0.0]
    assert history.history["val_loss"] == [pytest.approx((b - 2.0) ** 2, rel=1e-6)]


def test_per_sample_loss_averages_the_other_axes():
    """A custom loss returning (N, 2) losses for reduction="none": each row is averaged."""
    calls = []

    def loss(pred, target, reduction="mean"):
        calls.append(reduction)
        return mse(pred, target, reduction=reduction)

    x, y = regression(4)
    custom, _ = full_batch(x, y, lr=0.1, loss=loss, sample_weight=[1.0, 0.5, 2.0, 0.0])
    named, _ = full_batch(x, y, lr=0.1, loss="mse", sample_weight=[1.0, 0.5, 2.0, 0.0])
    assert_same_weights(custom, named, rtol=0)
    assert calls == ["none"] * 3


def test_sample_weight_errors():
    x, y = regression(4)
    model = model_for(3, 2)
    opt = SGD(model.parameters(), lr=0.1)
    cases = [
        ([1.0, 1.0], ValueError, r"fit: sample_weight must have one weight per sample, shape "
                                 r"\(4,\), got shape \(2,\)"),
        (np.ones((4, 1)), ValueError, r"shape \(4,\), got shape \(4, 1\)"),
        ([1.0, -1.0, 1.0, 1.0], ValueError, "fit: sample_weight must be >= 0, got -1.0"),
        ([1.0, np.nan, 1.0, 1.0], ValueError, "fit: sample_weight must be finite, got nan"),
        ([1.0, np.inf, 1.0, 1.0], ValueError, "fit: sample_weight must be finite, got inf"),
        (["a", "b", "c", "d"], TypeError, "fit: sample_weight must hold numbers"),
    ]
    for sample_weight, error, match in cases:
        with pytest.raises(error, match=match):
            fit(model, x, y, "mse", opt, sample_weight=sample_weight, verbose=0)
    with pytest.raises(TypeError, match=r'fit: sample_weight and class_weight need a loss that '
                                        r'takes reduction="none".*<lambda> does not'):
        fit(model, x, y, lambda p, t: mse(p, t), opt, sample_weight=np.ones(4), verbose=0)
    with pytest.raises(TypeError, match=r"must return one loss per sample .* first axis 4; got "
                                        r"Tensor \(\)"):
        fit(model, x, y, lambda p, t, reduction="mean": mse(p, t), opt,
            sample_weight=np.ones(4), verbose=0)


# ---- class_weight ----------------------------------------------------------------------------

def classification(n: int = 9):
    rng = np.random.default_rng(4)
    return rng.standard_normal((n, 3)), np.array([0, 1, 2] * (n // 3))


def test_class_weight_equals_the_sample_weight_it_stands_for():
    x, labels = classification()
    table = {0: 1.0, 1: 3.0, 2: 0.5}
    by_class, h_class = full_batch(x, labels, lr=0.3, loss="cross_entropy", class_weight=table)
    by_sample, h_sample = full_batch(x, labels, lr=0.3, loss="cross_entropy",
                                     sample_weight=np.array([table[c] for c in labels]))
    assert_same_weights(by_class, by_sample, rtol=0)
    assert h_class.history == h_sample.history
    both, _ = full_batch(x, labels, lr=0.3, loss="cross_entropy", class_weight=table,
                         sample_weight=np.arange(9.0))
    product, _ = full_batch(x, labels, lr=0.3, loss="cross_entropy",
                            sample_weight=np.arange(9.0) * [table[c] for c in labels])
    assert_same_weights(both, product, rtol=0)


def test_class_weight_reads_one_hot_rows_and_binary_columns():
    x, labels = classification()
    one_hot = np.eye(3)[labels]
    table = {0: 2.0, 1: 0.0, 2: 1.0}
    by_class, _ = full_batch(x, one_hot, lr=0.3, class_weight=table)
    by_sample, _ = full_batch(x, one_hot, lr=0.3, sample_weight=[table[c] for c in labels])
    assert_same_weights(by_class, by_sample, rtol=0)
    column = (labels == 1).astype(float).reshape(-1, 1)
    by_class, _ = full_batch(x, column, lr=0.3, loss="binary_cross_entropy_with_logits",
                             class_weight={0: 1.0, 1: 4.0})
    by_sample, _ = full_batch(x, column, lr=0.3, loss="binary_cross_entropy_with_logits",
                              sample_weight=1.0 + 3.0 * column[:, 0])
    assert_same_weights(by_class, by_sample, rtol=0)


def test_class_weight_errors():
    x, labels = classification()
    model = model_for(3, 3)
    opt = SGD(model.parameters(), lr=0.1)

    def run(class_weight, y=labels):
        fit(model, x, y, "cross_entropy", opt, class_weight=class_weight, verbose=0)

    with pytest.raises(ValueError, match=r"fit: class_weight has no weight for class 2, which is "
                                         r"in y \(classes \[0, 1, 2\]; class_weight has \[0, 1\]"):
        run({0: 1.0, 1: 2.0})
    with pytest.raises(TypeError, match=r"fit: class_weight must be a dict \{class index: "
                                        r"weight\}, got list"):
        run([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="class_weight's keys must be class indices"):
        run({"0": 1.0, 1: 1.0, 2: 1.0})
    with pytest.raises(ValueError, match="fit: class_weight must be >= 0, got -2.0"):
        run({0: 1.0, 1: -2.0, 2: 1.0})
    with pytest.raises(TypeError, match=r"fit: class_weight\[1\] must be a number"):
        run({0: 1.0, 1: "heavy", 2: 1.0})
    with pytest.raises(ValueError, match="class_weight needs class targets"):
        fit(model, x, np.zeros((9, 3, 1)), "mse", opt, class_weight={0: 1.0}, verbose=0)


def test_weighted_cross_entropy_by_hand():
    """cross_entropy's per-sample losses, weighted: sum_i w_i l_i / N on the first batch."""
    x, labels = classification(3)
    model = model_for(3, 3)
    logits = x @ _dense_matrix(model) + _bias(model)
    z = logits - logits.max(axis=1, keepdims=True)
    per = np.log(np.exp(z).sum(axis=1)) - z[np.arange(3), labels]
    history = fit(model, x, labels, cross_entropy, SGD(model.parameters(), lr=0.0),
                  batch_size=3, class_weight={0: 0.5, 1: 1.0, 2: 2.0}, verbose=0)
    assert history.history["loss"] == [pytest.approx((per * [0.5, 1.0, 2.0]).sum() / 3,
                                                     rel=1e-5)]


def _dense_matrix(model) -> np.ndarray:
    """The (in, out) matrix of x @ W for a one-Dense model, whatever layout Dense keeps it in:
    the outputs on the unit vectors less the bias."""
    return predict(model, np.eye(3)) - _bias(model)


def _bias(model) -> np.ndarray:
    return predict(model, np.zeros((1, 3)))[0]
