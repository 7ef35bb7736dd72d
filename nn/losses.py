"""Loss functions: how far predictions are from targets, as one node to call ``backward()`` on.

Each loss takes predictions made by a model and targets, and reduces the per-element losses l_i
to one node:

- a Tensor of predictions (a batch) and targets as an array, a list or a Tensor give a
  one-element Tensor; the whole batch is a handful of array operations;
- a Value, or a list of Values (one per sample or output), and plain targets (numbers, or
  Values) give a Value.

The reductions are

    "mean": (1/n) * sum_i l_i      "sum": sum_i l_i      "half_sum" (mse only): 1/2 * sum_i l_i
    "none": the l_i themselves, not reduced (PyTorch's reduction="none")

With ``"none"`` a Tensor loss keeps PyTorch's shapes: ``mse``, ``binary_cross_entropy`` and
``hinge`` give one loss per element (the predictions' shape), ``cross_entropy`` one per sample
(N,); on Values the result is a list of Values, one per prediction (per sample for
``cross_entropy``), in the order of the flattened predictions. :func:`nn.fit` uses it to weight
samples (``sample_weight``, ``class_weight``).

>>> [round(v.data, 2) for v in mse([Value(1.0), Value(2.0)], [0.0, 4.0], reduction="none")]
[1.0, 4.0]

Predictions of an unsupported type are a TypeError that says what is accepted.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import Tensor, Value, stack, where
from autograd.tensor import log_softmax

__all__ = ["binary_cross_entropy", "cross_entropy", "hinge", "mse"]

_SLOPE_FLOOR = 1e-12  # PyTorch's cap on 1 / p in the gradient of binary_cross_entropy
_LOG_FLOOR = -100.0  # PyTorch clamps log(p) at -100 in binary cross-entropy


def _is_values(x: Any) -> bool:
    """A Value, or a non-empty (nested) list or tuple whose first leaf is a Value."""
    while isinstance(x, list | tuple) and x:
        x = x[0]
    return isinstance(x, Value)


def _unsupported(owner: str, name: str, x: Any) -> TypeError:
    return TypeError(f"{owner}: {name} must be a Tensor, a Value or a list of Values, got "
                     f"{type(x).__name__} {x!r:.60}")


def _flatten(owner: str, name: str, x: Any, numbers_ok: bool) -> list[Any]:
    """The leaves of a Value, number, array or nested list, checked, in order."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if not isinstance(x, list | tuple):
        x = [x]
    out: list[Any] = []
    stack = [iter(x)]
    while stack:
        for leaf in stack[-1]:
            if isinstance(leaf, list | tuple | np.ndarray):
                stack.append(iter(leaf.tolist() if isinstance(leaf, np.ndarray) else leaf))
                break
            if isinstance(leaf, Value) or (numbers_ok and isinstance(leaf, numbers.Real)):
                out.append(leaf)
            else:
                kind = "Values or numbers" if numbers_ok else "Values"
                raise TypeError(f"{owner}: {name} must hold {kind}, found "
                                f"{type(leaf).__name__} {leaf!r:.40}")
        else:
            stack.pop()
    return out


def _pairs(owner: str, pred: Any, target: Any) -> tuple[list[Value], list[Any]]:
    preds = _flatten(owner, "pred", pred, numbers_ok=False)
    targets = _flatten(owner, "target", target, numbers_ok=True)
    if len(preds) != len(targets):
        raise ValueError(f"{owner}: {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise ValueError(f"{owner}: no predictions")
    return preds, targets


def _reduce(owner: str, terms: Any, reduction: str) -> Any:
    """Reduce a list of Values, or a Tensor of per-element losses, to one node (``"none"``: the
    terms as they are)."""
    _check_reduction(owner, reduction)
    if reduction == "none":
        return terms
    if isinstance(terms, Tensor):
        if reduction == "mean":
            return terms.mean()
        return terms.sum() * 0.5 if reduction == "half_sum" else terms.sum()
    if reduction == "mean":
        return sum(terms) * (1.0 / len(terms))
    return sum(terms) * 0.5 if reduction == "half_sum" else sum(terms)


def mse(pred: Any, target: Any, reduction: str = "mean") -> Value | Tensor:
    """Squared error: l_i = (pred_i - target_i) ** 2, reduced by ``reduction``.

    ``"half_sum"`` is the course's cost L = 1/2 * sum_i (y_i - y_NN(x_i)) ** 2, whose gradient
    with respect to each prediction is simply y_NN(x_i) - y_i.

    >>> preds = [Value(1.0), Value(2.0)]
    >>> mse(preds, [0.0, 4.0]), mse(preds, [0.0, 4.0], reduction="half_sum").data
    (Value(data=2.5, grad=0.0), 2.5)
    """
    if isinstance(pred, Tensor):
        _check_reduction("mse", reduction)
        diff = pred - _target("mse", pred, target)
        return _reduce("mse", diff * diff, reduction)
    if _is_values(pred):
        preds, targets = _pairs("mse", pred, target)
        return _reduce("mse", [(p - t) ** 2 for p, t in zip(preds, targets)], reduction)
    raise _unsupported("mse", "pred", pred)


def hinge(scores: Any, labels: Any, reduction: str = "mean") -> Value | Tensor:
    """micrograd's max-margin loss: l_i = max(0, 1 - y_i * score_i) for labels y_i in {-1, +1}.

    A sample is free once it is on the right side with a margin of at least 1.

    >>> hinge([Value(2.0), Value(0.5), Value(0.3)], [1, 1, -1]).data   # (0 + 0.5 + 1.3) / 3
    0.6
    """
    if isinstance(scores, Tensor):
        _check_reduction("hinge", reduction)
        y = _target("hinge", scores, labels)
        if not np.isin(y.data, (-1, 1)).all():
            bad = y.data[~np.isin(y.data, (-1, 1))].flat[0].item()
            raise ValueError(f"hinge: labels must be -1 or +1, got {bad!r}")
        return _reduce("hinge", (1 - y * scores).relu(), reduction)
    if _is_values(scores):
        preds, ys = _pairs("hinge", scores, labels)
        for y in ys:
            if (y.data if isinstance(y, Value) else y) not in (-1, 1):
                raise ValueError(f"hinge: labels must be -1 or +1, got {y!r}")
        return _reduce("hinge", [(1 + -y * s).relu() for s, y in zip(preds, ys)], reduction)
    raise _unsupported("hinge", "scores", scores)


def binary_cross_entropy(pred: Any, target: Any, from_logits: bool = False,
                         reduction: str = "mean") -> Value | Tensor:
    """Cross-entropy of a yes/no prediction with a target t_i in [0, 1].

    With probabilities p_i (``from_logits=False``, PyTorch's ``binary_cross_entropy``):

        l_i = -(t_i * log(p_i) + (1 - t_i) * log(1 - p_i)),  each log clamped at -100

    With logits z_i, p_i = sigmoid(z_i) (``from_logits=True``), computed without overflow as

        l_i = z_i * (1 - t_i) + log(1 + e^-z_i)   if z_i >= 0
        l_i = log(1 + e^z_i) - z_i * t_i          otherwise

    both forms of the same smooth function, whose derivative is sigmoid(z_i) - t_i. On a Tensor
    this is two-class cross-entropy with the logits (0, z_i): log sigmoid(z) and
    log(1 - sigmoid(z)) are the two entries of log_softmax((0, z)), computed by the fused, stable
    ``autograd.tensor.log_softmax``.

    >>> round(binary_cross_entropy([Value(0.8), Value(0.4)], [1, 0]).data, 4)
    0.367
    >>> round(binary_cross_entropy(Value(0.0), 1, from_logits=True).data, 4)   # log 2
    0.6931
    """
    if isinstance(pred, Tensor):
        return _bce_tensor(pred, target, from_logits, reduction)
    if _is_values(pred):
        preds, ts = _pairs("binary_cross_entropy", pred, target)
        for t in ts:
            if not 0.0 <= (t.data if isinstance(t, Value) else t) <= 1.0:
                raise ValueError(f"binary_cross_entropy: targets must be in [0, 1], got {t!r}")
        terms = [(_bce_logit if from_logits else _bce_prob)(p, t) for p, t in zip(preds, ts)]
        return _reduce("binary_cross_entropy", terms, reduction)
    raise _unsupported("binary_cross_entropy", "pred", pred)


def _clamped_log(p: Value) -> Value | float:
    """log(p), or the constant -100 (gradient 0) where log(p) < -100, as PyTorch does."""
    if p.data > math.exp(_LOG_FLOOR):
        return p.log()
    return _LOG_FLOOR


def _bce_prob(p: Value, t: Any) -> Value:
    if not 0.0 <= p.data <= 1.0:
        raise ValueError(f"binary_cross_entropy: predictions must be probabilities in [0, 1], "
                         f"got {p.data!r} (pass from_logits=True for raw scores)")
    return -(t * _clamped_log(p) + (1 - t) * _clamped_log(1 - p))


def _bce_logit(z: Value, t: Any) -> Value:
    if z.data >= 0.0:
        return z * (1 - t) + (1 + (-z).exp()).log()
    return (1 + z.exp()).log() - z * t


def cross_entropy(logits: Any, labels: Any, reduction: str = "mean") -> Value | Tensor:
    """Softmax cross-entropy with integer class labels, computed stably.

    For one sample with logits z (C classes) and label y:

        l = -log softmax(z)_y = log(sum_j e^(z_j - m)) + m - z_y,   m = max_j z_j

    Subtracting the constant m keeps every exponent <= 0 (no overflow) and changes neither the
    value nor the gradient, dl/dz_j = softmax(z)_j - [j == y]. ``logits`` is one sample (a list
    of C Values, ``labels`` an int) or a batch (a list of such lists, ``labels`` a list of ints),
    or a Tensor (N, C) with ``labels`` an integer array (N,): then the loss is one fused
    ``log_softmax`` and one integer-array pick, ``-log_softmax(z)[arange(N), labels]``.

    >>> round(cross_entropy([Value(2.0), Value(1.0), Value(0.1)], 0).data, 4)
    0.417
    >>> batch = [[Value(0.0), Value(0.0)], [Value(5.0), Value(-5.0)]]
    >>> round(cross_entropy(batch, [1, 0]).data, 4)   # (log 2 + ~0) / 2
    0.3466
    >>> logits = Tensor(np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]]), requires_grad=True)
    >>> loss = cross_entropy(logits, np.array([0, 2]))   # (0.417 + log 3) / 2
    >>> round(loss.item(), 4)
    0.7578
    >>> cross_entropy(logits, np.array([0, 2]), reduction="none").numpy().round(4)   # per sample
    array([0.417 , 1.0986])
    """
    if isinstance(logits, Tensor):
        return _cross_entropy_tensor(logits, labels, reduction)
    if _is_values(logits):
        if isinstance(logits, Value):
            raise ValueError("cross_entropy: logits must hold one Value per class, got a single "
                             "Value (use binary_cross_entropy(..., from_logits=True))")
        if isinstance(logits[0], Value):
            logits, labels = [logits], [labels]
        if isinstance(labels, np.ndarray):
            labels = labels.tolist()
        if not isinstance(labels, Sequence) or len(labels) != len(logits):
            raise ValueError(f"cross_entropy: expected {len(logits)} labels, one per sample, got "
                             f"{labels!r:.60}")
        terms = [_cross_entropy_one(list(z), y) for z, y in zip(logits, labels)]
        return _reduce("cross_entropy", terms, reduction)
    raise _unsupported("cross_entropy", "logits", logits)


def _cross_entropy_one(z: list[Any], y: Any) -> Value:
    if not z or not all(isinstance(zj, Value) for zj in z):
        raise TypeError("cross_entropy: each sample's logits must be a non-empty list of Values")
    if isinstance(y, bool) or not isinstance(y, numbers.Integral):
        raise TypeError(f"cross_entropy: labels must be integers, got {type(y).__name__} {y!r}")
    if not 0 <= y < len(z):
        raise ValueError(f"cross_entropy: label {y} is out of range for {len(z)} classes")
    m = max(zj.data for zj in z)
    return sum((zj - m).exp() for zj in z).log() + m - z[int(y)]


# ---- Tensor branches -------------------------------------------------------------------------

def _check_reduction(owner: str, reduction: str) -> None:
    allowed = ("mean", "sum", "half_sum", "none") if owner == "mse" else ("mean", "sum", "none")
    if reduction not in allowed:
        text = ", ".join(f'"{r}"' for r in allowed[:-1]) + f' or "{allowed[-1]}"'
        raise ValueError(f"{owner}: reduction must be {text}, got {reduction!r}")


def _target(owner: str, pred: Tensor, target: Any) -> Tensor:
    """``target`` as a Tensor of ``pred``'s shape (a trailing axis of size 1 may differ)."""
    if isinstance(target, Tensor):
        t = target
    else:
        try:
            data = np.asarray(target)
        except ValueError as e:
            raise ValueError(f"{owner}: target is not an array of numbers: {e}") from None
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{owner}: target must hold numbers, got dtype {data.dtype}")
        t = Tensor(data.astype(pred.dtype if pred.dtype.kind == "f" else np.float64))
    if t.shape != pred.shape:
        if t.shape + (1,) == pred.shape or t.shape == pred.shape + (1,):
            return t.reshape(pred.shape)
        raise ValueError(f"{owner}: predictions of shape {pred.shape} but targets of shape "
                         f"{t.shape}")
    return t


def _bce_tensor(pred: Tensor, target: Any, from_logits: bool, reduction: str) -> Tensor:
    owner = "binary_cross_entropy"
    _check_reduction(owner, reduction)
    t = _target(owner, pred, target)
    outside = (t.data < 0) | (t.data > 1)
    if outside.any():
        raise ValueError(f"{owner}: targets must be in [0, 1], got {t.data[outside][0].item()!r}")
    if from_logits:
        zero = Tensor(np.zeros(pred.shape, dtype=pred.dtype))
        logp = log_softmax(stack([zero, pred], axis=-1), axis=-1)
        log_yes, log_no = logp[..., 1], logp[..., 0]
    else:
        outside = (pred.data < 0) | (pred.data > 1)
        if outside.any():
            raise ValueError(f"{owner}: predictions must be probabilities in [0, 1], got "
                             f"{pred.data[outside][0].item()!r} (pass from_logits=True for raw "
                             "scores)")
        log_yes, log_no = _clamped_log_tensor(pred), _clamped_log_tensor(1 - pred)
    return _reduce(owner, -(t * log_yes + (1 - t) * log_no), reduction)


def _clamped_log_tensor(p: Tensor) -> Tensor:
    """log(p), at least -100, as PyTorch's binary_cross_entropy: d/dp = 1 / max(p, 1e-12).

    The slope is capped where p < 1e-12, as PyTorch caps its gradient's denominator: 1 / p of
    a float32 p near 1e-39 is infinite. There the value is the constant max(log p, -100) plus
    ``(p - p) * 1e12``, zero in value, whose derivative is the capped slope.
    """
    keep = p.data > _SLOPE_FLOOR
    with np.errstate(divide="ignore"):
        floor = np.maximum(np.log(np.where(keep, 1.0, p.data)), _LOG_FLOOR).astype(p.dtype)
    capped = (p - p.data) * (1 / _SLOPE_FLOOR) + floor
    return where(keep, where(keep, p, 1.0).log(), capped)


def _cross_entropy_tensor(logits: Tensor, labels: Any, reduction: str) -> Tensor:
    owner = "cross_entropy"
    _check_reduction(owner, reduction)
    if logits.ndim not in (1, 2):
        raise ValueError(f"{owner}: logits must be (N, C) (or (C,) for one sample), got shape "
                         f"{logits.shape}")
    y = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{owner}: labels must be integers, got dtype {y.dtype} (class indices, "
                        f"not one-hot rows or probabilities)")
    single = logits.ndim == 1
    if single:
        logits, y = logits.reshape(1, -1), y.reshape(-1)
    n, c = logits.shape
    if y.shape != (n,):
        raise ValueError(f"{owner}: expected {n} labels, one per sample, got shape {y.shape}")
    if n and (y.min() < 0 or y.max() >= c):
        bad = y[(y < 0) | (y >= c)][0].item()
        raise ValueError(f"{owner}: label {bad} is out of range for {c} classes")
    losses = -log_softmax(logits, axis=-1)[np.arange(n), y]
    if single and reduction == "none":
        return losses[0]  # one sample, one loss of shape (), as PyTorch
    return _reduce(owner, losses, reduction)
