"""Callbacks that write files while :func:`nn.fit` trains: ModelCheckpoint and CSVLogger (Keras').

:class:`ModelCheckpoint` saves the weights (every epoch, every N batches, or only when a
monitored value improves) with ``model.save_weights``; :class:`CSVLogger` writes one row of
logs per epoch. See :mod:`nn.callbacks` for the hooks and the ``monitor``/``mode`` rules.
"""

from __future__ import annotations

import csv
import math
import numbers
import os
import string
from typing import IO, Any

from ._checks import number
from .callbacks import Callback, Logs, _beats, _direction, _monitored

__all__ = ["CSVLogger", "ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Save the model's weights while it trains, as Keras' callback (weights only).

    After every epoch (``save_freq="epoch"``) or every ``save_freq`` batches (an int), the
    weights go to ``filepath`` through ``model.save_weights`` (an ``.npz`` written atomically;
    ``model.load_weights`` reads it back). ``filepath`` is a format string: ``{epoch}`` is the
    epoch counted from 1, as Keras prints it, ``{batch}`` the batch from 1 (saving by batch),
    and every key of the logs is a field, so ``"ckpt/w-{epoch:02d}-{val_loss:.3f}.npz"`` writes
    one file per epoch. Missing directories are made.

    With ``save_best_only`` it writes only when ``logs[monitor]`` beats the best value so far:
    strictly lower in mode "min", higher in "max" (``"auto"``: "max" for names with "acc"). The
    first value to beat is ``initial_value_threshold`` (None: any number). Only weights are
    saved (``save_weights_only`` must stay True: a whole model would need pickle). Without the
    monitored key in the logs it warns once and skips, as Keras. ``best`` holds the best value; like
    Keras', it is kept from one ``fit`` to the next.

    Pass it to ``fit(..., callbacks=[checkpoint])``; here its hook is called by hand:

    >>> import os, tempfile
    >>> from nn import Dense, Sequential
    >>> model, folder = Sequential(Dense(1, 1, rng=0)), tempfile.TemporaryDirectory()
    >>> checkpoint = ModelCheckpoint(os.path.join(folder.name, "w-{epoch:02d}-{val_loss:.2f}.npz"),
    ...                              save_best_only=True)
    >>> checkpoint.set_context(model, {}, None)
    >>> for epoch, val_loss in enumerate([0.9, 0.7, 0.8]):
    ...     checkpoint.on_epoch_end(epoch, {"loss": 1.0, "val_loss": val_loss})
    >>> sorted(os.listdir(folder.name)), checkpoint.best
    (['w-01-0.90.npz', 'w-02-0.70.npz'], 0.7)
    >>> folder.cleanup()
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = True, mode: str = "auto",
                 save_freq: str | int = "epoch", initial_value_threshold: float | None = None
                 ) -> None:
        owner = "ModelCheckpoint"
        if save_weights_only is not True:
            raise ValueError(f"{owner}: glassgrad saves weights only (save_weights_only=True): a "
                             "whole model would have to be pickled, and loading a pickle runs "
                             "code. Keep the code that builds the model; save_weights/"
                             "load_weights (and state_dict) carry the numbers")
        if not isinstance(filepath, str | os.PathLike):
            raise TypeError(f"{owner}: filepath must be a str or a path, got "
                            f"{type(filepath).__name__}")
        self.filepath = os.fspath(filepath)
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(self.filepath)
                      if name is not None]
        except ValueError as e:
            raise ValueError(f"{owner}: filepath {self.filepath!r} is not a valid format string "
                             f"({e}); write braces as {{{{ and }}}}") from None
        if any(name == "" or name.isdigit() for name in fields):
            raise ValueError(f"{owner}: filepath {self.filepath!r} has a positional field; name "
                             "it: {epoch:02d}, {batch}, {val_loss:.3f} ...")
        if save_freq != "epoch" and (isinstance(save_freq, bool)
                                     or not isinstance(save_freq, numbers.Integral)
                                     or save_freq < 1):
            raise ValueError(f'{owner}: save_freq must be "epoch" or a number of batches >= 1, '
                             f"got {save_freq!r}")
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.mode = _direction(owner, mode, monitor)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        if initial_value_threshold is None:
            self.best = math.inf if self.mode == "min" else -math.inf
        else:
            self.best = number(owner, "initial_value_threshold", initial_value_threshold,
                               low=-math.inf)
        self._warned = False
        self._epoch = 0
        self._batches = 0  # since the last save by batch

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._warned, self._batches = False, 0

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            return
        self._batches += 1
        if self._batches >= self.save_freq:
            self._batches = 0
            self._save(self._epoch, batch, logs or {})

    def _path(self, epoch: int, batch: int | None, logs: Logs) -> str:
        fields: dict[str, Any] = {} if batch is None else {"batch": batch + 1}
        fields.update(logs)
        fields["epoch"] = epoch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} names the field {e}, "
                             f"which is not among {sorted(fields)}") from None
        except (ValueError, TypeError) as e:
            raise ValueError(f"ModelCheckpoint: cannot format filepath {self.filepath!r} with "
                             f"{fields}: {e}") from None

    def _save(self, epoch: int, batch: int | None, logs: Logs) -> None:
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = _monitored(self, logs)
            if current is None:
                return
            if not _beats(current, self.best, self.mode):
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving the weights to {path}")
            self.best = current
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving the weights to {path}")
        if self.model is None:
            raise RuntimeError("ModelCheckpoint: needs a model; it is given one by fit()")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self.model.save_weights(path)

    def __repr__(self) -> str:
        return (f"ModelCheckpoint({self.filepath!r}, monitor={self.monitor!r}, "
                f"save_best_only={self.save_best_only}, mode={self.mode!r}, "
                f"save_freq={self.save_freq!r})")




class CSVLogger(Callback):
    """Write the epoch logs to a CSV file, one row per epoch, as Keras' callback.

    The header is ``epoch`` and then the keys of the first epoch's logs, sorted; each row is the
    epoch (counted from 0, as Keras writes it) and the values (``NA`` for a key an epoch lacks).
    The file is opened when training begins (emptied, or with ``append=True`` added to: then
    without a second header when it already has content), flushed after every row and closed
    when training ends. Lines end in ``\\n``.

    >>> import os, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "log.csv")
    >>> logger = CSVLogger(path)
    >>> logger.on_train_begin()
    >>> logger.on_epoch_end(0, {"val_loss": 0.5, "loss": 0.75})
    >>> logger.on_train_end()
    >>> with open(path) as f:
    ...     print(f.read(), end="")
    epoch,loss,val_loss
    0,0.75,0.5
    >>> folder.cleanup()
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",",
                 append: bool = False) -> None:
        if not isinstance(filename, str | os.PathLike):
            raise TypeError(f"CSVLogger: filename must be a str or a path, got "
                            f"{type(filename).__name__}")
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be one character, got {separator!r}")
        self.filename, self.separator, self.append = os.fspath(filename), separator, bool(append)
        self.keys: list[str] | None = None
        self._file: IO[str] | None = None
        self._writer: Any = None
        self._header = True

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8") as f:
                self._header = not f.readline()
        self._close()
        self._file = open(self.filename, "a" if self.append else "w",  # noqa: SIM115
                          newline="", encoding="utf-8")
        self.keys, self._writer = None, None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self._file is None:
            raise RuntimeError("CSVLogger: the file is opened by on_train_begin, which fit() "
                               "calls first")
        logs = logs or {}
        if self._writer is None:
            self.keys = sorted(logs)
            self._writer = csv.writer(self._file, delimiter=self.separator, lineterminator="\n")
            if self._header:
                self._writer.writerow(["epoch", *self.keys])
        self._writer.writerow([epoch, *(logs.get(key, "NA") for key in self.keys or ())])
        self._file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._close()

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file, self._writer = None, None

    def __repr__(self) -> str:
        return (f"CSVLogger({self.filename!r}, separator={self.separator!r}, "
                f"append={self.append})")
