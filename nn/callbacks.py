"""Callbacks: code that :func:`nn.fit` runs at fixed points of training, as in Keras.

``fit`` calls, in this order::

    on_train_begin(logs)
    for each epoch:   on_epoch_begin(epoch, logs)
        for each batch:   on_train_batch_begin(batch, logs)  ...step...
                          on_train_batch_end(batch, logs)
        (validation)      on_epoch_end(epoch, logs)
    on_train_end(logs)

``logs`` is a dict of floats: after a batch, ``"loss"`` and each metric for that batch; after an
epoch, the epoch's means and the ``"val_..."`` entries. Before training starts, ``fit`` sets
``callback.model``, ``callback.params`` (a dict: epochs, batch_size, steps, samples, ...) and
``callback.history``. A callback stops training by setting ``self.model.stop_training = True``:
``fit`` finishes the current batch, runs the epoch's validation and ``on_epoch_end``, then stops.

The callbacks are Keras': :class:`EarlyStopping`, :class:`ReduceLROnPlateau` (lower the
learning rate when a monitored value stalls), :class:`LearningRateScheduler`,
:class:`TerminateOnNaN` and :class:`LambdaCallback` here; :class:`nn.ModelCheckpoint` (save the
weights, every epoch or only the best) and :class:`nn.CSVLogger` (a row of logs per epoch) in
:mod:`nn.checkpoint`. The ones that watch a value take
``monitor`` (a key of the epoch logs, e.g. ``"val_loss"``) and ``mode``: ``"min"`` when lower is
better, ``"max"`` when higher is, ``"auto"`` for ``"max"`` when the name contains "acc" (Keras'
rule) and ``"min"`` otherwise. Callbacks run in the order they are given, and ``fit`` records the
epoch in its History after all of them, so keys a callback adds to the logs (``"lr"``, from the
learning-rate callbacks) are recorded too; a CSVLogger sees them when it comes after that callback.

Writing your own is subclassing and overriding the hooks you need, or, for a one-off, a
:class:`LambdaCallback`:

>>> class PrintLoss(Callback):
...     def on_epoch_end(self, epoch, logs=None):
...         print(f"epoch {epoch}: loss {logs['loss']:.3f}")
>>> every_epoch = LambdaCallback(on_epoch_end=lambda epoch, logs: None)
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any

from autograd import Tensor, no_grad

from ._checks import count, number

__all__ = ["Callback", "EarlyStopping", "LambdaCallback", "LearningRateScheduler",
           "ReduceLROnPlateau", "TerminateOnNaN"]

Logs = dict[str, float]


def _direction(owner: str, mode: str, monitor: str) -> str:
    """``"min"`` or ``"max"`` for ``mode``; ``"auto"`` is "max" for names with "acc" (Keras)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f'{owner}: mode must be "auto", "min" or "max", got {mode!r}')
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    return mode


def _beats(current: float, best: float, mode: str, min_delta: float = 0.0) -> bool:
    """Whether ``current`` improves on ``best`` by more than ``min_delta`` (NaN never does)."""
    if mode == "min":
        return current < best - min_delta
    return current > best + min_delta


def _monitored(callback: Any, logs: Logs | None) -> float | None:
    """``logs[callback.monitor]``, or None after a warning (once per training run) when the logs
    do not have it, as Keras' ModelCheckpoint and ReduceLROnPlateau do."""
    logs = logs or {}
    if callback.monitor in logs:
        return float(logs[callback.monitor])
    if not callback._warned:
        callback._warned = True
        warnings.warn(f"{type(callback).__name__}: monitor {callback.monitor!r} is not in the "
                      f"logs, which have {sorted(logs)}; skipping (for val_... pass "
                      "validation_split or validation_data to fit)", stacklevel=3)
    return None


def _fixed_lr(owner: str, optimizer: Any) -> float:
    """The optimizer's learning rate, which a callback reads and sets: it must be a number."""
    if optimizer is None or not hasattr(optimizer, "lr"):
        raise RuntimeError(f"{owner}: needs an optimizer with an lr attribute; it is given one "
                           "by fit()")
    if callable(optimizer.lr):
        raise TypeError(f"{owner}: the optimizer's lr is already a per-step schedule "
                        f"({optimizer.lr!r}); use one or the other")
    return float(optimizer.lr)


class Callback:
    """Base class: every hook does nothing; override the ones you need.

    Attributes set by :func:`nn.fit` before ``on_train_begin``: ``model`` (the model being
    trained), ``params`` (a dict describing the run) and ``history`` (the :class:`nn.History`
    being filled in).
    """

    model: Any = None
    params: dict[str, Any] | None = None
    history: Any = None
    optimizer: Any = None

    def set_context(self, model: Any, params: dict[str, Any], history: Any,
                    optimizer: Any = None) -> None:
        """Called by ``fit`` before training: remember the model, the run's params, the history
        and the optimizer."""
        self.model, self.params, self.history = model, params, history
        self.optimizer = optimizer

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """After the last epoch (or after training was stopped); ``logs`` are the last epoch's."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Before epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """After epoch ``epoch`` and its validation: ``logs`` has the epoch's means."""

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Before the optimizer step on batch ``batch`` (counted from 0 in each epoch)."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After the optimizer step on batch ``batch``: ``logs`` has that batch's loss."""

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Keras' name for the hook ``fit`` calls before each batch; runs ``on_batch_begin``."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Keras' name for the hook ``fit`` calls after each batch; runs ``on_batch_end``."""
        self.on_batch_end(batch, logs)

    def stop(self) -> None:
        """Ask ``fit`` to stop after the current batch."""
        if self.model is None:
            raise RuntimeError(f"{type(self).__name__}: stop() needs a model; it is only "
                               "available while fit() runs")
        self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of plain functions, one per hook, each optional.

    Each function takes the hook's arguments: ``on_epoch_end(epoch, logs)``,
    ``on_batch_end(batch, logs)``, ``on_train_begin(logs)`` and so on.

    >>> seen = []
    >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"])))
    >>> cb.on_epoch_end(0, {"loss": 0.5}); seen
    [(0, 0.5)]
    """

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
              "on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")

    def __init__(self, **hooks: Callable[..., Any]) -> None:
        for name, fn in hooks.items():
            if name not in self._HOOKS:
                raise TypeError(f"LambdaCallback: unknown hook {name!r}; the hooks are "
                                f"{', '.join(self._HOOKS)}")
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, got "
                                f"{type(fn).__name__}")
            setattr(self, name, fn)


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving.

    After each epoch, ``logs[monitor]`` counts as an improvement when it beats the best so far
    by more than ``min_delta`` (lower is better in mode ``"min"``, higher in ``"max"``; ``"auto"``
    picks ``"max"`` for names containing "acc", else ``"min"``). Training stops after
    ``patience`` epochs in a row without improvement, as Keras (``patience`` 0 or 1: at the
    first epoch that does not improve).

    Args:
        monitor: the key of the epoch logs to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        patience: how many epochs without improvement to tolerate.
        min_delta: the smallest change that counts as an improvement.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        restore_best_weights: at the end of training (stopped early or not), give the model the
            weights it had after its best epoch.

    After training, ``best``, ``best_epoch`` and ``stopped_epoch`` (None if it never stopped)
    tell what happened.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False) -> None:
        patience = count("EarlyStopping", "patience", patience, minimum=0)
        min_delta = number("EarlyStopping", "min_delta", min_delta)
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = _direction("EarlyStopping", mode, monitor)
        self.restore_best_weights = bool(restore_best_weights)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait = 0
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.best_weights: list[Any] | None = None

    def _improved(self, current: float) -> bool:
        if self.best is None:
            return not math.isnan(current)
        return _beats(current, self.best, self.mode, self.min_delta)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(f"EarlyStopping: monitor {self.monitor!r} is not in the epoch logs, "
                             f"which have {sorted(logs)} (for val_... pass validation_split or "
                             f"validation_data to fit)")
        current = float(logs[self.monitor])
        if self._improved(current):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = [p.data.copy() for p in self.model.parameters()]
            return
        self.wait += 1
        if self.wait >= self.patience and epoch > 0:  # as Keras (patience 0 and 1 alike)
            self.stopped_epoch = epoch
            self.stop()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            with no_grad():  # in place: optimizers and views keep seeing the array
                for p, saved in zip(self.model.parameters(), self.best_weights):
                    if isinstance(p, Tensor):
                        p.copy_(saved)  # counted in its version: old graphs refuse backward
                    else:
                        p.data[...] = saved

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, mode={self.mode!r}, "
                f"restore_best_weights={self.restore_best_weights})")


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite, saying where it happened.

    The message (also kept in ``message``) names the epoch and the batch, both counted from 1,
    and is printed unless ``print_fn`` is None.
    """

    def __init__(self, print_fn: Callable[[str], Any] | None = print) -> None:
        self.print_fn = print_fn
        self.message: str | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.message = (f"TerminateOnNaN: the loss is {loss} at epoch {self._epoch + 1}, "
                            f"batch {batch + 1}: stopping training")
            if self.print_fn is not None:
                self.print_fn(self.message)
            self.stop()


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of every epoch, as Keras' callback does.

    ``schedule(epoch, lr) -> new lr`` gets the epoch (from 0) and the current rate. A rate that
    falls as training goes on lets the last steps settle instead of bouncing around a minimum.

    >>> from autograd import Value
    >>> from nn import Adam
    >>> opt = Adam([Value(1.0)], lr=1e-3)
    >>> halve = LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
    >>> halve.set_context(None, {}, None, opt)
    >>> for epoch in range(3):
    ...     halve.on_epoch_begin(epoch)
    >>> opt.lr
    0.00025

    After each epoch the rate it trained with is in the epoch logs as ``"lr"`` (and so in the
    History).
    """

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0) -> None:
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be callable (epoch, lr) -> lr, "
                            f"got {type(schedule).__name__}")
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        lr = self.schedule(epoch, _fixed_lr("LearningRateScheduler", self.optimizer))
        if not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"LearningRateScheduler: the schedule returned {lr!r} for epoch "
                             f"{epoch}; expected a positive number")
        self.optimizer.lr = float(lr)
        if self.verbose:
            print(f"epoch {epoch + 1}: learning rate {lr:.3g}")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Log the epoch's rate as ``logs["lr"]`` (Keras 3 calls it "learning_rate")."""
        if logs is not None:
            logs["lr"] = _fixed_lr("LearningRateScheduler", self.optimizer)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when a monitored value stops improving (Keras).

    After each epoch, ``logs[monitor]`` improves when it beats the best so far by more than
    ``min_delta`` (lower in mode "min", higher in "max"; "auto": "max" for names with "acc").
    After ``patience`` epochs in a row without improvement the rate becomes
    ``max(lr * factor, min_lr)`` (nothing happens once it is at ``min_lr``), the count starts
    again, and for the next ``cooldown`` epochs no epoch counts as a bad one. The rate the epoch
    trained with goes into the epoch logs as ``"lr"`` (Keras 3: "learning_rate"). A missing
    monitor warns once and changes nothing, as Keras. The optimizer's ``lr`` must be a number: a
    schedule (``nn.CosineDecay``...) is a TypeError, as in Keras.

    Attributes ``best``, ``wait`` and ``cooldown_counter`` tell where it stands.

    >>> from autograd import Value
    >>> from nn import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)
    >>> plateau.set_context(None, {}, None, opt); plateau.on_train_begin()
    >>> for epoch, loss in enumerate([3.0, 2.0, 2.0, 2.0, 2.0, 2.0]):
    ...     plateau.on_epoch_end(epoch, {"loss": loss})
    ...     print(epoch, opt.lr, end="; ")
    0 1.0; 1 1.0; 2 1.0; 3 0.5; 4 0.5; 5 0.25;
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0) -> None:
        owner = "ReduceLROnPlateau"
        self.factor = number(owner, "factor", factor, high=1.0, high_open=True)
        self.patience = count(owner, "patience", patience, minimum=0)
        self.cooldown = count(owner, "cooldown", cooldown, minimum=0)
        self.min_delta = number(owner, "min_delta", min_delta)
        self.min_lr = number(owner, "min_lr", min_lr)
        self.monitor, self.verbose = monitor, verbose
        self.mode = _direction(owner, mode, monitor)
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = self.cooldown_counter = 0
        self._warned = False

    def on_train_begin(self, logs: Logs | None = None) -> None:
        _fixed_lr("ReduceLROnPlateau", self.optimizer)  # a schedule fails now, not epochs later
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        lr = _fixed_lr("ReduceLROnPlateau", self.optimizer)
        if logs is not None:
            logs["lr"] = lr
        current = _monitored(self, logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if _beats(current, self.best, self.mode, self.min_delta):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and lr > self.min_lr:
                self.optimizer.lr = max(lr * self.factor, self.min_lr)
                if self.verbose:
                    print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing the learning rate to "
                          f"{self.optimizer.lr:.4g}")
                self.cooldown_counter, self.wait = self.cooldown, 0

    def __repr__(self) -> str:
        return (f"ReduceLROnPlateau(monitor={self.monitor!r}, factor={self.factor}, "
                f"patience={self.patience}, mode={self.mode!r}, min_delta={self.min_delta}, "
                f"cooldown={self.cooldown}, min_lr={self.min_lr})")
