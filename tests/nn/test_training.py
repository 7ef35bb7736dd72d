"""nn.training: fit, evaluate, predict, History, metrics and callbacks."""

from __future__ import annotations

import random

import numpy as np
import pytest

import autograd
from autograd import Tensor
from nn import (
    MLP,
    SGD,
    Adam,
    Callback,
    Dense,
    Dropout,
    EarlyStopping,
    History,
    LambdaCallback,
    Module,
    ReLU,
    Sequential,
    TerminateOnNaN,
    accuracy,
    data,
    evaluate,
    fit,
    mse,
    predict,
    training,
)


def line_model(weight: float = 0.0, bias: float = 0.0) -> Sequential:
    model = Sequential(Dense(1, 1, rng=0))
    model[0].weight.data[...] = weight
    model[0].bias.data[...] = bias
    return model


class Drift:
    """An 'optimizer' that moves the weight by +0.1 each step, whatever the gradient."""

    def __init__(self, params):
        self.params = list(params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        self.params[0].data += 0.1


class Spy(Module):
    """An identity layer that records the mode and the grad mode it runs in."""

    def __init__(self):
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, autograd.is_grad_enabled()))
        return x


# ---- fit learns ------------------------------------------------------------------------------

def test_fit_reduces_the_loss_on_a_regression():
    x, y = data.make_line(128, slope=2.0, intercept=1.0, noise=0.05, rng=0)
    model = Sequential(Dense(1, 8, rng=0), ReLU(), Dense(8, 1, rng=1))
    history = fit(model, x, y, "mse", Adam(model.parameters(), lr=0.05), epochs=20,
                  batch_size=16, verbose=0, rng=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.02 < losses[0]
    pred = predict(model, x)
    assert pred.shape == (128, 1) and pred.dtype == np.float32
    assert np.mean((pred - y) ** 2) < 0.02


def test_fit_classifies_moons_with_accuracy_metric():
    x, y = data.make_moons(200, noise=0.1, rng=0)
    np.random.seed(0)
    model = Sequential(Dense(2, 16), ReLU(), Dense(16, 16), ReLU(), Dense(16, 2))
    history = fit(model, x, y, "cross_entropy", Adam(model.parameters(), lr=0.02), epochs=40,
                  batch_size=32, validation_split=0.2, metrics=["accuracy"], verbose=0, rng=0)
    h = history.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert h["loss"][-1] < h["loss"][0] / 4
    assert h["accuracy"][-1] > 0.95 and h["val_accuracy"][-1] > 0.9
    scores = evaluate(model, x, y, "cross_entropy", metrics=["accuracy"])
    assert set(scores) == {"loss", "accuracy"} and scores["accuracy"] > 0.95


def test_history_contents_and_reproducibility():
    x, y = data.make_line(40, rng=1)
    runs = []
    for _ in range(2):
        model = line_model()
        runs.append(fit(model, x, y, mse, SGD(model.parameters(), lr=0.1), epochs=3,
                        batch_size=8, validation_data=(x[:10], y[:10]), verbose=0, rng=3))
    h = runs[0]
    assert isinstance(h, History) and h.epoch == [0, 1, 2] and len(h.times) == 3
    assert set(h.history) == {"loss", "val_loss"}
    assert all(len(v) == 3 and all(isinstance(f, float) for f in v) for v in h.history.values())
    assert h.params == {"epochs": 3, "batch_size": 8, "steps": 5, "samples": 40,
                        "validation_samples": 10, "metrics": ["loss"], "verbose": 0}
    assert h.history == runs[1].history  # the same rng: the same batches, the same numbers
    assert repr(h).startswith("History(epochs=3, loss=")


def test_validation_split_is_drawn_after_shuffling():
    n = 100
    x = np.arange(n, dtype=np.float64).reshape(n, 1)
    y = (np.arange(n) >= n // 2).astype(np.int64)  # sorted labels: Keras' tail would be all 1s
    spy = Spy()
    model = Sequential(spy, Dense(1, 2, rng=0))
    seen_val: list[np.ndarray] = []

    def record(pred, target):
        if not model.training:  # validation runs in eval mode
            seen_val.append(target)
        return 0.0

    fit(model, x, y, "cross_entropy", SGD(model.parameters(), lr=0.0), epochs=1,
        validation_split=0.3, metrics=[record], verbose=0, rng=0)
    val = np.concatenate(seen_val)
    assert len(val) == 30 and 0 < val.sum() < 30  # both classes are in the validation set


def test_minibatches_are_random_samples_without_replacement():
    x = np.arange(20, dtype=np.float32).reshape(20, 1)
    seen: list[np.ndarray] = []
    model = Sequential(Dense(1, 1, rng=0))

    def loss(pred, target):
        seen.append(target.copy())
        return mse(pred, target)

    fit(model, x, x.copy(), loss, SGD(model.parameters(), lr=0.0), epochs=2, batch_size=6,
        verbose=0, rng=0)
    epoch1, epoch2 = np.concatenate(seen[:4]).ravel(), np.concatenate(seen[4:]).ravel()
    assert [len(b) for b in seen] == [6, 6, 6, 2] * 2
    assert sorted(epoch1) == sorted(epoch2) == list(range(20))
    assert list(epoch1) != list(range(20)) and list(epoch1) != list(epoch2)


# ---- modes and no_grad -----------------------------------------------------------------------

@pytest.mark.parametrize("start_in_eval", [False, True])
def test_evaluate_and_predict_run_in_eval_mode_under_no_grad(start_in_eval):
    spy = Spy()
    model = Sequential(spy, Dense(2, 1, rng=0), Dropout(0.5))
    if start_in_eval:
        model.eval()
    x, y = np.ones((10, 2)), np.zeros((10, 1))
    out = predict(model, x, batch_size=4)
    evaluate(model, x, y, "mse", batch_size=4)
    assert spy.seen == [(False, False)] * 6  # 3 + 3 batches
    assert all(m.training is not start_in_eval for m in model.modules())  # restored
    assert autograd.is_grad_enabled()
    np.testing.assert_array_equal(out, predict(model, x))  # dropout off: deterministic
    spy.seen.clear()
    fit(model, x, y, "mse", SGD(model.parameters(), lr=0.01), batch_size=5, verbose=0)
    assert spy.seen == [(True, True)] * 2
    assert all(m.training is not start_in_eval for m in model.modules())


def test_evaluate_weights_batches_by_size():
    model = line_model(weight=1.0)
    x = np.arange(5, dtype=np.float64).reshape(5, 1)
    y = np.zeros((5, 1))
    scores = evaluate(model, x, y, "mse", batch_size=2)
    assert scores == {"loss": pytest.approx(np.mean(x ** 2))}


# ---- callbacks -------------------------------------------------------------------------------

def test_early_stopping_restores_the_best_weights():
    x, y = data.make_line(32, slope=2.0, intercept=1.0, noise=0.0, rng=0)
    model = line_model(weight=2.0, bias=1.0)  # already perfect: every step makes it worse
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = fit(model, x, y, "mse", Drift(model.parameters()), epochs=10, batch_size=8,
                  validation_data=(x, y), callbacks=[stop], verbose=0, rng=0)
    assert history.epoch == [0, 1, 2]  # epoch 0 is the best; 1 and 2 are worse: stop (Keras)
    assert stop.best_epoch == 0 and stop.stopped_epoch == 2
    assert stop.best == pytest.approx(history.history["val_loss"][0])
    assert model[0].weight.data.item() == pytest.approx(2.0 + 0.1 * 4)  # after epoch 0's steps


def test_early_stopping_modes_and_errors():
    improving = EarlyStopping(monitor="val_accuracy", patience=0)
    assert improving.mode == "max" and EarlyStopping().mode == "min"
    improving.set_context(line_model(), {}, None)
    improving.model.stop_training = False
    improving.on_train_begin()
    for epoch, acc in enumerate([0.5, 0.6, 0.7]):
        improving.on_epoch_end(epoch, {"val_accuracy": acc})
    assert not improving.model.stop_training and improving.best == 0.7
    improving.on_epoch_end(3, {"val_accuracy": 0.7})
    assert improving.model.stop_training and improving.stopped_epoch == 3
    with pytest.raises(ValueError, match=r"monitor 'val_loss' is not in the epoch logs, which "
                                         r"have \['loss'\]"):
        EarlyStopping().on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(ValueError, match="patience must be at least 0"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="EarlyStopping: min_delta must be"):
        EarlyStopping(min_delta=-0.1)
    with pytest.raises(ValueError, match='mode must be "auto", "min" or "max"'):
        EarlyStopping(mode="up")


def test_terminate_on_nan_says_where_and_stops():
    x, y = data.make_line(40, rng=0)
    model = line_model()
    calls = []

    def loss(pred, target):
        calls.append(1)
        value = mse(pred, target)
        return value * float("nan") if len(calls) == 5 + 3 else value  # epoch 2, batch 3

    messages = []
    stop = TerminateOnNaN(print_fn=messages.append)
    history = fit(model, x, y, loss, SGD(model.parameters(), lr=0.01), epochs=5, batch_size=8,
                  callbacks=[stop], verbose=0, rng=0)
    assert messages == [stop.message] == [
        "TerminateOnNaN: the loss is nan at epoch 2, batch 3: stopping training"]
    assert len(calls) == 8 and history.epoch == [0, 1]
    assert np.isnan(history.history["loss"][1])


def test_callback_hooks_run_in_order():
    events = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            events.append(("train_begin", self.params["steps"]))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs)))

    lam = LambdaCallback(on_batch_end=lambda batch, logs: events.append(("batch", batch)),
                         on_train_end=lambda logs: events.append(("train_end",)))
    x, y = data.make_line(10, rng=0)
    model = line_model()
    fit(model, x, y, "mse", SGD(model.parameters(), lr=0.01), epochs=2, batch_size=5,
        callbacks=[Recorder(), lam], verbose=0)
    assert events == [("train_begin", 2), ("batch", 0), ("batch", 1),
                      ("epoch_end", 0, ["loss"]), ("batch", 0), ("batch", 1),
                      ("epoch_end", 1, ["loss"]), ("train_end",)]
    with pytest.raises(TypeError, match="unknown hook 'on_step'"):
        LambdaCallback(on_step=print)


# ---- metrics, progress and errors ------------------------------------------------------------

def test_accuracy_metric():
    assert accuracy(np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), np.array([0, 1, 1])) == 2 / 3
    assert accuracy(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[1, 0], [1, 0]])) == 0.5
    assert accuracy(np.array([[0.7], [0.4]]), np.array([1, 0])) == 1.0
    assert accuracy(np.array([0.3, -0.2]), np.array([1, -1]), threshold=0.0) == 1.0


def test_verbose_output_with_and_without_tqdm(capsys, monkeypatch):
    x, y = data.make_line(20, rng=0)
    model = line_model()
    fit(model, x, y, "mse", SGD(model.parameters(), lr=0.01), epochs=2, validation_split=0.25,
        verbose=1)
    err = capsys.readouterr().err
    if training._tqdm_class() is not None:  # each finished bar shows the epoch's means
        assert "Epoch 1/2" in err and "Epoch 2/2" in err and "val_loss: " in err
    monkeypatch.setattr(training, "_tqdm_class", lambda: None)
    fit(model, x, y, "mse", SGD(model.parameters(), lr=0.01), epochs=2, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2 - ") and "loss: " in lines[0]
    fit(model, x, y, "mse", SGD(model.parameters(), lr=0.01), epochs=1, verbose=0)
    assert capsys.readouterr() == ("", "")


def test_fit_rejects_value_models_and_bad_arguments():
    random.seed(0)
    scalar = MLP(2, [2, 1])
    with pytest.raises(TypeError, match="has Value parameters .* works with Tensor models"):
        fit(scalar, np.zeros((4, 2)), np.zeros(4), "mse", SGD(scalar.parameters(), lr=0.1))
    model, other = line_model(), line_model()
    x, y = np.zeros((8, 1)), np.zeros((8, 1))
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="unknown loss 'l2'"):
        fit(model, x, y, "l2", opt)
    with pytest.raises(ValueError, match="none of the model's parameters"):
        fit(model, x, y, "mse", SGD(other.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="validation_split or validation_data, not both"):
        fit(model, x, y, "mse", opt, validation_split=0.5, validation_data=(x, y))
    with pytest.raises(ValueError, match=r"validation_split must be a number in \[0, 1\)"):
        fit(model, x, y, "mse", opt, validation_split=1.0)
    with pytest.raises(ValueError, match="x has 8 samples but y has 3"):
        fit(model, x, y[:3], "mse", opt)
    with pytest.raises(TypeError, match="callback 0 must be an nn.Callback"):
        fit(model, x, y, "mse", opt, callbacks=[print])
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, x, y, "mse", opt, metrics=["f1"])
    with pytest.raises(TypeError, match="must return a one-element Tensor"):
        fit(model, x, y, lambda p, t: p, opt, verbose=0)
    with pytest.raises(TypeError, match="optimizer must have step"):
        fit(model, x, y, "mse", object())
    with pytest.raises(TypeError, match="predict: .*Value parameters"):
        predict(scalar, np.zeros((2, 2)))


def test_fit_says_that_only_parameters_are_trained():
    class Unwrapped(Module):
        def __init__(self):
            self.w = Tensor(np.ones((1, 1)), requires_grad=True)  # not an nn.Parameter

        def forward(self, x):
            return x @ self.w

    model = Unwrapped()
    with pytest.raises(ValueError, match="SGD: got an empty parameter list .* as nn.Parameter"):
        SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="has no parameters to train .* only when it is an "
                                         "nn.Parameter"):
        fit(model, np.zeros((4, 1)), np.zeros((4, 1)), "mse", SGD([model.w], lr=0.1))


def test_fit_casts_float64_inputs_to_the_parameters_dtype():
    model = Sequential(Dense(3, 2, rng=0))
    seen = []
    fit(model, np.ones((4, 3)), np.zeros((4, 2)),
        lambda p, t: (seen.append((p.dtype, t.dtype)), mse(p, t))[1],
        SGD(model.parameters(), lr=0.1), verbose=0)
    assert seen == [(np.float32, np.float32)]
    assert isinstance(predict(model, Tensor(np.ones((2, 3)))), np.ndarray)


def test_learning_rate_scheduler_sets_the_rate_each_epoch():
    import nn as nn_package

    x, y = nn_package.data.make_line(32, rng=0)
    model = nn_package.Sequential(nn_package.Dense(1, 1, rng=0))
    optimizer = nn_package.SGD(model.parameters(), lr=0.1)
    seen = []
    schedule = nn_package.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    record = nn_package.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(optimizer.lr))
    nn_package.fit(model, x, y, "mse", optimizer, epochs=3, batch_size=8, verbose=0, rng=0,
                   callbacks=[schedule, record])
    assert seen == [0.1, 0.05, 0.025]


def test_learning_rate_scheduler_rejects_bad_rates():
    import nn as nn_package
    from autograd import Value

    opt = nn_package.SGD([Value(1.0)], lr=0.1)
    bad = nn_package.LearningRateScheduler(lambda epoch, lr: -1.0)
    bad.set_context(None, {}, None, opt)
    with pytest.raises(ValueError, match="the schedule returned -1.0 for epoch 0"):
        bad.on_epoch_begin(0)
    with pytest.raises(TypeError, match="schedule must be callable"):
        nn_package.LearningRateScheduler(0.1)


def test_early_stopping_counts_patience_as_keras():
    """Keras' own example: patience 3, no improvement after epoch 0: only 4 epochs run."""
    model = line_model()
    for patience, stops_at in [(0, 1), (1, 1), (2, 2), (3, 3)]:
        stop = EarlyStopping(monitor="loss", patience=patience)
        stop.set_context(model, {}, None)
        stop.on_train_begin()
        model.stop_training = False
        for epoch, loss in enumerate([0.5, 0.6, 0.7, 0.8, 0.9]):
            stop.on_epoch_end(epoch, {"loss": loss})
            if model.stop_training:
                break
        assert stop.stopped_epoch == stops_at, patience
    stop = EarlyStopping(monitor="loss", patience=0)  # as Keras: never at epoch 0, even on NaN
    stop.set_context(model, {}, None)
    stop.on_train_begin()
    model.stop_training = False
    stop.on_epoch_end(0, {"loss": float("nan")})
    assert not model.stop_training


def test_fit_takes_none_for_metrics_and_callbacks_and_calls_keras_batch_hooks():
    x, y = data.make_line(16, rng=0)
    seen = []

    class KerasStyle(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    model = line_model()
    fit(model, x, y, "mse", SGD(model.parameters(), lr=0.01), batch_size=8, metrics=None,
        callbacks=[KerasStyle()], verbose=0, rng=0)
    fit(model, x, y, "mse", SGD(model.parameters(), lr=0.01), batch_size=8, callbacks=None,
        verbose=0, rng=0)
    assert seen == [0, 1]
    assert evaluate(model, x, y, "mse", metrics=None).keys() == {"loss"}


def test_numpy_global_seed_makes_fit_repeat():
    x, y = data.make_line(40, noise=0.1, rng=0)
    histories = []
    for _ in range(2):
        np.random.seed(0)
        model = Sequential(Dense(1, 1))
        histories.append(fit(model, x, y, "mse", SGD(model.parameters(), lr=0.05), epochs=2,
                             batch_size=8, validation_split=0.25, verbose=0).history)
    assert histories[0] == histories[1]
