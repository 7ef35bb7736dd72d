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
from collections.abc import Callable
from typing import Any

from autograd import Tensor, no_grad

from ._checks import count, number

__all__ = ["Callback", "EarlyStopping", "LambdaCallback", "LearningRateScheduler", "TerminateOnNaN"]

Logs = dict[str, float]


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
        if mode not in ("auto", "min", "max"):
            raise ValueError(f'EarlyStopping: mode must be "auto", "min" or "max", got {mode!r}')
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
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
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

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
    """

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0) -> None:
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be callable (epoch, lr) -> lr, "
                            f"got {type(schedule).__name__}")
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self.optimizer is None or not hasattr(self.optimizer, "lr"):
            raise RuntimeError("LearningRateScheduler: needs an optimizer with an lr attribute; "
                               "it is given one by fit()")
        if callable(self.optimizer.lr):
            raise TypeError(f"LearningRateScheduler: the optimizer's lr is already a per-step "
                            f"schedule ({self.optimizer.lr!r}); use one or the other")
        lr = self.schedule(epoch, self.optimizer.lr)
        if not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"LearningRateScheduler: the schedule returned {lr!r} for epoch "
                             f"{epoch}; expected a positive number")
        self.optimizer.lr = float(lr)
        if self.verbose:
            print(f"epoch {epoch + 1}: learning rate {lr:.3g}")
