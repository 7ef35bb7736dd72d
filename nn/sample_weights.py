"""Sample and class weights for :func:`nn.fit`, as Keras weighs them.

A weighted batch loss is Keras' "sum_over_batch_size": ``sum_i w_i * l_i / n`` over the n
samples of the batch, with ``l_i`` the per-sample loss (the loss with ``reduction="none"``,
averaged over any axes after the first). ``class_weight`` gives each sample the weight of its
class; with ``sample_weight`` too, the two multiply.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from autograd import Tensor

__all__ = ["check_takes_reduction", "class_weights", "sample_weights", "weighted_loss"]

LossFn = Callable[..., Tensor]


def sample_weights(sample_weight: Any, n: int) -> np.ndarray:
    """``sample_weight`` checked: n finite numbers >= 0, as a float64 array (n,)."""
    w = np.asarray(sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"fit: sample_weight must hold numbers, got dtype {w.dtype}")
    if w.shape != (n,):
        raise ValueError(f"fit: sample_weight must have one weight per sample, shape ({n},), "
                         f"got shape {w.shape}")
    return _checked_weights("sample_weight", w.astype(np.float64))


def _checked_weights(name: str, w: np.ndarray) -> np.ndarray:
    if not np.isfinite(w).all():
        raise ValueError(f"fit: {name} must be finite, got {w[~np.isfinite(w)][0]}")
    if (w < 0).any():
        raise ValueError(f"fit: {name} must be >= 0, got {w[w < 0][0]}")
    return w


def class_weights(class_weight: Any, y: np.ndarray) -> np.ndarray:
    """One weight per sample from ``{class: weight}`` and the targets ``y``, as Keras reads
    them: integer labels (N,), one-hot or probability rows (N, C) by their argmax, one column
    (N, 1) as it is; rounded to whole classes."""
    if not isinstance(class_weight, Mapping):
        raise TypeError(f"fit: class_weight must be a dict {{class index: weight}}, got "
                        f"{type(class_weight).__name__}")
    table: dict[int, float] = {}
    for label, weight in class_weight.items():
        if isinstance(label, bool) or not isinstance(label, numbers.Integral):
            raise TypeError(f"fit: class_weight's keys must be class indices (ints), got "
                            f"{label!r}")
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            raise TypeError(f"fit: class_weight[{label}] must be a number, got {weight!r}")
        table[int(label)] = float(weight)
    _checked_weights("class_weight", np.array(list(table.values()), dtype=np.float64))
    if y.ndim > 2 or y.dtype.kind not in "biuf":
        raise ValueError(f"fit: class_weight needs class targets: labels (N,), one-hot rows "
                         f"(N, C) or a 0/1 column (N, 1), got y of shape {y.shape}, dtype "
                         f"{y.dtype}")
    labels = y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))
    labels = np.round(labels).astype(np.int64)
    classes, where = np.unique(labels, return_inverse=True)
    missing = [int(c) for c in classes if int(c) not in table]
    if missing:
        raise ValueError(f"fit: class_weight has no weight for class {missing[0]}, which is in "
                         f"y (classes {classes.tolist()}; class_weight has "
                         f"{sorted(table)})")
    return np.array([table[int(c)] for c in classes])[where.reshape(-1)]


def check_takes_reduction(loss_fn: LossFn, name: str) -> None:
    """A loss used with weights must take ``reduction="none"`` (the per-sample losses)."""
    try:
        parameters = inspect.signature(loss_fn).parameters.values()
    except (TypeError, ValueError):  # no signature to read (a builtin): try it when training
        return
    if not any(p.name == "reduction" or p.kind is p.VAR_KEYWORD for p in parameters):
        raise TypeError(f"fit: sample_weight and class_weight need a loss that takes "
                        f"reduction=\"none\" and then returns one loss per sample; {name} "
                        f"does not (give it the argument: def loss(pred, target, "
                        f"reduction=\"mean\"))")


def weighted_loss(loss_fn: LossFn, pred: Tensor, yb: np.ndarray, wb: np.ndarray) -> Tensor:
    """Keras' "sum_over_batch_size": sum_i w_i * l_i / n, l_i the per-sample losses."""
    n = len(wb)
    per = loss_fn(pred, yb, reduction="none")
    if not isinstance(per, Tensor) or per.ndim == 0 or per.shape[0] != n:
        raise TypeError(f"fit: with sample or class weights the loss must return one loss per "
                        f"sample for reduction=\"none\", a Tensor of first axis {n}; got "
                        f"{type(per).__name__} {getattr(per, 'shape', '')}")
    if per.ndim > 1:
        per = per.reshape(n, -1).mean(axis=1)
    return (per * wb).sum() * (1.0 / n)
