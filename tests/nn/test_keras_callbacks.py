"""Keras' ModelCheckpoint, ReduceLROnPlateau and CSVLogger, the "lr" log and History.plot."""

from __future__ import annotations

import os

import numpy as np
import pytest

from autograd import Value
from nn import (
    SGD,
    CosineDecay,
    CSVLogger,
    Dense,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    Sequential,
    fit,
)


def tiny(seed: int = 0) -> Sequential:
    return Sequential(Dense(2, 1, rng=seed))


def weights(model) -> list[np.ndarray]:
    return [p.data.copy() for p in model.parameters()]


def data(n: int = 8):
    x = np.linspace(-1.0, 1.0, 2 * n).reshape(n, 2)
    return x, x @ np.array([[1.0], [-2.0]]) + 0.5


def scripted(values):
    """A metric named "score" that returns the given values, one per call (one batch an epoch)."""
    it = iter(values)

    def score(pred, target):
        return next(it)

    return score


def run_hooks(callback, model, logs_per_epoch, optimizer=None):
    """Drive a callback by hand, as fit does, with the given epoch logs."""
    callback.set_context(model, {}, None, optimizer)
    callback.on_train_begin({})
    for epoch, logs in enumerate(logs_per_epoch):
        callback.on_epoch_begin(epoch, {})
        callback.on_epoch_end(epoch, dict(logs))
    callback.on_train_end({})


# ---- ModelCheckpoint -------------------------------------------------------------------------

def test_checkpoint_writes_a_file_per_epoch_with_formatted_names(tmp_path):
    x, y = data()
    model = tiny()
    pattern = str(tmp_path / "made" / "w-{epoch:02d}-{loss:.4f}.npz")  # "made" does not exist
    history = fit(model, x, y, "mse", SGD(model.parameters(), lr=0.05), epochs=3, batch_size=4,
                  callbacks=[ModelCheckpoint(pattern, monitor="loss")], verbose=0, rng=0)
    names = [f"w-{e:02d}-{loss:.4f}.npz" for e, loss in zip((1, 2, 3), history.history["loss"])]
    assert sorted(os.listdir(tmp_path / "made")) == names
    fresh = tiny(seed=5)
    fresh.load_weights(tmp_path / "made" / names[-1])
    for a, b in zip(weights(fresh), weights(model)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("scores, best_epoch, saved", [
    ([0.5, 0.3, 0.4, 0.35], 2, ["e1.npz", "e2.npz"]),
    ([0.5, 0.3, 0.4, 0.2], 4, ["e1.npz", "e2.npz", "e4.npz"]),
])
def test_save_best_only_keeps_the_best_epochs_weights(tmp_path, scores, best_epoch, saved):
    x, y = data()
    model = tiny()
    snapshots = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(weights(model)))
    best = ModelCheckpoint(str(tmp_path / "best.npz"), monitor="score", save_best_only=True)
    each = ModelCheckpoint(str(tmp_path / "e{epoch}.npz"), monitor="score", save_best_only=True)
    fit(model, x, y, "mse", SGD(model.parameters(), lr=0.1), epochs=4, batch_size=8,
        metrics=[scripted(scores)], callbacks=[record, best, each], verbose=0, rng=0)
    assert sorted(os.listdir(tmp_path)) == sorted(["best.npz", *saved])
    assert best.best == min(scores)
    fresh = tiny(seed=7)
    fresh.load_weights(tmp_path / "best.npz")
    for epoch, snapshot in enumerate(snapshots, start=1):
        same = all(np.array_equal(a, b) for a, b in zip(weights(fresh), snapshot))
        assert same == (epoch == best_epoch), epoch


@pytest.mark.parametrize("monitor, mode, values, saved", [
    ("val_loss", "auto", [0.5, 0.7, 0.4], ["1", "3"]),
    ("val_accuracy", "auto", [0.5, 0.7, 0.4], ["1", "2"]),  # "acc" in the name: higher is better
    ("val_loss", "max", [0.5, 0.7, 0.4], ["1", "2"]),
    ("val_accuracy", "min", [0.5, 0.7, 0.4], ["1", "3"]),
    ("val_loss", "min", [0.5, 0.5, 0.5], ["1"]),  # equal is no improvement
])
def test_checkpoint_modes(tmp_path, monitor, mode, values, saved):
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}.npz"), monitor=monitor, mode=mode,
                                 save_best_only=True)
    run_hooks(checkpoint, tiny(), [{monitor: v} for v in values])
    assert sorted(name[:-4] for name in os.listdir(tmp_path)) == saved


def test_checkpoint_saves_weights_only(tmp_path):
    with pytest.raises(ValueError, match="ModelCheckpoint: glassgrad saves weights only"):
        ModelCheckpoint(str(tmp_path / "m.npz"), save_weights_only=False)


def test_checkpoint_initial_value_threshold_and_verbose(tmp_path, capsys):
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}.npz"), save_best_only=True, verbose=1,
                                 initial_value_threshold=0.5)
    run_hooks(checkpoint, tiny(), [{"val_loss": 0.6}, {"val_loss": 0.4}])
    assert os.listdir(tmp_path) == ["2.npz"]
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 1: val_loss did not improve from 0.50000",
        f"Epoch 2: val_loss improved from 0.50000 to 0.40000, saving the weights to "
        f"{tmp_path / '2.npz'}"]


def test_checkpoint_without_the_monitored_key_warns_once_and_skips(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}.npz"), save_best_only=True)
    with pytest.warns(UserWarning) as caught:
        run_hooks(checkpoint, tiny(), [{"loss": 1.0}, {"loss": 0.5}, {"loss": 0.2}])
    assert len(caught) == 1
    assert str(caught[0].message).startswith(
        "ModelCheckpoint: monitor 'val_loss' is not in the logs, which have ['loss']; skipping")
    assert os.listdir(tmp_path) == []


def test_checkpoint_every_n_batches_counts_across_epochs(tmp_path):
    x, y = data(8)
    model = tiny()
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}-{batch}-{loss:.3f}.npz"), save_freq=3)
    losses = []
    record = LambdaCallback(on_batch_end=lambda batch, logs: losses.append(logs["loss"]))
    fit(model, x, y, "mse", SGD(model.parameters(), lr=0.05), epochs=2, batch_size=2,
        callbacks=[record, checkpoint], verbose=0, rng=0)
    # 4 batches an epoch: the 3rd batch of epoch 1, the 2nd of epoch 2 (6th overall)
    assert sorted(os.listdir(tmp_path)) == [f"1-3-{losses[2]:.3f}.npz",
                                            f"2-2-{losses[5]:.3f}.npz"]


def test_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match='ModelCheckpoint: mode must be "auto", "min" or "max"'):
        ModelCheckpoint("w.npz", mode="best")
    for freq in ("batch", 0, True, 2.0):
        with pytest.raises(ValueError, match='save_freq must be "epoch" or a number of batches'):
            ModelCheckpoint("w.npz", save_freq=freq)
    with pytest.raises(ValueError, match="has a positional field"):
        ModelCheckpoint("w-{}.npz")
    with pytest.raises(ValueError, match="is not a valid format string"):
        ModelCheckpoint("w-{epoch.npz")
    with pytest.raises(TypeError, match="filepath must be a str or a path, got int"):
        ModelCheckpoint(3)
    assert repr(ModelCheckpoint("w-{epoch}.npz", monitor="loss")) == (
        "ModelCheckpoint('w-{epoch}.npz', monitor='loss', save_best_only=False, mode='min', "
        "save_freq='epoch')")
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}-{val_acc}.npz"))
    with pytest.raises(ValueError, match=r"names the field 'val_acc', which is not among "
                                         r"\['epoch', 'loss'\]"):
        run_hooks(checkpoint, tiny(), [{"loss": 1.0}])


# ---- ReduceLROnPlateau -----------------------------------------------------------------------

def plateau_run(callback, losses, lr=1.0):
    """The optimizer's rate after each epoch, and the "lr" each epoch's logs got."""
    optimizer = SGD([Value(0.0)], lr=lr)
    callback.set_context(None, {}, None, optimizer)
    callback.on_train_begin({})
    after, logged = [], []
    for epoch, loss in enumerate(losses):
        logs = {"loss": loss}
        callback.on_epoch_end(epoch, logs)
        after.append(optimizer.lr)
        logged.append(logs["lr"])
    return after, logged


def test_reduce_lr_after_patience_epochs_without_improvement():
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, min_delta=0.0)
    after, logged = plateau_run(plateau, [1.0, 1.0, 1.0, 1.0, 0.9, 0.9, 0.9])
    assert after == [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]
    assert logged == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]  # the rate each epoch trained with


def test_reduce_lr_min_delta_and_mode():
    # an improvement must beat the best by more than min_delta: 0.95 and 0.92 do not beat 1.0
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, min_delta=0.1)
    assert plateau_run(plateau, [1.0, 0.95, 0.92, 0.85])[0] == [1.0, 1.0, 0.5, 0.5]
    rising = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, mode="max", min_delta=0)
    assert plateau_run(rising, [1.0, 2.0, 1.5])[0] == [1.0, 1.0, 0.5]
    assert ReduceLROnPlateau(monitor="val_accuracy").mode == "max"
    assert ReduceLROnPlateau().mode == "min"


def test_reduce_lr_cooldown():
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=2)
    after, _ = plateau_run(plateau, [1.0] * 6)
    assert after == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert plateau.cooldown_counter == 2 and plateau.wait == 0


def test_reduce_lr_never_below_min_lr():
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.1, patience=0, min_lr=0.05)
    after, _ = plateau_run(plateau, [1.0, 1.0, 1.0, 1.0])
    assert after == [1.0, 0.1, 0.05, 0.05]


def test_reduce_lr_in_fit_logs_lr_into_history_and_csv(tmp_path):
    x, y = data()
    model = tiny()
    optimizer = SGD(model.parameters(), lr=0.1)
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=1e3)
    path = tmp_path / "log.csv"
    history = fit(model, x, y, "mse", optimizer, epochs=3, batch_size=4,
                  callbacks=[plateau, CSVLogger(path)], verbose=0, rng=0)
    assert history.history["lr"] == [0.1, 0.1, 0.05] and optimizer.lr == 0.025
    rows = path.read_text().splitlines()
    assert rows[0] == "epoch,loss,lr" and [row.split(",")[2] for row in rows[1:]] == [
        "0.1", "0.1", "0.05"]


def test_reduce_lr_errors_and_missing_monitor():
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: factor must be a finite number in "
                                         r"\[0.0, 1.0\), got 1.0"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="ReduceLROnPlateau: mode must be"):
        ReduceLROnPlateau(mode="down")
    with pytest.raises(ValueError, match="min_lr must be a finite number >= 0.0"):
        ReduceLROnPlateau(min_lr=-1.0)
    with pytest.raises(ValueError, match="patience must be at least 0"):
        ReduceLROnPlateau(patience=-1)
    x, y = data()
    model = tiny()
    scheduled = SGD(model.parameters(), lr=CosineDecay(0.1, decay_steps=10))
    with pytest.raises(TypeError, match="ReduceLROnPlateau: the optimizer's lr is already a "
                                        "per-step schedule"):
        fit(model, x, y, "mse", scheduled, callbacks=[ReduceLROnPlateau()], verbose=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    with pytest.warns(UserWarning, match="ReduceLROnPlateau: monitor 'val_loss' is not in the "
                                         "logs") as caught:
        fit(model, x, y, "mse", optimizer, epochs=3, verbose=0,
            callbacks=[ReduceLROnPlateau(patience=0)])
    assert len(caught) == 1 and optimizer.lr == 0.1


def test_learning_rate_scheduler_logs_the_epochs_rate():
    x, y = data()
    model = tiny()
    schedule = LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    history = fit(model, x, y, "mse", SGD(model.parameters(), lr=1.0), epochs=3,
                  callbacks=[schedule], verbose=0)
    assert history.history["lr"] == [0.1, 0.05, 0.1 / 3]


# ---- CSVLogger -------------------------------------------------------------------------------

def test_csv_logger_content_is_exact_and_flushed_each_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.set_context(None, {}, None)
    logger.on_train_begin({})
    logger.on_epoch_end(0, {"val_loss": 0.25, "loss": 0.5, "accuracy": 0.75})
    assert path.read_text() == "epoch,accuracy,loss,val_loss\n0,0.75,0.5,0.25\n"  # flushed
    logger.on_epoch_end(1, {"loss": 0.125, "accuracy": 1.0})  # a missing key is NA
    logger.on_train_end({})
    assert logger._file is None
    assert path.read_text() == ("epoch,accuracy,loss,val_loss\n0,0.75,0.5,0.25\n"
                                "1,1.0,0.125,NA\n")


def test_csv_logger_in_fit_with_a_separator(tmp_path):
    x, y = data()
    model = tiny()
    path = tmp_path / "log.tsv"
    history = fit(model, x, y, "mse", SGD(model.parameters(), lr=0.05), epochs=2, batch_size=4,
                  validation_split=0.25, callbacks=[CSVLogger(path, separator="\t")],
                  verbose=0, rng=0)
    h = history.history
    assert path.read_text() == (f"epoch\tloss\tval_loss\n0\t{h['loss'][0]}\t{h['val_loss'][0]}\n"
                                f"1\t{h['loss'][1]}\t{h['val_loss'][1]}\n")


def test_csv_logger_append(tmp_path):
    path = tmp_path / "log.csv"

    def run(logger, epochs):
        run_hooks(logger, None, [{"loss": float(e)} for e in epochs])

    run(CSVLogger(path), [0, 1])
    run(CSVLogger(path, append=True), [2])
    assert path.read_text() == "epoch,loss\n0,0.0\n1,1.0\n0,2.0\n"
    run(CSVLogger(path), [5])  # without append: a new file
    assert path.read_text() == "epoch,loss\n0,5.0\n"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    run(CSVLogger(empty, append=True), [3])  # an empty file gets its header
    assert empty.read_text() == "epoch,loss\n0,3.0\n"
    with pytest.raises(ValueError, match="separator must be one character"):
        CSVLogger(path, separator=", ")
    with pytest.raises(RuntimeError, match="opened by on_train_begin"):
        CSVLogger(path).on_epoch_end(0, {"loss": 1.0})


# ---- History.plot ----------------------------------------------------------------------------

def test_history_plot_draws_each_metric_with_its_validation_twin(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    history = History(None, {})
    for epoch, logs in zip((2, 3, 4), [{"loss": 1.0, "accuracy": 0.5, "val_loss": 1.5},
                                       {"loss": 0.5, "accuracy": 0.7, "val_loss": 1.0},
                                       {"loss": 0.25, "accuracy": 0.8, "val_loss": 0.75}]):
        history._record(epoch, logs, seconds=0.0)
    figure = history.plot()
    try:
        assert [(a.get_xlabel(), a.get_ylabel()) for a in figure.axes] == [
            ("epoch", "loss"), ("epoch", "accuracy")]
        lines = [(line.get_label(), line.get_xdata().tolist(), line.get_ydata().tolist())
                 for line in figure.axes[0].lines]
        assert lines == [("loss", [3, 4, 5], [1.0, 0.5, 0.25]),
                         ("val_loss", [3, 4, 5], [1.5, 1.0, 0.75])]
        assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == [
            "loss", "val_loss"]
        figure.savefig(tmp_path / "curves.png")
        assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        plt.close(figure)
    own, ax = plt.subplots()
    try:
        assert history.plot("accuracy", ax=ax) is own and len(ax.lines) == 1
        with pytest.raises(ValueError, match="2 metrics .* but 1 axes"):
            history.plot(["loss", "accuracy"], ax=ax)
    finally:
        plt.close(own)
    with pytest.raises(ValueError, match="no metric 'acc' was recorded; the recorded ones are "
                                         "loss, accuracy, val_loss"):
        history.plot("acc")
    with pytest.raises(ValueError, match="no epoch was recorded yet"):
        History(None, {}).plot()

