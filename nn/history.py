"""History: what :func:`nn.fit` recorded, epoch by epoch, and its learning curves (Keras' name).

>>> h = History(model=None, params={})
>>> h._record(0, {"loss": 1.0, "val_loss": 1.2}, 0.5)
>>> h._record(1, {"loss": 0.6, "val_loss": 0.9}, 0.5)
>>> h
History(epochs=2, loss=0.6, val_loss=0.9)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["History"]


class History:
    """What :func:`fit` recorded, as Keras' History.

    Attributes:
        history: ``{"loss": [...], "val_loss": [...], "accuracy": [...], ...}``, one float per
            epoch: training means over the epoch's batches, validation over the whole set.
        epoch: the epoch numbers that ran, from 0 (from ``initial_epoch`` when fit was given
            one), as Keras' ``History.epoch``.
        params: the run's settings: epochs, batch_size, steps (per epoch), samples,
            validation_samples, metrics, verbose.
        times: the wall-clock seconds of each epoch, validation included.
        model: the trained model.
    """

    def __init__(self, model: Any, params: dict[str, Any]) -> None:
        self.model = model
        self.params = params
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.times: list[float] = []

    def _record(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        self.epoch.append(epoch)
        self.times.append(seconds)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def plot(self, metrics: str | Sequence[str] | None = None, ax: Any = None) -> Any:
        """Draw the learning curves with matplotlib and return the Figure.

        One subplot per metric, its ``"val_"`` twin on the same axes, against the epoch counted
        from 1 as fit prints it. ``metrics`` is a name or a list of names (None: every recorded
        one); ``ax`` a matplotlib Axes (one metric) or a sequence of Axes (one per metric) to
        draw into, or None for a new figure with the subplots side by side. matplotlib is
        imported here, when first needed.

        >>> history = History(None, {})
        >>> for epoch, logs in enumerate([{"loss": 1.0, "val_loss": 1.3},
        ...                               {"loss": 0.6, "val_loss": 0.9}]):
        ...     history._record(epoch, logs, seconds=0.1)
        >>> figure = history.plot()
        >>> [(a.get_xlabel(), a.get_ylabel()) for a in figure.axes]
        [('epoch', 'loss')]
        >>> [(line.get_label(), line.get_xdata().tolist()) for line in figure.axes[0].lines]
        [('loss', [1, 2]), ('val_loss', [1, 2])]
        >>> import matplotlib.pyplot as plt; plt.close(figure)
        """
        try:
            import matplotlib.pyplot as plt
            from matplotlib.ticker import MaxNLocator
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("History.plot needs matplotlib: pip install matplotlib") from None
        names = self._plotted(metrics)
        if ax is None:
            figure, grid = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.4),
                                        squeeze=False, layout="constrained")
            axes = list(grid[0])
        else:
            axes = list(np.ravel(ax)) if isinstance(ax, Sequence | np.ndarray) else [ax]
            if len(axes) != len(names):
                raise ValueError(f"History.plot: {len(names)} metrics ({', '.join(names)}) but "
                                 f"{len(axes)} axes")
            figure = axes[0].figure
        epochs = np.asarray(self.epoch) + 1
        for axis, name in zip(axes, names):
            for key, style in ((name, "o-"), ("val_" + name, "s--")):
                values = self.history.get(key, [])
                if values:  # a key that joined late lines up with the last epochs
                    axis.plot(epochs[len(epochs) - len(values):], values, style, label=key,
                              markersize=3)
            axis.set_xlabel("epoch")
            axis.set_ylabel(name)
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.grid(alpha=0.3)
            axis.legend()
        return figure

    def _plotted(self, metrics: str | Sequence[str] | None) -> list[str]:
        """The metrics History.plot draws, checked: each has its own axes."""
        if not self.epoch:
            raise ValueError("History.plot: no epoch was recorded yet")
        if metrics is None:
            return [k for k in self.history
                    if not (k.startswith("val_") and k[len("val_"):] in self.history)]
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        for name in names:
            if not isinstance(name, str) or name not in self.history:
                raise ValueError(f"History.plot: no metric {name!r} was recorded; the "
                                 f"recorded ones are {', '.join(self.history)}")
        if not names:
            raise ValueError("History.plot: metrics is empty; pass None for all of them")
        return names

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History(epochs={len(self.epoch)}{', ' + last if last else ''})"


# ---- losses and metrics by name --------------------------------------------------------------
